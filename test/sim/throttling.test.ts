import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  ModifyListenerCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AwsClients, createClients, destroyClients } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';
import { awsError, useSim } from './support.ts';

const sim = useSim();
let once: AwsClients;

// The simulator's clock is the wall clock plus an offset: frozen here, it moves only when a test moves it.
beforeAll(() => {
  once = createClients(sim.endpoint, 'ap-northeast-2', DEFAULT_ACCESS_KEY_ID, { maxAttempts: 1 });
});
afterAll(() => destroyClients(once));
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const TARGET_GROUP =
  'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/none/0123456789abcdef';
const LISTENER =
  'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:listener/app/none/0123456789abcdef/0123456789abcdef';

/** Sends `count` calls one after another and answers the error codes, `ok` for a success. */
async function outcomes(count: number, call: () => Promise<unknown>): Promise<string[]> {
  const codes: string[] = [];
  for (let index = 0; index < count; index += 1) {
    codes.push(
      await call().then(
        () => 'ok',
        (error: { name: string }) => error.name,
      ),
    );
  }
  return codes;
}

const describeLoadBalancers = () => once.elbv2.send(new DescribeLoadBalancersCommand({}));
const registerTargets = () =>
  once.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: TARGET_GROUP, Targets: [{ Id: 'i-0' }] }));
const modifyListener = () => once.elbv2.send(new ModifyListenerCommand({ ListenerArn: LISTENER, Port: 80 }));

describe('ELB request-rate throttling', () => {
  it('is off by default: a burst beyond every bucket is served', async () => {
    const codes = await outcomes(60, describeLoadBalancers);

    expect(codes.every((code) => code === 'ok')).toBe(true);
    expect((await sim.control.throttlingState()).throttled).toEqual({});
  });

  it('lets 40 describe calls through at once, then refuses with Throttling, "Rate exceeded", HTTP 400', async () => {
    await sim.control.throttling({ enabled: true });

    const codes = await outcomes(40, describeLoadBalancers);
    const refused = await awsError(describeLoadBalancers());

    expect(codes.every((code) => code === 'ok')).toBe(true);
    expect(refused).toMatchObject({ code: 'Throttling', message: 'Rate exceeded', status: 400 });
    expect((await sim.control.throttlingState()).throttled).toEqual({ elbv2: { DescribeLoadBalancers: 1 } });
  });

  it('refills the describe bucket at 10 tokens a second of simulated time', async () => {
    await sim.control.throttling({ enabled: true });
    await outcomes(41, describeLoadBalancers);

    await sim.control.clock(500);
    const codes = await outcomes(6, describeLoadBalancers);

    expect(codes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'Throttling']);
  });

  it('gives registrations (20, 4 a second) and other writes (20, 3 a second) buckets of their own', async () => {
    await sim.control.throttling({ enabled: true });
    await outcomes(41, describeLoadBalancers);

    const registrations = await outcomes(21, registerTargets);
    const writes = await outcomes(21, modifyListener);
    await sim.control.clock(1000);
    const refilled = {
      registrations: await outcomes(5, registerTargets),
      writes: await outcomes(4, modifyListener),
    };

    // Admitted calls still fail on their own merits (no such target group or listener): a token is spent.
    expect(registrations.slice(0, 20).every((code) => code === 'TargetGroupNotFoundException')).toBe(true);
    expect(registrations[20]).toBe('Throttling');
    expect(writes.slice(0, 20).every((code) => code === 'ListenerNotFoundException')).toBe(true);
    expect(writes[20]).toBe('Throttling');
    expect(refilled.registrations.filter((code) => code === 'Throttling')).toHaveLength(1);
    expect(refilled.writes.filter((code) => code === 'Throttling')).toHaveLength(1);
    expect((await sim.control.throttlingState()).throttled).toEqual({
      elbv2: { DescribeLoadBalancers: 1, RegisterTargets: 2, ModifyListener: 2 },
    });
  });

  it('shares the buckets between every caller of the account and region', async () => {
    await sim.control.throttling({ enabled: true });
    const other = createClients(sim.endpoint, 'ap-northeast-2', 'AKIAOTHERCALLER00001', { maxAttempts: 1 });
    try {
      await outcomes(40, describeLoadBalancers);
      const refused = await awsError(other.elbv2.send(new DescribeLoadBalancersCommand({})));

      expect(refused.code).toBe('Throttling');
    } finally {
      destroyClients(other);
    }
  });

  it('reports the buckets and, on reset, fills them and zeroes the count', async () => {
    await sim.control.throttling({ enabled: true });
    await outcomes(41, describeLoadBalancers);

    const drained = await sim.control.throttlingState();
    const reset = await sim.control.throttling({ reset: true });

    expect(drained.buckets).toEqual([
      {
        service: 'elbv2',
        account: '123456789012',
        region: 'ap-northeast-2',
        bucket: 'describe',
        capacity: 40,
        refillPerSecond: 10,
        tokens: 0,
      },
    ]);
    expect(reset).toEqual({ enabled: true, throttled: {}, buckets: [] });
    expect(await outcomes(40, describeLoadBalancers)).not.toContain('Throttling');
  });

  it('is off again after the world is reset', async () => {
    await sim.control.throttling({ enabled: true });
    await sim.control.reset();

    expect((await sim.control.throttlingState()).enabled).toBe(false);
    expect(await outcomes(45, describeLoadBalancers)).not.toContain('Throttling');
  });

  it('refuses a request it cannot read, naming the field', async () => {
    const response = await fetch(`${sim.endpoint}/_sim/throttling`, {
      method: 'POST',
      body: JSON.stringify({ enabled: 'yes' }),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'enabled must be true or false, got "yes"' });
  });
});

describe('EC2 request-rate throttling', () => {
  it('gives DescribeInstances a bucket of its own, 100 at once, refused with RequestLimitExceeded (HTTP 503)', async () => {
    await sim.control.throttling({ enabled: true });
    await outcomes(41, describeLoadBalancers);

    const codes = await outcomes(100, () => once.ec2.send(new DescribeInstancesCommand({})));
    const refused = await awsError(once.ec2.send(new DescribeInstancesCommand({})));
    await sim.control.clock(1000);
    const refilled = await outcomes(21, () => once.ec2.send(new DescribeInstancesCommand({})));

    expect(codes.every((code) => code === 'ok')).toBe(true);
    expect(refused).toMatchObject({ code: 'RequestLimitExceeded', status: 503 });
    expect(refilled.filter((code) => code === 'RequestLimitExceeded')).toHaveLength(1);
  });
});
