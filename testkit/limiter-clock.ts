/**
 * A clock for the controller's ELB rate limiter on which waiting takes no real time: every token is still
 * counted and handed out in order, but a wait moves this clock forward instead of sleeping. For tests that
 * are not about the limiter's timing: at the default share (a quarter of each bucket) a sweep of a small
 * world would otherwise sit out seconds of refills.
 */
import type { Clock } from '../functions/adapters/rate-limit.ts';

export function instantClock(): Clock {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
}
