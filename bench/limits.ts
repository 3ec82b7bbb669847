/**
 * The controller's ELB rate limiter, seen from the call counts: which throttling bucket each ELB call
 * spends a token from, how long a bucket takes to give back what a run spent, and how long a burst of
 * calls waits for tokens, replayed through the controller's own ElbRateLimiter on a simulated clock.
 */
import {
  ELB_BUCKETS,
  type ElbBucket,
  ElbRateLimiter,
  elbBucketOf,
} from '../functions/adapters/rate-limit.ts';
import type { CallCounts } from './calls.ts';
import { sleep } from './stats.ts';

export const BUCKETS = Object.keys(ELB_BUCKETS) as ElbBucket[];

/** ELB calls per throttling bucket (the limiter sorts SDK command names: `<Action>Command`). */
export function bucketCalls(calls: CallCounts): Record<ElbBucket, number> {
  const perBucket: Record<ElbBucket, number> = { describe: 0, registration: 0, write: 0 };
  for (const [action, count] of Object.entries(calls.elbv2))
    perBucket[elbBucketOf(`${action}Command`)] += count;
  return perBucket;
}

/** How long the controller's buckets (at `share`) take to refill what `calls` spent. */
export function refillMs(calls: CallCounts, share: number): number {
  const perBucket = bucketCalls(calls);
  return Math.max(
    0,
    ...BUCKETS.map((bucket) => (1000 * perBucket[bucket]) / (ELB_BUCKETS[bucket].refillPerSecond * share)),
  );
}

/**
 * Waits until the controller's buckets are full again after `calls`, as they are a minute after the last
 * sweep: a figure about call sequencing must not measure the limiter paying back the previous run.
 */
export function refill(calls: CallCounts, share: number): Promise<void> {
  return sleep(refillMs(calls, share) + 50);
}

/**
 * Simulated time (ms) until the last of `calls` gets its token when all are issued at once and AWS answers
 * instantly: the time the rate limiter alone adds to a run that makes these calls, from full buckets.
 */
export async function simulatedWaitMs(calls: CallCounts, share: number): Promise<number> {
  let now = 0;
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
  const limiter = new ElbRateLimiter(share, clock);
  const commands = Object.entries(calls.elbv2).flatMap(([action, count]) =>
    Array.from({ length: count }, () => `${action}Command`),
  );
  // One bucket at a time: buckets are independent, and the clock only moves while someone waits.
  let longest = 0;
  for (const bucket of BUCKETS) {
    now = 0;
    const mine = commands.filter((command) => elbBucketOf(command) === bucket);
    await Promise.all(mine.map((command) => limiter.acquire(command)));
    longest = Math.max(longest, now);
  }
  return longest;
}
