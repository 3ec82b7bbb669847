import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsError, useSim } from './support.ts';

const sim = useSim();
let topicArn: string;

beforeEach(async () => {
  topicArn =
    (await sim.clients.sns.send(new CreateTopicCommand({ Name: 'alb-warden-alerts' }))).TopicArn ?? '';
});

const publish = (input: Omit<ConstructorParameters<typeof PublishCommand>[0], 'TopicArn'>) =>
  sim.clients.sns.send(new PublishCommand({ TopicArn: topicArn, ...input }));

describe('topics and subscriptions', () => {
  it('creates a topic idempotently by name', async () => {
    const again = await sim.clients.sns.send(new CreateTopicCommand({ Name: 'alb-warden-alerts' }));

    expect(topicArn).toBe('arn:aws:sns:ap-northeast-2:123456789012:alb-warden-alerts');
    expect(again.TopicArn).toBe(topicArn);
  });

  it('leaves email subscriptions pending confirmation and gives queues an ARN', async () => {
    const email = await sim.clients.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'oncall@example.com' }),
    );
    const queue = await sim.clients.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: 'arn:aws:sqs:ap-northeast-2:123456789012:pager',
      }),
    );

    expect(email.SubscriptionArn).toBe('pending confirmation');
    expect(queue.SubscriptionArn).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));
  });

  it('answers an unknown topic with NotFound', async () => {
    const error = await awsError(
      sim.clients.sns.send(
        new SubscribeCommand({
          TopicArn: `${topicArn}-gone`,
          Protocol: 'sqs',
          Endpoint: 'arn:aws:sqs:x:1:q',
        }),
      ),
    );

    expect(error).toMatchObject({
      name: 'NotFoundException',
      code: 'NotFound',
      message: 'Topic does not exist',
      status: 404,
    });
  });
});

describe('Publish', () => {
  it('records a structured message with its subject and attributes as subscribers receive them', async () => {
    const message = JSON.stringify({ default: 'web: 1 target unhealthy', sqs: '{"version":1}' });

    const result = await publish({
      Message: message,
      MessageStructure: 'json',
      Subject: '[alb-warden] web: target unhealthy',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        attempt: { DataType: 'Number', StringValue: '2' },
        raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
      },
    });
    const { messages } = await sim.control.sns();

    expect(result.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(messages).toEqual([
      {
        topicArn,
        subject: '[alb-warden] web: target unhealthy',
        message,
        messageStructure: 'json',
        messageAttributes: {
          severity: { Type: 'String', Value: 'critical' },
          attempt: { Type: 'Number', Value: '2' },
          raw: { Type: 'Binary', Value: 'AQID' },
        },
      },
    ]);
  });

  it('requires a default entry in a json-structured message', async () => {
    const error = await awsError(publish({ Message: '{"email":"hi"}', MessageStructure: 'json' }));

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Invalid parameter: Message Structure - No default entry in JSON message body',
    });
  });

  it('rejects subjects of 100 characters or with line breaks', async () => {
    const long = await awsError(publish({ Message: 'm', Subject: 'x'.repeat(100) }));
    const multiline = await awsError(publish({ Message: 'm', Subject: 'line one\nline two' }));

    expect(long.message).toBe('Invalid parameter: Subject');
    expect(multiline.code).toBe('InvalidParameter');
    expect((await sim.control.sns()).messages).toEqual([]);
  });

  it('rejects messages over 256 KB and attributes of an unknown type', async () => {
    const tooLong = await awsError(publish({ Message: 'x'.repeat(256 * 1024 + 1) }));
    const badType = await awsError(
      publish({ Message: 'm', MessageAttributes: { kind: { DataType: 'Text', StringValue: 'x' } } }),
    );

    expect(tooLong.message).toBe('Invalid parameter: Message too long');
    expect(badType).toMatchObject({
      name: 'InvalidParameterValueException',
      code: 'ParameterValueInvalid',
      message:
        "The message attribute 'kind' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
    });
  });

  it('answers a publish to an unknown topic with NotFound', async () => {
    const error = await awsError(
      sim.clients.sns.send(new PublishCommand({ TopicArn: `${topicArn}-gone`, Message: 'm' })),
    );

    expect(error).toMatchObject({ name: 'NotFoundException', status: 404 });
  });
});
