/** The sweep schedule: every binding once every N minutes, N from the fleet and the API share. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ELB_BUCKETS } from '../../../functions/adapters/rate-limit.ts';
import {
  BINDINGS_PER_MESSAGE,
  eventShare,
  planSchedule,
  sweepIntervalMinutes,
  workerShare,
} from '../../../functions/domain/sweep-schedule.ts';

const DEFAULT_LIMITS = { apiShare: 0.25, sweepFraction: 0.5, sweepWorkers: 2 };
const names = (count: number) => Array.from({ length: count }, (_, index) => `web-${index}`);

describe('the sweep interval', () => {
  it.each([
    // 3.2 describe calls a binding against 10/s × 0.25 × 0.5 × 60 = 75 a minute
    [1, DEFAULT_LIMITS, 1],
    [23, DEFAULT_LIMITS, 1],
    [24, DEFAULT_LIMITS, 2],
    [50, DEFAULT_LIMITS, 3],
    [1000, DEFAULT_LIMITS, 43],
    [1000, { apiShare: 1, sweepFraction: 0.5, sweepWorkers: 2 }, 11],
    [10_000, DEFAULT_LIMITS, 427],
  ])('is %i bindings → N for %o = %i minutes', (bindings, limits, minutes) => {
    expect(sweepIntervalMinutes(bindings, limits)).toBe(minutes);
  });

  it('fits the sweep part of the describe budget: due bindings a minute × calls ≤ the budget a minute', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        (bindings, apiShare, sweepFraction) => {
          const limits = { apiShare, sweepFraction, sweepWorkers: 2 };
          const minutes = sweepIntervalMinutes(bindings, limits);
          const perMinute = ELB_BUCKETS.describe.refillPerSecond * apiShare * sweepFraction * 60;
          expect((bindings / minutes) * (3 + 1 / BINDINGS_PER_MESSAGE)).toBeLessThanOrEqual(perMinute + 1e-9);
          if (minutes > 1)
            expect((bindings / (minutes - 1)) * (3 + 1 / BINDINGS_PER_MESSAGE)).toBeGreaterThan(perMinute);
        },
      ),
    );
  });

  it('gives W workers together the sweep fraction and the event functions the rest', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.integer({ min: 2, max: 50 }),
        (apiShare, sweepFraction, sweepWorkers) => {
          const limits = { apiShare, sweepFraction, sweepWorkers };
          expect(workerShare(limits) * sweepWorkers + eventShare(limits)).toBeCloseTo(apiShare, 9);
        },
      ),
    );
  });
});

describe('the schedule', () => {
  it('makes every binding due exactly once in any N consecutive minutes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 40_000_000 }),
        (count, start) => {
          const fleet = names(count);
          const seen = new Map<string, number>();
          const interval = sweepIntervalMinutes(count, DEFAULT_LIMITS);
          for (let minute = start; minute < start + interval; minute++) {
            const plan = planSchedule(fleet, DEFAULT_LIMITS, minute * 60_000 + 59_999);
            expect(plan.intervalMinutes).toBe(interval);
            for (const name of plan.due) seen.set(name, (seen.get(name) ?? 0) + 1);
          }
          expect(seen.size).toBe(count);
          expect([...seen.values()].every((times) => times === 1)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keeps a binding in its slot when others join the fleet of the same interval', () => {
    const before = planSchedule(names(30), DEFAULT_LIMITS, 0);
    const after = planSchedule([...names(30), 'api', 'admin'], DEFAULT_LIMITS, 0);

    expect(after.intervalMinutes).toBe(before.intervalMinutes);
    expect(after.due.filter((name) => name.startsWith('web-'))).toEqual(before.due);
  });

  it('spreads 1,000 bindings over the minutes of their interval', () => {
    const fleet = names(1000);
    const counts = Array.from(
      { length: 43 },
      (_, minute) => planSchedule(fleet, DEFAULT_LIMITS, minute * 60_000).due.length,
    );

    expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
    // 23.3 a minute on average; a hash is not a perfect spread, but no minute takes twice its share.
    expect(Math.max(...counts)).toBeLessThan(47);
  });

  it('puts the due bindings into messages of at most five, in order', () => {
    const plan = planSchedule(names(23), DEFAULT_LIMITS, 0);

    expect(plan.due).toHaveLength(23);
    expect(plan.groups.map((group) => group.length)).toEqual([5, 5, 5, 5, 3]);
    expect(plan.groups.flat()).toEqual(plan.due);
  });
});
