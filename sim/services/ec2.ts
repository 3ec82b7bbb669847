/**
 * EC2: VPCs, subnets, security groups and instances with AWS's state machine
 * (pending → running, stopping → stopped, shutting-down → terminated), tags and DescribeInstances filters.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Operations.html
 */
import { type Cidr, cidrSize, contains, formatIp, overlaps, parseCidr } from '../cidr.ts';
import { AwsError } from '../errors.ts';
import { instanceStateChangeEvent } from '../events.ts';
import { decodeToken, encodeToken, hex } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import type { Call, Environment } from './context.ts';

export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'shutting-down'
  | 'terminated';

// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html
const STATE_CODES: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface Vpc {
  readonly id: string;
  readonly cidr: Cidr;
  readonly cidrBlock: string;
  readonly defaultSecurityGroupId: string;
  readonly tags: Map<string, string>;
}

export interface Subnet {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: Cidr;
  readonly cidrBlock: string;
  readonly availabilityZone: string;
  readonly tags: Map<string, string>;
  nextHost: number;
}

export interface SecurityGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly vpcId: string;
  readonly tags: Map<string, string>;
}

export interface Instance {
  readonly id: string;
  readonly reservationId: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly privateIpAddress: string;
  readonly securityGroups: readonly SecurityGroup[];
  /** "The time that the instance was last launched" (EC2 API reference, Instance): a start updates it. */
  launchTime: number;
  readonly launchIndex: number;
  readonly clientToken: string;
  readonly tags: Map<string, string>;
  state: InstanceStateName;
  /** When the instance entered its current state. */
  stateSince: number;
  /** The transition in progress and when it completes. */
  next: { readonly state: InstanceStateName; readonly at: number } | undefined;
  /** When the instance last became running; ELBv2 restarts health checks from here. */
  runningSince: number | undefined;
  stateReason: { readonly code: string; readonly message: string } | undefined;
  transitionReason: string;
  /** Eventual consistency: DescribeInstances misses the instance for these calls and until this time. */
  hidden: { calls: number; readonly until: number };
}

interface Reservation {
  readonly id: string;
  readonly instanceIds: readonly string[];
}

type Handler = (input: QueryInput, call: Call) => XmlObject;

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const USER_SHUTDOWN = {
  code: 'Client.UserInitiatedShutdown',
  message: 'Client.UserInitiatedShutdown: User initiated shutdown',
};

export class Ec2Service {
  readonly #env: Environment;
  readonly #vpcs = new Map<string, Vpc>();
  readonly #subnets = new Map<string, Subnet>();
  readonly #securityGroups = new Map<string, SecurityGroup>();
  readonly #instances = new Map<string, Instance>();
  readonly #reservations = new Map<string, Reservation>();
  readonly #reservationByClientToken = new Map<string, string>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateVpc: (input) => this.#createVpc(input),
    CreateSubnet: (input) => this.#createSubnet(input),
    CreateSecurityGroup: (input) => this.#createSecurityGroup(input),
    RunInstances: (input, call) => this.#runInstances(input, call),
    DescribeInstances: (input, call) => this.#describeInstances(input, call),
    StartInstances: (input, call) => this.#changeState(input, call, 'start'),
    StopInstances: (input, call) => this.#changeState(input, call, 'stop'),
    TerminateInstances: (input, call) => this.#changeState(input, call, 'terminate'),
    CreateTags: (input) => this.#createTags(input),
    DeleteTags: (input) => this.#deleteTags(input),
  };

  constructor(env: Environment) {
    this.#env = env;
  }

  instance(id: string): Instance | undefined {
    return this.#instances.get(id);
  }

  subnet(id: string): Subnet | undefined {
    return this.#subnets.get(id);
  }

  vpc(id: string): Vpc | undefined {
    return this.#vpcs.get(id);
  }

  securityGroup(id: string): SecurityGroup | undefined {
    return this.#securityGroups.get(id);
  }

  /**
   * Completes every transition due by `now`, oldest first, emitting the state-change events at the times
   * they happened, and forgets terminated instances once they are no longer visible.
   */
  advance(now: number): void {
    const due = [...this.#instances.values()]
      .filter((instance) => instance.next !== undefined && instance.next.at <= now)
      .sort((a, b) => (a.next?.at ?? 0) - (b.next?.at ?? 0));
    for (const instance of due) {
      const next = instance.next;
      if (!next) continue;
      instance.next = undefined;
      this.#enter(instance, next.state, next.at);
    }
    const visibleFor = this.#env.settings().delays.terminatedVisibleMs;
    for (const instance of this.#instances.values()) {
      if (instance.state === 'terminated' && instance.stateSince + visibleFor <= now) {
        this.#instances.delete(instance.id);
      }
    }
  }

  #enter(instance: Instance, state: InstanceStateName, at: number): void {
    const restarting = state === 'pending' && instance.state === 'stopped';
    instance.state = state;
    instance.stateSince = at;
    if (restarting) instance.launchTime = at;
    if (state === 'running') instance.runningSince = at;
    this.#env.events.append(instanceStateChangeEvent(this.#env, instance.id, state, at));
    const after: Partial<Record<InstanceStateName, InstanceStateName>> = {
      pending: 'running',
      stopping: 'stopped',
      'shutting-down': 'terminated',
    };
    const nextState = after[state];
    if (nextState) {
      instance.next = { state: nextState, at: at + this.#env.settings().delays.instanceTransitionMs };
    }
  }

  #createVpc(input: QueryInput): XmlObject {
    const cidrBlock = requiredParameter(input, 'CidrBlock');
    const cidr = parseCidr(cidrBlock);
    // VPC sizes: /16 to /28 (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html).
    if (!cidr || cidr.prefix < 16 || cidr.prefix > 28) {
      throw new AwsError('InvalidVpc.Range', `The CIDR '${cidrBlock}' is invalid.`);
    }
    const id = `vpc-${hex(17)}`;
    // Every VPC comes with a security group named "default".
    const defaultGroup: SecurityGroup = {
      id: `sg-${hex(17)}`,
      name: 'default',
      description: 'default VPC security group',
      vpcId: id,
      tags: new Map(),
    };
    this.#securityGroups.set(defaultGroup.id, defaultGroup);
    const vpc: Vpc = {
      id,
      cidr,
      cidrBlock,
      defaultSecurityGroupId: defaultGroup.id,
      tags: tagSpecifications(input, 'vpc'),
    };
    this.#vpcs.set(id, vpc);
    return {
      vpc: {
        vpcId: id,
        ownerId: this.#env.account,
        state: 'pending',
        cidrBlock,
        cidrBlockAssociationSet: [
          { cidrBlock, associationId: `vpc-cidr-assoc-${hex(17)}`, cidrBlockState: { state: 'associated' } },
        ],
        dhcpOptionsId: `dopt-${hex(17)}`,
        instanceTenancy: 'default',
        isDefault: false,
        tagSet: tagSet(vpc.tags),
      },
    };
  }

  #createSubnet(input: QueryInput): XmlObject {
    const vpcId = requiredParameter(input, 'VpcId');
    const vpc = this.#vpcs.get(vpcId);
    if (!vpc) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
    const cidrBlock = requiredParameter(input, 'CidrBlock');
    const cidr = parseCidr(cidrBlock);
    if (!cidr || cidr.prefix > 28 || !contains(vpc.cidr, cidr)) {
      throw new AwsError('InvalidSubnet.Range', `The CIDR '${cidrBlock}' is invalid.`);
    }
    const conflict = [...this.#subnets.values()].find((s) => s.vpcId === vpcId && overlaps(s.cidr, cidr));
    if (conflict) {
      throw new AwsError('InvalidSubnet.Conflict', `The CIDR '${cidrBlock}' conflicts with another subnet`);
    }
    const zones = ['a', 'b', 'c', 'd'].map((letter) => `${this.#env.region}${letter}`);
    const availabilityZone = input.str('AvailabilityZone') ?? `${this.#env.region}a`;
    if (!zones.includes(availabilityZone)) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${availabilityZone}) for parameter availabilityZone is invalid. ` +
          `Subnets can currently only be created in the following availability zones: ${zones.join(', ')}.`,
      );
    }
    const subnet: Subnet = {
      id: `subnet-${hex(17)}`,
      vpcId,
      cidr,
      cidrBlock,
      availabilityZone,
      tags: tagSpecifications(input, 'subnet'),
      nextHost: 4, // AWS reserves the first four addresses of every subnet.
    };
    this.#subnets.set(subnet.id, subnet);
    return {
      subnet: {
        subnetId: subnet.id,
        subnetArn: `arn:aws:ec2:${this.#env.region}:${this.#env.account}:subnet/${subnet.id}`,
        state: 'available',
        vpcId,
        cidrBlock,
        availableIpAddressCount: cidrSize(cidr) - 5,
        availabilityZone,
        defaultForAz: false,
        mapPublicIpOnLaunch: false,
        ownerId: this.#env.account,
        tagSet: tagSet(subnet.tags),
      },
    };
  }

  #createSecurityGroup(input: QueryInput): XmlObject {
    const name = requiredParameter(input, 'GroupName');
    const description = requiredParameter(input, 'GroupDescription');
    const vpcId = input.str('VpcId');
    if (vpcId === undefined) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
    if (!this.#vpcs.has(vpcId))
      throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
    if (name.startsWith('sg-')) {
      throw new AwsError('InvalidParameterValue', 'Group names may not be in the format sg-*');
    }
    const duplicate = [...this.#securityGroups.values()].some((g) => g.vpcId === vpcId && g.name === name);
    if (duplicate) {
      throw new AwsError(
        'InvalidGroup.Duplicate',
        `The security group '${name}' already exists for VPC '${vpcId}'`,
      );
    }
    const group: SecurityGroup = {
      id: `sg-${hex(17)}`,
      name,
      description,
      vpcId,
      tags: tagSpecifications(input, 'security-group'),
    };
    this.#securityGroups.set(group.id, group);
    return {
      return: true,
      groupId: group.id,
      securityGroupArn: `arn:aws:ec2:${this.#env.region}:${this.#env.account}:security-group/${group.id}`,
      tagSet: tagSet(group.tags),
    };
  }

  #runInstances(input: QueryInput, call: Call): XmlObject {
    const clientToken = input.str('ClientToken') ?? '';
    // RunInstances is idempotent per client token (the SDK sends one, and reuses it on retries).
    const earlier = this.#reservationByClientToken.get(clientToken);
    if (clientToken !== '' && earlier) return this.#reservationXml(earlier);

    const imageId = requiredParameter(input, 'ImageId');
    const minCount = requiredCount(input, 'MinCount');
    const maxCount = requiredCount(input, 'MaxCount');
    if (minCount > maxCount) {
      throw new AwsError(
        'InvalidParameterValue',
        `MinCount (${minCount}) must not be greater than MaxCount (${maxCount})`,
      );
    }
    const subnetId = input.str('SubnetId');
    if (subnetId === undefined) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
    const subnet = this.#subnets.get(subnetId);
    if (!subnet) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
    const vpc = this.#vpcs.get(subnet.vpcId);
    const groupIds = input.strings('SecurityGroupId');
    const groups = (groupIds.length > 0 ? groupIds : [vpc?.defaultSecurityGroupId ?? '']).map((groupId) => {
      const group = this.#securityGroups.get(groupId);
      if (!group || group.vpcId !== subnet.vpcId) {
        throw new AwsError(
          'InvalidGroup.NotFound',
          `The security group '${groupId}' does not exist in VPC '${subnet.vpcId}'`,
        );
      }
      return group;
    });
    if (subnet.nextHost + maxCount > cidrSize(subnet.cidr) - 1) {
      throw new AwsError(
        'InsufficientFreeAddressesInSubnet',
        `The specified subnet ${subnetId} does not have enough free addresses to satisfy the request.`,
      );
    }

    const reservation: Reservation = { id: `r-${hex(17)}`, instanceIds: [] };
    const instanceIds: string[] = [];
    const tags = tagSpecifications(input, 'instance');
    for (let launchIndex = 0; launchIndex < maxCount; launchIndex += 1) {
      const instance: Instance = {
        id: `i-${hex(17)}`,
        reservationId: reservation.id,
        imageId,
        // m1.small is RunInstances' documented default instance type.
        instanceType: input.str('InstanceType') ?? 'm1.small',
        subnetId,
        vpcId: subnet.vpcId,
        availabilityZone: subnet.availabilityZone,
        privateIpAddress: formatIp(subnet.cidr.base + subnet.nextHost),
        securityGroups: groups,
        launchTime: call.now,
        launchIndex,
        clientToken,
        tags: new Map(tags),
        state: 'pending',
        stateSince: call.now,
        next: undefined,
        runningSince: undefined,
        stateReason: undefined,
        transitionReason: '',
        hidden: {
          calls: this.#env.settings().consistency.newInstanceHiddenCalls,
          until: call.now + this.#env.settings().consistency.newInstanceHiddenMs,
        },
      };
      subnet.nextHost += 1;
      this.#instances.set(instance.id, instance);
      instanceIds.push(instance.id);
      this.#enter(instance, 'pending', call.now);
    }
    this.#reservations.set(reservation.id, { ...reservation, instanceIds });
    if (clientToken !== '') this.#reservationByClientToken.set(clientToken, reservation.id);
    return this.#reservationXml(reservation.id);
  }

  #reservationXml(reservationId: string): XmlObject {
    const reservation = this.#reservations.get(reservationId);
    const instances = (reservation?.instanceIds ?? []).flatMap((id) => {
      const instance = this.#instances.get(id);
      return instance ? [instance] : [];
    });
    return {
      reservationId,
      ownerId: this.#env.account,
      groupSet: [],
      instancesSet: instances.map((instance) => this.#instanceXml(instance)),
    };
  }

  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html */
  #describeInstances(input: QueryInput, call: Call): XmlObject {
    const ids = input.strings('InstanceId');
    const maxResults = input.int('MaxResults');
    if (ids.length > 0 && maxResults !== undefined) {
      throw new AwsError(
        'InvalidParameterCombination',
        'The parameter instancesSet cannot be used with the parameter maxResults',
      );
    }
    if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter may be between 5 and 1000.`,
      );
    }
    const filters = input.list('Filter').map((filter) => parseFilter(filter));
    const candidates = ids.length > 0 ? this.#instancesById(ids, call.now) : [...this.#instances.values()];
    const selected = candidates.filter((instance) => filters.every((filter) => filter.matches(instance)));
    const matching = selected.filter((instance) => !isHidden(instance, call.now));
    for (const instance of selected) if (instance.hidden.calls > 0) instance.hidden.calls -= 1;

    const token = input.str('NextToken');
    const start = token === undefined ? 0 : decodeToken(token);
    if (start === undefined) throw new AwsError('InvalidParameterValue', `The token '${token}' is invalid`);
    const end = maxResults === undefined ? matching.length : start + maxResults;
    const page = matching.slice(start, end);

    const byReservation = new Map<string, Instance[]>();
    for (const instance of page) {
      byReservation.set(instance.reservationId, [
        ...(byReservation.get(instance.reservationId) ?? []),
        instance,
      ]);
    }
    return {
      reservationSet: [...byReservation].map(([reservationId, instances]) => ({
        reservationId,
        ownerId: this.#env.account,
        groupSet: [],
        instancesSet: instances.map((instance) => this.#instanceXml(instance)),
      })),
      nextToken: end < matching.length ? encodeToken(end) : undefined,
    };
  }

  /** The instances named by `ids`, or the error EC2 gives for malformed or unknown ids. */
  #instancesById(ids: readonly string[], now?: number): Instance[] {
    const malformed = ids.find((id) => !INSTANCE_ID.test(id));
    if (malformed !== undefined) {
      throw new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${malformed}" (expecting "i-...")`);
    }
    const known = (id: string) => {
      const instance = this.#instances.get(id);
      return instance !== undefined && (now === undefined || !isHidden(instance, now));
    };
    const missing = ids.filter((id) => !known(id));
    // A call that fails on a hidden instance still counts towards its becoming visible.
    if (missing.length > 0 && now !== undefined) {
      for (const id of ids) {
        const instance = this.#instances.get(id);
        if (instance && instance.hidden.calls > 0) instance.hidden.calls -= 1;
      }
    }
    if (missing.length === 1) {
      throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    }
    if (missing.length > 1) {
      throw new AwsError(
        'InvalidInstanceID.NotFound',
        `The instance IDs '${missing.join(', ')}' do not exist`,
      );
    }
    return [...new Set(ids)].flatMap((id) => {
      const instance = this.#instances.get(id);
      return instance ? [instance] : [];
    });
  }

  /** Start/Stop/TerminateInstances: every instance is checked before any changes state. */
  #changeState(input: QueryInput, call: Call, change: 'start' | 'stop' | 'terminate'): XmlObject {
    const ids = input.strings('InstanceId');
    if (ids.length === 0) {
      throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
    }
    const instances = this.#instancesById(ids);
    const plans = instances.map((instance) => ({ instance, target: plannedState(instance, change) }));
    const previous = new Map(instances.map((instance) => [instance.id, instance.state]));
    for (const { instance, target } of plans) {
      if (target === instance.state) continue;
      if (change === 'start') {
        instance.stateReason = undefined;
        instance.transitionReason = '';
      } else {
        instance.stateReason = USER_SHUTDOWN;
        instance.transitionReason = `User initiated (${gmt(call.now)})`;
      }
      instance.next = undefined;
      this.#enter(instance, target, call.now);
    }
    return {
      instancesSet: instances.map((instance) => ({
        instanceId: instance.id,
        currentState: stateXml(instance.state),
        previousState: stateXml(previous.get(instance.id) ?? instance.state),
      })),
    };
  }

  #createTags(input: QueryInput): XmlObject {
    const tags = input.list('Tag').map((tag) => {
      const key = tag.str('Key') ?? '';
      if (key === '' || key.length > 128) {
        throw new AwsError('InvalidParameterValue', `Tag key '${key}' must be between 1 and 128 characters`);
      }
      if (key.toLowerCase().startsWith('aws:')) {
        throw new AwsError(
          'InvalidParameterValue',
          "Tag keys starting with 'aws:' are reserved for internal use",
        );
      }
      const value = tag.str('Value') ?? '';
      if (value.length > 256) {
        throw new AwsError(
          'InvalidParameterValue',
          `Tag value for key '${key}' must be at most 256 characters`,
        );
      }
      return [key, value] as const;
    });
    const targets = this.#taggable(input.strings('ResourceId'));
    for (const target of targets) {
      const keys = new Set([...target.keys(), ...tags.map(([key]) => key)]);
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
      if (keys.size > 50)
        throw new AwsError('TagLimitExceeded', 'The maximum number of tags per resource is 50');
    }
    for (const target of targets) for (const [key, value] of tags) target.set(key, value);
    return { return: true };
  }

  #deleteTags(input: QueryInput): XmlObject {
    const tags = input.list('Tag').map((tag) => ({ key: tag.str('Key') ?? '', value: tag.str('Value') }));
    for (const target of this.#taggable(input.strings('ResourceId'))) {
      // Without Tag parameters, DeleteTags removes every tag of the resources.
      if (tags.length === 0) target.clear();
      for (const { key, value } of tags) {
        if (value === undefined || target.get(key) === value) target.delete(key);
      }
    }
    return { return: true };
  }

  #taggable(resourceIds: readonly string[]): Map<string, string>[] {
    if (resourceIds.length === 0) {
      throw new AwsError('MissingParameter', 'The request must contain the parameter ResourceId');
    }
    return resourceIds.map((id) => {
      const resource =
        this.#instances.get(id) ??
        this.#vpcs.get(id) ??
        this.#subnets.get(id) ??
        this.#securityGroups.get(id);
      if (resource) return resource.tags;
      const kind = id.split('-')[0];
      if (kind === 'i')
        throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      if (kind === 'vpc') throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
      if (kind === 'subnet')
        throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
      if (kind === 'sg')
        throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
    });
  }

  /** A terminated instance has left its subnet: AWS no longer reports its VPC, subnet or addresses. */
  #instanceXml(instance: Instance): XmlObject {
    const attached = instance.state !== 'terminated';
    return {
      instanceId: instance.id,
      imageId: instance.imageId,
      instanceState: stateXml(instance.state),
      privateDnsName: attached
        ? `ip-${instance.privateIpAddress.replaceAll('.', '-')}.${this.#env.region}.compute.internal`
        : '',
      dnsName: '',
      reason: instance.transitionReason,
      amiLaunchIndex: instance.launchIndex,
      productCodes: [],
      instanceType: instance.instanceType,
      launchTime: new Date(instance.launchTime),
      placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
      monitoring: { state: 'disabled' },
      subnetId: attached ? instance.subnetId : undefined,
      vpcId: attached ? instance.vpcId : undefined,
      privateIpAddress: attached ? instance.privateIpAddress : undefined,
      sourceDestCheck: attached ? true : undefined,
      groupSet: attached ? instance.securityGroups.map((g) => ({ groupId: g.id, groupName: g.name })) : [],
      stateReason: instance.stateReason,
      architecture: 'x86_64',
      rootDeviceType: 'ebs',
      rootDeviceName: '/dev/xvda',
      blockDeviceMapping: [],
      virtualizationType: 'hvm',
      clientToken: instance.clientToken,
      tagSet: tagSet(instance.tags),
      hypervisor: 'xen',
      ebsOptimized: false,
      enaSupport: true,
    };
  }
}

function isHidden(instance: Instance, now: number): boolean {
  return instance.hidden.calls > 0 || now < instance.hidden.until;
}

/** The state a change leads to, or the IncorrectInstanceState error EC2 answers with. */
function plannedState(instance: Instance, change: 'start' | 'stop' | 'terminate'): InstanceStateName {
  const { state } = instance;
  if (change === 'terminate') return state === 'terminated' ? state : 'shutting-down';
  if (change === 'stop') {
    if (state === 'running') return 'stopping';
    if (state === 'stopping' || state === 'stopped') return state;
    throw new AwsError(
      'IncorrectInstanceState',
      `The instance '${instance.id}' is not in a state from which it can be stopped.`,
    );
  }
  if (state === 'stopped') return 'pending';
  if (state === 'pending' || state === 'running') return state;
  throw new AwsError(
    'IncorrectInstanceState',
    `The instance '${instance.id}' is not in a state from which it can be started.`,
  );
}

interface Filter {
  matches(instance: Instance): boolean;
}

/** DescribeInstances filters; values may use the `*` and `?` wildcards. */
function parseFilter(filter: QueryInput): Filter {
  const name = filter.str('Name') ?? '';
  const patterns = filter.strings('Value').map(wildcard);
  const any = (value: string | undefined) => value !== undefined && patterns.some((p) => p.test(value));
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return { matches: (instance) => any(instance.tags.get(key)) };
  }
  const attached = (instance: Instance) => instance.state !== 'terminated';
  const byName: Record<string, (instance: Instance) => boolean> = {
    'instance-id': (instance) => any(instance.id),
    'tag-key': (instance) => [...instance.tags.keys()].some(any),
    'tag-value': (instance) => [...instance.tags.values()].some(any),
    'instance-state-name': (instance) => any(instance.state),
    'instance-state-code': (instance) => any(String(STATE_CODES[instance.state])),
    'vpc-id': (instance) => attached(instance) && any(instance.vpcId),
    'subnet-id': (instance) => attached(instance) && any(instance.subnetId),
    'availability-zone': (instance) => any(instance.availabilityZone),
  };
  const matches = byName[name];
  if (!matches) throw new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`);
  return { matches };
}

function wildcard(value: string): RegExp {
  const escaped = value
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

/** TagSpecification.N for one resource type (RunInstances, CreateVpc …). */
function tagSpecifications(input: QueryInput, resourceType: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const spec of input.list('TagSpecification')) {
    if (spec.str('ResourceType') !== resourceType) continue;
    for (const tag of spec.list('Tag')) tags.set(tag.str('Key') ?? '', tag.str('Value') ?? '');
  }
  return tags;
}

/** EC2 leaves `tagSet` out of a resource without tags. */
function tagSet(tags: Map<string, string>): XmlObject[] | undefined {
  return tags.size > 0 ? [...tags].map(([key, value]) => ({ key, value })) : undefined;
}

function stateXml(state: InstanceStateName): XmlObject {
  return { code: STATE_CODES[state], name: state };
}

function requiredParameter(input: QueryInput, name: string): string {
  const value = input.str(name);
  if (value === undefined || value === '') {
    throw new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
  }
  return value;
}

function requiredCount(input: QueryInput, name: string): number {
  const value = Number(requiredParameter(input, name));
  if (!Number.isInteger(value) || value < 1) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${input.str(name)}) for parameter ${name} is invalid.`,
    );
  }
  return value;
}

/** "2026-11-20 04:02:55 GMT", the timestamp form of EC2's StateTransitionReason. */
function gmt(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}
