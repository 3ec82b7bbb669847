/**
 * A clock for the controller's ELB rate limiter on which waiting takes no real time: every token is still
 * counted and handed out in order, but a wait moves this clock forward instead of sleeping. For tests that
 * are not about the limiter's timing (at the default share, a quarter of each bucket, a sweep of a small world
 * would otherwise sit out seconds of refills), and for the bench's simulated worker slots, whose time it is.
 */
import type { Clock } from '../functions/adapters/rate-limit.ts';

export class InstantClock implements Clock {
  #now = 0;
  now(): number {
    return this.#now;
  }
  async sleep(ms: number): Promise<void> {
    this.#now += ms;
  }
  /** Moves to `ms` if that is later (a bench's worker slot that idled until a message came). */
  startAt(ms: number): void {
    this.#now = Math.max(this.#now, ms);
  }
}

export const instantClock = (): InstantClock => new InstantClock();
