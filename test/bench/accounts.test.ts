/**
 * The many-accounts figure's claims, on the same code with a tiny fleet (2 accounts × 2 regions × 1 binding)
 * over a whole simulated hour, so the credentials' refresh falls inside it: every drift forwarded from a
 * member is repaired and verified, AssumeRole stays within what the cache allows, no member's bucket throttles,
 * and the cost adds up from its parts.
 */
import { describe, expect, it } from 'vitest';
import { type AccountsScale, checkScale, measureAccounts } from '../../bench/accounts.ts';
import { render } from '../../bench/report.ts';

const TINY: AccountsScale = {
  accounts: 2,
  regions: 2,
  bindingsPerRegion: 1,
  instancesPerBinding: 1,
  driftedMembers: 2,
};

describe('the many-accounts figure', () => {
  it('repairs forwarded drifts in members, within the AssumeRole cache rule and the members’ buckets', async () => {
    // Act
    const figure = await measureAccounts(TINY);

    // Assess
    expect(figure).toMatchObject({ accounts: 2, regions: 2, bindings: 4, simulatedMinutes: 60 });
    for (const key of [
      'eventPathOursMs',
      'assumeRoleCallsPerHour',
      'maxMemberElbCallsPerMinute',
      'hubCostPerMonthUsd',
    ] as const)
      expect(figure[key]).toBeGreaterThan(0);
    expect(figure.drifts).toBe(4);
    expect(figure.repairsVerified).toBe(figure.drifts);
    expect(figure.failedBindingRuns).toBe(0);
    expect(figure.throttlingErrors).toBe(0);
    // Every member and region reached, each environment assuming its role at most twice in the hour
    // (once, then again ten minutes before the session's hour is up).
    const scopes = TINY.accounts * TINY.regions;
    expect(figure.assumeRoleCallsBound).toBe(figure.hubEnvironments * scopes * 2);
    expect(figure.assumeRoleCallsPerHour).toBeGreaterThanOrEqual(scopes);
    expect(figure.assumeRoleCallsPerHour).toBeLessThanOrEqual(figure.assumeRoleCallsBound);
    // Every binding swept every minute (the interval of 4 bindings is 1 minute), none skipped.
    expect(figure.intervalMinutes).toBe(1);
    expect(figure.sweepsRun).toBe(4 * 60);
    expect(figure.maxMemberElbCallsPerMinute).toBeLessThanOrEqual(figure.maxMemberElbBucketRatePerMinute);
    expect(figure.maxMemberElbScope).toMatch(/^\d{12}\/[a-z]{2}-[a-z]+-\d$/);
    // One forwarded event per drift: the hub's repairs in the members are not forwarded back.
    expect(figure.eventsForwardedPerHour).toBe(figure.drifts);
    const parts = Object.values(figure.hubCostBreakdownUsd).reduce((sum, usd) => sum + usd, 0);
    expect(figure.hubCostPerMonthUsd).toBeCloseTo(parts, 1);
    expect(
      render({
        machine: { nproc: 2, cpu: 'test', node: 'v24', platform: 'linux' },
        quick: false,
        accounts: figure,
      }),
    ).toContain('10. Many accounts');
  }, 60_000);

  it('refuses a scale it cannot build, naming the field', () => {
    // Act & Assess
    expect(() => checkScale({ ...TINY, regions: 9 })).toThrow(
      /regions must be a whole number from 1 to 4, got 9/,
    );
    expect(() => checkScale({ ...TINY, driftedMembers: 5 })).toThrow(/driftedMembers .* to 4, got 5/);
  });
});
