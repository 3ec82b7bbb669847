/** ARN helpers: ELB ARNs carry their load balancer's id, which is how events are mapped to bindings. */

export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** Splits an ARN into its parts; undefined when `value` is not an ARN. */
export function arnParts(value: string): ArnParts | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

/**
 * The `app/NAME/ID` part shared by a load balancer ARN and the ARNs of its listeners and rules
 * (`loadbalancer/app/N/I`, `listener/app/N/I/L`, `listener-rule/app/N/I/L/R`), prefixed by
 * partition, region and account so two accounts' balancers never collide.
 */
export function loadBalancerKey(value: string): string | undefined {
  const parts = arnParts(value);
  if (parts?.service !== 'elasticloadbalancing') return undefined;
  const match = /^(?:loadbalancer|listener|listener-rule)\/(app\/[^/]+\/[^/]+)(?:\/|$)/.exec(parts.resource);
  if (!match) return undefined;
  return `${parts.partition}:${parts.region}:${parts.account}:${match[1]}`;
}

/** The listener ARN a rule ARN belongs to (`listener-rule/app/N/I/L/R` → `listener/app/N/I/L`). */
export function listenerArnOfRule(ruleArn: string): string | undefined {
  const match =
    /^(arn:[^:]+:elasticloadbalancing:[^:]+:\d{12}:)listener-rule\/(app\/[^/]+\/[^/]+\/[^/]+)\/[^/]+$/.exec(
      ruleArn,
    );
  return match ? `${match[1]}listener/${match[2]}` : undefined;
}
