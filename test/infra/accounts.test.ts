/**
 * The member stack and the hub's StackSet: a self-contained member template (no assets, no bootstrap), rules
 * forwarding the hub's own event patterns to the hub's bus, a member role that only the hub's function roles of
 * the organization (with the external id) may assume and that holds only the calls the adapters make, and a
 * StackSet with service-managed permissions deploying that template. Policies are proven by IAM simulation.
 */
import { execFileSync } from 'node:child_process';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { AlbWardenHub } from '../../infra/alb-warden-hub.ts';
import { AlbWardenMemberStack, memberRoleArn } from '../../infra/alb-warden-member.ts';
import { apiCallPattern, INSTANCE_STATE_PATTERN } from '../../infra/event-patterns.ts';
import { awsCallsInAdapters } from './support/aws-calls.ts';
import { ensureBundles, ROOT } from './support/bundles.ts';
import { allowedActions, decide, type Policy, resolver, rolePolicies } from './support/iam.ts';
import { ACCOUNT, EXAMPLE_CONFIG, flaggedApp, REGION } from './support/synth.ts';
import { WardenStack } from './support/warden-stack.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const HUB = { account: '210987654321', region: 'eu-west-1' };
const ORG = 'o-a1b2c3d4e5';
const EXTERNAL_ID = 'alb-warden-hub-7f3a';
const HUB_ROLE = `arn:aws:iam::${HUB.account}:role/AlbWarden-DefaultSweepRole1A2B3C4D-EXAMPLE`;
/** The member template resolves in the test's account and region (support/synth.ts). */
const MEMBER_ROLE = memberRoleArn(ACCOUNT, REGION);
const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const TAGGED = { 'aws:ResourceTag/alb-warden:guard': 'true' };

function memberStack(props: { externalId?: string } = {}): AlbWardenMemberStack {
  return new AlbWardenMemberStack(new App(), 'AlbWardenMember', {
    hubAccount: HUB.account,
    hubRegion: HUB.region,
    organizationId: ORG,
    externalId: EXTERNAL_ID,
    ...props,
  });
}

describe('the member template', () => {
  let stack: AlbWardenMemberStack;
  let template: Template;
  beforeAll(() => {
    stack = memberStack();
    template = Template.fromStack(stack);
  });

  it('is self-contained: no asset or bootstrap parameter, no bootstrap check, no asset metadata', () => {
    const json = template.toJSON() as Record<string, unknown>;

    expect(Object.keys(json.Parameters as object)).toEqual(['HubRoleArns']);
    expect(json.Rules).toBeUndefined();
    expect(JSON.stringify(json)).not.toMatch(/AssetParameters|BootstrapVersion|cdk-hnb659fds|aws:asset:/);
    expect(
      Object.values(json.Resources as Record<string, { Type: string }>)
        .map((r) => r.Type)
        .sort(),
    ).toEqual([
      'AWS::Events::Rule',
      'AWS::Events::Rule',
      'AWS::IAM::Policy',
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::IAM::Role',
    ]);
  });

  it("forwards the hub's own event patterns to the hub's default bus through its forwarder role", () => {
    const hubBus = `arn:aws:events:${HUB.region}:${HUB.account}:event-bus/default`;
    const { resolve } = resolver(template);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map(
      (rule) =>
        resolve(rule.Properties) as { EventPattern: unknown; Targets: { Arn: string; RoleArn: string }[] },
    );

    expect(rules.map((rule) => rule.EventPattern)).toEqual([
      INSTANCE_STATE_PATTERN,
      apiCallPattern([MEMBER_ROLE]),
    ]);
    for (const rule of rules) expect(rule.Targets).toEqual([expect.objectContaining({ Arn: hubBus })]);
    const forwarder = stack.resolve(stack.member.forwarderRole.roleArn) as { 'Fn::GetAtt': [string] };
    const [forwarderId] = forwarder['Fn::GetAtt'];
    const policies = rolePolicies(template, forwarderId);
    expect(policies.flatMap((p) => p.Statement)).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'events:PutEvents', Resource: hubBus }),
    ]);
  });

  it('names the member role per region, so one account can hold the stack in several regions', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { 'Fn::Join': ['', ['AlbWardenMember-', { Ref: 'AWS::Region' }]] },
      MaxSessionDuration: 3600,
    });
  });

  it('is clean under cdk-nag AwsSolutions, each acknowledgement with a reason', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);

    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('is what `npm run member-template` prints, for create-stack-set', () => {
    const printed = execFileSync(
      process.execPath,
      [
        '--import',
        './scripts/require-node.mjs',
        'infra/member-template.ts',
        ...['--hub-account', HUB.account, '--hub-region', HUB.region],
        ...['--organization-id', ORG, '--external-id', EXTERNAL_ID],
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );

    expect(JSON.parse(printed)).toEqual(template.toJSON());
  });

  it('refuses a member with neither an organization nor an external id', () => {
    expect(
      () => new AlbWardenMemberStack(new App(), 'Open', { hubAccount: HUB.account, hubRegion: HUB.region }),
    ).toThrow(/give organizationId, externalId or both/);
    expect(() => memberStack({ externalId: 'x' })).toThrow(/props\.externalId: 2 to 1224 characters/);
  });
});

describe('the member role, by IAM simulation', () => {
  let trust: unknown;
  let policies: Policy[];
  beforeAll(() => {
    const stack = memberStack();
    const template = Template.fromStack(stack);
    const roleId = (stack.resolve(stack.member.role.roleArn) as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const values = {
      HubRoleArns: `${HUB_ROLE},arn:aws:iam::${HUB.account}:role/AlbWarden-DefaultGuardRole*`,
    };
    const { resolve, resources } = resolver(template, values);
    trust = resolve(resources[roleId]?.Properties?.AssumeRolePolicyDocument);
    policies = rolePolicies(template, roleId, values);
  });

  const assume = (principalRole: string, context: Record<string, string>) =>
    decide(
      principalRole.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/').concat('/session'),
      [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }],
      {
        action: 'sts:AssumeRole',
        resource: MEMBER_ROLE,
        resourcePolicy: trust,
        context: {
          'aws:PrincipalArn': principalRole,
          'aws:PrincipalAccount': principalRole.split(':')[4] ?? '',
          ...context,
        },
      },
    );

  it("lets the hub's function role of the organization assume it with the external id", async () => {
    expect(await assume(HUB_ROLE, { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': EXTERNAL_ID })).toBe(
      'Allowed',
    );
  });

  it('denies a principal of another organization, a wrong or missing external id, and other roles', async () => {
    expect(
      await assume(HUB_ROLE, { 'aws:PrincipalOrgID': 'o-zzzzzzzzzz', 'sts:ExternalId': EXTERNAL_ID }),
    ).not.toBe('Allowed');
    expect(await assume(HUB_ROLE, { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'guessed' })).not.toBe(
      'Allowed',
    );
    expect(await assume(HUB_ROLE, { 'aws:PrincipalOrgID': ORG })).not.toBe('Allowed');
    expect(
      await assume(`arn:aws:iam::${HUB.account}:role/Deployer`, {
        'aws:PrincipalOrgID': ORG,
        'sts:ExternalId': EXTERNAL_ID,
      }),
    ).not.toBe('Allowed');
    expect(
      await assume(`arn:aws:iam::333333333333:role/AlbWarden-DefaultSweepRole1A2B3C4D-EXAMPLE`, {
        'aws:PrincipalOrgID': ORG,
        'sts:ExternalId': EXTERNAL_ID,
      }),
    ).not.toBe('Allowed');
  });

  const memberCalls = awsCallsInAdapters().filter((call) =>
    /^(elasticloadbalancing|ec2|autoscaling|tag):/.test(call.action),
  );
  const resourceFor = (action: string): string => {
    if (/Targets$|ModifyTargetGroup$/.test(action)) return `${ELB}:targetgroup/web-8080/73e2d6bc24d8a067`;
    if (/CreateListener$/.test(action)) return `${ELB}:loadbalancer/app/web-alb/50dc6c495c0c9188`;
    if (/ModifyListener$|AddListenerCertificates$/.test(action))
      return `${ELB}:listener/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
    if (/DeleteRule$/.test(action))
      return `${ELB}:listener-rule/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
    return '*';
  };
  const HTTPS = {
    'elasticloadbalancing:ListenerProtocol': ['HTTPS'],
    'elasticloadbalancing:SecurityPolicy': ['ELBSecurityPolicy-TLS13-1-2-2021-06'],
  };

  it('allows every ELB, EC2, Auto Scaling and tagging call the adapters make, writes on tagged resources', async () => {
    expect(memberCalls.length).toBeGreaterThan(5);
    for (const { action } of memberCalls) {
      const context = { ...TAGGED, ...(/(Create|Modify)Listener$/.test(action) ? HTTPS : {}) };
      expect(
        await decide(MEMBER_ROLE, policies, { action, resource: resourceFor(action), context }),
        action,
      ).toBe('Allowed');
    }
  });

  it('denies writes on untagged resources and holds nothing the adapters do not call', async () => {
    expect(
      await decide(MEMBER_ROLE, policies, {
        action: 'elasticloadbalancing:RegisterTargets',
        resource: resourceFor('RegisterTargets'),
        context: { 'aws:ResourceTag/alb-warden:guard': 'false' },
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await decide(MEMBER_ROLE, policies, {
        action: 'elasticloadbalancing:DeleteLoadBalancer',
        resource: `${ELB}:loadbalancer/app/web-alb/50dc6c495c0c9188`,
        context: TAGGED,
      }),
    ).toBe('ImplicitlyDenied');
    const called = new Set(memberCalls.map((call) => call.action));
    expect([...allowedActions(policies)].filter((action) => !called.has(action))).toEqual([]);
  });
});

describe('the hub: bus policy, StackSet and assume-role permissions', () => {
  let hubStack: WardenStack;
  let hub: AlbWardenHub;
  let template: Template;
  beforeAll(async () => {
    const app = flaggedApp();
    hubStack = new WardenStack(app, 'AlbWarden', {
      env: { account: ACCOUNT, region: REGION },
      bundleDir: await ensureBundles(),
      config: EXAMPLE_CONFIG as never,
    });
    hub = new AlbWardenHub(hubStack, 'Hub', {
      warden: hubStack.warden,
      organizationId: ORG,
      organizationalUnitIds: ['ou-ab12-cdefgh34'],
      regions: ['ap-northeast-2', 'eu-west-1'],
      externalId: EXTERNAL_ID,
    });
    template = Template.fromStack(hubStack);
  });

  it('deploys the member template with service-managed permissions to the OUs and regions, automatically', () => {
    const stackSets = Object.values(template.findResources('AWS::CloudFormation::StackSet'));
    expect(stackSets).toHaveLength(1);
    const properties = stackSets[0]?.Properties as Record<string, unknown>;
    expect(properties).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdefgh34'] },
          Regions: ['ap-northeast-2', 'eu-west-1'],
        },
      ],
    });
    expect(JSON.parse(String(properties.TemplateBody))).toEqual(hub.memberTemplate);
    const { resolve } = resolver(template);
    const [parameter] = resolve(properties.Parameters) as { ParameterKey: string; ParameterValue: string }[];
    expect(parameter?.ParameterKey).toBe('HubRoleArns');
    const roleArns = ['register', 'guard', 'sweep-worker'].map((name) =>
      resolve(hubStack.resolve(hubStack.roles[name as 'sweep-worker'].role.roleArn)),
    );
    expect(parameter?.ParameterValue.split(',')).toEqual(roleArns);
  });

  it("names the hub's account, event bus and organization in the member template", () => {
    const text = JSON.stringify(hub.memberTemplate);
    expect(text).toContain(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`);
    expect(text).toContain(`"aws:PrincipalOrgID":"${ORG}"`);
    expect(text).toContain(`"sts:ExternalId":"${EXTERNAL_ID}"`);
  });

  it("lets the organization's accounts put events on the hub's default bus", () => {
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      StatementId: 'AlbWardenMembers',
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
      },
    });
  });

  it("lets each function role that acts in members assume member roles of the organization's accounts only", async () => {
    const { arn } = resolver(template);
    for (const name of ['register', 'guard', 'sweep-worker'] as const) {
      const roleId = hubStack.getLogicalId(hubStack.roles[name].role.node.defaultChild as never);
      const policies = rolePolicies(template, roleId);
      const ask = (resource: string, org: string) =>
        decide(arn(roleId), policies, {
          action: 'sts:AssumeRole',
          resource,
          context: { 'aws:ResourceOrgID': org },
        });
      expect(await ask(memberRoleArn('333333333333', 'eu-west-1'), ORG)).toBe('Allowed');
      expect(await ask(memberRoleArn('333333333333', 'eu-west-1'), 'o-zzzzzzzzzz')).toBe('ImplicitlyDenied');
      expect(await ask('arn:aws:iam::333333333333:role/Admin', ORG)).toBe('ImplicitlyDenied');
    }
    // The scheduler only queues bindings: it assumes no member role.
    const scheduler = hubStack.getLogicalId(hubStack.roles.sweep.role.node.defaultChild as never);
    const asScheduler = await decide(arn(scheduler), rolePolicies(template, scheduler), {
      action: 'sts:AssumeRole',
      resource: memberRoleArn('333333333333', 'eu-west-1'),
      context: { 'aws:ResourceOrgID': ORG },
    });
    expect(asScheduler).toBe('ImplicitlyDenied');
  });

  it('is clean under cdk-nag AwsSolutions', () => {
    expect(new AwsSolutionsChecks().validateScope(hubStack).violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('lets the scheduler assume member roles, and record and alert, once it discovers inside members', async () => {
    // Prepare
    const config = {
      ...EXAMPLE_CONFIG,
      members: [
        {
          account: '333333333333',
          regions: ['eu-west-1'],
          discovery: [{ name: 'fleet', selector: { tags: { 'alb-warden:guard': 'true' } } }],
        },
      ],
    };
    const stack = new WardenStack(flaggedApp(), 'Discovering', {
      env: { account: ACCOUNT, region: REGION },
      bundleDir: await ensureBundles(),
      config: config as never,
    });
    new AlbWardenHub(stack, 'Hub', {
      warden: stack.warden,
      organizationId: ORG,
      organizationalUnitIds: ['ou-ab12-cdefgh34'],
      regions: ['eu-west-1'],
    });
    const discovering = Template.fromStack(stack);
    const scheduler = stack.getLogicalId(stack.roles.sweep.role.node.defaultChild as never);
    const policies = rolePolicies(discovering, scheduler);
    const { arn, resolve } = resolver(discovering);
    const topicArn = resolve(stack.resolve(stack.warden.alerts.topic.topicArn)) as string;
    const tableArn = resolve(stack.resolve(stack.warden.alerts.table.tableArn)) as string;

    // Act
    const ask = (action: string, resource: string, context: Record<string, string> = {}) =>
      decide(arn(scheduler), policies, {
        action,
        resource,
        context: { 'aws:SecureTransport': 'true', ...context },
      });

    // Assess
    expect(stack.warden.discoversInMembers).toBe(true);
    expect(
      await ask('sts:AssumeRole', memberRoleArn('333333333333', 'eu-west-1'), { 'aws:ResourceOrgID': ORG }),
    ).toBe('Allowed');
    expect(await ask('sns:Publish', topicArn)).toBe('Allowed');
    expect(await ask('dynamodb:PutItem', tableArn)).toBe('Allowed');
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('needs a stack with an explicit account and region, and valid OUs and regions', () => {
    const agnostic = new WardenStack(flaggedApp(), 'Agnostic', {
      bundleDir: 'dist',
      config: EXAMPLE_CONFIG as never,
    });
    const props = {
      warden: agnostic.warden,
      organizationId: ORG,
      organizationalUnitIds: ['ou-ab12-cdefgh34'],
      regions: [REGION],
    };
    expect(() => new AlbWardenHub(agnostic, 'Hub', props)).toThrow(/needs an explicit env/);
    const stack = new Stack(flaggedApp(), 'Env', { env: { account: ACCOUNT, region: REGION } });
    expect(
      () => new AlbWardenHub(stack, 'Hub', { ...props, organizationalUnitIds: ['engineering'] }),
    ).toThrow(/organizationalUnitIds\[0\]: "engineering" is not an organizational unit id/);
    expect(() => new AlbWardenHub(stack, 'Hub2', { ...props, regions: [] })).toThrow(
      /name at least one region/,
    );
  });
});
