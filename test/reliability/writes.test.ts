/**
 * Server errors, lost responses and latency on writes. The SDK retries them; a retried write must not
 * repeat its side effect: targets registered once, one listener per port, each alert sent once (the state
 * table's conditional writes decide who sends), nothing lost.
 *
 * A lost response is the hard case: the write was applied, the client saw a timeout, and the SDK sends it
 * again. It is simulated under the SDK's retry middleware (see `controller({ intercept })`).
 */

import { StopInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeListenersCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvocationIncompleteError } from '../../functions/use-cases/binding-run.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { CallCounts, SimService } from '../../sim/control.ts';
import type { Simulator } from '../../sim/index.ts';
import { writesTheAdaptersCall } from './support/actions.ts';
import { count, reportFigures } from './support/figures.ts';
import { arrangeMixedWorld, mixedFacts, mixedViolations } from './support/mixed.ts';
import {
  buildWorld,
  type Controller,
  closeSimulator,
  controller,
  type Interceptor,
  launch,
  lostResponse,
  mutatingCalls,
  openSimulator,
  passInitialHealthChecks,
  published,
  registered,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 90_000, maxConcurrency: 40 });
afterAll(() => reportFigures('writes.test.ts'));

/** Every write the controller makes, by service. */
const WRITES = writesTheAdaptersCall();
const SERVER_ERROR: Readonly<Record<SimService, string>> = {
  ec2: 'InternalError',
  elbv2: 'InternalFailure',
  sns: 'InternalFailure',
  // The simulator answers DynamoDB's own spelling, InternalServerError (500).
  dynamodb: 'InternalFailure',
  autoscaling: 'InternalFailure',
};

let reference: { facts: string[]; calls: CallCounts };
beforeAll(async () => {
  const sim = await openSimulator();
  try {
    const mixed = await arrangeMixedWorld(sim);
    await sweep(mixed.deps);
    reference = { facts: await mixedFacts(mixed.world), calls: await mixed.world.control.calls() };
  } finally {
    await closeSimulator(sim);
  }
});

/** Loses the responses of the first `times` attempts of `command`, after the server applied them. */
function losing(command: string, times: number): Interceptor {
  let left = times;
  return (name) => {
    if (name !== `${command}Command` || left <= 0) return;
    left -= 1;
    count('lostResponses');
    throw lostResponse(name);
  };
}

async function withSimulator<T>(work: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await openSimulator();
  try {
    return await work(sim);
  } finally {
    await closeSimulator(sim);
  }
}

describe.concurrent('a 5xx on a write: retried by the SDK, applied once', () => {
  it.each(WRITES)('%s %s', (service, action) =>
    withSimulator(async (sim) => {
      // Prepare
      const mixed = await arrangeMixedWorld(sim);
      await mixed.world.control.faults({ service, action, error: SERVER_ERROR[service], count: 2 });
      count('faults', 2);

      // Act
      const result = await sweep(mixed.deps);

      // Assess
      expect(result.bindings.map((binding) => binding.status)).toEqual(['ok']);
      const calls = await mixed.world.control.calls();
      expect(calls[service][action]).toBe((reference.calls[service][action] ?? 0) + 2);
      expect(await mixedFacts(mixed.world)).toEqual(reference.facts);
      expect(await mixedViolations(mixed)).toEqual([]);
    }),
  );
});

describe.concurrent('a lost response to a write: the retry repeats no side effect', () => {
  it.each([
    ['RegisterTargets'],
    ['DeregisterTargets'],
    ['CreateListener'],
    ['ModifyListener'],
    ['DeleteRule'],
    ['ModifyTargetGroup'],
    ['BatchWriteItem'],
  ])('%s', (action) =>
    withSimulator(async (sim) => {
      // Prepare
      const state: { lose: Interceptor | undefined } = { lose: undefined };
      const mixed = await arrangeMixedWorld(sim, { intercept: (name) => state.lose?.(name) });
      state.lose = losing(action, 1);

      // Act
      const result = await sweep(mixed.deps);

      // Assess
      expect(result.bindings.map((binding) => binding.status)).toEqual(['ok']);
      expect(await mixedFacts(mixed.world)).toEqual(reference.facts);
      expect(await mixedViolations(mixed)).toEqual([]);
      const output = await mixed.world.clients.elbv2.send(
        new DescribeListenersCommand({ LoadBalancerArn: mixed.world.site('web').loadBalancerArn }),
      );
      expect(output.Listeners?.map((listener) => listener.Port).sort()).toEqual([443, 80]);
    }),
  );
});

/**
 * One target turning unhealthy, alerted after two sweeps (the claim is a conditional PutItem), then
 * deregistered by hand while alerting (its recovery is claimed by a conditional DeleteItem).
 */
async function unhealthyTarget(sim: Simulator, intercept?: Interceptor) {
  const world = await buildWorld(sim);
  const deps = controller(world, intercept ? { intercept } : {});
  const site = world.site('web');
  const [sick = '', well = ''] = await launch(world, 2, { Role: 'web' });
  await sweep(deps);
  await passInitialHealthChecks(world);
  await world.control.targetHealth({
    targetGroupArn: site.targetGroupArn,
    targetId: sick,
    state: 'unhealthy',
  });
  await sweep(deps);
  return { world, deps, site, sick, well };
}

async function alertKinds(world: World): Promise<string[]> {
  return (await published(world)).map((message) => message.kind);
}

describe.concurrent('a lost response to an alert-state write: each alert sent exactly once', () => {
  const unhealthyOnce = async (lose?: Interceptor) =>
    withSimulator(async (sim) => {
      // Prepare: one unhealthy sweep is recorded; the second one claims the alert.
      const state: { lose: Interceptor | undefined } = { lose: undefined };
      const { world, deps } = await unhealthyTarget(sim, (name) => state.lose?.(name));
      state.lose = lose;

      // Act
      await sweep(deps);
      await sweep(deps);

      // Assess
      expect(await alertKinds(world)).toEqual(['TargetUnhealthy']);
    });

  it('without faults (the reference)', () => unhealthyOnce());

  // The claim's PutItem is applied, its response is lost, the SDK retries it and the retry fails its own
  // condition (the version moved): the writer token read back says it was this invocation's own write.
  it('PutItem: the claim of TargetUnhealthy', () => unhealthyOnce(losing('PutItem', 1)));

  // The same for a delete: the recovery of a target deregistered while alerting is claimed by deleting its
  // record, which writes a tombstone (a PutItem) that the retry recognizes as its own.
  it('the tombstone claim of TargetRecovered for a target deregistered by hand', () =>
    withSimulator(async (sim) => {
      // Prepare
      const state: { lose: Interceptor | undefined } = { lose: undefined };
      const { world, deps, site, sick } = await unhealthyTarget(sim, (name) => state.lose?.(name));
      await sweep(deps);
      await world.person.elbv2.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: site.targetGroupArn,
          Targets: [{ Id: sick, Port: 8080 }],
        }),
      );
      await world.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [sick] }));
      // It drains for the target group's deregistration delay (300 s) before it leaves the group.
      await world.control.clock(300_000);
      state.lose = losing('PutItem', 1);

      // Act
      await sweep(deps);
      await sweep(deps);

      // Assess
      expect(await alertKinds(world)).toEqual(['TargetUnhealthy', 'TargetRecovered']);
    }));

  // SNS Publish is not idempotent: when its response is lost the SDK publishes again. Alerts are delivered
  // at least once (as SNS standard topics deliver anyway): repeated then, never lost (README, Operations).
  it('Publish: a lost response repeats the alert once, never loses it', () =>
    withSimulator(async (sim) => {
      const state: { lose: Interceptor | undefined } = { lose: undefined };
      const { world, deps } = await unhealthyTarget(sim, (name) => state.lose?.(name));
      state.lose = losing('Publish', 1);
      await sweep(deps);
      expect(await alertKinds(world)).toEqual(['TargetUnhealthy', 'TargetUnhealthy']);
    }));
});

describe.concurrent('latency on every call', () => {
  it.each([5, 25, 60])('%i ms: the mixed world converges with the same alerts', (latencyMs) =>
    withSimulator(async (sim) => {
      const mixed = await arrangeMixedWorld(sim);
      await mixed.world.control.faults({ latencyMs });
      count('latencyRounds');
      await sweep(mixed.deps);
      await mixed.world.control.faults({ clear: true });
      expect(await mixedFacts(mixed.world)).toEqual(reference.facts);
      expect(await mixedViolations(mixed)).toEqual([]);
    }),
  );
});

describe.concurrent('timeouts that outlast the retries', () => {
  // The SDK's TimeoutError carries only a name (no $fault, no code): it is transient all the same, so a
  // write that timed out on every attempt fails the invocation (retried), alerts nothing, and the next sweep
  // finds it applied.
  it('RegisterTargets: the sweep fails loudly, alerts nothing, and the next sweep is clean', () =>
    withSimulator(async (sim) => {
      // Prepare
      const state: { lose: Interceptor | undefined } = { lose: undefined };
      const world = await buildWorld(sim);
      const deps: Controller = controller(world, { intercept: (name) => state.lose?.(name) });
      const ids = await launch(world, 2, { Role: 'web' });
      state.lose = losing('RegisterTargets', 3);

      // Act
      const first = await sweep(deps).then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(first).toBeInstanceOf(InvocationIncompleteError);
      await world.control.resetCalls();
      await sweep(deps);
      expect(mutatingCalls(await world.control.calls())).toEqual({});
      expect(await registered(world, world.site('web').targetGroupArn)).toEqual(
        ids.map((id) => `${id}:8080`).sort(),
      );
      expect(await alertKinds(world)).toEqual([]);
    }));
});
