/**
 * Shared setup for the budget tests: a simulated account from the bench (bench/world.ts), swept until
 * converged. Budgets are asserted on counts only (the simulator's call counter, bindings in flight, tokens
 * on a simulated clock), never on time.
 */

import { converge, startWorld, type World, type WorldOptions } from '../../bench/world.ts';
import type { Deps } from '../../functions/use-cases/context.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { CallCounts } from '../../sim/control.ts';
import { instantClock } from '../../testkit/limiter-clock.ts';

export interface Converged {
  readonly world: World;
  /**
   * Rate limiter share 1 on a clock that never waits: convergence registers whole fleets, and a test must
   * not wait for tokens (even the whole describe bucket runs out while a 10-binding world converges).
   */
  readonly deps: Deps;
  /** Sweeps it took to converge. */
  readonly sweeps: number;
}

export async function convergedWorld(options: WorldOptions): Promise<Converged> {
  const world = await startWorld(options);
  const deps = world.deps({ apiShare: 1 }, { limiterClock: instantClock() });
  const { sweeps } = await converge(world, deps);
  return { world, deps, sweeps };
}

/** The calls of one more sweep of a converged world. */
export async function convergedSweepCalls({ world, deps }: Converged): Promise<CallCounts> {
  return (await world.counted(() => sweep(deps))).calls;
}

/** `service:Action` → calls, only the actions that were called. */
export function byAction(calls: CallCounts): Record<string, number> {
  return Object.fromEntries(
    Object.entries(calls).flatMap(([service, actions]) =>
      Object.entries(actions).map(([action, count]) => [`${service}:${action}`, count]),
    ),
  );
}
