/** The doctor's verdicts on what the simulator does not vary: advanced selectors, key policy forms, schedules. */
import { describe, expect, it } from 'vitest';
import { scheduleIntervalMs, topicKeyCheck, trailCheck } from '../../../functions/cli/doctor/checks.ts';

const trail = {
  name: 'org',
  arn: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/org',
  homeRegion: 'us-east-1',
  multiRegion: true,
  organization: true,
};

describe('the trail check', () => {
  it('accepts an advanced selector on management events that keeps writes', () => {
    const check = trailCheck('ap-northeast-2', [
      {
        trail,
        logging: true,
        selectors: { advanced: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }] },
      },
    ]);

    expect(check).toMatchObject({
      ok: true,
      detail: expect.stringContaining('(multi-region, organization)'),
    });
  });

  it('refuses an advanced selector that keeps only reads', () => {
    const check = trailCheck('ap-northeast-2', [
      {
        trail,
        logging: true,
        selectors: {
          advanced: [
            {
              FieldSelectors: [
                { Field: 'eventCategory', Equals: ['Management'] },
                { Field: 'readOnly', Equals: ['true'] },
              ],
            },
          ],
        },
      },
    ]);

    expect(check).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not management write events'),
    });
  });

  it('ignores a single-region trail of another region', () => {
    const check = trailCheck('ap-northeast-2', [
      {
        trail: { ...trail, multiRegion: false },
        logging: true,
        selectors: { basic: [{ ReadWriteType: 'All' }] },
      },
    ]);

    expect(check).toMatchObject({ ok: false, fix: expect.stringContaining('createTrail=true') });
  });
});

describe('the topic key check', () => {
  const policy = (statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const allow = {
    Effect: 'Allow',
    Principal: { Service: ['cloudwatch.amazonaws.com'] },
    Action: 'kms:*',
    Resource: '*',
  };

  it('accepts a wildcard action for the CloudWatch service principal', () => {
    expect(topicKeyCheck('arn:aws:kms:ap-northeast-2:123456789012:key/k', policy([allow])).ok).toBe(true);
  });

  it('refuses when a Deny for CloudWatch overrides the Allow', () => {
    const deny = { ...allow, Effect: 'Deny', Action: 'kms:Decrypt' };

    expect(topicKeyCheck('k', policy([allow, deny]))).toMatchObject({
      ok: false,
      detail: expect.stringContaining('kms:Decrypt'),
    });
  });

  it('does not count an Allow that holds only under a condition', () => {
    const conditional = {
      ...allow,
      Condition: { StringEquals: { 'kms:ViaService': 'sns.ap-northeast-2.amazonaws.com' } },
    };

    expect(topicKeyCheck('k', policy([conditional])).ok).toBe(false);
  });

  it('passes an unencrypted topic', () => {
    expect(topicKeyCheck(undefined, undefined).ok).toBe(true);
  });
});

describe('the sweep interval', () => {
  it('reads rate expressions and takes a cron schedule as a minute', () => {
    expect(scheduleIntervalMs('rate(1 minute)')).toBe(60_000);
    expect(scheduleIntervalMs('rate(5 minutes)')).toBe(300_000);
    expect(scheduleIntervalMs('rate(2 hours)')).toBe(7_200_000);
    expect(scheduleIntervalMs('cron(0/1 * * * ? *)')).toBe(60_000);
  });
});
