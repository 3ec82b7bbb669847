/**
 * The sweep worker and the scheduler: a binding is swept under its lease only, a message fails only for
 * what a retry can fix, and the scheduler queues the due bindings.
 */
import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../functions/telemetry.ts';
import { scheduleSweeps } from '../../../functions/use-cases/schedule.ts';
import { sweepWorker } from '../../../functions/use-cases/sweep-worker.ts';
import { seedConfig } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client' });
const LEASE_MS = 150_000;

function workerWorld() {
  const world = new FakeWorld();
  const made = fakeDeps(world, seedConfig());
  return { world, ...made };
}

describe('the sweep worker', () => {
  it('sweeps a binding named by two workers at once only once: the second finds its lease taken', async () => {
    const { world, deps } = workerWorld();

    const [first, second] = await Promise.all([
      sweepWorker(deps, [{ id: 'm1', bindings: ['web'] }], { holder: 'worker-a', leaseMs: LEASE_MS }),
      sweepWorker(deps, [{ id: 'm2', bindings: ['web'] }], { holder: 'worker-b', leaseMs: LEASE_MS }),
    ]);

    expect(first.bindings.map((result) => result.binding)).toEqual(['web']);
    expect(second.bindings).toEqual([]);
    expect(second.skipped).toEqual([{ binding: 'web', reason: 'another worker holds its lease' }]);
    expect(second.batchItemFailures).toEqual([]);
    expect(world.calls.filter((call) => call === 'describeTargetHealth')).toHaveLength(1);
  });

  it('takes over the lease of a worker that died once it has expired, and not before', async () => {
    const { deps, state, clock, telemetry } = workerWorld();
    await state.lease('web', 'dead-worker', clock.now + LEASE_MS, clock.now);

    const during = await sweepWorker(deps, [{ id: 'm1', bindings: ['web'] }], {
      holder: 'worker-a',
      leaseMs: LEASE_MS,
    });
    clock.now += LEASE_MS;
    const after = await sweepWorker(deps, [{ id: 'm2', bindings: ['web'] }], {
      holder: 'worker-b',
      leaseMs: LEASE_MS,
    });

    expect(during.bindings).toEqual([]);
    expect(after.bindings.map((result) => [result.binding, result.status])).toEqual([['web', 'ok']]);
    expect(telemetry.metrics.get(METRIC.sweepLeaseHeld)).toBe(1);
  });

  it('releases its leases when done, so the next worker sweeps the binding at once', async () => {
    const { deps, world } = workerWorld();

    await sweepWorker(deps, [{ id: 'm1', bindings: ['web'] }], { holder: 'worker-a', leaseMs: LEASE_MS });
    const next = await sweepWorker(deps, [{ id: 'm2', bindings: ['web'] }], {
      holder: 'worker-b',
      leaseMs: LEASE_MS,
    });

    expect(next.bindings.map((result) => result.binding)).toEqual(['web']);
    expect(world.calls.filter((call) => call === 'describeTargetHealth')).toHaveLength(2);
  });

  it('reports as failed only the message whose binding failed transiently', async () => {
    const { deps, world } = workerWorld();
    world.failures.set('describeTargetHealth', [throttled()]);

    const result = await sweepWorker(
      deps,
      [
        { id: 'm1', bindings: ['web'] },
        { id: 'm2', bindings: ['retired'] },
      ],
      { holder: 'worker-a', leaseMs: LEASE_MS },
    );

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(result.skipped).toEqual([{ binding: 'retired', reason: 'not in the configuration' }]);
    // The lease is given back even though the sweep failed: the retry must not wait for it to expire.
    expect(await deps.state.lease('web', 'worker-b', deps.now() + LEASE_MS, deps.now())).toBe(true);
  });

  it('fails the message when the lease cannot be asked for, and sweeps nothing', async () => {
    const { deps, world } = workerWorld();
    const state = { ...deps.state, lease: () => Promise.reject(throttled()) };

    const result = await sweepWorker({ ...deps, state }, [{ id: 'm1', bindings: ['web'] }], {
      holder: 'worker-a',
      leaseMs: LEASE_MS,
    });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(world.calls).toEqual([]);
  });
});

describe('the scheduler', () => {
  it('queues the bindings due this minute, logs and counts the interval, and reads nothing from AWS', async () => {
    const { deps, world, telemetry } = workerWorld();
    const sent: (readonly string[])[][] = [];

    const result = await scheduleSweeps(
      deps,
      { send: async (groups) => void sent.push(groups.map((group) => [...group])) },
      { eventId: 'event-1', at: Date.parse('2026-11-20T06:00:00Z') },
    );

    expect(result).toMatchObject({
      function: 'sweep',
      intervalMinutes: 1,
      bindings: 1,
      due: ['web'],
      messages: 1,
    });
    expect(sent).toEqual([[['web']]]);
    expect(world.calls).toEqual([]);
    expect(telemetry.metrics.get(METRIC.sweepIntervalMinutes)).toBe(1);
    expect(telemetry.logs.find((line) => line.message === 'sweep schedule')).toMatchObject({
      attributes: { intervalMinutes: 1, due: 1 },
    });
  });
});
