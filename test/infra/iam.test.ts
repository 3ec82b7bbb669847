/**
 * Least privilege, proven by IAM policy simulation over the synthesized controller role: every AWS call the
 * code makes (read from functions/adapters) is allowed on the bound resources, the dangerous ones are denied,
 * and the role holds nothing the code does not use.
 */

import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { WardenStack } from '../../infra/warden-stack.ts';
import { awsCallsInAdapters, commandsOutsideAdapters } from './support/aws-calls.ts';
import { ensureBundles } from './support/bundles.ts';
import {
  allowedActions,
  type Decision,
  decide,
  type Policy,
  resolver,
  rolePolicies,
  wildcardOnly,
} from './support/iam.ts';
import { ENV, EXAMPLE_CONFIG, flaggedApp, logicalId, type Synthesized, synth } from './support/synth.ts';

// Synthesizing an app takes a second or two, more on a loaded CI machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const ELB = 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012';
const BOUND = {
  loadBalancer: `${ELB}:loadbalancer/app/web-alb/50dc6c495c0c9188`,
  listener: `${ELB}:listener/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
  rule: `${ELB}:listener-rule/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
  targetGroup: `${ELB}:targetgroup/web-8080/73e2d6bc24d8a067`,
};
const OTHER = {
  loadBalancer: `${ELB}:loadbalancer/app/billing-alb/1111111111111111`,
  listener: `${ELB}:listener/app/billing-alb/1111111111111111/2222222222222222`,
  rule: `${ELB}:listener-rule/app/billing-alb/1111111111111111/2222222222222222/3333333333333333`,
  targetGroup: `${ELB}:targetgroup/billing/4444444444444444`,
  topic: 'arn:aws:sns:ap-northeast-2:123456789012:someone-elses-topic',
  table: 'arn:aws:dynamodb:ap-northeast-2:123456789012:table/someone-elses-table',
};

/**
 * Permissions the role holds that no adapter call names, each for a reason outside the code's own calls.
 */
const GRANTED_BEYOND_THE_CODE: Readonly<Record<string, string>> = {
  'kms:Decrypt': 'publishing to the KMS-encrypted alert topic (SNS calls KMS for the publisher)',
  'kms:GenerateDataKey*': 'publishing to the KMS-encrypted alert topic',
  'sqs:SendMessage': "Lambda's asynchronous dead-letter queue, written by Lambda with the function's role",
  'logs:CreateLogStream': "the functions' own log groups",
  'logs:PutLogEvents': "the functions' own log groups",
};

const calls = awsCallsInAdapters();

let seed: Synthesized;
let policies: Policy[];
let principal: string;
let topicArn: string;
let tableArn: string;
let keyArn: string;
let topicPolicy: unknown;
let keyPolicy: unknown;

beforeAll(async () => {
  seed = await synth();
  const template = seed.wardenTemplate;
  const role = logicalId(seed.warden.controllerRole.role);
  const { resolve, arn } = resolver(template);
  policies = rolePolicies(template, role);
  principal = arn(role);
  topicArn = resolve(seed.warden.resolve(seed.warden.alerts.topic.topicArn)) as string;
  tableArn = resolve(seed.warden.resolve(seed.warden.alerts.table.tableArn)) as string;
  keyArn = resolve(seed.warden.resolve(seed.warden.alerts.key.keyArn)) as string;
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  topicPolicy = resolve(
    Object.values(resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy')?.Properties.PolicyDocument,
  );
  keyPolicy = resolve(resources[logicalId(seed.warden.alerts.key)]?.Properties.KeyPolicy);
}, 60_000);

/** The resource policy AWS evaluates alongside the role's for a request on `resource`. */
const resourcePolicyFor = (resource: string) =>
  resource === topicArn ? topicPolicy : resource === keyArn ? keyPolicy : undefined;

const ask = (action: string, resource: string, rolePolicies = policies): Promise<Decision | 'invalid'> =>
  decide(principal, rolePolicies, {
    action,
    resource,
    resourcePolicy: resourcePolicyFor(resource),
    context: { 'aws:SecureTransport': 'true' },
  });

/** The bound resources of every kind; each action is tried on those of a type it takes. */
const boundCandidates = () => [
  BOUND.loadBalancer,
  BOUND.listener,
  BOUND.rule,
  BOUND.targetGroup,
  topicArn,
  tableArn,
];

describe('the AWS calls the code makes', () => {
  it('are found in functions/adapters, each mapped to an IAM action through its SDK client', () => {
    expect(
      calls.length,
      'no `new XCommand(` found in functions/adapters: the IAM proof below would prove nothing',
    ).toBeGreaterThan(0);
    for (const call of calls)
      expect(call.action).toMatch(/^(elasticloadbalancing|ec2|sns|dynamodb):[A-Z]\w+$/);
  });

  it('are all made from functions/adapters, so the scan sees every one', () => {
    expect(commandsOutsideAdapters()).toEqual([]);
  });

  it.each(calls.map((call) => [call.action, call.file]))(
    'allows %s (from %s) on the bound resources',
    async (action) => {
      const candidates = (await wildcardOnly(action)) ? ['*'] : boundCandidates();
      const decisions = await Promise.all(
        candidates.map(async (resource) => [resource, await ask(action, resource)] as const),
      );
      const applicable = decisions.filter(([, decision]) => decision !== 'invalid');

      expect(applicable.length, `${action} takes none of ${candidates.join(', ')}`).toBeGreaterThan(0);
      for (const [resource, decision] of applicable)
        expect(decision, `${action} on ${resource}`).toBe('Allowed');
    },
  );

  it('can use the topic’s key to publish, and nothing else', async () => {
    expect(await ask('kms:GenerateDataKey', keyArn)).toBe('Allowed');
    expect(await ask('kms:Decrypt', keyArn)).toBe('Allowed');
    expect(await ask('kms:ScheduleKeyDeletion', keyArn)).not.toBe('Allowed');
    expect(await ask('kms:Decrypt', 'arn:aws:kms:ap-northeast-2:123456789012:key/another-key')).not.toBe(
      'Allowed',
    );
  });
});

describe('what the controller must never do', () => {
  it.each([
    [
      'modify a listener of a load balancer it does not guard',
      'elasticloadbalancing:ModifyListener',
      OTHER.listener,
    ],
    [
      'create a listener on a load balancer it does not guard',
      'elasticloadbalancing:CreateListener',
      OTHER.loadBalancer,
    ],
    ['delete a rule of a load balancer it does not guard', 'elasticloadbalancing:DeleteRule', OTHER.rule],
    ['register targets in another target group', 'elasticloadbalancing:RegisterTargets', OTHER.targetGroup],
    [
      'deregister targets from another target group',
      'elasticloadbalancing:DeregisterTargets',
      OTHER.targetGroup,
    ],
    ['modify another target group', 'elasticloadbalancing:ModifyTargetGroup', OTHER.targetGroup],
    ['delete the load balancer it guards', 'elasticloadbalancing:DeleteLoadBalancer', BOUND.loadBalancer],
    ['delete a listener it guards', 'elasticloadbalancing:DeleteListener', BOUND.listener],
    ['delete the target group it guards', 'elasticloadbalancing:DeleteTargetGroup', BOUND.targetGroup],
    [
      'change the load balancer’s security groups',
      'elasticloadbalancing:SetSecurityGroups',
      BOUND.loadBalancer,
    ],
    ['publish to another topic', 'sns:Publish', OTHER.topic],
    ['write another table', 'dynamodb:PutItem', OTHER.table],
  ])('cannot %s', async (_what, action, resource) => {
    expect(await ask(action, resource)).not.toBe('Allowed');
  });

  it('cannot drop, scan or export its own state table, or stop, start or tag instances', async () => {
    for (const action of ['dynamodb:DeleteTable', 'dynamodb:Scan', 'dynamodb:UpdateTable']) {
      expect(await ask(action, tableArn), action).not.toBe('Allowed');
    }
    for (const action of ['ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:CreateTags']) {
      expect(
        await ask(action, 'arn:aws:ec2:ap-northeast-2:123456789012:instance/i-0123456789abcdef0'),
        action,
      ).not.toBe('Allowed');
    }
  });

  it('holds no permission that neither the code nor its runtime needs', () => {
    const needed = new Set([...calls.map((call) => call.action), ...Object.keys(GRANTED_BEYOND_THE_CODE)]);

    expect([...allowedActions(policies)].filter((action) => !needed.has(action))).toEqual([]);
  });
});

describe('scoping by configuration', () => {
  const binding = (overrides: Record<string, unknown>) => ({
    ...(EXAMPLE_CONFIG.bindings[0] as Record<string, unknown>),
    ...overrides,
  });
  const roleOf = async (config: Record<string, unknown>) => {
    const stack = new WardenStack(flaggedApp(), 'Variant', {
      env: ENV,
      distDir: await ensureBundles(),
      config: config as never,
    });
    return rolePolicies(Template.fromStack(stack), logicalId(stack.controllerRole.role));
  };

  it('grants no write at all to a dry-run deployment: IAM keeps it read-only too', async () => {
    const dryRun = await roleOf({ ...EXAMPLE_CONFIG, mode: 'dry-run' });
    const elb = calls
      .map((call) => call.action)
      .filter((action) => action.startsWith('elasticloadbalancing:'));

    for (const action of elb) {
      const reads = action.includes(':Describe');
      const resources = (await wildcardOnly(action)) ? ['*'] : boundCandidates().slice(0, 4);
      const decisions = (await Promise.all(resources.map((r) => ask(action, r, dryRun)))).filter(
        (d) => d !== 'invalid',
      );
      expect(
        decisions.every((d) => d === (reads ? 'Allowed' : 'ImplicitlyDenied')),
        action,
      ).toBe(true);
    }
  });

  it('lets the controller modify only target groups whose health check it enforces', async () => {
    const withoutHealthCheck = await roleOf({
      ...EXAMPLE_CONFIG,
      bindings: [binding({ healthCheck: undefined })],
    });

    expect(await ask('elasticloadbalancing:ModifyTargetGroup', BOUND.targetGroup, withoutHealthCheck)).toBe(
      'ImplicitlyDenied',
    );
    expect(await ask('elasticloadbalancing:RegisterTargets', BOUND.targetGroup, withoutHealthCheck)).toBe(
      'Allowed',
    );
  });

  it('lets the controller delete rules only where foreign rules are removed, not merely reported', async () => {
    const reportOnly = await roleOf({
      ...EXAMPLE_CONFIG,
      bindings: [binding({ http: { port: 80, foreignRules: 'report' } })],
    });

    expect(await ask('elasticloadbalancing:DeleteRule', BOUND.rule, reportOnly)).toBe('ImplicitlyDenied');
    expect(await ask('elasticloadbalancing:ModifyListener', BOUND.listener, reportOnly)).toBe('Allowed');
  });

  it('scopes writes to the Edge stack’s load balancer and group when their ARNs are only known at deploy time', async () => {
    const withEdge = await synth({ deployEdge: true });
    const edgeLb = `${ELB}:loadbalancer/app/AlbWa-LoadB-1A2B3C4D5E6F/5555555555555555`;
    const edgeTg = `${ELB}:targetgroup/AlbWar-Targe-ABCDEF123456/6666666666666666`;
    const edgePolicies = rolePolicies(
      withEdge.wardenTemplate,
      logicalId(withEdge.warden.controllerRole.role),
      {
        'AlbWardenEdge-LoadBalancerArn': edgeLb,
        'AlbWardenEdge-TargetGroupArn': edgeTg,
        'AlbWardenEdge-CertificateArn': 'arn:aws:acm:ap-northeast-2:123456789012:certificate/edge',
      },
    );
    const edgeListener = `${ELB}:listener/app/AlbWa-LoadB-1A2B3C4D5E6F/5555555555555555/7777777777777777`;
    const edgeRule = `${edgeListener.replace(':listener/', ':listener-rule/')}/8888888888888888`;

    expect(await ask('elasticloadbalancing:ModifyListener', edgeListener, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:CreateListener', edgeLb, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:DeleteRule', edgeRule, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:RegisterTargets', edgeTg, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:ModifyListener', BOUND.listener, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:ModifyListener', OTHER.listener, edgePolicies)).toBe(
      'ImplicitlyDenied',
    );
    expect(await ask('elasticloadbalancing:DeleteLoadBalancer', edgeLb, edgePolicies)).toBe(
      'ImplicitlyDenied',
    );
  });
});
