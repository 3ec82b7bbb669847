/**
 * Elastic Load Balancing v2 for Application Load Balancers: load balancers, target groups, targets and
 * their health, listeners, rules and tags.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Operations.html
 */
import { AwsError } from '../errors.ts';
import { hex } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import type { Call, Environment } from './context.ts';
import type { Ec2Service } from './ec2.ts';
import { attributesXml, defaultTargetGroupAttributes, parseAttributeChanges } from './elbv2-attributes.ts';
import { type HealthOverride, TargetHealthBook } from './elbv2-health.ts';
import { ListenerBook } from './elbv2-listeners.ts';
import { paginate, sameMembers } from './elbv2-requests.ts';
import { parseTags, TagStore } from './elbv2-tags.ts';

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

interface TargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  readonly vpcId: string;
  readonly protocolVersion: string;
  readonly targetType: string;
  healthCheck: HealthCheck;
  readonly attributes: Map<string, string>;
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

type Handler = (input: QueryInput, call: Call) => XmlObject;

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

/** Calls CloudTrail records as writes (`readOnly: false`); the describe calls are not delivered as events. */
export const ELBV2_WRITE_ACTIONS: ReadonlySet<string> = new Set([
  'CreateLoadBalancer',
  'DeleteLoadBalancer',
  'CreateTargetGroup',
  'ModifyTargetGroup',
  'ModifyTargetGroupAttributes',
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
  'AddListenerCertificates',
  'RemoveListenerCertificates',
  'AddTags',
  'RemoveTags',
]);

/**
 * A request value as CloudTrail types it: the members the API models as integers or booleans appear as
 * numbers and booleans (the fixtures show `priority: 1`, `port: 8080`); a redirect's Port is a string.
 */
export function elbv2CloudTrailValue(path: readonly string[], value: string): unknown {
  const member = path.at(-1) ?? '';
  if (member === 'ClientSecret') return 'HIDDEN_DUE_TO_SECURITY_REASONS';
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
  readonly #tags = new TagStore();
  readonly #listeners: ListenerBook;
  readonly #health: TargetHealthBook;

  readonly handlers: Readonly<Record<string, Handler>>;
  readonly #ownHandlers: Readonly<Record<string, Handler>> = {
    CreateLoadBalancer: (input, call) => this.#createLoadBalancer(input, call),
    DescribeLoadBalancers: (input) => this.#describeLoadBalancers(input),
    DeleteLoadBalancer: (input) => this.#deleteLoadBalancer(input),
    CreateTargetGroup: (input) => this.#createTargetGroup(input),
    DescribeTargetGroups: (input) => this.#describeTargetGroups(input),
    ModifyTargetGroup: (input) => this.#modifyTargetGroup(input),
    DescribeTargetGroupAttributes: (input) => ({
      Attributes: attributesXml(this.#targetGroup(input.required('TargetGroupArn')).attributes),
    }),
    ModifyTargetGroupAttributes: (input) => this.#modifyTargetGroupAttributes(input),
    DeleteTargetGroup: (input) => this.#deleteTargetGroup(input),
    RegisterTargets: (input, call) => this.#registerTargets(input, call),
    DeregisterTargets: (input, call) => this.#deregisterTargets(input, call),
    DescribeTargetHealth: (input, call) => this.#describeTargetHealth(input, call),
    AddTags: (input) => this.#tags.addTags(input),
    DescribeTags: (input) => this.#tags.describeTags(input),
    RemoveTags: (input) => this.#tags.removeTags(input),
  };

  constructor(env: Environment, ec2: Ec2Service, certificates: { has(arn: string): boolean }) {
    this.#env = env;
    this.#ec2 = ec2;
    this.#health = new TargetHealthBook(env, ec2);
    this.#listeners = new ListenerBook({
      arn: (resource) => this.#arn(resource),
      requireLoadBalancer: (arn) => this.#loadBalancer(arn),
      targetGroupExists: (arn) => this.#targetGroups.has(arn),
      certificateExists: (arn) => certificates.has(arn),
      tags: this.#tags,
    });
    this.handlers = { ...this.#ownHandlers, ...this.#listeners.handlers };
  }

  advance(now: number): void {
    this.#health.advance(now, (arn) => this.#deregistrationDelayMs(arn));
  }

  /** `deregistration_delay.timeout_seconds`: how long a deregistered target stays `draining`. */
  #deregistrationDelayMs(groupArn: string): number {
    return (
      Number(this.#targetGroups.get(groupArn)?.attributes.get('deregistration_delay.timeout_seconds') ?? 0) *
      1000
    );
  }

  /** Every ELB resource that carries or once carried a tag, for the Resource Groups Tagging API. */
  taggedResources(): Iterable<[string, ReadonlyMap<string, string>]> {
    return this.#tags.tagged();
  }

  targetGroupExists(arn: string): boolean {
    return this.#targetGroups.has(arn);
  }

  isDraining(targetGroupArn: string, instanceId: string): boolean {
    return this.#health.isDraining(targetGroupArn, instanceId);
  }

  /** Control API: what DescribeTargetHealth reports for a target, until `state: healthy` clears it. */
  overrideHealth(targetGroupArn: string, targetId: string, override: HealthOverride | undefined): void {
    if (!this.#targetGroups.has(targetGroupArn)) {
      throw new AwsError('TargetGroupNotFound', `Target group '${targetGroupArn}' not found`);
    }
    this.#health.override(targetGroupArn, targetId, override);
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
    const tags = parseTags(input.list('Tags'));
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
    this.#tags.create(lb.arn, tags);
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
    this.#listeners.removeLoadBalancer(arn);
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
    const tags = parseTags(input.list('Tags'));
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
      attributes: defaultTargetGroupAttributes(),
    };
    this.#targetGroups.set(group.arn, group);
    this.#tags.create(group.arn, tags);
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
      LoadBalancerArns: this.#listeners.loadBalancersUsing(group.arn),
      TargetType: group.targetType,
      ProtocolVersion: group.protocolVersion,
      IpAddressType: 'ipv4',
    };
  }

  /** The availability zones enabled on a load balancer. */
  #zonesOf(loadBalancerArn: string): string[] {
    return (this.#loadBalancers.get(loadBalancerArn)?.zones ?? []).map((zone) => zone.ZoneName);
  }

  #describeTargetGroups(input: QueryInput): XmlObject {
    const lbArn = input.str('LoadBalancerArn');
    const arns = input.strings('TargetGroupArns');
    const names = input.strings('Names');
    let selected = [...this.#targetGroups.values()];
    if (lbArn !== undefined) {
      this.#loadBalancer(lbArn);
      selected = selected.filter((group) => this.#listeners.loadBalancersUsing(group.arn).includes(lbArn));
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

  #modifyTargetGroupAttributes(input: QueryInput): XmlObject {
    const group = this.#targetGroup(input.required('TargetGroupArn'));
    for (const [key, value] of parseAttributeChanges(input)) group.attributes.set(key, value);
    return { Attributes: attributesXml(group.attributes) };
  }

  #deleteTargetGroup(input: QueryInput): XmlObject {
    const arn = input.required('TargetGroupArn');
    if (this.#listeners.forwardsTo(arn)) {
      throw new AwsError(
        'ResourceInUse',
        `Target group '${arn}' is currently in use by a listener or a rule`,
      );
    }
    this.#targetGroups.delete(arn);
    this.#tags.delete(arn);
    this.#health.forgetGroup(arn);
    return {};
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
    if (this.#health.countAfterRegistering(group.arn, targets) > quota) {
      throw new AwsError('TooManyTargets', "You've reached the limit on the number of targets.");
    }
    this.#health.register(group.arn, targets, call.now);
    return {};
  }

  #deregisterTargets(input: QueryInput, call: Call): XmlObject {
    const group = this.#targetGroup(input.required('TargetGroupArn'));
    this.#health.deregister(
      group.arn,
      this.#targetList(input, group),
      call.now,
      this.#deregistrationDelayMs(group.arn),
    );
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
    const loadBalancers = this.#listeners.loadBalancersUsing(group.arn);
    const descriptions = this.#health.describe(group, asked, call.now, {
      inUse: loadBalancers.length > 0,
      zones: new Set(loadBalancers.flatMap((arn) => this.#zonesOf(arn))),
    });
    return { TargetHealthDescriptions: descriptions };
  }
}

function quoted(ids: readonly string[]): string {
  return ids.map((id) => `'${id}'`).join(', ');
}
