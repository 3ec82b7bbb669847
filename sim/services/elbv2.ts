/**
 * Elastic Load Balancing v2 for Application Load Balancers: load balancers, target groups, targets and
 * their health, listeners, rules and tags.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Operations.html
 */
import { AwsError } from '../errors.ts';
import { decodeToken, encodeToken, hex } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import type { Call, Environment } from './context.ts';
import type { Ec2Service } from './ec2.ts';
import { forwardedGroups, parseActions, parseConditions } from './elbv2-actions.ts';
import { type HealthOverride, TargetHealthBook } from './elbv2-health.ts';

interface LoadBalancer {
  readonly arn: string;
  readonly name: string;
  readonly scheme: string;
  readonly vpcId: string;
  readonly zones: readonly { readonly ZoneName: string; readonly SubnetId: string }[];
  readonly securityGroups: readonly string[];
  readonly ipAddressType: string;
  readonly dnsName: string;
  readonly createdAt: number;
}

export interface TargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  readonly vpcId: string;
  readonly protocolVersion: string;
  readonly targetType: string;
  healthCheck: HealthCheck;
}

interface HealthCheck {
  readonly protocol: string;
  readonly port: string;
  readonly enabled: boolean;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly path: string;
  readonly matcher: string;
}

interface Listener {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly defaultRuleArn: string;
  port: number;
  protocol: string;
  certificates: string[];
  sslPolicy: string | undefined;
  defaultActions: XmlObject[];
}

interface Rule {
  readonly arn: string;
  readonly listenerArn: string;
  priority: number;
  conditions: XmlObject[];
  actions: XmlObject[];
}

type Handler = (input: QueryInput, call: Call) => XmlObject;

// Security policy given to an HTTPS listener created through the API without one
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-2016-08';
// Route 53 hosted zone ids of Application Load Balancers per region (ELB endpoints and quotas page).
const HOSTED_ZONES: Readonly<Record<string, string>> = {
  'us-east-1': 'Z35SXDOTRQ7X7K',
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-west-1': 'Z368ELLRRE2KJ0',
  'us-west-2': 'Z1H1FL5HABSF5',
  'ap-northeast-1': 'Z14GRHDCWA56QT',
  'ap-northeast-2': 'ZWKZPGTI48KDX',
  'ap-southeast-1': 'Z1LMS91P8CMLE5',
  'ap-southeast-2': 'Z1GM3OXH4ZPM65',
  'eu-central-1': 'Z215JYRZR1TBD5',
  'eu-west-1': 'Z32O12XQLNTSW2',
};
// The InvalidTarget description of the API reference, for ids that name no instance.
const TARGET_NOT_FOUND =
  'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.';
const NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Tag.html
const TAG_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

/** Calls CloudTrail records as writes (`readOnly: false`); the describe calls are not delivered as events. */
export const ELBV2_WRITE_ACTIONS: ReadonlySet<string> = new Set([
  'CreateLoadBalancer',
  'DeleteLoadBalancer',
  'CreateTargetGroup',
  'ModifyTargetGroup',
  'DeleteTargetGroup',
  'RegisterTargets',
  'DeregisterTargets',
  'CreateListener',
  'ModifyListener',
  'DeleteListener',
  'CreateRule',
  'ModifyRule',
  'DeleteRule',
  'SetRulePriorities',
  'AddTags',
]);

/**
 * A request value as CloudTrail types it: the members the API models as integers or booleans appear as
 * numbers and booleans (the fixtures show `priority: 1`, `port: 8080`); a redirect's Port is a string.
 */
export function elbv2CloudTrailValue(path: readonly string[], value: string): unknown {
  const member = path.at(-1) ?? '';
  if (NUMERIC_MEMBERS.has(member) && !path.includes('RedirectConfig') && /^-?\d+$/.test(value))
    return Number(value);
  if (BOOLEAN_MEMBERS.has(member) && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

const NUMERIC_MEMBERS: ReadonlySet<string> = new Set([
  'Port',
  'Priority',
  'Weight',
  'PageSize',
  'DurationSeconds',
  'HealthCheckIntervalSeconds',
  'HealthCheckTimeoutSeconds',
  'HealthyThresholdCount',
  'UnhealthyThresholdCount',
  'Order',
]);
const BOOLEAN_MEMBERS: ReadonlySet<string> = new Set(['Enabled', 'HealthCheckEnabled']);

export class Elbv2Service {
  readonly #env: Environment;
  readonly #ec2: Ec2Service;
  readonly #loadBalancers = new Map<string, LoadBalancer>();
  readonly #targetGroups = new Map<string, TargetGroup>();
  readonly #listeners = new Map<string, Listener>();
  readonly #rules = new Map<string, Rule>();
  readonly #tags = new Map<string, Map<string, string>>();
  readonly health: TargetHealthBook;

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateLoadBalancer: (input, call) => this.#createLoadBalancer(input, call),
    DescribeLoadBalancers: (input) => this.#describeLoadBalancers(input),
    DeleteLoadBalancer: (input) => this.#deleteLoadBalancer(input),
    CreateTargetGroup: (input) => this.#createTargetGroup(input),
    DescribeTargetGroups: (input) => this.#describeTargetGroups(input),
    ModifyTargetGroup: (input) => this.#modifyTargetGroup(input),
    DeleteTargetGroup: (input) => this.#deleteTargetGroup(input),
    RegisterTargets: (input, call) => this.#registerTargets(input, call),
    DeregisterTargets: (input, call) => this.#deregisterTargets(input, call),
    DescribeTargetHealth: (input, call) => this.#describeTargetHealth(input, call),
    CreateListener: (input) => this.#createListener(input),
    DescribeListeners: (input) => this.#describeListeners(input),
    ModifyListener: (input) => this.#modifyListener(input),
    DeleteListener: (input) => this.#deleteListener(input),
    CreateRule: (input) => this.#createRule(input),
    DescribeRules: (input) => this.#describeRules(input),
    ModifyRule: (input) => this.#modifyRule(input),
    DeleteRule: (input) => this.#deleteRule(input),
    SetRulePriorities: (input) => this.#setRulePriorities(input),
    AddTags: (input) => this.#addTags(input),
    DescribeTags: (input) => this.#describeTags(input),
  };

  constructor(env: Environment, ec2: Ec2Service) {
    this.#env = env;
    this.#ec2 = ec2;
    this.health = new TargetHealthBook(env, ec2);
  }

  advance(now: number): void {
    this.health.advance(now);
  }

  /** Control API: what DescribeTargetHealth reports for a target, until `state: healthy` clears it. */
  overrideHealth(targetGroupArn: string, targetId: string, override: HealthOverride | undefined): void {
    if (!this.#targetGroups.has(targetGroupArn)) {
      throw new AwsError('TargetGroupNotFound', `Target group '${targetGroupArn}' not found`);
    }
    this.health.override(targetGroupArn, targetId, override);
  }

  #arn(resource: string): string {
    return `arn:aws:elasticloadbalancing:${this.#env.region}:${this.#env.account}:${resource}`;
  }

  // ---- load balancers ----

  #createLoadBalancer(input: QueryInput, call: Call): XmlObject {
    const name = input.required('Name');
    if (!NAME.test(name) || name.startsWith('internal-')) {
      throw new AwsError(
        'ValidationError',
        `Load balancer name '${name}' must have 1-32 alphanumeric characters or hyphens, must not begin or end ` +
          "with a hyphen, and must not begin with 'internal-'",
      );
    }
    const type = input.str('Type') ?? 'application';
    if (type !== 'application') {
      throw new AwsError(
        'ValidationError',
        `The simulator supports only application load balancers, not '${type}'`,
      );
    }
    const subnetIds = [
      ...input.strings('Subnets'),
      ...input.list('SubnetMappings').map((mapping) => mapping.str('SubnetId') ?? ''),
    ];
    const subnets = subnetIds.map((id) => {
      const subnet = this.#ec2.subnet(id);
      if (!subnet) throw new AwsError('SubnetNotFound', `The subnet ID '${id}' is not valid`);
      return subnet;
    });
    const vpcId = subnets[0]?.vpcId ?? '';
    if (subnets.some((subnet) => subnet.vpcId !== vpcId)) {
      throw new AwsError('InvalidConfigurationRequest', 'All subnets must belong to the same VPC');
    }
    const zones = new Map(subnets.map((subnet) => [subnet.availabilityZone, subnet.id]));
    if (zones.size < 2) {
      throw new AwsError(
        'ValidationError',
        'At least two subnets in two different Availability Zones must be specified',
      );
    }
    const securityGroups = input.strings('SecurityGroups');
    for (const id of securityGroups) {
      if (this.#ec2.securityGroup(id)?.vpcId !== vpcId) {
        throw new AwsError('InvalidSecurityGroup', `Security group '${id}' does not exist in VPC '${vpcId}'`);
      }
    }
    const scheme = input.str('Scheme') ?? 'internet-facing';
    const ipAddressType = input.str('IpAddressType') ?? 'ipv4';
    const tags = this.#parseTags(input.list('Tags'));
    const existing = [...this.#loadBalancers.values()].find((lb) => lb.name === name);
    // CreateLoadBalancer is idempotent: the same settings return the existing load balancer.
    if (existing) {
      const same =
        existing.scheme === scheme &&
        sameMembers(
          existing.zones.map((zone) => zone.SubnetId),
          subnets.map((subnet) => subnet.id),
        );
      if (!same) {
        throw new AwsError(
          'DuplicateLoadBalancerName',
          'A load balancer with the specified name already exists.',
        );
      }
      return { LoadBalancers: [this.#loadBalancerXml(existing, 'active')] };
    }
    const id = hex(16);
    const prefix = scheme === 'internal' ? 'internal-' : '';
    const lb: LoadBalancer = {
      arn: this.#arn(`loadbalancer/app/${name}/${id}`),
      name,
      scheme,
      vpcId,
      zones: [...zones].map(([ZoneName, SubnetId]) => ({ ZoneName, SubnetId })),
      securityGroups:
        securityGroups.length > 0 ? securityGroups : [this.#ec2.vpc(vpcId)?.defaultSecurityGroupId ?? ''],
      ipAddressType,
      dnsName: `${prefix}${name}-${String(Number.parseInt(hex(8), 16)).padStart(10, '0')}.${this.#env.region}.elb.amazonaws.com`,
      createdAt: call.now,
    };
    this.#loadBalancers.set(lb.arn, lb);
    this.#tags.set(lb.arn, tags);
    // A new load balancer reports `provisioning`; it is `active` from the next call on.
    return { LoadBalancers: [this.#loadBalancerXml(lb, 'provisioning')] };
  }

  #loadBalancerXml(lb: LoadBalancer, state: string): XmlObject {
    return {
      LoadBalancerArn: lb.arn,
      DNSName: lb.dnsName,
      CanonicalHostedZoneId: HOSTED_ZONES[this.#env.region] ?? 'ZWKZPGTI48KDX',
      CreatedTime: new Date(lb.createdAt),
      LoadBalancerName: lb.name,
      Scheme: lb.scheme,
      VpcId: lb.vpcId,
      State: { Code: state },
      Type: 'application',
      AvailabilityZones: lb.zones.map((zone) => ({ ...zone, LoadBalancerAddresses: [] })),
      SecurityGroups: [...lb.securityGroups],
      IpAddressType: lb.ipAddressType,
    };
  }

  #describeLoadBalancers(input: QueryInput): XmlObject {
    const arns = input.strings('LoadBalancerArns');
    const names = input.strings('Names');
    let selected = [...this.#loadBalancers.values()];
    if (arns.length > 0)
      selected = arns.map((arn) => this.#loadBalancer(arn, 'One or more load balancers not found'));
    if (names.length > 0) {
      selected = names.map((name) => {
        const lb = selected.find((candidate) => candidate.name === name);
        if (!lb) throw new AwsError('LoadBalancerNotFound', 'One or more load balancers not found');
        return lb;
      });
    }
    const { page, nextMarker } = paginate(selected, input);
    return { LoadBalancers: page.map((lb) => this.#loadBalancerXml(lb, 'active')), NextMarker: nextMarker };
  }

  /** Deleting a load balancer deletes its listeners and rules; "if it does not exist, the call succeeds". */
  #deleteLoadBalancer(input: QueryInput): XmlObject {
    const arn = input.required('LoadBalancerArn');
    for (const listener of [...this.#listeners.values()].filter((l) => l.loadBalancerArn === arn)) {
      this.#removeListener(listener);
    }
    this.#loadBalancers.delete(arn);
    this.#tags.delete(arn);
    return {};
  }

  #loadBalancer(arn: string, message = 'The specified load balancer does not exist.'): LoadBalancer {
    const lb = this.#loadBalancers.get(arn);
    if (!lb) throw new AwsError('LoadBalancerNotFound', message);
    return lb;
  }

  // ---- target groups ----

  #createTargetGroup(input: QueryInput): XmlObject {
    const name = input.required('Name');
    if (!NAME.test(name)) {
      throw new AwsError(
        'ValidationError',
        `Target group name '${name}' must have 1-32 alphanumeric characters or hyphens, and must not begin or end with a hyphen`,
      );
    }
    const targetType = input.str('TargetType') ?? 'instance';
    if (targetType !== 'instance') {
      throw new AwsError(
        'ValidationError',
        `The simulator supports only target type 'instance', not '${targetType}'`,
      );
    }
    const protocol = input.str('Protocol') ?? '';
    if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
      throw new AwsError(
        'ValidationError',
        'A protocol (HTTP or HTTPS) must be specified for an instance target group',
      );
    }
    const port = input.int('Port');
    if (port === undefined || port < 1 || port > 65535) {
      throw new AwsError(
        'ValidationError',
        'A port between 1 and 65535 must be specified for an instance target group',
      );
    }
    const vpcId = input.str('VpcId');
    if (vpcId === undefined) throw new AwsError('ValidationError', 'A VPC ID must be specified');
    if (!this.#ec2.vpc(vpcId)) throw new AwsError('ValidationError', `The VPC ID '${vpcId}' is not found`);
    // ALB target group defaults (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
    const healthCheck = this.#healthCheck(input, {
      protocol,
      port: 'traffic-port',
      enabled: true,
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      path: '/',
      matcher: '200',
    });
    const tags = this.#parseTags(input.list('Tags'));
    const existing = [...this.#targetGroups.values()].find((tg) => tg.name === name);
    // CreateTargetGroup is idempotent for identical settings.
    if (existing) {
      const same =
        existing.protocol === protocol &&
        existing.port === port &&
        existing.vpcId === vpcId &&
        JSON.stringify(existing.healthCheck) === JSON.stringify(healthCheck);
      if (!same) {
        throw new AwsError(
          'DuplicateTargetGroupName',
          'A target group with the specified name already exists.',
        );
      }
      return { TargetGroups: [this.#targetGroupXml(existing)] };
    }
    const group: TargetGroup = {
      arn: this.#arn(`targetgroup/${name}/${hex(16)}`),
      name,
      protocol,
      port,
      vpcId,
      protocolVersion: input.str('ProtocolVersion') ?? 'HTTP1',
      targetType,
      healthCheck,
    };
    this.#targetGroups.set(group.arn, group);
    this.#tags.set(group.arn, tags);
    return { TargetGroups: [this.#targetGroupXml(group)] };
  }

  /** Health check fields over `base`, with the ranges AWS enforces for Application Load Balancers. */
  #healthCheck(input: QueryInput, base: HealthCheck): HealthCheck {
    const ranged = (name: string, fallback: number, min: number, max: number): number => {
      const value = input.int(name) ?? fallback;
      if (value < min || value > max) {
        throw new AwsError(
          'ValidationError',
          `1 validation error detected: Value '${value}' at '${name.charAt(0).toLowerCase()}${name.slice(1)}' ` +
            `failed to satisfy constraint: Member must have value between ${min} and ${max}`,
        );
      }
      return value;
    };
    const matcher = input.child('Matcher')?.str('HttpCode') ?? base.matcher;
    // "You can specify values between 200 and 499 … multiple values (200,202) or a range (200-299)."
    const codes = matcher.split(/[,-]/).map(Number);
    if (!/^\d{3}(?:[,-]\d{3})*$/.test(matcher) || codes.some((code) => code < 200 || code > 499)) {
      throw new AwsError(
        'ValidationError',
        `Health check matcher HTTP code '${matcher}' must be between 200 and 499`,
      );
    }
    const check: HealthCheck = {
      protocol: input.str('HealthCheckProtocol') ?? base.protocol,
      port: input.str('HealthCheckPort') ?? base.port,
      enabled: input.bool('HealthCheckEnabled') ?? base.enabled,
      intervalSeconds: ranged('HealthCheckIntervalSeconds', base.intervalSeconds, 5, 300),
      timeoutSeconds: ranged('HealthCheckTimeoutSeconds', base.timeoutSeconds, 2, 120),
      healthyThreshold: ranged('HealthyThresholdCount', base.healthyThreshold, 2, 10),
      unhealthyThreshold: ranged('UnhealthyThresholdCount', base.unhealthyThreshold, 2, 10),
      path: input.str('HealthCheckPath') ?? base.path,
      matcher,
    };
    if (check.timeoutSeconds >= check.intervalSeconds) {
      throw new AwsError('ValidationError', 'Health check timeout must be smaller than the interval');
    }
    if (!check.path.startsWith('/'))
      throw new AwsError('ValidationError', "Health check path must begin with '/'");
    return check;
  }

  #targetGroupXml(group: TargetGroup): XmlObject {
    const check = group.healthCheck;
    return {
      TargetGroupArn: group.arn,
      TargetGroupName: group.name,
      Protocol: group.protocol,
      Port: group.port,
      VpcId: group.vpcId,
      HealthCheckProtocol: check.protocol,
      HealthCheckPort: check.port,
      HealthCheckEnabled: check.enabled,
      HealthCheckIntervalSeconds: check.intervalSeconds,
      HealthCheckTimeoutSeconds: check.timeoutSeconds,
      HealthyThresholdCount: check.healthyThreshold,
      UnhealthyThresholdCount: check.unhealthyThreshold,
      HealthCheckPath: check.path,
      Matcher: { HttpCode: check.matcher },
      LoadBalancerArns: this.loadBalancersUsing(group.arn),
      TargetType: group.targetType,
      ProtocolVersion: group.protocolVersion,
      IpAddressType: 'ipv4',
    };
  }

  /** The load balancers whose listeners forward to the group (its `LoadBalancerArns`). */
  loadBalancersUsing(targetGroupArn: string): string[] {
    const arns = new Set<string>();
    for (const listener of this.#listeners.values()) {
      const actions = [
        ...listener.defaultActions,
        ...[...this.#rules.values()].filter((r) => r.listenerArn === listener.arn).flatMap((r) => r.actions),
      ];
      if (actions.some((action) => forwardedGroups(action).includes(targetGroupArn))) {
        arns.add(listener.loadBalancerArn);
      }
    }
    return [...arns];
  }

  /** The availability zones enabled on a load balancer. */
  zonesOf(loadBalancerArn: string): string[] {
    return (this.#loadBalancers.get(loadBalancerArn)?.zones ?? []).map((zone) => zone.ZoneName);
  }

  #describeTargetGroups(input: QueryInput): XmlObject {
    const lbArn = input.str('LoadBalancerArn');
    const arns = input.strings('TargetGroupArns');
    const names = input.strings('Names');
    let selected = [...this.#targetGroups.values()];
    if (lbArn !== undefined) {
      this.#loadBalancer(lbArn);
      selected = selected.filter((group) => this.loadBalancersUsing(group.arn).includes(lbArn));
    }
    if (arns.length > 0)
      selected = arns.map((arn) => this.#targetGroup(arn, 'One or more target groups not found'));
    if (names.length > 0) {
      selected = names.map((name) => {
        const group = selected.find((candidate) => candidate.name === name);
        if (!group) throw new AwsError('TargetGroupNotFound', 'One or more target groups not found');
        return group;
      });
    }
    const { page, nextMarker } = paginate(selected, input);
    return { TargetGroups: page.map((group) => this.#targetGroupXml(group)), NextMarker: nextMarker };
  }

  #modifyTargetGroup(input: QueryInput): XmlObject {
    const group = this.#targetGroup(input.required('TargetGroupArn'));
    group.healthCheck = this.#healthCheck(input, group.healthCheck);
    return { TargetGroups: [this.#targetGroupXml(group)] };
  }

  #deleteTargetGroup(input: QueryInput): XmlObject {
    const arn = input.required('TargetGroupArn');
    if (this.#forwardsTo(arn)) {
      throw new AwsError(
        'ResourceInUse',
        `Target group '${arn}' is currently in use by a listener or a rule`,
      );
    }
    this.#targetGroups.delete(arn);
    this.#tags.delete(arn);
    this.health.forgetGroup(arn);
    return {};
  }

  #forwardsTo(targetGroupArn: string): boolean {
    const actions = [
      ...[...this.#listeners.values()].flatMap((listener) => listener.defaultActions),
      ...[...this.#rules.values()].flatMap((rule) => rule.actions),
    ];
    return actions.some((action) => forwardedGroups(action).includes(targetGroupArn));
  }

  #targetGroup(arn: string, message = 'One or more target groups not found'): TargetGroup {
    const group = this.#targetGroups.get(arn);
    if (!group) throw new AwsError('TargetGroupNotFound', message);
    return group;
  }

  // ---- targets ----

  #registerTargets(input: QueryInput, call: Call): XmlObject {
    const group = this.#targetGroup(input.required('TargetGroupArn'));
    const targets = this.#targetList(input, group);
    const problems = (filter: (id: string) => boolean) => targets.map((t) => t.id).filter(filter);
    const unknown = problems((id) => !this.#ec2.instance(id));
    if (unknown.length > 0) {
      throw new AwsError('InvalidTarget', TARGET_NOT_FOUND);
    }
    const elsewhere = problems((id) => this.#ec2.instance(id)?.vpcId !== group.vpcId);
    if (elsewhere.length > 0) {
      throw new AwsError(
        'InvalidTarget',
        `The following targets are not in the target group VPC '${group.vpcId}': ${quoted(elsewhere)}`,
      );
    }
    const notRunning = problems((id) => this.#ec2.instance(id)?.state !== 'running');
    if (notRunning.length > 0) {
      throw new AwsError(
        'InvalidTarget',
        `The following targets are not in a running state and cannot be registered: ${quoted(notRunning)}`,
      );
    }
    const quota = this.#env.settings().quota.targetsPerTargetGroup;
    if (this.health.countAfterRegistering(group.arn, targets) > quota) {
      throw new AwsError('TooManyTargets', "You've reached the limit on the number of targets.");
    }
    this.health.register(group.arn, targets, call.now);
    return {};
  }

  #deregisterTargets(input: QueryInput, call: Call): XmlObject {
    const group = this.#targetGroup(input.required('TargetGroupArn'));
    this.health.deregister(group.arn, this.#targetList(input, group), call.now);
    return {};
  }

  #targetList(input: QueryInput, group: TargetGroup): { id: string; port: number }[] {
    const targets = input.list('Targets').map((target) => {
      const port = target.int('Port') ?? group.port;
      if (port < 1 || port > 65535) {
        throw new AwsError('ValidationError', `Port ${port} must be between 1 and 65535`);
      }
      return { id: target.str('Id') ?? '', port };
    });
    if (targets.length === 0) {
      throw new AwsError(
        'ValidationError',
        "1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null",
      );
    }
    return targets;
  }

  #describeTargetHealth(input: QueryInput, call: Call): XmlObject {
    const group = this.#targetGroup(input.required('TargetGroupArn'));
    const asked = input
      .list('Targets')
      .map((target) => ({ id: target.str('Id') ?? '', port: target.int('Port') }));
    const missing = asked.filter((target) => !this.#ec2.instance(target.id));
    if (missing.length > 0) {
      throw new AwsError('InvalidTarget', TARGET_NOT_FOUND);
    }
    const loadBalancers = this.loadBalancersUsing(group.arn);
    const descriptions = this.health.describe(group, asked, call.now, {
      inUse: loadBalancers.length > 0,
      zones: new Set(loadBalancers.flatMap((arn) => this.zonesOf(arn))),
    });
    return { TargetHealthDescriptions: descriptions };
  }

  // ---- listeners ----

  #createListener(input: QueryInput): XmlObject {
    const lb = this.#loadBalancer(input.required('LoadBalancerArn'));
    const port = listenerPort(input.int('Port'));
    const protocol = listenerProtocol(input.str('Protocol'));
    const certificates = input.list('Certificates').map((cert) => cert.str('CertificateArn') ?? '');
    const sslPolicy = protocol === 'HTTPS' ? (input.str('SslPolicy') ?? DEFAULT_SSL_POLICY) : undefined;
    if (protocol === 'HTTPS' && certificates.length === 0) {
      throw new AwsError('ValidationError', 'A certificate must be specified for HTTPS listeners');
    }
    const defaultActions = this.#actions(input.list('DefaultActions'), 'defaultActions');
    const existing = [...this.#listeners.values()].find(
      (l) => l.loadBalancerArn === lb.arn && l.port === port,
    );
    // CreateListener is idempotent: the same settings on the same port return the existing listener.
    if (existing) {
      const same =
        existing.protocol === protocol &&
        existing.sslPolicy === sslPolicy &&
        sameMembers(existing.certificates, certificates) &&
        JSON.stringify(existing.defaultActions) === JSON.stringify(defaultActions);
      if (!same)
        throw new AwsError('DuplicateListener', 'A listener with the specified port already exists.');
      return { Listeners: [listenerXml(existing)] };
    }
    const lbPath = lb.arn.split(':loadbalancer/')[1];
    const listenerArn = this.#arn(`listener/${lbPath}/${hex(16)}`);
    const listener: Listener = {
      arn: listenerArn,
      loadBalancerArn: lb.arn,
      defaultRuleArn: this.#arn(`listener-rule/${lbPath}/${listenerArn.split('/').at(-1)}/${hex(16)}`),
      port,
      protocol,
      certificates: protocol === 'HTTPS' ? certificates : [],
      sslPolicy,
      defaultActions,
    };
    this.#listeners.set(listener.arn, listener);
    this.#tags.set(listener.arn, this.#parseTags(input.list('Tags')));
    return { Listeners: [listenerXml(listener)] };
  }

  #actions(items: readonly QueryInput[], field: string): XmlObject[] {
    return parseActions(items, field, (arn) => this.#targetGroups.has(arn));
  }

  #describeListeners(input: QueryInput): XmlObject {
    const lbArn = input.str('LoadBalancerArn');
    const arns = input.strings('ListenerArns');
    if ((lbArn === undefined) === (arns.length === 0)) {
      throw new AwsError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
    }
    if (lbArn !== undefined) this.#loadBalancer(lbArn);
    const selected =
      lbArn !== undefined
        ? [...this.#listeners.values()].filter((l) => l.loadBalancerArn === lbArn)
        : arns.map((arn) => this.#listener(arn, 'One or more listeners not found'));
    const { page, nextMarker } = paginate(selected, input);
    return { Listeners: page.map(listenerXml), NextMarker: nextMarker };
  }

  #modifyListener(input: QueryInput): XmlObject {
    const listener = this.#listener(input.required('ListenerArn'));
    const port = input.has('Port') ? listenerPort(input.int('Port')) : listener.port;
    const protocol = input.has('Protocol') ? listenerProtocol(input.str('Protocol')) : listener.protocol;
    const taken = [...this.#listeners.values()].some(
      (other) =>
        other !== listener && other.loadBalancerArn === listener.loadBalancerArn && other.port === port,
    );
    if (taken) throw new AwsError('DuplicateListener', 'A listener with the specified port already exists.');
    const given = input.list('Certificates').map((cert) => cert.str('CertificateArn') ?? '');
    const certificates = protocol === 'HTTPS' ? (given.length > 0 ? given : listener.certificates) : [];
    if (protocol === 'HTTPS' && certificates.length === 0) {
      throw new AwsError('ValidationError', 'A certificate must be specified for HTTPS listeners');
    }
    const defaultActions = input.has('DefaultActions')
      ? this.#actions(input.list('DefaultActions'), 'defaultActions')
      : listener.defaultActions;
    listener.port = port;
    listener.protocol = protocol;
    listener.certificates = certificates;
    listener.sslPolicy =
      protocol === 'HTTPS' ? (input.str('SslPolicy') ?? listener.sslPolicy ?? DEFAULT_SSL_POLICY) : undefined;
    listener.defaultActions = defaultActions;
    return { Listeners: [listenerXml(listener)] };
  }

  #deleteListener(input: QueryInput): XmlObject {
    this.#removeListener(this.#listener(input.required('ListenerArn')));
    return {};
  }

  #removeListener(listener: Listener): void {
    for (const rule of [...this.#rules.values()].filter((r) => r.listenerArn === listener.arn)) {
      this.#rules.delete(rule.arn);
      this.#tags.delete(rule.arn);
    }
    this.#listeners.delete(listener.arn);
    this.#tags.delete(listener.arn);
  }

  #listener(arn: string, message = 'The specified listener does not exist.'): Listener {
    const listener = this.#listeners.get(arn);
    if (!listener) throw new AwsError('ListenerNotFound', message);
    return listener;
  }

  // ---- rules ----

  #createRule(input: QueryInput): XmlObject {
    const listener = this.#listener(input.required('ListenerArn'));
    const priority = rulePriority(input.int('Priority'));
    const conditions = parseConditions(input.list('Conditions'));
    if (conditions.length === 0) {
      throw new AwsError('ValidationError', 'A rule must have at least one condition');
    }
    const actions = this.#actions(input.list('Actions'), 'actions');
    if (this.#rulesOf(listener.arn).some((rule) => rule.priority === priority)) {
      throw new AwsError('PriorityInUse', 'The specified priority is in use.');
    }
    const rule: Rule = {
      arn: `${listener.defaultRuleArn.split('/').slice(0, -1).join('/')}/${hex(16)}`,
      listenerArn: listener.arn,
      priority,
      conditions,
      actions,
    };
    this.#rules.set(rule.arn, rule);
    this.#tags.set(rule.arn, this.#parseTags(input.list('Tags')));
    return { Rules: [ruleXml(rule)] };
  }

  #rulesOf(listenerArn: string): Rule[] {
    return [...this.#rules.values()].filter((rule) => rule.listenerArn === listenerArn);
  }

  /** Rules by priority, then the listener's default rule, whose actions are the listener's default actions. */
  #describeRules(input: QueryInput): XmlObject {
    const listenerArn = input.str('ListenerArn');
    const arns = input.strings('RuleArns');
    if ((listenerArn === undefined) === (arns.length === 0)) {
      throw new AwsError('ValidationError', 'You must specify either listener ARNs or rule ARNs');
    }
    let rules: XmlObject[];
    if (listenerArn !== undefined) {
      const listener = this.#listener(listenerArn);
      rules = [
        ...this.#rulesOf(listener.arn)
          .sort((a, b) => a.priority - b.priority)
          .map(ruleXml),
        defaultRuleXml(listener),
      ];
    } else {
      rules = arns.map((arn) => {
        const rule = this.#rules.get(arn);
        if (rule) return ruleXml(rule);
        const owner = [...this.#listeners.values()].find((listener) => listener.defaultRuleArn === arn);
        if (owner) return defaultRuleXml(owner);
        throw new AwsError('RuleNotFound', 'One or more rules not found');
      });
    }
    const { page, nextMarker } = paginate(rules, input);
    return { Rules: page, NextMarker: nextMarker };
  }

  /** Modifying the default rule changes the listener's default actions; its conditions cannot be set. */
  #modifyRule(input: QueryInput): XmlObject {
    const arn = input.required('RuleArn');
    const owner = [...this.#listeners.values()].find((listener) => listener.defaultRuleArn === arn);
    if (owner) {
      if (input.has('Conditions')) {
        throw new AwsError('OperationNotPermitted', 'You cannot specify conditions for the default rule');
      }
      if (input.has('Actions')) owner.defaultActions = this.#actions(input.list('Actions'), 'actions');
      return { Rules: [defaultRuleXml(owner)] };
    }
    const rule = this.#rule(arn);
    if (input.has('Conditions')) {
      const conditions = parseConditions(input.list('Conditions'));
      if (conditions.length === 0)
        throw new AwsError('ValidationError', 'A rule must have at least one condition');
      rule.conditions = conditions;
    }
    if (input.has('Actions')) rule.actions = this.#actions(input.list('Actions'), 'actions');
    return { Rules: [ruleXml(rule)] };
  }

  #deleteRule(input: QueryInput): XmlObject {
    const arn = input.required('RuleArn');
    if ([...this.#listeners.values()].some((listener) => listener.defaultRuleArn === arn)) {
      throw new AwsError('OperationNotPermitted', 'The default rule cannot be deleted');
    }
    this.#rule(arn);
    this.#rules.delete(arn);
    this.#tags.delete(arn);
    return {};
  }

  #setRulePriorities(input: QueryInput): XmlObject {
    const changes = input.list('RulePriorities').map((item) => {
      const arn = item.required('RuleArn');
      if ([...this.#listeners.values()].some((listener) => listener.defaultRuleArn === arn)) {
        throw new AwsError('OperationNotPermitted', 'The default rule priority cannot be changed');
      }
      return { rule: this.#rule(arn), priority: rulePriority(item.int('Priority')) };
    });
    const seen = new Set<number>();
    for (const { priority } of changes) {
      if (seen.has(priority))
        throw new AwsError('ValidationError', `Priority '${priority}' was provided multiple times`);
      seen.add(priority);
    }
    const moving = new Set(changes.map(({ rule }) => rule));
    for (const { rule, priority } of changes) {
      const clash = this.#rulesOf(rule.listenerArn).some(
        (other) => !moving.has(other) && other.priority === priority,
      );
      if (clash) throw new AwsError('PriorityInUse', 'The specified priority is in use.');
    }
    for (const { rule, priority } of changes) rule.priority = priority;
    return { Rules: changes.map(({ rule }) => ruleXml(rule)) };
  }

  #rule(arn: string): Rule {
    const rule = this.#rules.get(arn);
    if (!rule) throw new AwsError('RuleNotFound', 'The specified rule does not exist.');
    return rule;
  }

  // ---- tags ----

  #parseTags(items: readonly QueryInput[]): Map<string, string> {
    const tags = new Map<string, string>();
    items.forEach((item, index) => {
      const key = item.str('Key') ?? '';
      const value = item.str('Value') ?? '';
      for (const [member, text, max] of [
        ['key', key, 128],
        ['value', value, 256],
      ] as const) {
        if (!TAG_PATTERN.test(text) || text.length > max || (member === 'key' && text === '')) {
          throw new AwsError(
            'ValidationError',
            `1 validation error detected: Value '${text}' at 'tags.${index + 1}.member.${member}' failed to ` +
              `satisfy constraint: Member must satisfy regular expression pattern: ${TAG_PATTERN.source} ` +
              `and have length ${member === 'key' ? 1 : 0}-${max}`,
          );
        }
      }
      if (tags.has(key))
        throw new AwsError('DuplicateTagKeys', `Tag key was specified more than once: ${key}`);
      tags.set(key, value);
    });
    return tags;
  }

  #taggable(arn: string): Map<string, string> {
    const tags = this.#tags.get(arn);
    if (tags) return tags;
    if (arn.includes(':targetgroup/'))
      throw new AwsError('TargetGroupNotFound', 'One or more target groups not found');
    if (arn.includes(':listener-rule/')) {
      const owner = [...this.#listeners.values()].find((listener) => listener.defaultRuleArn === arn);
      if (owner) {
        const created = new Map<string, string>();
        this.#tags.set(arn, created);
        return created;
      }
      throw new AwsError('RuleNotFound', 'One or more rules not found');
    }
    if (arn.includes(':listener/')) throw new AwsError('ListenerNotFound', 'One or more listeners not found');
    throw new AwsError('LoadBalancerNotFound', 'One or more load balancers not found');
  }

  #addTags(input: QueryInput): XmlObject {
    const added = this.#parseTags(input.list('Tags'));
    const targets = input.strings('ResourceArns').map((arn) => this.#taggable(arn));
    for (const tags of targets) {
      // Application Load Balancer quota: 50 tags per resource.
      if (new Set([...tags.keys(), ...added.keys()]).size > 50) {
        throw new AwsError(
          'TooManyTags',
          'The quota for the number of tags that can be assigned to a load balancer has been reached',
        );
      }
    }
    for (const tags of targets) for (const [key, value] of added) tags.set(key, value);
    return {};
  }

  #describeTags(input: QueryInput): XmlObject {
    const arns = input.strings('ResourceArns');
    return {
      TagDescriptions: arns.map((arn) => ({
        ResourceArn: arn,
        Tags: [...this.#taggable(arn)].map(([Key, Value]) => ({ Key, Value })),
      })),
    };
  }
}

function listenerXml(listener: Listener): XmlObject {
  return {
    ListenerArn: listener.arn,
    LoadBalancerArn: listener.loadBalancerArn,
    Port: listener.port,
    Protocol: listener.protocol,
    Certificates:
      listener.certificates.length > 0
        ? listener.certificates.map((CertificateArn) => ({ CertificateArn }))
        : undefined,
    SslPolicy: listener.sslPolicy,
    DefaultActions: listener.defaultActions,
  };
}

function ruleXml(rule: Rule): XmlObject {
  return {
    RuleArn: rule.arn,
    Priority: String(rule.priority),
    Conditions: rule.conditions,
    Actions: rule.actions,
    IsDefault: false,
  };
}

function defaultRuleXml(listener: Listener): XmlObject {
  return {
    RuleArn: listener.defaultRuleArn,
    Priority: 'default',
    Conditions: [],
    Actions: listener.defaultActions,
    IsDefault: true,
  };
}

function listenerPort(port: number | undefined): number {
  if (port === undefined || port < 1 || port > 65535) {
    throw new AwsError('ValidationError', 'A listener port between 1 and 65535 must be specified');
  }
  return port;
}

function listenerProtocol(protocol: string | undefined): string {
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
    throw new AwsError(
      'ValidationError',
      `Listener protocol '${protocol ?? ''}' must be one of 'HTTPS, HTTP' for an application load balancer`,
    );
  }
  return protocol;
}

function rulePriority(priority: number | undefined): number {
  if (priority === undefined || priority < 1 || priority > 50000) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${priority ?? 'null'}' at 'priority' failed to satisfy constraint: ` +
        'Member must have value between 1 and 50000',
    );
  }
  return priority;
}

/** Marker/PageSize pagination shared by the Describe calls (PageSize 1–400). */
function paginate<T>(items: readonly T[], input: QueryInput): { page: T[]; nextMarker: string | undefined } {
  const pageSize = input.int('PageSize') ?? 400;
  if (pageSize < 1 || pageSize > 400) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${pageSize}' at 'pageSize' failed to satisfy constraint: ` +
        'Member must have value between 1 and 400',
    );
  }
  const marker = input.str('Marker');
  const start = marker === undefined ? 0 : decodeToken(marker);
  if (start === undefined) throw new AwsError('ValidationError', `Invalid marker '${marker}'`);
  const end = start + pageSize;
  return { page: items.slice(start, end), nextMarker: end < items.length ? encodeToken(end) : undefined };
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

function quoted(ids: readonly string[]): string {
  return ids.map((id) => `'${id}'`).join(', ');
}
