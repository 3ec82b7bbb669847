/**
 * A client-side token bucket per ELB throttling bucket, so the controller uses only its share of the
 * account's ELB API budget, which everything else in the account and region shares. AWS throttles ELBv2 per
 * account and region with token buckets ("Request throttling for the Elastic Load Balancing API", ELB user
 * guide): describe calls 40 tokens refilled at 10 a second; registration calls refill at 4 a second and other
 * writes at 3.
 */
import { burstTokens } from '../domain/api-share.ts';
import { ELB_BUCKETS, type ElbBucket } from '../domain/elb-buckets.ts';

export { ELB_BUCKETS, type ElbBucket };

export function elbBucketOf(commandName: string): ElbBucket {
  if (/^Describe/.test(commandName)) return 'describe';
  if (commandName === 'RegisterTargetsCommand' || commandName === 'DeregisterTargetsCommand')
    return 'registration';
  return 'write';
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly clock: Clock;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(capacity: number, refillPerSecond: number, clock: Clock = realClock) {
    this.capacity = Math.max(1, capacity);
    this.refillPerMs = refillPerSecond / 1000;
    this.clock = clock;
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  /** Waits for a token; callers are served in order. Resolves with how long it waited (ms). */
  take(): Promise<number> {
    const turn = this.queue.then(async () => {
      const started = this.clock.now();
      this.refill();
      if (this.tokens < 1) {
        await this.clock.sleep((1 - this.tokens) / this.refillPerMs);
        this.refill();
      }
      this.tokens -= 1;
      return this.clock.now() - started;
    });
    this.queue = turn;
    return turn;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.refillPerMs);
    this.last = now;
  }
}

/** The controller's share of each ELB bucket. */
export class ElbRateLimiter {
  private readonly buckets: Record<ElbBucket, TokenBucket>;
  /** Total time callers waited for a token, for the benchmarks. */
  waitedMs = 0;

  constructor(share: number, clock: Clock = realClock) {
    const bucket = (name: ElbBucket) =>
      new TokenBucket(
        burstTokens(ELB_BUCKETS[name].capacity, share),
        ELB_BUCKETS[name].refillPerSecond * share,
        clock,
      );
    this.buckets = {
      describe: bucket('describe'),
      registration: bucket('registration'),
      write: bucket('write'),
    };
  }

  async acquire(commandName: string): Promise<void> {
    this.waitedMs += await this.buckets[elbBucketOf(commandName)].take();
  }
}
