/**
 * Independent bindings are swept concurrently, up to `limits.concurrentBindings`. Counted, not
 * timed: the controller's ports are wrapped, and a binding is in flight from its first call to its last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackBindingsInFlight } from '../../bench/in-flight.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { type Converged, convergedWorld } from './support.ts';

const BINDINGS = 6;
let converged: Converged;
beforeAll(async () => {
  converged = await convergedWorld({ bindings: BINDINGS, instancesPerBinding: 2, healthCheck: true });
  // Every AWS call takes a while, so bindings that may overlap do.
  await converged.world.control.faults({ latencyMs: 5 });
}, 60_000);
afterAll(() => converged.world.stop());

describe('a sweep of independent bindings', () => {
  it.each([1, 2, 4])(
    'keeps at most %i binding(s) in flight when concurrentBindings says so',
    async (limit) => {
      // Prepare
      const tracked = trackBindingsInFlight(converged.world.deps({ apiShare: 1, concurrentBindings: limit }));

      // Act
      const result = await sweep(tracked.deps);

      // Assess
      expect(result.bindings.every((binding) => binding.status === 'ok')).toBe(true);
      expect(tracked.seen()).toBe(BINDINGS);
      expect(tracked.max()).toBe(limit);
    },
  );

  it('runs every binding at once when the bound allows it', async () => {
    const tracked = trackBindingsInFlight(converged.world.deps({ apiShare: 1, concurrentBindings: 64 }));

    await sweep(tracked.deps);

    expect(tracked.max()).toBe(BINDINGS);
  });

  it('runs by the default bound of 4', async () => {
    const tracked = trackBindingsInFlight(converged.world.deps({ apiShare: 1 }));

    await sweep(tracked.deps);

    expect(tracked.deps.config.limits.concurrentBindings).toBe(4);
    expect(tracked.max()).toBe(4);
  });
});
