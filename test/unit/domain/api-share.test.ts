/** The ELB share divided between the functions' concurrent environments (domain/api-share.ts). */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  burstExcesses,
  EVENT_CALLS,
  EVENT_FUNCTIONS,
  eventConcurrency,
  eventEnvironmentShare,
  rateViolation,
  shareAllocations,
} from '../../../functions/domain/api-share.ts';
import { ELB_BUCKETS } from '../../../functions/domain/elb-buckets.ts';
import { eventShare } from '../../../functions/domain/sweep-schedule.ts';

const DEFAULTS = { apiShare: 0.25, sweepFraction: 0.5, sweepWorkers: 2 };
const limitsArbitrary = fc.record({
  apiShare: fc.double({ min: 0.01, max: 1, noNaN: true }),
  sweepFraction: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
  sweepWorkers: fc.integer({ min: 2, max: 1000 }),
});

describe('the allocation', () => {
  it('holds the rate for any limits: Σ environments × share = apiShare', () => {
    fc.assert(
      fc.property(limitsArbitrary, (limits) => {
        const allocations = shareAllocations(limits);
        const rate = allocations.reduce((sum, a) => sum + a.concurrency * a.environmentShare, 0);

        expect(rate).toBeCloseTo(limits.apiShare, 9);
        expect(rateViolation(allocations, limits.apiShare)).toBeUndefined();
      }),
    );
  });

  it('leaves each event environment one event’s calls in every bucket whenever it runs more than one', () => {
    fc.assert(
      fc.property(limitsArbitrary, (limits) => {
        const concurrency = eventConcurrency(limits);
        const perEnvironment = eventEnvironmentShare(limits);

        expect(concurrency).toBeGreaterThanOrEqual(1);
        if (concurrency > 1) {
          for (const { capacity } of Object.values(ELB_BUCKETS))
            expect(capacity * perEnvironment).toBeGreaterThanOrEqual(EVENT_CALLS - 1e-9);
        }
        // One more environment would leave each less than that.
        const tighter = eventShare(limits) / EVENT_FUNCTIONS.length / (concurrency + 1);
        expect(Math.min(...Object.values(ELB_BUCKETS).map((b) => b.capacity)) * tighter).toBeLessThan(
          EVENT_CALLS,
        );
      }),
    );
  });

  it.each([
    [DEFAULTS, 1],
    [{ ...DEFAULTS, apiShare: 1 }, 1],
    [{ apiShare: 1, sweepFraction: 0.1, sweepWorkers: 2 }, 2],
    [{ apiShare: 0.05, sweepFraction: 0.5, sweepWorkers: 2 }, 1],
  ])('caps register and guard at %o → %i environments each', (limits, expected) => {
    expect(eventConcurrency(limits)).toBe(expected);
  });

  it('keeps the bursts within the share at the defaults, exactly: 5 of 20 registration tokens', () => {
    const allocations = shareAllocations(DEFAULTS);

    expect(allocations).toEqual([
      { function: 'sweep-worker', concurrency: 2, environmentShare: 0.0625 },
      { function: 'register', concurrency: 1, environmentShare: 0.0625 },
      { function: 'guard', concurrency: 1, environmentShare: 0.0625 },
    ]);
    expect(burstExcesses(allocations, DEFAULTS.apiShare)).toEqual([]);
  });

  it('names the bucket a burst would overdraw when each of many workers holds a whole token', () => {
    const excesses = burstExcesses(shareAllocations({ ...DEFAULTS, sweepWorkers: 10 }), 0.25);

    expect(excesses).toHaveLength(3);
    expect(excesses[1]).toMatch(/12\.5 of the 20-token registration bucket at once, more than .* \(5\)/);
  });

  it('names each function’s part when the rate is broken', () => {
    const allocations = [
      { function: 'sweep-worker' as const, concurrency: 2, environmentShare: 0.0625 },
      { function: 'register' as const, concurrency: 4, environmentShare: 0.0625 },
    ];

    expect(rateViolation(allocations, 0.25)).toBe(
      "the functions' environments at once take 0.375 of the ELB buckets (sweep-worker 2 × 0.0625 + register 4 × 0.0625), more than limits.apiShare 0.25",
    );
  });
});

describe('one share per function, for its handler and for the synth check', () => {
  // The synth check multiplies each cap by ENVIRONMENT_SHARE[function]; a handler that gave its limiter
  // another share would break the sum the check proves.
  it.each([
    ['register', 'ENVIRONMENT_SHARE.register'],
    ['guard', 'ENVIRONMENT_SHARE.guard'],
    ['sweep-worker', "ENVIRONMENT_SHARE['sweep-worker']"],
  ])('the %s handler gives its rate limiter ENVIRONMENT_SHARE of its own name', (name, share) => {
    const source = readFileSync(new URL(`../../../functions/handlers/${name}.ts`, import.meta.url), 'utf8');
    const given = [...source.matchAll(/lazyDeps\(\s*observability,\s*([^)]+?)\s*\)/g)].map(
      (match) => match[1],
    );

    expect(given).toEqual([share]);
  });
});
