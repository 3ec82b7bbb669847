import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keptEntries, summarizePipeline } from '../../../functions/domain/pipeline-stats.ts';
import { type RepairEntry, withRepairs } from '../../../functions/domain/state.ts';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const entry = (at: number, overrides: Partial<RepairEntry> = {}): RepairEntry => ({
  at,
  listener: 'http',
  fingerprint: `f${at}`,
  summary: 'redirect 302',
  ...overrides,
});

describe('what the repair log keeps', () => {
  it('keeps the window, and a day of repairs an event triggered, dropping the sweep’s older ones', () => {
    const bySweep = entry(NOW - 2 * 60 * MINUTE);
    const byEvent = entry(NOW - 2 * 60 * MINUTE, {
      eventAt: NOW - 2 * 60 * MINUTE - 900,
      actor: 'arn:person',
    });
    const dayOld = entry(NOW - DAY - 1, { eventAt: NOW - DAY - 2000 });
    const recent = entry(NOW - 5 * MINUTE);

    const log = withRepairs({ entries: [dayOld, bySweep, byEvent, recent] }, [entry(NOW)], NOW, 30);

    expect(log.entries).toEqual([byEvent, recent, entry(NOW)]);
  });

  it('keeps at most 100 event-triggered repairs beyond the window, the newest', () => {
    const old = Array.from({ length: 150 }, (_, i) =>
      entry(NOW - 23 * 60 * MINUTE + i, { eventAt: NOW - DAY + i }),
    );

    const kept = keptEntries(old, NOW - 30 * MINUTE, NOW);

    expect(kept).toHaveLength(100);
    expect(kept[0]).toBe(old[50]);
  });
});

describe('the summary the doctor prints', () => {
  it('gives the median and the maximum delay over the last day, one sample per event', () => {
    const log = {
      entries: [
        entry(NOW - 5000, { eventAt: NOW - 8000 }),
        entry(NOW - 5000, { listener: 'https', eventAt: NOW - 8000 }),
        entry(NOW - 4000),
        entry(NOW - 3000, { eventAt: NOW - 4000 }),
        entry(NOW - 2000, { eventAt: NOW - 11_000 }),
        entry(NOW - DAY - 1, { eventAt: NOW - DAY - 60_000 }),
      ],
    };

    const summary = summarizePipeline(log, [NOW - DAY - 1, NOW - MINUTE], NOW);

    expect(summary).toEqual({ events: 3, p50Ms: 3000, maxMs: 9000, unreportedDrifts: 1 });
  });

  it('has no figures without events', () => {
    expect(summarizePipeline({ entries: [entry(NOW)] }, [], NOW)).toEqual({
      events: 0,
      p50Ms: undefined,
      maxMs: undefined,
      unreportedDrifts: 0,
    });
  });

  it('reports the largest delay as max and a median no larger, for any delays', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 3_600_000 }), { minLength: 1, maxLength: 50 }), (delays) => {
        const log = { entries: delays.map((delay, i) => entry(NOW - i, { eventAt: NOW - i - delay })) };
        const summary = summarizePipeline(log, [], NOW);
        expect(summary.maxMs).toBe(Math.max(...delays));
        expect(summary.p50Ms).toBeLessThanOrEqual(summary.maxMs ?? 0);
      }),
    );
  });
});
