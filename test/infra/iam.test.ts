/**
 * Least privilege, proven by IAM policy simulation over each function's synthesized role: every AWS call the
 * function makes (read from functions/adapters, less what its duties exclude) is allowed on the bound
 * resources, the dangerous ones are denied, and no role holds anything its function does not use.
 */

import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type ControllerFunctionName, FUNCTION_DUTIES } from '../../infra/constructs/controller-role.ts';
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
import {
  CDK_JSON,
  ENV,
  EXAMPLE_CONFIG,
  flaggedApp,
  logicalId,
  type Synthesized,
  synth,
} from './support/synth.ts';
import { WardenStack } from './support/warden-stack.ts';

const EDGE = CDK_JSON.context.edge as Record<string, unknown>;

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
  'sqs:ReceiveMessage': "the sweep queue's event source mapping, which polls with the worker's role",
  'sqs:DeleteMessage': "the sweep queue's event source mapping deletes what the worker handled",
  'sqs:ChangeMessageVisibility': "the sweep queue's event source mapping",
  'sqs:GetQueueAttributes': "the sweep queue's event source mapping",
  'sqs:GetQueueUrl': "the sweep queue's event source mapping",
  'logs:CreateLogStream': "the functions' own log groups",
  'logs:PutLogEvents': "the functions' own log groups",
};

const calls = awsCallsInAdapters();
const FUNCTIONS: readonly ControllerFunctionName[] = ['register', 'guard', 'sweep', 'sweep-worker'];
const LISTENER_CALLS = new Set([
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeListenerCertificates',
  'elasticloadbalancing:AddListenerCertificates',
  'elasticloadbalancing:CreateListener',
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:DeleteRule',
]);
/**
 * The adapter calls a function makes: the queue's for the scheduler; for the others all the rest, less the
 * listener and health-check ones their duties exclude.
 */
const callsOf = (name: ControllerFunctionName) =>
  calls.filter((call) =>
    call.action.startsWith('sqs:')
      ? FUNCTION_DUTIES[name].queuesSweeps
      : FUNCTION_DUTIES[name].reconciles &&
        (FUNCTION_DUTIES[name].listeners || !LISTENER_CALLS.has(call.action)) &&
        (FUNCTION_DUTIES[name].healthChecks || call.action !== 'elasticloadbalancing:ModifyTargetGroup') &&
        (FUNCTION_DUTIES[name].eventHistory || call.action !== 'cloudtrail:LookupEvents') &&
        // Only the sweep of a configuration with discovery policies (the example has none): its own test below.
        call.action !== 'tag:GetResources',
  );
/** What SNS sends KMS for the publisher (kms:ViaService). */
const VIA_SNS = { 'kms:ViaService': 'sns.ap-northeast-2.amazonaws.com' };
const HTTPS_REQUEST = {
  'elasticloadbalancing:ListenerProtocol': ['HTTPS'],
  'elasticloadbalancing:SecurityPolicy': ['ELBSecurityPolicy-TLS13-1-2-2021-06'],
};

let seed: Synthesized;
let roles: Record<ControllerFunctionName, { principal: string; policies: Policy[] }>;
let policies: Policy[];
let principal: string;
let topicArn: string;
let tableArn: string;
let keyArn: string;
let queueArn: string;
let topicPolicy: unknown;
let keyPolicy: unknown;

beforeAll(async () => {
  seed = await synth();
  const template = seed.wardenTemplate;
  const { resolve, arn } = resolver(template);
  roles = Object.fromEntries(
    FUNCTIONS.map((name) => {
      const role = logicalId(seed.warden.roles[name].role);
      return [name, { principal: arn(role), policies: rolePolicies(template, role) }];
    }),
  ) as typeof roles;
  ({ principal, policies } = roles['sweep-worker']);
  topicArn = resolve(Stack.of(seed.warden).resolve(seed.warden.alerts.topic.topicArn)) as string;
  tableArn = resolve(Stack.of(seed.warden).resolve(seed.warden.alerts.table.tableArn)) as string;
  keyArn = resolve(Stack.of(seed.warden).resolve(seed.warden.alerts.key.keyArn)) as string;
  queueArn = resolve(Stack.of(seed.warden).resolve(seed.warden.sweepFanout.queue.queueArn)) as string;
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

/** The decision for the sweep's role (or `rolePolicies`) on a request, as the code makes it. */
const ask = (
  action: string,
  resource: string,
  rolePolicies = policies,
  context: Record<string, string | string[]> = {},
): Promise<Decision | 'invalid'> =>
  decide(principal, rolePolicies, {
    action,
    resource,
    resourcePolicy: resourcePolicyFor(resource),
    context: {
      'aws:SecureTransport': 'true',
      ...(action.startsWith('kms:') ? VIA_SNS : {}),
      ...(/:(Create|Modify)Listener$/.test(action) ? HTTPS_REQUEST : {}),
      ...context,
    },
  });

/** The bound resources of every kind; each action is tried on those of a type it takes. */
const boundCandidates = () => [
  BOUND.loadBalancer,
  BOUND.listener,
  BOUND.rule,
  BOUND.targetGroup,
  topicArn,
  tableArn,
  queueArn,
];

describe('the AWS calls the code makes', () => {
  it('are found in functions/adapters, each mapped to an IAM action through its SDK client', () => {
    expect(
      calls.length,
      'no `new XCommand(` found in functions/adapters: the IAM proof below would prove nothing',
    ).toBeGreaterThan(0);
    for (const call of calls)
      expect(call.action).toMatch(
        /^(elasticloadbalancing|ec2|autoscaling|cloudtrail|sns|dynamodb|tag|sqs):[A-Z]\w+$/,
      );
  });

  it('are all made from functions/adapters, so the scan sees every one', () => {
    expect(commandsOutsideAdapters()).toEqual([]);
  });

  it.each(FUNCTIONS.flatMap((name) => callsOf(name).map((call) => [name, call.action, call.file] as const)))(
    'lets %s call %s (from %s) on the bound resources',
    async (name, action) => {
      const candidates = (await wildcardOnly(action)) ? ['*'] : boundCandidates();
      const decisions = await Promise.all(
        candidates.map(
          async (resource) => [resource, await ask(action, resource, roles[name].policies)] as const,
        ),
      );
      const applicable = decisions.filter(([, decision]) => decision !== 'invalid');

      expect(applicable.length, `${action} takes none of ${candidates.join(', ')}`).toBeGreaterThan(0);
      for (const [resource, decision] of applicable)
        expect(decision, `${action} on ${resource}`).toBe('Allowed');
    },
  );

  it('can use the topic’s key to publish, through SNS only, and nothing else', async () => {
    expect(await ask('kms:GenerateDataKey', keyArn)).toBe('Allowed');
    expect(await ask('kms:Decrypt', keyArn)).toBe('Allowed');
    expect(
      await ask('kms:Decrypt', keyArn, policies, { 'kms:ViaService': 'lambda.ap-northeast-2.amazonaws.com' }),
    ).not.toBe('Allowed');
    expect(await ask('kms:ScheduleKeyDeletion', keyArn)).not.toBe('Allowed');
    expect(await ask('kms:Decrypt', 'arn:aws:kms:ap-northeast-2:123456789012:key/another-key')).not.toBe(
      'Allowed',
    );
  });
});

describe('each function’s own role', () => {
  it('lets register neither read nor change listeners, rules or health checks', async () => {
    const register = roles.register.policies;
    for (const [action, resource] of [
      ['elasticloadbalancing:ModifyListener', BOUND.listener],
      ['elasticloadbalancing:CreateListener', BOUND.loadBalancer],
      ['elasticloadbalancing:DeleteRule', BOUND.rule],
      ['elasticloadbalancing:ModifyTargetGroup', BOUND.targetGroup],
      ['elasticloadbalancing:DescribeListeners', '*'],
    ] as const) {
      expect(await ask(action, resource, register), action).toBe('ImplicitlyDenied');
    }
    expect(await ask('elasticloadbalancing:RegisterTargets', BOUND.targetGroup, register)).toBe('Allowed');
  });

  it('lets only the sweep workers look up CloudTrail event history, and never change a trail', async () => {
    expect(await ask('cloudtrail:LookupEvents', '*', roles['sweep-worker'].policies)).toBe('Allowed');
    expect(await ask('cloudtrail:LookupEvents', '*', roles.sweep.policies)).toBe('ImplicitlyDenied');
    expect(await ask('cloudtrail:LookupEvents', '*', roles.guard.policies)).toBe('ImplicitlyDenied');
    expect(await ask('cloudtrail:LookupEvents', '*', roles.register.policies)).toBe('ImplicitlyDenied');
    const trail = 'arn:aws:cloudtrail:ap-northeast-2:123456789012:trail/org-trail';
    for (const action of ['cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:PutEventSelectors'])
      expect(await ask(action, trail, roles['sweep-worker'].policies), action).not.toBe('Allowed');
  });

  it('lets the sweep scheduler send to its queue and nothing else: no ALB, instance, alert or state access', async () => {
    const scheduler = roles.sweep.policies;
    const askScheduler = (action: string, resource: string) =>
      decide(roles.sweep.principal, scheduler, {
        action,
        resource,
        context: { 'aws:SecureTransport': 'true' },
      });

    expect(await askScheduler('sqs:SendMessage', queueArn)).toBe('Allowed');
    for (const [action, resource] of [
      ['sqs:ReceiveMessage', queueArn],
      ['sqs:SendMessage', 'arn:aws:sqs:ap-northeast-2:123456789012:another-queue'],
      ['elasticloadbalancing:DescribeListeners', '*'],
      ['elasticloadbalancing:RegisterTargets', BOUND.targetGroup],
      ['ec2:DescribeInstances', '*'],
      ['dynamodb:PutItem', tableArn],
      ['sns:Publish', topicArn],
    ] as const) {
      expect(await askScheduler(action, resource), action).toBe('ImplicitlyDenied');
    }
  });

  it.each(FUNCTIONS)('holds nothing %s does not call, beyond what its runtime needs', (name) => {
    const needed = new Set([
      ...callsOf(name).map((call) => call.action),
      ...Object.keys(GRANTED_BEYOND_THE_CODE),
    ]);

    expect([...allowedActions(roles[name].policies)].filter((action) => !needed.has(action))).toEqual([]);
  });

  it('creates and modifies listeners only as HTTP or HTTPS, never below the configured policy’s TLS version', async () => {
    expect(await ask('elasticloadbalancing:CreateListener', BOUND.loadBalancer)).toBe('Allowed');
    expect(
      await ask('elasticloadbalancing:CreateListener', BOUND.loadBalancer, policies, {
        'elasticloadbalancing:SecurityPolicy': ['ELBSecurityPolicy-TLS13-1-3-2021-06'],
      }),
    ).toBe('Allowed');
    expect(
      await ask('elasticloadbalancing:CreateListener', BOUND.loadBalancer, policies, {
        'elasticloadbalancing:SecurityPolicy': ['ELBSecurityPolicy-TLS-1-1-2017-01'],
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await ask('elasticloadbalancing:ModifyListener', BOUND.listener, policies, {
        'elasticloadbalancing:ListenerProtocol': ['HTTP'],
        'elasticloadbalancing:SecurityPolicy': [],
      }),
    ).toBe('Allowed');
    expect(
      await ask('elasticloadbalancing:CreateListener', BOUND.loadBalancer, policies, {
        'elasticloadbalancing:SecurityPolicy': ['ELBSecurityPolicy-2016-08'],
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await ask('elasticloadbalancing:ModifyListener', BOUND.listener, policies, {
        'elasticloadbalancing:ListenerProtocol': ['TCP'],
      }),
    ).toBe('ImplicitlyDenied');
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
});

describe('scoping by configuration', () => {
  const binding = (overrides: Record<string, unknown>) => ({
    ...(EXAMPLE_CONFIG.bindings[0] as Record<string, unknown>),
    ...overrides,
  });
  const roleOf = async (config: Record<string, unknown>) => {
    const stack = new WardenStack(flaggedApp(), 'Variant', {
      env: ENV,
      bundleDir: await ensureBundles(),
      config: config as never,
    });
    return rolePolicies(Template.fromStack(stack), logicalId(stack.roles['sweep-worker'].role));
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

  it('scopes writes to the Edge stack’s load balancer and group, read from its SSM parameters at deployment', async () => {
    const withEdge = await synth({ deployEdge: true, edge: { ...EDGE, keepConfigBindings: true } });
    const edgeLb = `${ELB}:loadbalancer/app/AlbWa-LoadB-1A2B3C4D5E6F/5555555555555555`;
    const edgeTg = `${ELB}:targetgroup/AlbWar-Targe-ABCDEF123456/6666666666666666`;
    const edgeListener = `${ELB}:listener/app/AlbWa-LoadB-1A2B3C4D5E6F/5555555555555555/7777777777777777`;
    const edgeHttpsListener = edgeListener.replace('7777777777777777', '9999999999999999');
    const edgePolicies = rolePolicies(
      withEdge.wardenTemplate,
      logicalId(withEdge.warden.roles['sweep-worker'].role),
      {
        '/alb-warden/AlbWardenEdge/load-balancer-arn': edgeLb,
        '/alb-warden/AlbWardenEdge/target-group-arn': edgeTg,
        '/alb-warden/AlbWardenEdge/certificate-arn':
          'arn:aws:acm:ap-northeast-2:123456789012:certificate/edge',
        '/alb-warden/AlbWardenEdge/http-listener-arn': edgeListener,
      },
    );
    const rule = (listener: string) =>
      `${listener.replace(':listener/', ':listener-rule/')}/8888888888888888`;

    expect(await ask('elasticloadbalancing:ModifyListener', edgeListener, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:CreateListener', edgeLb, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:DeleteRule', rule(edgeListener), edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:DeleteRule', rule(edgeHttpsListener), edgePolicies)).toBe(
      'ImplicitlyDenied',
    );
    expect(await ask('elasticloadbalancing:RegisterTargets', edgeTg, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:ModifyListener', BOUND.listener, edgePolicies)).toBe('Allowed');
    expect(await ask('elasticloadbalancing:ModifyListener', OTHER.listener, edgePolicies)).toBe(
      'ImplicitlyDenied',
    );
    expect(await ask('elasticloadbalancing:DeleteLoadBalancer', edgeLb, edgePolicies)).toBe(
      'ImplicitlyDenied',
    );
  });

  it('scopes writes by the guard tag when asked: tagged resources only', async () => {
    const stack = new WardenStack(flaggedApp(), 'Tagged', {
      env: ENV,
      bundleDir: await ensureBundles(),
      config: EXAMPLE_CONFIG as never,
      guardTag: { key: 'alb-warden', value: 'guarded' },
    });
    const tagged = rolePolicies(Template.fromStack(stack), logicalId(stack.roles['sweep-worker'].role));
    const tag = { 'aws:ResourceTag/alb-warden': 'guarded' };

    for (const [action, resource] of [
      ['elasticloadbalancing:ModifyListener', OTHER.listener],
      ['elasticloadbalancing:CreateListener', OTHER.loadBalancer],
      ['elasticloadbalancing:RegisterTargets', OTHER.targetGroup],
      ['elasticloadbalancing:ModifyTargetGroup', OTHER.targetGroup],
    ] as const) {
      expect(await ask(action, resource, tagged, tag), `${action} tagged`).toBe('Allowed');
      expect(await ask(action, resource, tagged), `${action} untagged`).toBe('ImplicitlyDenied');
      expect(
        await ask(action, resource.replace('ap-northeast-2', 'eu-west-1'), tagged, tag),
        `${action} in another region`,
      ).toBe('ImplicitlyDenied');
    }
  });
});

describe('discovery by tag', () => {
  const discovering = (guardTag?: { key: string; value: string }) =>
    new WardenStack(flaggedApp(), 'Discovering', {
      env: ENV,
      bundleDir: BUNDLE_DIR,
      config: {
        ...(EXAMPLE_CONFIG as Record<string, unknown>),
        discovery: [
          {
            name: 'fleet',
            selector: { tags: { 'alb-warden:guard': 'true' } },
            defaults: {
              instanceSelector: { tags: { Role: 'web' } },
              healthCheck: { path: '/', matcher: '200' },
            },
          },
        ],
      } as never,
      ...(guardTag ? { guardTag } : {}),
    });
  let BUNDLE_DIR: string;
  beforeAll(async () => {
    BUNDLE_DIR = await ensureBundles();
  });

  it('lets the sweep scheduler alone call tag:GetResources, and writes on tagged resources a policy finds', async () => {
    const stack = discovering({ key: 'alb-warden', value: 'guarded' });
    const template = Template.fromStack(stack);
    const of = (name: ControllerFunctionName) => rolePolicies(template, logicalId(stack.roles[name].role));
    const tag = { 'aws:ResourceTag/alb-warden': 'guarded' };

    expect(await ask('tag:GetResources', '*', of('sweep'))).toBe('Allowed');
    expect(await ask('tag:GetResources', '*', of('sweep-worker'))).toBe('ImplicitlyDenied');
    expect(await ask('tag:GetResources', '*', of('guard'))).toBe('ImplicitlyDenied');
    expect(await ask('tag:GetResources', '*', of('register'))).toBe('ImplicitlyDenied');
    expect(await ask('elasticloadbalancing:ModifyListener', OTHER.listener, of('guard'), tag)).toBe(
      'Allowed',
    );
    expect(
      await ask('elasticloadbalancing:ModifyTargetGroup', OTHER.targetGroup, of('sweep-worker'), tag),
    ).toBe('Allowed');
    expect(await ask('elasticloadbalancing:ModifyListener', OTHER.listener, of('guard'))).toBe(
      'ImplicitlyDenied',
    );
  });

  it('refuses to list writes by ARN for load balancers found only at run time', () => {
    expect(() => discovering()).toThrow(/Scope the permissions by tag.*-c guardTag=KEY=VALUE/);
  });
});
