/**
 * The API budget: a client-side rate limiter keeps the controller within a share (default a
 * quarter) of each of the account's ELB throttling buckets. Tokens are counted on a simulated clock; the
 * calls replayed are the ones the controller makes on the simulator at the 10-binding scale.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiBudget, type PathCosts, TYPICAL_MINUTE } from '../../bench/api-budget.ts';
import type { CallCounts } from '../../bench/calls.ts';
import { driftEvent, launchEvent, terminateEvent } from '../../bench/events.ts';
import { BUCKETS, simulatedWaitMs } from '../../bench/limits.ts';
import type { BindingWorld } from '../../bench/world.ts';
import {
  ELB_BUCKETS,
  type ElbBucket,
  ElbRateLimiter,
  elbBucketOf,
} from '../../functions/adapters/rate-limit.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { SimClock, withinBucket } from './sim-clock.ts';
import { type Converged, convergedWorld } from './support.ts';

const SHARE = 0.25;
let converged: Converged;
let costs: PathCosts;

/** What each path calls, counted by the simulator on a converged world of 10 bindings. */
async function measurePaths({ world, deps }: Converged): Promise<PathCosts> {
  const binding = world.bindings[0] as BindingWorld;
  const handle = (raw: unknown) => {
    const event = parseEvent(raw);
    if (event.type === 'api-call') return handleApiCall(deps, event);
    if (event.type === 'instance-state') return handleInstanceState(deps, event);
    throw new Error(`unexpected ${event.type}`);
  };
  const sweepCalls = (await world.counted(() => sweep(deps))).calls;
  const launched = await launchEvent(world, binding);
  const register = (await world.counted(() => handle(launched.event))).calls;
  const terminated = await terminateEvent(world, launched.id);
  const deregister = (await world.counted(() => handle(terminated))).calls;
  const drift = await driftEvent(world, binding);
  const repair = (await world.counted(() => handle(drift))).calls;
  return { sweep: sweepCalls, register, deregister, repair };
}

beforeAll(async () => {
  converged = await convergedWorld({ bindings: 10, instancesPerBinding: 1, healthCheck: true });
  costs = await measurePaths(converged);
}, 60_000);
afterAll(() => converged.world.stop());

const commandsOf = (calls: CallCounts): string[] =>
  Object.entries(calls.elbv2).flatMap(([action, count]) =>
    Array.from({ length: count }, () => `${action}Command`),
  );

/** Token times per bucket when `environments` (each its own limiter, as each Lambda environment has) send their bursts. */
async function replay(
  bursts: readonly { readonly environment: number; readonly atMs: number; readonly calls: CallCounts }[],
  environments: number,
): Promise<Record<ElbBucket, number[]>> {
  const clock = new SimClock();
  const limiters = Array.from({ length: environments }, () => new ElbRateLimiter(SHARE, clock));
  const grants: Record<ElbBucket, number[]> = { describe: [], registration: [], write: [] };
  const sent = bursts.map(async (burst) => {
    await clock.sleep(burst.atMs);
    const limiter = limiters[burst.environment] as ElbRateLimiter;
    await Promise.all(
      commandsOf(burst.calls).map(async (command) => {
        await limiter.acquire(command);
        grants[elbBucketOf(command)].push(clock.now());
      }),
    );
  });
  await clock.run();
  await Promise.all(sent);
  for (const bucket of BUCKETS) grants[bucket].sort((a, b) => a - b);
  return grants;
}

const withinShare = (grants: Record<ElbBucket, number[]>) =>
  Object.fromEntries(
    BUCKETS.map((bucket) => [
      bucket,
      withinBucket(
        grants[bucket],
        ELB_BUCKETS[bucket].capacity * SHARE,
        ELB_BUCKETS[bucket].refillPerSecond * SHARE,
      ),
    ]),
  );
const allWithin = { describe: true, registration: true, write: true };

/** Five typical minutes: a sweep each minute, events all arriving with it (the worst case for bursts). */
function typicalMinutes(environmentOf: (path: keyof PathCosts) => number) {
  return Array.from({ length: 5 }, (_, minute) => [
    { environment: environmentOf('sweep'), atMs: minute * 60_000, calls: costs.sweep },
    ...Array.from({ length: TYPICAL_MINUTE.launches }, () => ({
      environment: environmentOf('register'),
      atMs: minute * 60_000,
      calls: costs.register,
    })),
    ...Array.from({ length: TYPICAL_MINUTE.terminations }, () => ({
      environment: environmentOf('deregister'),
      atMs: minute * 60_000,
      calls: costs.deregister,
    })),
    { environment: environmentOf('repair'), atMs: minute * 60_000, calls: costs.repair },
  ]).flat();
}

describe("the controller's ELB rate limiter", () => {
  it('keeps one execution environment within its share of every bucket, whatever it sends', async () => {
    // Prepare: the whole typical mix through one limiter, plus a burst of every kind well over the share
    const flood: CallCounts = {
      ec2: {},
      sns: {},
      dynamodb: {},
      autoscaling: {},
      elbv2: { DescribeTargetHealth: 100, RegisterTargets: 50, ModifyListener: 30 },
    };
    const bursts = [...typicalMinutes(() => 0), { environment: 0, atMs: 90_000, calls: flood }];

    // Act
    const grants = await replay(bursts, 1);

    // Assess
    expect(grants.describe.length).toBeGreaterThan(100);
    expect(withinShare(grants)).toEqual(allWithin);
  });

  it('uses no more than its share of any bucket in a typical minute at 10 bindings', () => {
    const budget = apiBudget(costs, SHARE);

    for (const bucket of BUCKETS) {
      expect.soft(budget.buckets[bucket].ofControllerShare, bucket).toBeLessThanOrEqual(1);
    }
  });

  it('does not make the ELB calls of the shipped adapter bypass it', async () => {
    // Prepare: a share so small the describe bucket holds one token and refills one in 4 s (simulated)
    const clock = new SimClock();
    const deps = converged.world.deps({ apiShare: 0.025 }, { limiterClock: clock });
    const targetGroup = (converged.world.bindings[0] as BindingWorld).topology.targetGroupArn;
    await converged.world.control.resetCalls();

    // Act: two reads at once; the second must wait for a token that takes seconds to come back
    const first = deps.elb.describeTargetHealth(targetGroup);
    const second = deps.elb.describeTargetHealth(targetGroup);
    await first;
    const afterFirst = (await converged.world.control.calls()).elbv2.DescribeTargetHealth;
    await clock.run();
    await second;

    // Assess
    expect(afterFirst).toBe(1);
    expect(clock.now()).toBeGreaterThanOrEqual(3_900);
    expect((await converged.world.control.calls()).elbv2.DescribeTargetHealth).toBe(2);
  });

  // The share is a budget per execution environment (each Lambda environment has its own limiter; README,
  // Performance). The sweep, which makes nearly all the calls, runs in one environment a minute; an event makes
  // 1 to 4 ELB calls. Within that, bursts are paid out of the share of the bucket, not the whole bucket: a
  // 10-binding sweep spreads its 31 describe calls over a few seconds rather than take most of the account's
  // 40 tokens at once and throttle its other users.
  it('spreads a 10-binding sweep over the share of the burst at the default share, and waits for none at share 1', async () => {
    const atDefault = await simulatedWaitMs(costs.sweep, SHARE);
    expect(atDefault).toBeGreaterThan(0);
    expect(atDefault).toBeLessThanOrEqual(60_000);
    expect(await simulatedWaitMs(costs.sweep, 1)).toBe(0);
  });
});
