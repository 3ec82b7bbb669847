/**
 * An event-triggered handler and a sweep racing on the same binding, as two Lambda containers would (each
 * with its own clients, one state table). Every round breaks something, then starts both with random
 * delays while the simulator adds random latency to every call. Each round must end in the desired state,
 * with one alert for what happened, every write of the controller setting the desired value (no
 * flip-flopping), and a follow-up sweep that changes nothing.
 *
 * The rounds are random but reproducible: the seed is printed, and RELIABILITY_SEED replays it.
 */
import { CreateTagsCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateRuleCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ParsedEvent, parseEvent } from '../../functions/domain/events.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { SimEvent } from '../../sim/control.ts';
import type { Simulator } from '../../sim/index.ts';
import { count, reportFigures } from './support/figures.ts';
import {
  buildWorld,
  closeSimulator,
  controller,
  eventCursor,
  eventsSince,
  INITIAL_HEALTH_CHECK_MS,
  launch,
  listenerViolations,
  mutatingCalls,
  openSimulator,
  published,
  REDIRECT,
  registered,
  sharedClock,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 120_000 });
afterAll(() => reportFigures('concurrency.test.ts'));

const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2 ** 31);
/** mulberry32: small, seedable, good enough to pick delays. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const MINUTE = 60_000;

let sim: Simulator;
beforeAll(async () => {
  sim = await openSimulator();
  console.log(`[reliability] concurrency seed ${SEED} (replay with RELIABILITY_SEED=${SEED})`);
});
afterAll(() => closeSimulator(sim));

/** The controller's writes recorded since `cursor`, as CloudTrail saw them. */
function controllerWrites(world: World, events: readonly SimEvent[]) {
  return events.filter((event) => {
    const identity = event.detail.userIdentity as { sessionContext?: { sessionIssuer?: { arn?: string } } };
    return identity.sessionContext?.sessionIssuer?.arn === world.controllerRoleArn;
  });
}

/** True when a controller write sets the desired action (redirect on 80, forward to the group on 443). */
function setsDesired(world: World, event: SimEvent): boolean {
  const name = event.detail.eventName;
  const parameters = event.detail.requestParameters as {
    port?: number;
    listenerArn?: string;
    defaultActions?: { type?: string; targetGroupArn?: string; redirectConfig?: Record<string, string> }[];
  };
  if (name === 'DeleteRule' || name === 'RegisterTargets' || name === 'DeregisterTargets') return true;
  if (name !== 'ModifyListener' && name !== 'CreateListener') return false;
  const site = world.site('web');
  const [action, ...more] = parameters.defaultActions ?? [];
  if (more.length > 0 || !action) return false;
  if (action.type === 'redirect') {
    const config = action.redirectConfig ?? {};
    return (Object.keys(REDIRECT) as (keyof typeof REDIRECT)[]).every(
      (key) => config[key.charAt(0).toLowerCase() + key.slice(1)] === REDIRECT[key],
    );
  }
  return action.type === 'forward' && action.targetGroupArn === site.targetGroupArn;
}

type Breakage = (world: World) => Promise<void>;

const BREAKAGES: readonly (readonly [string, Breakage])[] = [
  [
    'redirect 302',
    (world) =>
      modifyHttp(world, [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_302' } },
      ]),
  ],
  [
    'plain HTTP forward',
    (world) => modifyHttp(world, [{ Type: 'forward', TargetGroupArn: world.site('web').targetGroupArn }]),
  ],
  [
    'fixed response on 80',
    (world) => modifyHttp(world, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }]),
  ],
  [
    'HTTPS forwards elsewhere',
    async (world) => {
      await world.person.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: await listenerArn(world, 443),
          DefaultActions: [{ Type: 'forward', TargetGroupArn: world.strayTargetGroupArn }],
        }),
      );
    },
  ],
  [
    'foreign forward rule',
    async (world) => {
      await world.person.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: await listenerArn(world, 80),
          Priority: 7,
          Conditions: [{ Field: 'path-pattern', Values: ['/admin/*'] }],
          Actions: [{ Type: 'forward', TargetGroupArn: world.site('web').targetGroupArn }],
        }),
      );
    },
  ],
  [
    'HTTP listener deleted',
    async (world) => {
      await world.person.elbv2.send(new DeleteListenerCommand({ ListenerArn: await listenerArn(world, 80) }));
    },
  ],
];

async function modifyHttp(world: World, actions: object[]): Promise<void> {
  await world.person.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: await listenerArn(world, 80),
      DefaultActions: actions as never,
    }),
  );
}

async function listenerArn(world: World, port: number): Promise<string> {
  const output = await world.clients.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: world.site('web').loadBalancerArn }),
  );
  const arn = output.Listeners?.find((listener) => listener.Port === port)?.ListenerArn;
  if (!arn) throw new Error(`no listener on ${port}`);
  return arn;
}

describe('an event-triggered guard and a sweep racing on the same binding', () => {
  it('50 rounds: desired state, one DriftRepaired per breakage, no flip-flop, a quiet follow-up sweep', async () => {
    // Prepare: one world for all rounds; the clock moves 31 min a round, past the breaker's window.
    const next = random(SEED);
    const world = await buildWorld(sim);
    const clock = await sharedClock(world);
    const { now } = clock;
    await launch(world, 2, { Role: 'web' });
    await sweep(controller(world, { now }));
    await clock.advance(INITIAL_HEALTH_CHECK_MS);
    let seen = (await published(world)).length;
    const tally = { guardRepaired: 0, sweepRepaired: 0, bothWrote: 0, pipelineSuspect: 0 };

    for (let round = 0; round < 50; round++) {
      await clock.advance(31 * MINUTE);
      const [name, breakIt] = BREAKAGES[Math.floor(next() * BREAKAGES.length)] as (typeof BREAKAGES)[number];
      const since = await eventCursor(world);
      await breakIt(world);
      const [raw] = await eventsSince(world, since);
      const event = parseEvent(raw);
      if (event.type !== 'api-call') throw new Error(`round ${round}: no API call event for ${name}`);
      const writesFrom = await eventCursor(world);

      // Act: two containers, random start delays, random latency on every call.
      await world.control.faults({ latencyMs: Math.floor(next() * 8) });
      const guardDelay = Math.floor(next() * 60);
      const sweepDelay = Math.floor(next() * 25);
      const [guarded, swept] = await Promise.all([
        delay(guardDelay).then(() => handleApiCall(controller(world, { now }), event)),
        delay(sweepDelay).then(() => sweep(controller(world, { now }))),
      ]);
      await world.control.faults({ clear: true });
      count('interleavings');
      count('latencyRounds');

      // Assess
      const context = `round ${round} (${name}, guard +${guardDelay} ms, sweep +${sweepDelay} ms, seed ${SEED})`;
      expect(await listenerViolations(world, world.site('web')), context).toEqual([]);
      const alerts = (await published(world)).slice(seen);
      seen += alerts.length;
      // A sweep that wins the race counts the drift as unreported until the late event forgives it; that
      // event, finding the listener repaired, names who made the change in one follow-up.
      const suspect = alerts.filter((alert) => alert.kind === 'EventPipelineSuspect');
      const attributed = alerts.filter((alert) => alert.kind === 'DriftAttributed');
      tally.pipelineSuspect += suspect.length;
      expect(
        alerts
          .filter((alert) => !suspect.includes(alert) && !attributed.includes(alert))
          .map((alert) => alert.kind),
        context,
      ).toEqual(['DriftRepaired']);
      expect(attributed.length, context).toBeLessThanOrEqual(1);
      if (attributed.length > 0)
        expect(guarded.bindings[0]?.listeners?.outcome, context).not.toBe('repaired');
      const writes = controllerWrites(world, await eventsSince(world, writesFrom));
      expect(
        writes.filter((write) => !setsDesired(world, write)).map((write) => write.detail),
        context,
      ).toEqual([]);
      // At most one write per invocation: both may repair the same drift, to the same value.
      expect(writes.length, context).toBeLessThanOrEqual(2);
      const guardOutcome = guarded.bindings[0]?.listeners?.outcome;
      const sweepOutcome = swept.bindings[0]?.listeners?.outcome;
      if (guardOutcome === 'repaired') tally.guardRepaired += 1;
      if (sweepOutcome === 'repaired') tally.sweepRepaired += 1;
      if (guardOutcome === 'repaired' && sweepOutcome === 'repaired') tally.bothWrote += 1;
      await world.control.resetCalls();
      await sweep(controller(world, { now }));
      expect(mutatingCalls(await world.control.calls()), context).toEqual({});
    }
    console.log(
      `[reliability] listener races: the guard repaired in ${tally.guardRepaired} rounds, the sweep in ${tally.sweepRepaired}, both wrote in ${tally.bothWrote}; EventPipelineSuspect sent ${tally.pipelineSuspect} times`,
    );
  });
});

describe('the event pipeline warning', () => {
  // A sweep that repairs drift before the guard's event is handled counts it as "no event reported it"; the
  // event, finding the listener in sync, forgives it, so a race never looks like a broken pipeline.
  it('is not raised when every drift was reported by an event that lost the race to a sweep', async () => {
    // Prepare
    const world = await buildWorld(sim);
    const clock = await sharedClock(world);
    const { now } = clock;
    for (let round = 0; round < 3; round++) {
      await clock.advance(31 * MINUTE);
      const since = await eventCursor(world);
      await modifyHttp(world, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }]);
      const event = parseEvent((await eventsSince(world, since))[0]);
      if (event.type !== 'api-call') throw new Error(event.type);

      // Act: the sweep gets there first; the event arrives a moment later.
      await sweep(controller(world, { now }));
      await handleApiCall(controller(world, { now }), event);
    }

    // Assess: each late event names who made the change in one follow-up, and no pipeline warning.
    expect((await published(world)).map((alert) => alert.kind)).toEqual([
      'DriftRepaired',
      'DriftAttributed',
      'DriftRepaired',
      'DriftAttributed',
      'DriftRepaired',
      'DriftAttributed',
    ]);
  });
});

describe('an instance event and a sweep racing on the same binding', () => {
  it('30 rounds of launches, stops and retags: registered once, deregistered once, no alert, a quiet follow-up', async () => {
    const next = random(SEED + 1);
    const world = await buildWorld(sim);
    const site = world.site('web');
    const fleet = await launch(world, 4, { Role: 'web' });
    await sweep(controller(world));
    const running = new Set(fleet);

    for (let round = 0; round < 30; round++) {
      // Prepare: a change whose state-change event the register function gets while a sweep runs.
      const since = await eventCursor(world);
      const change = next();
      let name: string;
      if (change < 0.5 || running.size <= 4) {
        const [id = ''] = await launch(world, 1, { Role: 'web' });
        running.add(id);
        name = `launch ${id}`;
      } else {
        const id = [...running][Math.floor(next() * running.size)] ?? '';
        running.delete(id);
        if (change < 0.75) await world.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
        else
          await world.clients.ec2.send(
            new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'Role', Value: 'retired' }] }),
          );
        name = `${change < 0.75 ? 'stop' : 'retag'} ${id}`;
      }
      const events = (await eventsSince(world, since))
        .map((raw) => parseEvent(raw))
        .filter(
          (event): event is Extract<ParsedEvent, { type: 'instance-state' }> =>
            event.type === 'instance-state',
        );

      // Act
      await world.control.faults({ latencyMs: Math.floor(next() * 8) });
      const delays = [Math.floor(next() * 20), Math.floor(next() * 20)];
      await Promise.all([
        delay(delays[0] ?? 0).then(async () => {
          for (const event of events) await handleInstanceState(controller(world), event);
        }),
        delay(delays[1] ?? 0).then(() => sweep(controller(world))),
      ]);
      await world.control.faults({ clear: true });
      count('interleavings');
      count('latencyRounds');
      // A retag has no state-change event: only the sweep sees it; the sweep after it finishes what a
      // racing sweep could not see yet.
      await sweep(controller(world));

      // Assess
      const context = `round ${round} (${name}, delays ${delays.join('/')} ms, seed ${SEED})`;
      expect(await registered(world, site.targetGroupArn), context).toEqual(
        [...running].map((id) => `${id}:8080`).sort(),
      );
      await world.control.resetCalls();
      await sweep(controller(world));
      expect(mutatingCalls(await world.control.calls()), context).toEqual({});
    }
    expect(await published(world)).toEqual([]);
  });
});

describe('two sweeps racing while a target turns unhealthy and recovers', () => {
  it('20 rounds: one TargetUnhealthy and one TargetRecovered per episode, never twice', async () => {
    const next = random(SEED + 2);
    const world = await buildWorld(sim);
    const site = world.site('web');
    const [sick = ''] = await launch(world, 3, { Role: 'web' });
    const clock = await sharedClock(world);
    const { now } = clock;
    await sweep(controller(world, { now }));
    await clock.advance(INITIAL_HEALTH_CHECK_MS);
    const race = async () => {
      await world.control.faults({ latencyMs: Math.floor(next() * 6) });
      await Promise.all(
        [0, 1].map(() => delay(Math.floor(next() * 15)).then(() => sweep(controller(world, { now })))),
      );
      await world.control.faults({ clear: true });
      count('interleavings');
      count('latencyRounds');
    };

    for (let round = 0; round < 20; round++) {
      await clock.advance(5 * MINUTE);
      await world.control.targetHealth({
        targetGroupArn: site.targetGroupArn,
        targetId: sick,
        state: 'unhealthy',
      });
      for (let sweepRound = 0; sweepRound < 3; sweepRound++) {
        await clock.advance(MINUTE);
        await race();
      }
      await world.control.targetHealth({
        targetGroupArn: site.targetGroupArn,
        targetId: sick,
        state: 'healthy',
      });
      await clock.advance(MINUTE);
      await race();
      // Far enough apart that the next episode is not flapping.
      await clock.advance(60 * MINUTE);
    }

    const kinds = (await published(world)).map((alert) => alert.kind);
    expect(kinds).toEqual(Array.from({ length: 20 }, () => ['TargetUnhealthy', 'TargetRecovered']).flat());
  });
});

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
