/**
 * The IAM role of one controller function, least privilege: only the actions that function calls, every write
 * only on the bound load balancers' listeners and rules and the bound target groups (by ARN, or by a tag when
 * the bindings are too many to list), reads on `*` only where IAM offers nothing narrower. The roles' ARNs are
 * what `controllerRoleArns` names, so the guard ignores the events of the controller's own writes.
 *
 * Resource types and condition keys per action: Service Authorization Reference, Elastic Load Balancing V2
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html):
 * - Describe* have no resource type: `*` is the only choice (EC2 DescribeInstances likewise, list_amazonec2.html;
 *   Auto Scaling DescribeAutoScalingGroups likewise, list_amazonec2autoscaling.html).
 * - RegisterTargets, DeregisterTargets, ModifyTargetGroup: `targetgroup`; `aws:ResourceTag/${TagKey}`.
 * - ModifyListener: `listener/app`; CreateListener: `loadbalancer/app` (the listener does not exist yet); both
 *   take `elasticloadbalancing:ListenerProtocol`, `elasticloadbalancing:SecurityPolicy` and resource tags.
 *   AddListenerCertificates: `listener/app`, resource tags only. DescribeListenerCertificates: no resource type.
 * - DeleteRule: `listener-rule/app`, with resource tags as its only condition key.
 * - CloudTrail LookupEvents has no resource type either: `*` (Service Authorization Reference, AWS CloudTrail,
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html). Only the sweep
 *   asks the event history, about drift and missing targets no event has explained yet.
 * Size: IAM counts at most 10,240 non-whitespace characters of inline policy per role ("IAM and AWS STS quotas",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); synth fails before that.
 * test/infra/iam.test.ts proves each role against the AWS calls the code makes, by policy simulation.
 */
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { policyStrength } from '../../functions/domain/tls.ts';
import { listenerArnsOf, listenerRuleArnsOf, rulesOfListener } from '../arns.ts';
import { estimatedJsonLength, findingText } from '../sizes.ts';

export type ControllerFunctionName = 'register' | 'guard' | 'sweep' | 'sweep-worker';

/** What one binding lets the controller touch. */
export interface BoundResources {
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  /** The HTTP listener, when the deployment knows it (the Edge stack's): rules are deleted on it alone. */
  readonly httpListenerArn?: string;
  /** The HTTPS listener's security policy, the one a recreated or repaired listener may get. */
  readonly sslPolicy: string;
  /** The binding enforces a health check, so the controller may modify its target group. */
  readonly enforcesHealthCheck: boolean;
  /** Foreign rules on the HTTP listener are removed (not only reported), so the controller may delete rules. */
  readonly removesForeignRules: boolean;
}

/** What IAM conditions need of a binding, known at deploy time even for one discovery will find. */
export type BindingShape = Pick<BoundResources, 'sslPolicy' | 'enforcesHealthCheck' | 'removesForeignRules'>;

/** Scope writes by a tag on the bound load balancers, listeners and target groups instead of by ARN. */
export interface GuardTag {
  readonly key: string;
  readonly value: string;
}

/** ELB reads, none with resource-level permissions. */
export const ELB_READS = {
  listeners: [
    'elasticloadbalancing:DescribeListeners',
    'elasticloadbalancing:DescribeRules',
    'elasticloadbalancing:DescribeListenerCertificates',
  ],
  targets: [
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeTargetGroupAttributes',
    'elasticloadbalancing:DescribeTargetHealth',
  ],
} as const;

/**
 * What each function does (functions/use-cases): register reacts to instance state changes and only registers
 * and deregisters targets; guard and the sweep workers reconcile the whole binding (listeners, rules, health
 * check, targets); the sweep itself only queues the due bindings for the workers, and touches no ALB.
 */
export const FUNCTION_DUTIES: Readonly<
  Record<
    ControllerFunctionName,
    {
      readonly reconciles: boolean;
      readonly listeners: boolean;
      readonly healthChecks: boolean;
      readonly eventHistory: boolean;
      readonly queuesSweeps: boolean;
    }
  >
> = {
  register: {
    reconciles: true,
    listeners: false,
    healthChecks: false,
    eventHistory: false,
    queuesSweeps: false,
  },
  guard: { reconciles: true, listeners: true, healthChecks: true, eventHistory: false, queuesSweeps: false },
  sweep: {
    reconciles: false,
    listeners: false,
    healthChecks: false,
    eventHistory: false,
    queuesSweeps: true,
  },
  'sweep-worker': {
    reconciles: true,
    listeners: true,
    healthChecks: true,
    eventHistory: true,
    queuesSweeps: false,
  },
};

/**
 * IAM's limits: a role's inline policies together, one managed policy, managed policies attached to a role (the
 * default quota; it can be raised to 20). And what the grants outside this construct take of the inline policy
 * at most (alerts, logs, dead-letter queue).
 */
export const ROLE_POLICY_LIMIT = 10_240;
export const MANAGED_POLICY_LIMIT = 6_144;
export const MANAGED_POLICIES_PER_ROLE = 10;
const OTHER_GRANTS_RESERVE = 1_500;

export interface ControllerRoleProps {
  readonly function: ControllerFunctionName;
  readonly bindings: readonly BoundResources[];
  /** Dry-run deployments get no write permission at all: IAM, not only the code, keeps them read-only. */
  readonly dryRun?: boolean;
  /** @default - writes are scoped by the bound ARNs */
  readonly guardTag?: GuardTag;
  /**
   * The discovery policies' bindings, by what their defaults make of them: the function discovers load
   * balancers by tag (`tag:GetResources`), and its writes, scoped by `guardTag`, must cover them.
   * @default - no discovery
   */
  readonly discovered?: readonly BindingShape[];
}

export class ControllerRole extends Construct {
  readonly role: iam.Role;
  /** Managed policies carrying the bound ARNs that did not fit into the role's inline policy. */
  readonly overflow: readonly iam.ManagedPolicy[];

  constructor(scope: Construct, id: string, props: ControllerRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const duties = FUNCTION_DUTIES[props.function];
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: duties.reconciles
        ? `alb-warden ${props.function}: keeps bound ALB listeners and target groups as configured`
        : `alb-warden ${props.function}: queues the bindings due for a sweep`,
    });
    // The scheduler reads no ALB or instance: its grants are the queue's (the construct adds them) and, with
    // discovery policies, the tagging API (the construct adds the state table and the topic for its alerts).
    if (!duties.reconciles) {
      if (props.discovered) {
        this.role.addToPolicy(discoverStatement());
        Validations.of(this.role).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'tag:GetResources supports no resource-level permissions (Service Authorization Reference)',
        });
      }
      this.overflow = [];
      return;
    }

    const statements = readStatements(duties);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ELB Describe*, EC2 DescribeInstances, Auto Scaling DescribeAutoScalingGroups, tag:GetResources and CloudTrail LookupEvents support no resource-level permissions (Service Authorization Reference): * is the only resource IAM accepts',
    });
    // On this construct, so they cover the role's policy and the overflow managed policies alike.
    const acknowledge: Acknowledge = (resources, reason) => {
      for (const resource of resources) {
        Validations.of(this).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${findingText(stack, resource)}]`,
          reason,
        });
      }
    };

    let groups: (readonly iam.PolicyStatement[])[] = [statements];
    if (!props.dryRun && props.guardTag) {
      const shapes = [...props.bindings, ...(props.discovered ?? [])];
      statements.push(...taggedWrites(stack, props.guardTag, duties, shapes, acknowledge));
    } else if (!props.dryRun && props.discovered) {
      throw new Error(
        `${this.node.path}: discovered load balancers are known only at run time, so their writes cannot be listed by ARN. ` +
          'Scope the permissions by tag: tag every load balancer a discovery policy selects, its listeners and its ' +
          'target group with KEY=VALUE and deploy with `-c guardTag=KEY=VALUE` (README, Discovery by tag).',
      );
    } else if (!props.dryRun) {
      const packed = packBindings(
        props.bindings,
        (chunk) =>
          estimatedJsonLength(stack, new iam.PolicyDocument({ statements: listedWrites(duties, chunk) })),
        ROLE_POLICY_LIMIT -
          OTHER_GRANTS_RESERVE -
          estimatedJsonLength(stack, new iam.PolicyDocument({ statements })),
      );
      if (packed.length > 1 + MANAGED_POLICIES_PER_ROLE) {
        throw new Error(
          `${this.node.path}: listing the ${props.bindings.length} bound load balancers and target groups by ARN ` +
            `would take the ${props.function} function's role ${packed.length - 1} managed policies beside its ` +
            `inline policy; IAM allows ${ROLE_POLICY_LIMIT} characters inline and ${MANAGED_POLICIES_PER_ROLE} ` +
            `managed policies of ${MANAGED_POLICY_LIMIT} characters per role. Scope the permissions by tag ` +
            'instead: tag every bound load balancer, its listeners and its target group with KEY=VALUE and deploy ' +
            'with `-c guardTag=KEY=VALUE` (README, Deploy).',
        );
      }
      groups = packed.map((chunk, index) => {
        const writes = listedWrites(duties, chunk, acknowledge);
        return index === 0 ? [...statements, ...writes] : writes;
      });
    }
    const [inline = [], ...managed] = groups;
    for (const statement of inline) this.role.addToPrincipalPolicy(statement);
    this.overflow = managed.map(
      (group, index) =>
        new iam.ManagedPolicy(this, `BoundWrites${index + 1}`, {
          description: `alb-warden ${props.function}: writes on bound resources (part ${index + 2})`,
          statements: [...group],
          roles: [this.role],
        }),
    );
  }
}

/** Discovery by tag (the scheduler's, and a member role's): GetResources takes no resource narrower than `*`. */
export function discoverStatement(): iam.PolicyStatement {
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonresourcegroupstaggingapi.html
  return new iam.PolicyStatement({
    sid: 'DiscoverTaggedLoadBalancers',
    actions: ['tag:GetResources'],
    resources: ['*'],
  });
}

/** The reads a function with these duties makes; none of them takes a resource narrower than `*`. */
export function readStatements(duties: Duties): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ReadLoadBalancers',
      actions: [...ELB_READS.targets, ...(duties.listeners ? ELB_READS.listeners : [])],
      resources: ['*'],
    }),
    new iam.PolicyStatement({ sid: 'ReadInstances', actions: ['ec2:DescribeInstances'], resources: ['*'] }),
    // Every function asks whether an instance's Auto Scaling group has a bound target group attached.
    new iam.PolicyStatement({
      sid: 'ReadScalingGroups',
      actions: ['autoscaling:DescribeAutoScalingGroups'],
      resources: ['*'],
    }),
    ...(duties.eventHistory
      ? [
          new iam.PolicyStatement({
            sid: 'ReadEventHistory',
            actions: ['cloudtrail:LookupEvents'],
            resources: ['*'],
          }),
        ]
      : []),
  ];
}

/** The cdk-nag acknowledgement of `readStatements`' `*`, on the role that holds them. */
export function acknowledgeReads(role: iam.IRole): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ELB Describe*, EC2 DescribeInstances, Auto Scaling DescribeAutoScalingGroups, tag:GetResources and CloudTrail LookupEvents support no resource-level permissions (Service Authorization Reference): * is the only resource IAM accepts',
  });
}

/**
 * Splits the bindings into groups whose statements fit a policy each: the first the role's inline policy
 * (`firstLimit`), the others a managed policy. In order; each group as large as fits, found by doubling and
 * bisection so a hundred bindings take a few dozen sizings, not thousands.
 */
function packBindings(
  bindings: readonly BoundResources[],
  sizeOf: (chunk: readonly BoundResources[]) => number,
  firstLimit: number,
): (readonly BoundResources[])[] {
  const groups: (readonly BoundResources[])[] = [];
  let start = 0;
  // Past the quota the caller fails: no need to size the rest.
  while (start < bindings.length && groups.length <= MANAGED_POLICIES_PER_ROLE) {
    const limit = groups.length === 0 ? firstLimit : MANAGED_POLICY_LIMIT;
    const fits = (count: number) => sizeOf(bindings.slice(start, start + count)) <= limit;
    const remaining = bindings.length - start;
    let good = 1;
    let bad = remaining + 1;
    for (let probe = 2; probe < bad; probe *= 2) {
      if (!fits(probe)) {
        bad = probe;
        break;
      }
      good = probe;
    }
    while (bad - good > 1) {
      const middle = Math.floor((good + bad) / 2);
      if (fits(middle)) good = middle;
      else bad = middle;
    }
    groups.push(bindings.slice(start, start + good));
    start += good;
  }
  if (start < bindings.length) groups.push(bindings.slice(start));
  return groups;
}

/**
 * Both keys are multivalued (ArrayOfString in the Service Authorization Reference), hence ForAllValues: a
 * request that sets a protocol or a policy must set an allowed one; one that sets neither (AddListenerCertificates
 * takes neither key, ModifyListener may leave both) changes neither. A recreated HTTPS listener gets the stronger of the configured and the last-seen policy
 * (functions/domain/tls.ts), so IAM admits every policy whose lowest TLS version is at least the weakest
 * configured one's: no request can lower the floor.
 */
const listenerConditions = (bindings: readonly BindingShape[], tagged: Record<string, string> = {}) => ({
  'ForAllValues:StringEquals': { 'elasticloadbalancing:ListenerProtocol': ['HTTP', 'HTTPS'] },
  'ForAllValues:StringLike': { 'elasticloadbalancing:SecurityPolicy': securityPoliciesFrom(bindings) },
  ...(Object.keys(tagged).length > 0 ? { StringEquals: tagged } : {}),
});

/**
 * Predefined policy names by their lowest TLS version ("Security policies for your Application Load Balancer",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
 */
const POLICIES_BY_LOWEST_TLS: readonly (readonly [number, readonly string[]])[] = [
  [13, ['ELBSecurityPolicy-TLS13-1-3-*']],
  [12, ['ELBSecurityPolicy-TLS13-1-2-*', 'ELBSecurityPolicy-FS-1-2-*', 'ELBSecurityPolicy-TLS-1-2-*']],
  [11, ['ELBSecurityPolicy-TLS13-1-1-*', 'ELBSecurityPolicy-FS-1-1-*', 'ELBSecurityPolicy-TLS-1-1-*']],
];

function securityPoliciesFrom(bindings: readonly BindingShape[]): string[] {
  const floor = Math.min(...bindings.map((b) => Math.floor(policyStrength(b.sslPolicy) / 100)));
  if (floor < 11) return ['ELBSecurityPolicy-*'];
  return POLICIES_BY_LOWEST_TLS.filter(([tls]) => tls >= floor).flatMap(([, names]) => names);
}

export interface Duties {
  readonly listeners: boolean;
  readonly healthChecks: boolean;
  /** Looks up CloudTrail event history (the sweep workers). */
  readonly eventHistory?: boolean;
}

export type Acknowledge = (resources: readonly string[], reason: string) => void;

/** Writes on the bound ARNs, listed. */
function listedWrites(
  duties: Duties,
  bindings: readonly BoundResources[],
  acknowledge: Acknowledge = () => undefined,
): iam.PolicyStatement[] {
  const unique = (values: readonly string[]) => [...new Set(values)];
  const statements = [
    new iam.PolicyStatement({
      sid: 'RegisterBoundTargets',
      actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      resources: unique(bindings.map((b) => b.targetGroupArn)),
    }),
  ];
  const checked = unique(bindings.filter((b) => b.enforcesHealthCheck).map((b) => b.targetGroupArn));
  if (duties.healthChecks && checked.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'EnforceBoundHealthChecks',
        actions: ['elasticloadbalancing:ModifyTargetGroup'],
        resources: checked,
      }),
    );
  }
  if (!duties.listeners) return statements;

  const loadBalancers = unique(bindings.map((b) => b.loadBalancerArn));
  const listeners = loadBalancers.map(listenerArnsOf);
  statements.push(
    new iam.PolicyStatement({
      sid: 'RepairBoundListeners',
      // AddListenerCertificates: a recreated HTTPS listener gets its SNI certificates back.
      actions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:AddListenerCertificates'],
      resources: listeners,
      conditions: listenerConditions(bindings),
    }),
    new iam.PolicyStatement({
      sid: 'RecreateBoundListeners',
      actions: ['elasticloadbalancing:CreateListener'],
      resources: loadBalancers,
      conditions: listenerConditions(bindings),
    }),
  );
  acknowledge(
    listeners,
    'A bound load balancer’s listener ids change when a listener is recreated (the controller recreates deleted listeners), so its listeners are named by the load balancer’s ARN and a trailing wildcard',
  );

  const removing = bindings.filter((b) => b.removesForeignRules);
  const known = unique(
    removing.flatMap((b) => (b.httpListenerArn ? [rulesOfListener(b.httpListenerArn)] : [])),
  );
  const unknown = unique(
    removing.filter((b) => !b.httpListenerArn).map((b) => listenerRuleArnsOf(b.loadBalancerArn)),
  );
  if (known.length + unknown.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'RemoveForeignRules',
        actions: ['elasticloadbalancing:DeleteRule'],
        resources: [...known, ...unknown],
      }),
    );
  }
  acknowledge(
    known,
    'Foreign rules are deleted from the HTTP listener alone; their ids are unknown until someone adds them, hence the trailing wildcard after the listener’s ARN',
  );
  acknowledge(
    unknown,
    'A load balancer bound by ARN names no listener, so IAM cannot tell its HTTP listener’s rules from the HTTPS one’s: rules of the bound load balancer only',
  );
  return statements;
}

/**
 * Writes on this account and region's ALB resources that carry the guard tag: a policy of fixed size for
 * any number of bindings. Rules are the exception: a foreign rule is someone else's and carries no tag.
 */
export function taggedWrites(
  stack: Stack,
  tag: GuardTag,
  duties: Duties,
  bindings: readonly BindingShape[],
  acknowledgeAll: Acknowledge,
): iam.PolicyStatement[] {
  const elb = (resource: string) =>
    stack.formatArn({
      service: 'elasticloadbalancing',
      resource,
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  const tagged = { StringEquals: { [`aws:ResourceTag/${tag.key}`]: tag.value } };
  const statements = [
    new iam.PolicyStatement({
      sid: 'RegisterTaggedTargets',
      actions: [
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets',
        ...(duties.healthChecks && bindings.some((b) => b.enforcesHealthCheck)
          ? ['elasticloadbalancing:ModifyTargetGroup']
          : []),
      ],
      resources: [elb('targetgroup')],
      conditions: tagged,
    }),
  ];
  const acknowledge = (resource: string, reason: string) => acknowledgeAll([resource], reason);
  acknowledge(
    elb('targetgroup'),
    `Too many bindings to list by ARN: target groups of this account and region carrying the tag ${tag.key}=${tag.value} only`,
  );
  if (!duties.listeners) return statements;

  statements.push(
    new iam.PolicyStatement({
      sid: 'RepairTaggedListeners',
      actions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:AddListenerCertificates'],
      resources: [elb('listener/app')],
      conditions: listenerConditions(bindings, tagged.StringEquals),
    }),
    new iam.PolicyStatement({
      sid: 'RecreateTaggedListeners',
      actions: ['elasticloadbalancing:CreateListener'],
      resources: [elb('loadbalancer/app')],
      conditions: listenerConditions(bindings, tagged.StringEquals),
    }),
  );
  acknowledge(
    elb('listener/app'),
    `Too many bindings to list by ARN: listeners of this account and region carrying the tag ${tag.key}=${tag.value} only`,
  );
  acknowledge(
    elb('loadbalancer/app'),
    `Too many bindings to list by ARN: load balancers of this account and region carrying the tag ${tag.key}=${tag.value} only`,
  );
  if (bindings.some((b) => b.removesForeignRules)) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'RemoveForeignRules',
        actions: ['elasticloadbalancing:DeleteRule'],
        resources: [elb('listener-rule/app')],
      }),
    );
    acknowledge(
      elb('listener-rule/app'),
      'A foreign rule is added by someone else and carries no tag, and DeleteRule takes no other condition key: with tag scoping, rules of this account and region’s ALBs (set foreignRules to report to withhold it)',
    );
  }
  return statements;
}
