/**
 * The concurrency figure: a 10-binding sweep with `latencyMs` added to every AWS call, beside the slowest
 * binding swept alone. Run at the default limits (rate limiter share 0.25, 4 bindings at a time), with the
 * limiter's share at 1, and with share 1 and every binding at once, to separate the two things that make a
 * sweep of many bindings slower than one: the concurrency bound, and waiting for ELB tokens.
 */
import type { WardenConfig } from '../functions/config.ts';
import { sweep } from '../functions/use-cases/sweep.ts';
import type { CallCounts } from './calls.ts';
import { trackBindingsInFlight } from './in-flight.ts';
import { simulatedWaitMs } from './limits.ts';
import { median, round } from './stats.ts';
import { converge, startWorld } from './world.ts';

export interface ConcurrencyRun {
  readonly apiShare: number;
  readonly concurrentBindings: number;
  readonly wallMs: number;
  /** Wall time over the slowest binding's alone. */
  readonly vsSlowestBinding: number;
  readonly maxBindingsInFlight: number;
  /** What the rate limiter alone adds to this sweep's ELB calls from full buckets (simulated clock). */
  readonly limiterWaitMs: number;
}

export interface ConcurrencyFigure {
  readonly bindings: number;
  readonly instancesPerBinding: number;
  readonly latencyMs: number;
  readonly slowestBindingMs: number;
  readonly medianBindingMs: number;
  readonly runs: readonly ConcurrencyRun[];
  /** The calls of the converged 10-binding sweep (the same at every setting). */
  readonly sweepCalls: CallCounts;
}

export const CONCURRENCY_SETTINGS: readonly Pick<
  WardenConfig['limits'],
  'apiShare' | 'concurrentBindings'
>[] = [
  { apiShare: 0.25, concurrentBindings: 4 },
  { apiShare: 1, concurrentBindings: 4 },
  { apiShare: 1, concurrentBindings: 10 },
];

export async function measureConcurrency(
  bindings = 10,
  instancesPerBinding = 10,
  latencyMs = 20,
): Promise<ConcurrencyFigure> {
  const world = await startWorld({ bindings, instancesPerBinding, healthCheck: true });
  try {
    await converge(world, world.deps({ apiShare: 1 }));
    await world.control.faults({ latencyMs });
    const alone: number[] = [];
    for (const binding of world.bindings) {
      const deps = await world.warmDeps();
      alone.push((await world.counted(() => sweep(deps, { bindings: [binding.name] }))).wallMs);
    }
    const slowest = Math.max(...alone);
    const runs: ConcurrencyRun[] = [];
    let sweepCalls: CallCounts | undefined;
    for (const limits of CONCURRENCY_SETTINGS) {
      const tracked = trackBindingsInFlight(await world.warmDeps(limits));
      const { calls, wallMs } = await world.counted(() => sweep(tracked.deps));
      sweepCalls ??= calls;
      runs.push({
        ...limits,
        wallMs: round(wallMs),
        vsSlowestBinding: round(wallMs / slowest),
        maxBindingsInFlight: tracked.max(),
        limiterWaitMs: round(await simulatedWaitMs(calls, limits.apiShare)),
      });
    }
    return {
      bindings,
      instancesPerBinding,
      latencyMs,
      slowestBindingMs: round(slowest),
      medianBindingMs: round(median(alone)),
      runs,
      sweepCalls: sweepCalls ?? (await world.control.calls()),
    };
  } finally {
    await world.control.faults({ latencyMs: 0 });
    await world.stop();
  }
}
