import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../functions/adapters/dynamodb-state.ts';
import { Ec2Instances } from '../../../functions/adapters/ec2.ts';
import { SnsAlertPublisher, snsMessage } from '../../../functions/adapters/sns.ts';
import { RENDERED_ALERT, TOPIC_ARN } from '../../support/builders.ts';

const ec2 = mockClient(EC2Client);
const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);
const region = { region: 'ap-northeast-2' };

beforeEach(() => {
  ec2.reset();
  sns.reset();
  dynamo.reset();
});
// The mocks patch the SDK's client classes for the whole worker: later test files use real clients.
afterAll(() => {
  ec2.restore();
  sns.restore();
  dynamo.restore();
});

describe('Ec2Instances', () => {
  it('queries by every tag of the selector and follows NextToken, 1,000 a page', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [
          {
            Instances: [
              {
                InstanceId: 'i-1',
                State: { Name: 'running' },
                VpcId: 'vpc-1',
                Placement: { AvailabilityZone: 'ap-northeast-2a' },
                LaunchTime: new Date('2026-11-20T03:14:00Z'),
                Tags: [{ Key: 'Role', Value: 'web' }],
              },
            ],
          },
        ],
        NextToken: 't1',
      })
      .resolvesOnce({
        Reservations: [{ Instances: [{ InstanceId: 'i-2', State: { Name: 'stopped' }, Tags: [] }] }],
      });
    const found = await new Ec2Instances(new EC2Client(region)).findByTags({ Role: 'web', Env: 'prod' });
    expect(found).toEqual([
      {
        id: 'i-1',
        state: 'running',
        vpcId: 'vpc-1',
        availabilityZone: 'ap-northeast-2a',
        launchTime: '2026-11-20T03:14:00.000Z',
        tags: { Role: 'web' },
      },
      {
        id: 'i-2',
        state: 'stopped',
        vpcId: undefined,
        availabilityZone: undefined,
        launchTime: undefined,
        tags: {},
      },
    ]);
    const [first, second] = ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input);
    expect(first).toEqual({
      Filters: [
        { Name: 'tag:Role', Values: ['web'] },
        { Name: 'tag:Env', Values: ['prod'] },
      ],
      MaxResults: 1000,
      NextToken: undefined,
    });
    expect(second?.NextToken).toBe('t1');
  });

  it('describes instances by id through a filter, 200 ids a call, so unknown ids are not an error', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    const ids = Array.from({ length: 250 }, (_, index) => `i-${index}`);
    expect(await new Ec2Instances(new EC2Client(region)).describe(ids)).toEqual([]);
    const filters = ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input.Filters?.[0]);
    expect(filters.map((filter) => [filter?.Name, filter?.Values?.length])).toEqual([
      ['instance-id', 200],
      ['instance-id', 50],
    ]);
  });
});

describe('SnsAlertPublisher', () => {
  const alert = RENDERED_ALERT;

  it('publishes one message with text for people, JSON for machines, and filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsAlertPublisher(new SNSClient(region)).publish(TOPIC_ARN, alert);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageStructure).toBe('json');
    expect(input?.Subject).toBe(alert.subject);
    expect(input?.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      kind: { DataType: 'String', StringValue: 'NoHealthyTargets' },
      binding: { DataType: 'String', StringValue: 'web' },
    });
    const message = JSON.parse(input?.Message ?? '{}');
    expect(message.default).toBe(alert.text);
    expect(message.email).toBe(alert.text);
    expect(JSON.parse(message.sqs)).toEqual(alert.document);
    expect(JSON.parse(message.lambda)).toEqual(alert.document);
  });

  it('sends neither a message group nor a deduplication id to a standard topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsAlertPublisher(new SNSClient(region)).publish(TOPIC_ARN, alert);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('MessageGroupId');
    expect(input).not.toHaveProperty('MessageDeduplicationId');
  });

  it('sends the binding as message group and the alert id as deduplication id to a FIFO topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1', SequenceNumber: '1' });
    const fifo = `${TOPIC_ARN}.fifo`;
    const publisher = new SnsAlertPublisher(new SNSClient(region));
    await publisher.publish(fifo, alert);
    await publisher.publish(fifo, alert);
    const inputs = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.MessageGroupId, input.MessageDeduplicationId])).toEqual([
      ['web', '0f1e2d3c4b5a6978'],
      ['web', '0f1e2d3c4b5a6978'],
    ]);
  });

  it('keeps a huge alert under the SNS size limit', () => {
    const huge = {
      ...alert,
      text: 'x'.repeat(400_000),
      document: { ...alert.document, details: { blob: 'y'.repeat(400_000) } },
    };
    const message = snsMessage(huge);
    expect(Buffer.byteLength(message)).toBeLessThan(256 * 1024);
    expect(JSON.parse(JSON.parse(message).sqs).details).toEqual({ truncated: true });
  });
});

describe('DynamoDbStateStore', () => {
  const store = () => new DynamoDbStateStore(new DynamoDBClient(region), 'alert-state');

  it('loads a binding with one consistent Query per page', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          {
            pk: { S: 'binding#web' },
            sk: { S: 'pause' },
            version: { N: '3' },
            data: { S: '{"until":1}' },
            expiresAt: { N: '99' },
          },
        ],
        LastEvaluatedKey: { pk: { S: 'binding#web' }, sk: { S: 'pause' } },
      })
      .resolvesOnce({
        Items: [
          { pk: { S: 'binding#web' }, sk: { S: 'meta' }, version: { N: '1' }, data: { S: 'not json' } },
        ],
      });
    expect(await store().load('web')).toEqual([
      { key: 'pause', version: 3, data: { until: 1 }, expiresAt: 99, marker: undefined },
      { key: 'meta', version: 1, data: undefined, expiresAt: undefined, marker: undefined },
    ]);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk',
    });
  });

  it('writes conditionally on the version read, and reports a lost race as false', async () => {
    dynamo
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    expect(await store().put('web', { key: 'pause', version: 0, data: {} })).toBe(true);
    expect(await store().put('web', { key: 'pause', version: 4, data: {} })).toBe(false);
    const [create, update] = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(create?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(create?.Item?.version).toEqual({ N: '1' });
    expect(update?.ConditionExpression).toBe('#version = :version');
    expect(update?.ExpressionAttributeValues).toEqual({ ':version': { N: '4' } });
  });

  it('deletes conditionally, leaving a tombstone that expires', async () => {
    dynamo.on(PutItemCommand).resolves({});
    expect(await store().remove('web', 'target#i-1:8080', 2)).toBe(true);
    const input = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('#version = :version');
    expect(input?.Item).toMatchObject({
      version: { N: '3' },
      gone: { BOOL: true },
      expiresAt: { N: expect.any(String) },
    });
  });

  it('reads a tombstone back as a deleted record that keeps its version', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        {
          pk: { S: 'binding#web' },
          sk: { S: 'condition#no-healthy' },
          version: { N: '4' },
          gone: { BOOL: true },
        },
      ],
    });
    expect(await store().load('web')).toEqual([
      {
        key: 'condition#no-healthy',
        version: 4,
        data: undefined,
        expiresAt: undefined,
        marker: undefined,
        deleted: true,
      },
    ]);
  });

  it('recognizes its own write when a lost response made the SDK send it again', async () => {
    // The first attempt landed but its response was lost; the retry fails the condition against our own item.
    dynamo.on(PutItemCommand).callsFake((input: { Item: Record<string, { S?: string }> }) => {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { writer: { S: input.Item.writer?.S ?? '' } },
      });
    });
    expect(await store().put('web', { key: 'target#i-1:8080', version: 1, data: {} })).toBe(true);
    expect(await store().remove('web', 'target#i-1:8080', 2)).toBe(true);
  });

  it("reports another writer's item as a lost race", async () => {
    dynamo.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { writer: { S: 'someone-else' } },
      }),
    );
    expect(await store().put('web', { key: 'target#i-1:8080', version: 1, data: {} })).toBe(false);
  });

  it('skips the write when the record carries the same marker', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    expect(
      await store().putUnlessMarked('web', {
        key: 'owned#i-1:8080',
        data: {},
        marker: '2026-11-20T03:14:00.000Z',
      }),
    ).toBe(false);
    expect(dynamo).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      ConditionExpression: 'attribute_not_exists(pk) OR #marker <> :marker',
    });
  });

  it('batches 25 writes a call and sends unprocessed items again', async () => {
    dynamo
      .on(BatchWriteItemCommand)
      .resolvesOnce({
        UnprocessedItems: {
          'alert-state': [{ DeleteRequest: { Key: { pk: { S: 'binding#web' }, sk: { S: 'owned#a' } } } }],
        },
      })
      .resolves({});
    await store().removeAll(
      'web',
      Array.from({ length: 30 }, (_, index) => `owned#${index}`),
    );
    const sizes = dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((call) => call.args[0].input.RequestItems?.['alert-state']?.length);
    expect(sizes).toEqual([25, 1, 5]);
  });
});
