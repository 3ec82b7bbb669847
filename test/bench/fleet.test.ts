/**
 * The fleet figure's claims, on a small fleet found by tags: every binding swept within the interval the
 * scheduler reports, the workers together within the sweep's part of the describe bucket with the simulator's
 * ELB throttling on, no invocation longer than its timeout.
 */
import { describe, expect, it } from 'vitest';
import { measureFleet } from '../../bench/fleet.ts';
import { sweepIntervalMinutes } from '../../functions/domain/sweep-schedule.ts';

describe('the fleet on scheduler and workers', () => {
  it('sweeps 40 bindings within the reported interval, within the sweep share, and stays ahead of the schedule', async () => {
    // Act
    const figure = await measureFleet({ bindings: 40, instancesPerBinding: 2 });

    // Assess
    const interval = sweepIntervalMinutes(40, { apiShare: 0.25, sweepFraction: 0.5, sweepWorkers: 2 });
    expect(figure.intervalMinutes).toBe(interval);
    // Swept within the interval, plus the time the last due minute's messages take.
    expect(figure.sweptAllWithinS).toBeLessThanOrEqual(interval * 60 + 60);
    expect(figure.worstStalenessS).toBeLessThanOrEqual(interval * 60 + 60);
    expect(figure.elbDescribeShareOfBucket).toBeLessThanOrEqual(figure.sweepShareOfBucket);
    expect(figure.throttlingErrors).toBe(0);
    expect(figure.maxInvocationS).toBeLessThan(120);
    expect(figure.sweepsRun).toBeGreaterThanOrEqual(40);
    expect(figure.discoveredByTags).toBe(true);
    // One GetResources page for the load balancers and one for their target groups, each scheduler minute.
    expect(figure.taggingCallsPerMinute).toBe(2);
  }, 120_000);
});
