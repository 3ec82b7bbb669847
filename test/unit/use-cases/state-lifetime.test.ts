/**
 * State that stands for an ongoing condition lives as long as the condition: DynamoDB's TTL deletion only
 * cleans up after it. Here the TTL deletion is at its most eager (a record is gone the moment it expires).
 */
import { describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../../functions/config.ts';
import { repairFailedAlert } from '../../../functions/domain/alert-kinds.ts';
import { expiresIn, expiresSoon, KEY, repairLogExpiry } from '../../../functions/domain/state.ts';
import { BindingState } from '../../../functions/use-cases/binding-state.ts';
import { Notifier } from '../../../functions/use-cases/notify.ts';
import { newBindingResult } from '../../../functions/use-cases/results.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import { instance, seedConfig, TG_ARN } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';
import type { MemoryStateStore } from '../../support/memory-state.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** DynamoDB's TTL deletion at its most eager: every record of the binding past its TTL is gone. */
async function deleteExpired(store: MemoryStateStore, now: number): Promise<void> {
  const records = await store.load('web');
  store.restore(
    'web',
    records.filter((record) => record.expiresAt === undefined || record.expiresAt * 1000 > now),
  );
}

function countingPuts(store: MemoryStateStore): { count: number } {
  const counter = { count: 0 };
  const put = store.put.bind(store);
  store.put = (binding, record) => {
    counter.count++;
    return put(binding, record);
  };
  return counter;
}

const kinds = (world: FakeWorld) => world.published.map((alert) => alert.attributes.kind);
const noReminders = (): WardenConfig =>
  seedConfig({
    alerts: {
      topicArn: seedConfig().alerts.topicArn,
      stateTable: 'alb-warden-alert-state',
      remindEveryMinutes: 0,
    },
  });

describe('expiresSoon', () => {
  const now = Date.parse('2026-11-20T06:00:00Z');

  it('is true within a day of the TTL, false before it and for a record without one', () => {
    expect(expiresSoon(expiresIn(now, 1) - 1, now)).toBe(true);
    expect(expiresSoon(expiresIn(now, 0), now)).toBe(true);
    expect(expiresSoon(expiresIn(now, 1), now)).toBe(false);
    expect(expiresSoon(expiresIn(now, 8), now)).toBe(false);
    expect(expiresSoon(undefined, now)).toBe(false);
  });
});

describe('an outage that lasts', () => {
  it('pages once in 20 days with reminders off, and rewrites its records only near their TTL', async () => {
    const world = new FakeWorld();
    const setup = fakeDeps(world, noReminders());
    for (const id of ['i-1', 'i-2']) world.addInstance(instance(id));
    await sweep(setup.deps);
    world.setHealth('i-1', 'unhealthy', 'Target.Timeout');
    world.setHealth('i-2', 'unhealthy', 'Target.Timeout');
    const puts = countingPuts(setup.state);

    for (let hour = 1; hour <= 20 * 24; hour++) {
      setup.clock.now += HOUR;
      await deleteExpired(setup.state, setup.clock.now);
      await sweep(setup.deps);
    }

    expect(kinds(world).sort()).toEqual(['NoHealthyTargets', 'TargetUnhealthy']);
    const conditions = (await setup.state.load('web')).filter((record) => record.expiresAt !== undefined);
    expect(conditions.map((record) => record.key).sort()).toEqual([
      KEY.condition,
      KEY.target('i-1:8080'),
      KEY.target('i-2:8080'),
    ]);
    // Two damped transitions per record, then one refresh of each about once a week (8-day TTL, 1-day margin).
    expect(puts.count).toBeLessThanOrEqual(6 + 3 * 3);
  });
});

describe('a notice of a state left alone', () => {
  const alert = (deps: ReturnType<typeof fakeDeps>['deps']) =>
    repairFailedAlert({
      binding: deps.config.bindings[0] as WardenConfig['bindings'][number],
      now: deps.now(),
      mode: 'enforce',
      headline: 'cannot restore the listeners safely',
      detail: 'port 80 is left as it is: HTTPS on port 443 cannot serve.',
      critical: true,
    });

  it('is reported once in 60 days with reminders off: it is rewritten before its 30-day TTL', async () => {
    const world = new FakeWorld();
    const setup = fakeDeps(world, noReminders());
    let sent = 0;

    for (let quarter = 0; quarter < 60 * 4; quarter++) {
      await deleteExpired(setup.state, setup.clock.now);
      const state = await BindingState.load(setup.state, 'web');
      const notifier = new Notifier(setup.deps, state, newBindingResult('web'));
      if (await notifier.notice('listeners:blocked', 'https-cannot-serve', alert(setup.deps))) sent++;
      setup.clock.now += 6 * HOUR;
    }

    expect(sent).toBe(1);
    expect(kinds(world)).toEqual(['RepairFailed']);
  });
});

describe('a suspension', () => {
  it('keeps its repair log a day past the circuit breaker window, however long the window', () => {
    const now = Date.parse('2026-11-20T06:00:00Z');
    const settings = (windowMinutes: number) => ({
      circuitBreaker: { windowMinutes },
      alerts: { contextMinutes: 30 },
    });
    expect(repairLogExpiry(now, settings(30))).toBe(expiresIn(now, 2));
    expect(repairLogExpiry(now, settings(3 * 24 * 60))).toBe(expiresIn(now, 4));
    expect(repairLogExpiry(now, settings(7 * 24 * 60))).toBe(expiresIn(now, 8));
  });

  it('is not lifted early by TTL deletion when the window is a week long', async () => {
    const world = new FakeWorld();
    const setup = fakeDeps(
      world,
      seedConfig({ circuitBreaker: { maxRepairs: 3, windowMinutes: 7 * 24 * 60 } }),
    );
    const breakHealthCheck = () => {
      const group = world.groups.get(TG_ARN);
      if (!group) throw new Error('no target group');
      world.groups.set(TG_ARN, { ...group, healthCheck: { ...group.healthCheck, matcher: '200' } });
    };
    for (let round = 0; round < 3; round++) {
      breakHealthCheck();
      await sweep(setup.deps);
      setup.clock.now += MINUTE;
    }
    breakHealthCheck();

    setup.clock.now += 3 * DAY;
    await deleteExpired(setup.state, setup.clock.now);
    await sweep(setup.deps);

    expect(world.mutatingCalls.filter((call) => call === 'modifyHealthCheck')).toHaveLength(3);
    expect(kinds(world)).toContain('RepairsSuspended');
  });
});
