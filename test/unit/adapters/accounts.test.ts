/**
 * Member credentials: AssumeRole once while they are valid, again shortly before they expire, and a refusal
 * that names the account and the role. The clock is a fake one the tests move.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  type AssumeRole,
  type AssumeRoleRequest,
  REFRESH_BEFORE_MS,
  RoleCredentials,
} from '../../../functions/adapters/accounts.ts';
import { stsAssumeRole } from '../../../functions/adapters/sts.ts';
import {
  awsCallsInAdapters,
  memberOnlyCallsInAdapters,
} from '../../../functions/cli/doctor/controller-calls.ts';
import { type MemberAccess, memberAccess } from '../../../functions/domain/accounts.ts';
import { MemberAccessError } from '../../../functions/errors.ts';
import { MEMBER_ROLE_PREFIX, memberRoleArn } from '../../../infra/alb-warden-member.ts';
import { seedConfig } from '../../support/builders.ts';

const HOUR = 3_600_000;
const ACCESS: MemberAccess = {
  scope: { account: '210987654321', region: 'eu-west-1' },
  roleArn: 'arn:aws:iam::210987654321:role/AlbWardenMember-eu-west-1',
  externalId: 'hub-7f3a',
};

/** An STS double issuing one-hour credentials on the fake clock, counting its calls. */
function fakeSts(clock: { now: number }) {
  const requests: AssumeRoleRequest[] = [];
  const assumeRole: AssumeRole = async (request) => {
    requests.push(request);
    return {
      accessKeyId: `ASIA${requests.length}`,
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date(clock.now + HOUR),
    };
  };
  return { requests, assumeRole };
}

describe('member role credentials', () => {
  it('assumes the role once for every call within the hour', async () => {
    // Prepare
    const clock = { now: Date.parse('2026-11-29T10:00:00Z') };
    const sts = fakeSts(clock);
    const credentials = new RoleCredentials(sts.assumeRole, ACCESS, () => clock.now);

    // Act
    const keys: string[] = [];
    for (let minute = 0; minute < 45; minute++) {
      keys.push((await credentials.get()).accessKeyId);
      clock.now += 60_000;
    }

    // Assess
    expect(sts.requests).toEqual([
      {
        roleArn: ACCESS.roleArn,
        sessionName: 'alb-warden-eu-west-1',
        externalId: 'hub-7f3a',
      },
    ]);
    expect(new Set(keys)).toEqual(new Set(['ASIA1']));
  });

  it('assumes the role again before the credentials expire, not after', async () => {
    const clock = { now: Date.parse('2026-11-29T10:00:00Z') };
    const sts = fakeSts(clock);
    const credentials = new RoleCredentials(sts.assumeRole, ACCESS, () => clock.now);
    await credentials.get();

    clock.now += HOUR - REFRESH_BEFORE_MS - 1;
    expect((await credentials.get()).accessKeyId).toBe('ASIA1');
    clock.now += 2;
    const fresh = await credentials.get();

    expect(sts.requests).toHaveLength(2);
    expect(fresh.accessKeyId).toBe('ASIA2');
    expect(fresh.expiration.getTime()).toBeGreaterThan(clock.now + REFRESH_BEFORE_MS);
  });

  it('makes one AssumeRole for concurrent callers', async () => {
    const clock = { now: 0 };
    const sts = fakeSts(clock);
    const credentials = new RoleCredentials(sts.assumeRole, ACCESS, () => clock.now);

    await Promise.all(Array.from({ length: 8 }, () => credentials.get()));

    expect(sts.requests).toHaveLength(1);
  });

  it('names the account, the region and the role when STS refuses, and asks again next time', async () => {
    let calls = 0;
    const refuse: AssumeRole = async () => {
      calls++;
      throw Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), {
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      });
    };
    const credentials = new RoleCredentials(refuse, ACCESS, () => 0);

    const error = await credentials.get().catch((caught: unknown) => caught);
    await credentials.get().catch(() => undefined);

    expect(error).toBeInstanceOf(MemberAccessError);
    expect(error).toMatchObject({
      account: '210987654321',
      region: 'eu-west-1',
      roleArn: ACCESS.roleArn,
      awsCode: 'AccessDenied',
    });
    expect((error as Error).message).toContain(
      'cannot assume arn:aws:iam::210987654321:role/AlbWardenMember-eu-west-1 (account 210987654321, eu-west-1)',
    );
    expect(calls).toBe(2);
  });

  it('calls STS AssumeRole with the external id and returns its credentials', async () => {
    const sts = mockClient(STSClient);
    const expiration = new Date('2026-11-29T11:00:00Z');
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIAX', SecretAccessKey: 's', SessionToken: 't', Expiration: expiration },
    });

    const assumeRole = stsAssumeRole(new STSClient({ region: 'ap-northeast-2' }));
    const credentials = await assumeRole({ roleArn: ACCESS.roleArn, sessionName: 'n', externalId: 'x-1' });

    expect(credentials).toEqual({
      accessKeyId: 'ASIAX',
      secretAccessKey: 's',
      sessionToken: 't',
      expiration,
    });
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: ACCESS.roleArn,
      RoleSessionName: 'n',
      ExternalId: 'x-1',
    });
    sts.restore();
  });
});

describe('the role the hub assumes', () => {
  it('is the only call apart from the single-account ones: the hub construct grants it', () => {
    expect(memberOnlyCallsInAdapters().map((call) => call.action)).toEqual(['sts:AssumeRole']);
    expect(awsCallsInAdapters().map((call) => call.action)).not.toContain('sts:AssumeRole');
  });

  it("is the member stack's role of the binding's region unless the member names another", () => {
    const base = seedConfig();
    const config = {
      ...base,
      members: [
        { account: '210987654321', regions: ['eu-west-1'] },
        { account: '345678901234', regions: ['us-east-1'], roleName: 'Custom', externalId: 'e-1' },
      ],
    };

    expect(MEMBER_ROLE_PREFIX).toBe('AlbWardenMember');
    expect(memberAccess(config, { account: '210987654321', region: 'eu-west-1' })?.roleArn).toBe(
      memberRoleArn('210987654321', 'eu-west-1'),
    );
    expect(memberAccess(config, { account: '345678901234', region: 'us-east-1' })).toEqual({
      scope: { account: '345678901234', region: 'us-east-1' },
      roleArn: 'arn:aws:iam::345678901234:role/Custom',
      externalId: 'e-1',
    });
    // The hub's own account and region, and places no member lists, use the function's own credentials.
    expect(memberAccess(config, { account: '123456789012', region: 'ap-northeast-2' })).toBeUndefined();
    expect(memberAccess(config, { account: '210987654321', region: 'us-east-1' })).toBeUndefined();
  });
});
