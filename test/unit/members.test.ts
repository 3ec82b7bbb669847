/**
 * The hub's members in the configuration: a binding outside the hub's account and region needs a member
 * entry for it, and each account and region is listed once.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { discoveryScopes, groupByScope, narrowTo } from '../../functions/domain/accounts.ts';
import { ConfigError } from '../../functions/errors.ts';
import { FleetFilterError, requireConfiguredScope } from '../../functions/use-cases/fleet.ts';
import { LB_ARN, TG_ARN, TOPIC_ARN } from '../support/builders.ts';

const MEMBER_A = '210987654321';
const elb = (region: string, account: string) => `arn:aws:elasticloadbalancing:${region}:${account}`;

function binding(name: string, region: string, account: string) {
  return {
    name,
    loadBalancerArn: `${elb(region, account)}:loadbalancer/app/web-alb/50dc6c495c0c9188`,
    targetGroupArn: `${elb(region, account)}:targetgroup/web-8080/73e2d6bc24d8a067`,
    instanceSelector: { tags: { Role: 'web' } },
  };
}

const hubBinding = {
  name: 'hub-web',
  loadBalancerArn: LB_ARN,
  targetGroupArn: TG_ARN,
  instanceSelector: { tags: { Role: 'web' } },
};

function document(extra: Record<string, unknown>) {
  return { alerts: { topicArn: TOPIC_ARN, stateTable: 'alb-warden-alert-state' }, ...extra };
}

function issuesOf(input: unknown) {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('members', () => {
  it('takes bindings in member accounts and regions beside the hub’s own, the role defaulted per region', () => {
    const config = parseConfig(
      document({
        members: [{ account: MEMBER_A, regions: ['eu-west-1', 'us-east-1'], externalId: 'hub-7f3a' }],
        bindings: [
          hubBinding,
          binding('a-eu', 'eu-west-1', MEMBER_A),
          binding('a-us', 'us-east-1', MEMBER_A),
        ],
      }),
    );

    expect(config.members).toEqual([
      { account: MEMBER_A, regions: ['eu-west-1', 'us-east-1'], externalId: 'hub-7f3a', discovery: [] },
    ]);
    expect(
      groupByScope(config.bindings).map(({ scope, bindings }) => [scope, bindings.map((b) => b.name)]),
    ).toEqual([
      [{ account: '123456789012', region: 'ap-northeast-2' }, ['hub-web']],
      [{ account: MEMBER_A, region: 'eu-west-1' }, ['a-eu']],
      [{ account: MEMBER_A, region: 'us-east-1' }, ['a-us']],
    ]);
    expect(narrowTo(config, { account: MEMBER_A, region: 'us-east-1' }).bindings.map((b) => b.name)).toEqual([
      'a-us',
    ]);
  });

  it("keeps discovery in the hub's own account and region only: it reads the hub's tags", () => {
    const config = parseConfig(
      document({
        members: [{ account: MEMBER_A, regions: ['eu-west-1'] }],
        bindings: [hubBinding, binding('a-eu', 'eu-west-1', MEMBER_A)],
        discovery: [{ name: 'tagged', selector: { tags: { 'alb-warden:guard': 'true' } } }],
      }),
    );

    expect(narrowTo(config, { account: '123456789012', region: 'ap-northeast-2' }).discovery).toHaveLength(1);
    expect(narrowTo(config, { account: MEMBER_A, region: 'eu-west-1' }).discovery).toEqual([]);
  });

  it('names the binding, its account and region when no member covers it', () => {
    const issues = issuesOf(
      document({
        members: [{ account: MEMBER_A, regions: ['eu-west-1'] }],
        bindings: [hubBinding, binding('a-us', 'us-east-1', MEMBER_A)],
      }),
    );

    expect(issues.map((issue) => issue.field)).toEqual(['bindings[1].loadBalancerArn']);
    expect(issues[0]?.message).toContain(
      `binding "a-us" is in account ${MEMBER_A}, us-east-1, not the hub's (123456789012, ap-northeast-2): add {"account": "${MEMBER_A}", "regions": ["us-east-1"]} to members`,
    );
  });

  it('refuses an account and region listed twice, or the hub’s own', () => {
    const issues = issuesOf(
      document({
        members: [
          { account: MEMBER_A, regions: ['eu-west-1'] },
          { account: MEMBER_A, regions: ['eu-west-1'], roleName: 'Other' },
          { account: '123456789012', regions: ['ap-northeast-2'] },
        ],
        bindings: [hubBinding],
      }),
    );

    expect(issues.map((issue) => issue.field)).toEqual(['members[1].regions', 'members[2]']);
    expect(issues[0]?.message).toContain(`account ${MEMBER_A} in eu-west-1 is already listed by members[0]`);
    expect(issues[1]?.message).toContain(
      "account 123456789012 in ap-northeast-2 is the hub's own (its alert topic's): the hub uses its own credentials there",
    );
  });

  it('refuses a bad account id, region, role name or external id, naming the field', () => {
    const issues = issuesOf(
      document({
        members: [{ account: '2109', regions: ['Europe'], roleName: 'a role', externalId: 'x' }],
        bindings: [hubBinding],
      }),
    );

    expect(issues.map((issue) => issue.field)).toEqual([
      'members[0].account',
      'members[0].regions[0]',
      'members[0].roleName',
      'members[0].externalId',
    ]);
    expect(issues[0]?.message).toBe('must be a 12-digit account id, got "2109"');
  });

  it('keeps a configuration without members as it was: every binding with the function’s own credentials', () => {
    const config = parseConfig(document({ bindings: [binding('elsewhere', 'eu-west-1', MEMBER_A)] }));

    expect(config.members).toEqual([]);
    expect(config.bindings.map((b) => b.name)).toEqual(['elsewhere']);
  });

  it('keeps binding names unique across the fleet: they key the state table', () => {
    const issues = issuesOf(
      document({
        members: [{ account: MEMBER_A, regions: ['eu-west-1', 'us-east-1'] }],
        bindings: [binding('web', 'eu-west-1', MEMBER_A), binding('web', 'us-east-1', MEMBER_A)],
      }),
    );

    expect(issues.map((issue) => [issue.field, issue.message])).toEqual([
      ['bindings[1].name', '"web" is already used by bindings[0]: names must be unique, got "web"'],
    ]);
  });
});

describe('discovery inside members', () => {
  const policy = (name: string) => ({ name, selector: { tags: { 'alb-warden:guard': 'true' } } });

  it('runs each member’s policies in each of its regions, after the hub’s own, and narrows to one of them', () => {
    const config = parseConfig(
      document({
        discovery: [policy('hub')],
        members: [
          { account: MEMBER_A, regions: ['eu-west-1', 'us-east-1'], discovery: [policy('team-a')] },
          { account: '345678901234', regions: ['us-east-1'] },
        ],
      }),
    );

    expect(
      discoveryScopes(config).map(({ scope, policies }) => [scope, policies.map((p) => p.name)]),
    ).toEqual([
      [{ account: '123456789012', region: 'ap-northeast-2' }, ['hub']],
      [{ account: MEMBER_A, region: 'eu-west-1' }, ['team-a']],
      [{ account: MEMBER_A, region: 'us-east-1' }, ['team-a']],
    ]);
    const inA = narrowTo(config, { account: MEMBER_A, region: 'us-east-1' });
    expect(discoveryScopes(inA).map(({ scope }) => scope)).toEqual([
      { account: MEMBER_A, region: 'us-east-1' },
    ]);
    expect(discoveryScopes(narrowTo(config, { account: '345678901234', region: 'us-east-1' }))).toEqual([]);
  });

  it('is a configuration of its own: member policies alone need no binding', () => {
    const config = parseConfig(
      document({ members: [{ account: MEMBER_A, regions: ['eu-west-1'], discovery: [policy('team-a')] }] }),
    );

    expect(config.bindings).toEqual([]);
    expect(config.members[0]?.discovery?.map((p) => p.name)).toEqual(['team-a']);
  });

  it('refuses a member policy named twice or with an empty selector, naming the member’s field', () => {
    const issues = issuesOf(
      document({
        bindings: [hubBinding],
        members: [
          {
            account: MEMBER_A,
            regions: ['eu-west-1'],
            discovery: [policy('team'), policy('team'), { name: 'all', selector: { tags: {} } }],
          },
        ],
      }),
    );

    expect(issues.map((issue) => issue.field)).toEqual([
      'members[0].discovery[2].selector.tags',
      'members[0].discovery[1].name',
    ]);
    expect(issues[1]?.message).toBe(
      '"team" is already used by members[0].discovery[0]: names must be unique, got "team"',
    );
  });
});

describe('--account and --region against the configuration', () => {
  const withMembers = parseConfig(
    document({ bindings: [hubBinding], members: [{ account: MEMBER_A, regions: ['eu-west-1'] }] }),
  );

  it('accepts the hub’s and each member’s accounts and regions', () => {
    expect(() => requireConfiguredScope(withMembers, { account: '123456789012' })).not.toThrow();
    expect(() =>
      requireConfiguredScope(withMembers, { account: MEMBER_A, region: 'eu-west-1' }),
    ).not.toThrow();
    expect(() => requireConfiguredScope(withMembers, { region: 'ap-northeast-2' })).not.toThrow();
  });

  it('names an account or region that is not configured, and what is', () => {
    expect(() => requireConfiguredScope(withMembers, { account: '999999999999' })).toThrow(
      "--account 999999999999 is not configured: it is neither the hub's (123456789012) nor listed in members (configured: 123456789012/ap-northeast-2, 210987654321/eu-west-1)",
    );
    expect(() => requireConfiguredScope(withMembers, { account: MEMBER_A, region: 'us-east-1' })).toThrow(
      '--region us-east-1 is not configured for account 210987654321: its regions are eu-west-1',
    );
    expect(() => requireConfiguredScope(withMembers, { region: 'sa-east-1' })).toThrow(FleetFilterError);
  });

  it('checks nothing without members: every binding is read with the caller’s own credentials', () => {
    const single = parseConfig(document({ bindings: [binding('elsewhere', 'eu-west-1', MEMBER_A)] }));

    expect(() => requireConfiguredScope(single, { account: '999999999999' })).not.toThrow();
  });
});
