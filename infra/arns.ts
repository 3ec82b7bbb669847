/**
 * ELB ARNs as IAM resources and CloudWatch dimensions, for literal ARNs and for deploy-time tokens alike
 * (a token is taken apart with Fn::Split / Fn::Select when CloudFormation resolves it).
 *
 * ARN formats: Service Authorization Reference, "Resource types defined by Elastic Load Balancing V2"
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html):
 *   loadbalancer/app/NAME/ID, listener/app/NAME/ID/LISTENER, listener-rule/app/NAME/ID/LISTENER/RULE,
 *   targetgroup/NAME/ID.
 * Dimensions: "CloudWatch metrics for your Application Load Balancer"
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
 *   LoadBalancer = app/NAME/ID, TargetGroup = targetgroup/NAME/ID.
 */
import { Fn, Token } from 'aws-cdk-lib';

const LB_SEPARATOR = ':loadbalancer/';

/** Every listener of the load balancer: a listener recreated after a deletion gets a new id, so `*`. */
export function listenerArnsOf(loadBalancerArn: string): string {
  return siblingArn(loadBalancerArn, 'listener', '/*');
}

/** Every rule of every listener of the load balancer. */
export function listenerRuleArnsOf(loadBalancerArn: string): string {
  return siblingArn(loadBalancerArn, 'listener-rule', '/*/*');
}

/** Every rule of one listener: `…:listener/app/NAME/ID/LISTENER` → `…:listener-rule/app/NAME/ID/LISTENER/*`. */
export function rulesOfListener(listenerArn: string): string {
  if (Token.isUnresolved(listenerArn)) {
    const parts = Fn.split(':listener/', listenerArn);
    return Fn.join('', [Fn.select(0, parts), ':listener-rule/', Fn.select(1, parts), '/*']);
  }
  const match = /^(arn:[^:]+:elasticloadbalancing:[^:]+:\d{12}):listener\/(app\/[^/]+\/[^/]+\/[^/]+)$/.exec(
    listenerArn,
  );
  if (!match) throw new Error(`${listenerArn} is not an Application Load Balancer listener ARN`);
  return `${match[1]}:listener-rule/${match[2]}/*`;
}

/** The `LoadBalancer` dimension value: `app/NAME/ID`. */
export function loadBalancerDimension(loadBalancerArn: string): string {
  if (Token.isUnresolved(loadBalancerArn)) return Fn.select(1, Fn.split(LB_SEPARATOR, loadBalancerArn));
  return literalParts(loadBalancerArn).suffix;
}

/** The `TargetGroup` dimension value: `targetgroup/NAME/ID`, the ARN's last `:` field. */
export function targetGroupDimension(targetGroupArn: string): string {
  if (Token.isUnresolved(targetGroupArn)) return Fn.select(5, Fn.split(':', targetGroupArn));
  const match = /^arn:[^:]+:elasticloadbalancing:[^:]+:\d{12}:(targetgroup\/[^/]+\/[^/]+)$/.exec(
    targetGroupArn,
  );
  if (!match?.[1]) throw new Error(`${targetGroupArn} is not a target group ARN (…:targetgroup/NAME/ID)`);
  return match[1];
}

function siblingArn(loadBalancerArn: string, kind: string, tail: string): string {
  if (Token.isUnresolved(loadBalancerArn)) {
    const parts = Fn.split(LB_SEPARATOR, loadBalancerArn);
    return Fn.join('', [Fn.select(0, parts), `:${kind}/`, Fn.select(1, parts), tail]);
  }
  const { prefix, suffix } = literalParts(loadBalancerArn);
  return `${prefix}:${kind}/${suffix}${tail}`;
}

function literalParts(loadBalancerArn: string): { prefix: string; suffix: string } {
  const match = /^(arn:[^:]+:elasticloadbalancing:[^:]+:\d{12}):loadbalancer\/(app\/[^/]+\/[^/]+)$/.exec(
    loadBalancerArn,
  );
  if (!match?.[1] || !match[2]) {
    throw new Error(
      `${loadBalancerArn} is not an Application Load Balancer ARN (…:loadbalancer/app/NAME/ID)`,
    );
  }
  return { prefix: match[1], suffix: match[2] };
}
