/**
 * Builders for observed AWS state in the seed topology's terms. Shapes follow what ELB's Describe* calls
 * return (ELB API reference: Listener, Rule, Action), including the defaults AWS fills in.
 */
import { parseConfig, type WardenConfig, type WardenConfigInput } from '../../functions/config.ts';
import type { RenderedAlert } from '../../functions/domain/alerts.ts';
import type { Action, Instance, Listener, Rule, TargetHealth } from '../../functions/domain/model.ts';
import type { RegistrationObservation } from '../../functions/domain/registration-plan.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'ap-northeast-2';
export const LB_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/web-alb/50dc6c495c0c9188`;
export const TG_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/web-8080/73e2d6bc24d8a067`;
export const OTHER_TG_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/canary/0a1b2c3d4e5f6a7b`;
export const HTTP_LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const HTTPS_LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/web-alb/50dc6c495c0c9188/0467ef3c8400ae65`;
export const CERT_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/3f4e6a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b`;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:alb-warden-alerts`;
export const CONTROLLER_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/AlbWarden-GuardFunctionRole-1A2B3C4D5E6F`;
export const VPC_ID = 'vpc-0a1b2c3d4e5f60718';

export function seedConfig(
  overrides: Partial<WardenConfigInput> = {},
  binding: Record<string, unknown> = {},
): WardenConfig {
  return parseConfig({
    controllerRoleArns: [CONTROLLER_ROLE_ARN],
    alerts: { topicArn: TOPIC_ARN, stateTable: 'alb-warden-alert-state' },
    approvedActors: [`arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-*`],
    // Drift found by a sweep is repaired at once here; the wait for a late approved event has its own tests.
    approvalGraceMinutes: 0,
    ...overrides,
    bindings: [
      {
        name: 'web',
        loadBalancerArn: LB_ARN,
        targetGroupArn: TG_ARN,
        instanceSelector: { tags: { Role: 'web' } },
        https: { certificateArn: CERT_ARN },
        healthCheck: { path: '/', matcher: '404' },
        ...binding,
      },
    ],
  });
}

/** The redirect as DescribeListeners reports it: every placeholder filled in. */
export const redirect301: Action = {
  Type: 'redirect',
  RedirectConfig: {
    Protocol: 'HTTPS',
    Port: '443',
    Host: '#{host}',
    Path: '/#{path}',
    Query: '#{query}',
    StatusCode: 'HTTP_301',
  },
};

/** A forward as DescribeListeners reports it: both TargetGroupArn and ForwardConfig. */
export function forwardTo(targetGroupArn: string = TG_ARN): Action {
  return {
    Type: 'forward',
    TargetGroupArn: targetGroupArn,
    ForwardConfig: {
      TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
}

export function httpListener(
  defaultActions: readonly Action[] = [redirect301],
  overrides: Partial<Listener> = {},
): Listener {
  return {
    arn: HTTP_LISTENER_ARN,
    loadBalancerArn: LB_ARN,
    port: 80,
    protocol: 'HTTP',
    certificateArns: [],
    defaultActions,
    ...overrides,
  };
}

export function httpsListener(
  defaultActions: readonly Action[] = [forwardTo()],
  overrides: Partial<Listener> = {},
): Listener {
  return {
    arn: HTTPS_LISTENER_ARN,
    loadBalancerArn: LB_ARN,
    port: 443,
    protocol: 'HTTPS',
    sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    certificateArns: [CERT_ARN],
    defaultActions,
    ...overrides,
  };
}

export function defaultRule(actions: readonly Action[] = [redirect301]): Rule {
  return {
    arn: `${HTTP_LISTENER_ARN.replace(':listener/', ':listener-rule/')}/0000000000000000`,
    priority: 'default',
    isDefault: true,
    conditions: [],
    actions,
  };
}

export function rule(
  priority: number,
  actions: readonly Action[],
  id = `9683b2d02a6cab${priority.toString(16).padStart(2, '0')}`,
): Rule {
  return {
    arn: `${HTTP_LISTENER_ARN.replace(':listener/', ':listener-rule/')}/${id}`,
    priority: String(priority),
    isDefault: false,
    conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
    actions,
  };
}

export function instance(id: string, overrides: Partial<Instance> = {}): Instance {
  return {
    id,
    state: 'running',
    vpcId: VPC_ID,
    availabilityZone: `${REGION}a`,
    tags: { Role: 'web' },
    ...overrides,
  };
}

export function health(
  id: string,
  state: TargetHealth['state'] = 'healthy',
  extra: Partial<TargetHealth> = {},
): TargetHealth {
  return { id, port: 8080, state, ...extra };
}

/** What registration plans from for the seed binding: nothing observed yet, `overrides` on top. */
export function registrationInput(overrides: Partial<RegistrationObservation>): RegistrationObservation {
  const [binding] = seedConfig().bindings;
  if (!binding) throw new Error('the seed configuration has a binding');
  return {
    binding,
    targetGroupVpcId: VPC_ID,
    matching: [],
    registered: [],
    owned: new Set<string>(),
    maxDeregisterFraction: 0.5,
    ...overrides,
  };
}

/** An alert as the SNS publisher receives it. */
export const RENDERED_ALERT: RenderedAlert = {
  id: '0f1e2d3c4b5a6978',
  subject: '[CRITICAL] web: no healthy target in web-8080',
  text: 'Target group web-8080 has 2 registered targets and none is healthy.',
  document: { schema: 'alb-warden.alert/v1', kind: 'NoHealthyTargets' },
  attributes: { severity: 'critical', kind: 'NoHealthyTargets', binding: 'web' },
};
