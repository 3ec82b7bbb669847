/**
 * A burst of event invocations run as Lambda runs an asynchronous function with a concurrency cap: at most
 * `concurrency` execution environments at once, each with its own dependencies and ELB rate limiter; an event
 * finding every environment busy waits (Lambda keeps a throttled asynchronous event and retries it,
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 *
 * Time is simulated and shared: the limiters sleep on one clock, which moves to the next wake-up only when
 * every running invocation is asleep on it, and the simulator's clock moves with it (its throttling buckets
 * refill by it). The ELB calls the simulator counts between two moves are the calls of that instant: the
 * account's view, counted, never timed. Each invocation must make its calls one after another (the
 * register path does), or a call in flight beside a sleeper would be counted at the next instant.
 */
import type { ElbBucket } from '../../functions/adapters/rate-limit.ts';
import { elbBucketOf } from '../../functions/adapters/rate-limit.ts';
import type { Deps } from '../../functions/use-cases/context.ts';
import type { CallCounts, SimControl } from '../../sim/control.ts';
import type { SimClock } from './sim-clock.ts';

export interface BurstResult<R> {
  /** Per invocation, its result or what it threw. */
  readonly outcomes: readonly (R | Error)[];
  /** Simulated times (ms) of the ELB calls the simulator served, per bucket. */
  readonly grants: Readonly<Record<ElbBucket, readonly number[]>>;
  /** The most invocations that ran at once. */
  readonly peakConcurrency: number;
  readonly elapsedMs: number;
}

/** Real time allowed for an instant's calls to come back before the run is declared stuck. */
const STUCK_AFTER_MS = 30_000;

export async function runBurst<E, R>(options: {
  readonly events: readonly E[];
  readonly concurrency: number;
  readonly control: SimControl;
  readonly clock: SimClock;
  /** A fresh execution environment's dependencies, its limiter on `clock`. */
  readonly environment: () => Deps;
  readonly invoke: (deps: Deps, event: E) => Promise<R>;
}): Promise<BurstResult<R>> {
  const { control, clock } = options;
  const queue = [...options.events];
  const outcomes: (R | Error)[] = [];
  let running = 0;
  let peak = 0;
  const environment = async (deps: Deps) => {
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
      running += 1;
      peak = Math.max(peak, running);
      try {
        outcomes.push(await options.invoke(deps, event));
      } catch (error) {
        outcomes.push(error instanceof Error ? error : new Error(String(error)));
      } finally {
        running -= 1;
      }
    }
  };
  let finished = false;
  const all = Promise.all(
    Array.from({ length: Math.min(options.concurrency, queue.length) }, () =>
      environment(options.environment()),
    ),
  ).finally(() => {
    finished = true;
  });

  const grants: Record<ElbBucket, number[]> = { describe: [], registration: [], write: [] };
  let seen = elbCounts(await control.calls());
  for (;;) {
    const waitingSince = performance.now();
    while (!finished && (running === 0 || clock.sleepers < running)) {
      if (performance.now() - waitingSince > STUCK_AFTER_MS)
        throw new Error(`stuck at ${clock.now()} ms: ${running} running, ${clock.sleepers} asleep`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const counts = elbCounts(await control.calls());
    for (const [action, count] of Object.entries(counts)) {
      const bucket = elbBucketOf(`${action}Command`);
      for (let call = seen[action] ?? 0; call < count; call++) grants[bucket].push(clock.now());
    }
    seen = counts;
    if (finished) break;
    await control.clock(clock.advance());
  }
  await all;
  return { outcomes, grants, peakConcurrency: peak, elapsedMs: clock.now() };
}

function elbCounts(calls: CallCounts): Record<string, number> {
  return { ...(calls.elbv2 ?? {}) };
}
