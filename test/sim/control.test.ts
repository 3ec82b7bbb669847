import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { buildSeedTopology } from '../../sim/seed.ts';
import { awsError, useSim } from './support.ts';

const sim = useSim();

async function raw(method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${sim.endpoint}${path}`, { method, ...(body === undefined ? {} : { body }) });
  return { status: response.status, json: await response.json() };
}

describe('faults', () => {
  it('throttles one ELBv2 call, which the SDK retries and then succeeds', async () => {
    await sim.control.faults({
      service: 'elbv2',
      action: 'DescribeLoadBalancers',
      error: 'Throttling',
      count: 1,
    });

    const result = await sim.clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    const calls = await sim.control.calls();

    expect(result.LoadBalancers).toEqual([]);
    expect(result.$metadata.attempts).toBe(2);
    expect(calls.elbv2).toEqual({ DescribeLoadBalancers: 2 });
  });

  it('answers EC2 throttling with RequestLimitExceeded and HTTP 503, which the SDK also retries', async () => {
    await sim.control.faults({
      service: 'ec2',
      action: 'DescribeInstances',
      error: 'RequestLimitExceeded',
      count: 1,
    });

    const result = await sim.clients.ec2.send(new DescribeInstancesCommand({}));

    expect(result.$metadata.attempts).toBe(2);
    expect((await sim.control.calls()).ec2).toEqual({ DescribeInstances: 2 });
  });

  it('throttles DynamoDB with ThrottlingException, retried by the SDK', async () => {
    await sim.control.faults({
      service: 'dynamodb',
      action: 'GetItem',
      error: 'ThrottlingException',
      count: 1,
    });

    const error = await awsError(
      sim.clients.dynamodb.send(new GetItemCommand({ TableName: 'none', Key: { pk: { S: 'a' } } })),
    );

    expect(error.name).toBe('ResourceNotFoundException');
    expect((await sim.control.calls()).dynamodb).toEqual({ GetItem: 2 });
  });

  it('fails a call for good when the fault outlasts the retries', async () => {
    await sim.control.faults({ service: 'sns', action: 'CreateTopic', error: 'InternalFailure', count: 5 });

    const error = await awsError(sim.clients.sns.send(new CreateTopicCommand({ Name: 'alerts' })));
    const calls = await sim.control.calls();

    expect(error).toMatchObject({ code: 'InternalFailure', status: 500 });
    expect(calls.sns).toEqual({ CreateTopic: 3 });
  });

  it("spells access denied each service's way and does not retry it", async () => {
    await sim.control.faults({
      service: 'ec2',
      action: 'DescribeInstances',
      error: 'AccessDenied',
      count: 1,
    });
    await sim.control.faults({
      service: 'elbv2',
      action: 'DescribeTargetGroups',
      error: 'AccessDenied',
      count: 1,
    });

    const ec2 = await awsError(sim.clients.ec2.send(new DescribeInstancesCommand({})));
    const elbv2 = await awsError(sim.clients.elbv2.send(new DescribeTargetGroupsCommand({})));

    expect(ec2).toMatchObject({ code: 'UnauthorizedOperation', status: 403 });
    expect(elbv2).toMatchObject({
      code: 'AccessDenied',
      status: 403,
      message:
        'User: arn:aws:iam::123456789012:user/AKIAWARDENHARNESS001 is not authorized to perform: elasticloadbalancing:DescribeTargetGroups',
    });
    expect((await sim.control.calls()).ec2).toEqual({ DescribeInstances: 1 });
  });

  it('adds latency to every call until the faults are cleared', async () => {
    await sim.control.faults({ latencyMs: 150 });

    const slowStart = performance.now();
    await sim.clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    const slow = performance.now() - slowStart;
    await sim.control.faults({ clear: true });
    const fastStart = performance.now();
    await sim.clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    const fast = performance.now() - fastStart;

    expect(slow).toBeGreaterThanOrEqual(150);
    expect(fast).toBeLessThan(150);
  });
});

describe('control API forms', () => {
  it('counts every AWS request by service and action, and zeroes the counts on request', async () => {
    await sim.clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    await sim.clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    await sim.clients.ec2.send(new DescribeInstancesCommand({}));

    const counted = await raw('GET', '/_sim/calls');
    const zeroed = await raw('POST', '/_sim/calls', '{"reset": true}');

    expect(counted).toEqual({
      status: 200,
      json: {
        ec2: { DescribeInstances: 1 },
        elbv2: { DescribeLoadBalancers: 2 },
        sns: {},
        dynamodb: {},
        autoscaling: {},
      },
    });
    expect(zeroed.json).toEqual({ ec2: {}, elbv2: {}, sns: {}, dynamodb: {}, autoscaling: {} });
  });

  it('serves events after a position with the cursor to continue from', async () => {
    await buildSeedTopology(sim.clients);

    const all = (await raw('GET', '/_sim/events?after=0')).json as { events: unknown[]; cursor: number };
    const rest = (await raw('GET', '/_sim/events?after=2')).json as { events: unknown[]; cursor: number };

    expect(all.cursor).toBe(all.events.length);
    expect(rest).toEqual({ events: all.events.slice(2), cursor: all.cursor });
  });

  it('serves published messages', async () => {
    const topic = await sim.clients.sns.send(new CreateTopicCommand({ Name: 'alerts' }));
    await sim.clients.sns.send(new PublishCommand({ TopicArn: topic.TopicArn, Message: 'hello' }));

    const { json } = await raw('GET', '/_sim/sns');

    expect(json).toEqual({
      messages: [
        {
          topicArn: topic.TopicArn,
          subject: null,
          message: 'hello',
          messageStructure: null,
          messageAttributes: {},
        },
      ],
    });
  });

  it('resets to an empty world: resources, events, messages, identities, faults and counts', async () => {
    await buildSeedTopology(sim.clients);
    await sim.control.faults({
      service: 'elbv2',
      action: 'DescribeLoadBalancers',
      error: 'Throttling',
      count: 5,
    });

    await sim.control.reset();
    const loadBalancers = await sim.clients.elbv2.send(new DescribeLoadBalancersCommand({}));

    expect(loadBalancers.LoadBalancers).toEqual([]);
    expect(loadBalancers.$metadata.attempts).toBe(1);
    expect((await sim.control.events()).events).toEqual([]);
    expect((await sim.control.sns()).messages).toEqual([]);
  });

  it('advances the virtual clock', async () => {
    const before = Date.now();

    const { now, offsetMs } = await sim.control.clock(3_600_000);

    expect(offsetMs).toBe(3_600_000);
    expect(Date.parse(now)).toBeGreaterThanOrEqual(before + 3_600_000);
  });

  it('explains what is wrong with a control request', async () => {
    const unknownPath = await raw('POST', '/_sim/nothing', '{}');
    const badJson = await raw('POST', '/_sim/faults', '{"service": ');
    const wrongMethod = await raw('GET', '/_sim/reset');
    const badFault = await raw(
      'POST',
      '/_sim/faults',
      '{"service": "s3", "action": "GetObject", "error": "Throttling"}',
    );
    const badState = await raw(
      'POST',
      '/_sim/target-health',
      '{"targetGroupArn": "arn", "targetId": "i-1", "state": "sick"}',
    );
    const badIdentity = await raw(
      'POST',
      '/_sim/identities',
      '{"accessKeyId": "AKIA1", "arn": "arn:aws:iam::123456789012:role/Admin"}',
    );
    const badSetting = await raw('POST', '/_sim/settings', '{"delays": {"bootMs": 5}}');
    const badCursor = await raw('GET', '/_sim/events?after=-1');

    expect(unknownPath).toMatchObject({
      status: 404,
      json: { error: expect.stringContaining('/_sim/nothing') },
    });
    expect(badJson).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^request body is not valid JSON: /) },
    });
    expect(wrongMethod).toMatchObject({ status: 405, json: { error: '/_sim/reset accepts POST, not GET' } });
    expect(badFault).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('service must be one of ec2, elbv2, sns, dynamodb') },
    });
    expect(badState).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('state must be one of') },
    });
    expect(badIdentity).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('assumed-role/ROLE/SESSION') },
    });
    expect(badSetting).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('delays has unknown key(s) bootMs') },
    });
    expect(badCursor.status).toBe(400);
  });

  it('reports an unknown target group when setting target health', async () => {
    const result = await raw(
      'POST',
      '/_sim/target-health',
      JSON.stringify({
        targetGroupArn: 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/x/0',
        targetId: 'i-1',
        state: 'unhealthy',
      }),
    );

    expect(result).toMatchObject({ status: 404, json: { code: 'TargetGroupNotFound' } });
  });
});
