/**
 * A simulated clock for the rate limiter (its `Clock`): sleeping registers a wake-up, and `run` moves time
 * to the next wake-up only once everything that can run without waiting has run. Time never passes for
 * real, and concurrent sleepers wait side by side, as on a real clock.
 */
import type { Clock } from '../../functions/adapters/rate-limit.ts';

export class SimClock implements Clock {
  #now = 0;
  #timers: { at: number; wake: () => void }[] = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.#timers.push({ at: this.#now + ms, wake }));
  }

  get sleepers(): number {
    return this.#timers.length;
  }

  /** Moves to the earliest wake-up and wakes everyone due then; returns how far it moved (ms). */
  advance(): number {
    const next = Math.min(...this.#timers.map((timer) => timer.at));
    const due = this.#timers.filter((timer) => timer.at <= next);
    this.#timers = this.#timers.filter((timer) => timer.at > next);
    const moved = next - this.#now;
    this.#now = next;
    for (const timer of due) timer.wake();
    return moved;
  }

  /** Runs until nothing is left to wake. */
  async run(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#timers.length === 0) return;
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers.shift();
      if (!next) return;
      this.#now = Math.max(this.#now, next.at);
      next.wake();
    }
  }
}

/**
 * True when no stretch of `grants` (token times in ms, sorted) holds more tokens than a bucket of
 * `capacity` refilled at `refillPerSecond` can give: capacity + refill × the stretch's length.
 */
export function withinBucket(grants: readonly number[], capacity: number, refillPerSecond: number): boolean {
  for (let first = 0; first < grants.length; first++) {
    for (let last = first; last < grants.length; last++) {
      const span = ((grants[last] ?? 0) - (grants[first] ?? 0)) / 1000;
      if (last - first + 1 > capacity + refillPerSecond * span + 1e-6) return false;
    }
  }
  return true;
}
