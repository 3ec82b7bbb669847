import { describe, expect, it } from 'vitest';
import { ElbRateLimiter, elbBucketOf, TokenBucket } from '../../../functions/adapters/rate-limit.ts';

/** A clock that only moves when someone sleeps: waits are counted, never spent. */
function fakeClock() {
  let now = 0;
  const sleep = async (ms: number) => {
    now += ms;
  };
  return { now: () => now, sleep, elapsed: () => now };
}

describe('TokenBucket', () => {
  it('serves a burst up to its capacity, then one token per refill interval', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 2.5, clock);
    for (let index = 0; index < 10; index++) await bucket.take();
    expect(clock.elapsed()).toBe(0);
    await bucket.take();
    expect(clock.elapsed()).toBeCloseTo(400);
    for (let index = 0; index < 4; index++) await bucket.take();
    expect(clock.elapsed()).toBeCloseTo(2000);
  });

  it('serves concurrent callers in order without overspending', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(2, 1, clock);
    await Promise.all(Array.from({ length: 5 }, () => bucket.take()));
    expect(clock.elapsed()).toBeCloseTo(3000);
  });
});

describe('ElbRateLimiter', () => {
  it('keeps the controller within its share of each ELB bucket', async () => {
    const clock = fakeClock();
    const limiter = new ElbRateLimiter(0.25, clock);
    // A quarter of the describe bucket: 10 at once, then 2.5 a second.
    for (let index = 0; index < 30; index++) await limiter.acquire('DescribeTargetHealthCommand');
    expect(clock.elapsed()).toBeCloseTo(8000);
  });

  it('sorts commands into the buckets AWS uses', () => {
    expect(elbBucketOf('DescribeListenersCommand')).toBe('describe');
    expect(elbBucketOf('RegisterTargetsCommand')).toBe('registration');
    expect(elbBucketOf('DeregisterTargetsCommand')).toBe('registration');
    expect(elbBucketOf('ModifyListenerCommand')).toBe('write');
  });
});
