/**
 * The one IAM role the three functions share, least privilege: every write only on the bound load balancers'
 * listeners and rules and the bound target groups; reads on `*` only where IAM offers nothing narrower.
 * Its ARN is what `controllerRoleArns` names, so the guard ignores the events of its own writes.
 *
 * Resource types per action: Service Authorization Reference, Elastic Load Balancing V2
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html):
 * - Describe* have no resource type: `*` is the only choice.
 * - RegisterTargets, DeregisterTargets, ModifyTargetGroup: `targetgroup`.
 * - ModifyListener: `listener/app`; DeleteRule: `listener-rule/app`.
 * - CreateListener: `loadbalancer/app` (the listener does not exist yet; its load balancer is the resource).
 * EC2 DescribeInstances has no resource type either (list_amazonec2.html).
 * test/infra/iam.test.ts proves this policy against the AWS calls the code makes, by policy simulation.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { listenerArnsOf, listenerRuleArnsOf } from '../arns.ts';

/** What the role may touch for one binding. */
export interface BoundResources {
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  /** The binding enforces a health check, so the controller may modify its target group. */
  readonly enforcesHealthCheck: boolean;
  /** Foreign rules on the HTTP listener are removed (not only reported), so the controller may delete rules. */
  readonly removesForeignRules: boolean;
}

export interface ControllerRoleProps {
  readonly bindings: readonly BoundResources[];
  /**
   * Dry-run deployments get no write permission at all: IAM, not only the code, keeps them read-only.
   * @default false
   */
  readonly dryRun?: boolean;
}

/** ELB reads the controller makes: none of them supports resource-level permissions. */
export const ELB_READ_ACTIONS = [
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
] as const;

export class ControllerRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ControllerRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'alb-warden controller: keeps bound ALB listeners and target groups as configured',
    });
    const wildcards = new Set<string>();
    const allow = (sid: string, actions: readonly string[], resources: readonly string[]) => {
      if (resources.length === 0) return;
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid, actions: [...actions], resources: [...resources] }),
      );
      for (const resource of resources) {
        const flat = flattenCfnReference(Stack.of(this).resolve(resource));
        if (flat.includes('*')) wildcards.add(flat);
      }
    };

    allow('ReadLoadBalancers', ELB_READ_ACTIONS, ['*']);
    allow('ReadInstances', ['ec2:DescribeInstances'], ['*']);

    if (!props.dryRun) {
      const unique = (values: string[]) => [...new Set(values)];
      const lbs = unique(props.bindings.map((b) => b.loadBalancerArn));
      allow(
        'RegisterBoundTargets',
        ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        unique(props.bindings.map((b) => b.targetGroupArn)),
      );
      allow(
        'EnforceBoundHealthChecks',
        ['elasticloadbalancing:ModifyTargetGroup'],
        unique(props.bindings.filter((b) => b.enforcesHealthCheck).map((b) => b.targetGroupArn)),
      );
      allow('RepairBoundListeners', ['elasticloadbalancing:ModifyListener'], lbs.map(listenerArnsOf));
      allow('RecreateBoundListeners', ['elasticloadbalancing:CreateListener'], lbs);
      allow(
        'RemoveForeignRules',
        ['elasticloadbalancing:DeleteRule'],
        unique(props.bindings.filter((b) => b.removesForeignRules).map((b) => b.loadBalancerArn)).map(
          listenerRuleArnsOf,
        ),
      );
    }

    // cdk-nag v3 acknowledges each wildcard finding on its own; every one here is deliberate.
    for (const flat of wildcards) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flat}]`,
        reason:
          flat === '*'
            ? 'ELB Describe* and EC2 DescribeInstances support no resource-level permissions (Service Authorization Reference): * is the only resource IAM accepts'
            : 'Listener and rule ids of a bound load balancer change when a listener is recreated (the controller recreates deleted listeners), so they are scoped to the bound load balancer with a trailing wildcard',
      });
    }
  }
}
