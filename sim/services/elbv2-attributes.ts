/**
 * Target group attributes of an instance target group behind an Application Load Balancer, with AWS's
 * defaults and ranges (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html
 * and https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html).
 */
import { AwsError } from '../errors.ts';
import type { QueryInput } from '../protocols/query.ts';

type Check = (value: string) => boolean;

const integer =
  (min: number, max: number): Check =>
  (value) =>
    /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max;
const oneOf =
  (...values: string[]): Check =>
  (value) =>
    values.includes(value);
const percentage: Check = (value) => value === 'off' || integer(1, 100)(value);

/** Default value and validity of every attribute AWS reports for such a target group. */
const ATTRIBUTES: Readonly<
  Record<string, { readonly value: string; readonly valid: Check; readonly rule: string }>
> = {
  'deregistration_delay.timeout_seconds': {
    value: '300',
    valid: integer(0, 3600),
    rule: 'between 0 and 3600',
  },
  'stickiness.enabled': { value: 'false', valid: oneOf('true', 'false'), rule: 'true or false' },
  'stickiness.type': {
    value: 'lb_cookie',
    valid: oneOf('lb_cookie', 'app_cookie'),
    rule: 'lb_cookie or app_cookie',
  },
  'stickiness.lb_cookie.duration_seconds': {
    value: '86400',
    valid: integer(1, 604800),
    rule: 'between 1 and 604800',
  },
  'stickiness.app_cookie.cookie_name': { value: '', valid: () => true, rule: 'a cookie name' },
  'stickiness.app_cookie.duration_seconds': {
    value: '86400',
    valid: integer(1, 604800),
    rule: 'between 1 and 604800',
  },
  'slow_start.duration_seconds': {
    value: '0',
    valid: (value) => value === '0' || integer(30, 900)(value),
    rule: '0 (disabled) or between 30 and 900',
  },
  'load_balancing.algorithm.type': {
    value: 'round_robin',
    valid: oneOf('round_robin', 'least_outstanding_requests', 'weighted_random'),
    rule: 'round_robin, least_outstanding_requests or weighted_random',
  },
  'load_balancing.algorithm.anomaly_mitigation': {
    value: 'off',
    valid: oneOf('on', 'off'),
    rule: 'on or off',
  },
  'load_balancing.cross_zone.enabled': {
    value: 'use_load_balancer_configuration',
    valid: oneOf('true', 'false', 'use_load_balancer_configuration'),
    rule: 'true, false or use_load_balancer_configuration',
  },
  'target_group_health.dns_failover.minimum_healthy_targets.count': {
    value: '1',
    valid: (value) => value === 'off' || integer(1, 1000)(value),
    rule: 'off or a positive count',
  },
  'target_group_health.dns_failover.minimum_healthy_targets.percentage': {
    value: 'off',
    valid: percentage,
    rule: 'off or between 1 and 100',
  },
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': {
    value: '1',
    valid: integer(1, 1000),
    rule: 'a positive count',
  },
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': {
    value: 'off',
    valid: percentage,
    rule: 'off or between 1 and 100',
  },
};

export function defaultTargetGroupAttributes(): Map<string, string> {
  return new Map(Object.entries(ATTRIBUTES).map(([key, { value }]) => [key, value]));
}

/** The `Attributes.member.N` of ModifyTargetGroupAttributes, validated before any is applied. */
export function parseAttributeChanges(input: QueryInput): [string, string][] {
  const changes = input.list('Attributes').map((item): [string, string] => {
    const key = item.str('Key') ?? '';
    const value = item.str('Value') ?? '';
    const spec = ATTRIBUTES[key];
    if (!spec) throw new AwsError('ValidationError', `Attribute key '${key}' is not recognized`);
    if (!spec.valid(value)) {
      throw new AwsError(
        'InvalidConfigurationRequest',
        `Attribute '${key}' value '${value}' is not valid: it must be ${spec.rule}`,
      );
    }
    return [key, value];
  });
  if (changes.length === 0) {
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null",
    );
  }
  return changes;
}

export function attributesXml(attributes: ReadonlyMap<string, string>): { Key: string; Value: string }[] {
  return [...attributes].map(([Key, Value]) => ({ Key, Value }));
}
