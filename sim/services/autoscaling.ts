/**
 * EC2 Auto Scaling groups as a co-owner of the target group: the group launches and terminates instances
 * to its desired capacity, and registers its instances in its attached target groups when they enter
 * InService and deregisters them when they leave it (scale-in, Standby, termination), through ELB calls
 * made with its service-linked role, which CloudTrail records.
 *
 * Lifecycle: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html
 * Lifecycle hooks: https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html
 * Load balancers: https://docs.aws.amazon.com/autoscaling/ec2/userguide/attach-load-balancer-asg.html
 * API: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Operations.html
 *
 * Warm pools: instances the group launches ahead of need and keeps stopped (or running, or hibernated)
 * beside it; a scale-out takes them first. They carry the group's tags, as every instance the group launches
 * does (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html), and stay out
 * of the attached target groups until they move into the group and enter InService, which is when the group
 * registers an instance (attach-load-balancer-asg above).
 * Warm pools: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html
 * Their lifecycle: https://docs.aws.amazon.com/autoscaling/ec2/userguide/warm-pool-instance-lifecycle.html
 * API: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html, API_DescribeWarmPool,
 * API_DeleteWarmPool, API_WarmPoolConfiguration.
 *
 * Not simulated: scaling policies, instance refresh, mixed instances, launch configurations, returning
 * instances to the warm pool on scale-in (InstanceReusePolicy); a launch template is accepted by name or id
 * without being looked up.
 */
import { AwsError } from '../errors.ts';
import type { Caller } from '../events.ts';
import { uuid } from '../ids.ts';
import { QueryInput, type QueryTree } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import type { Call, Environment } from './context.ts';
import type { Ec2Service } from './ec2.ts';

type LifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'EnteringStandby'
  | 'Standby'
  | WarmedState;

/** A warm pool instance's own lifecycle (warm-pool-instance-lifecycle). */
type WarmedState =
  | 'Warmed:Pending'
  | 'Warmed:Pending:Wait'
  | 'Warmed:Pending:Proceed'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated'
  | 'Warmed:Terminating';

type PoolState = 'Stopped' | 'Running' | 'Hibernated';
const POOL_STATES: readonly string[] = ['Stopped', 'Running', 'Hibernated'];

/** PutWarmPool's settings, with its defaults: MinSize 0, PoolState Stopped, the size from MaxSize. */
interface WarmPool {
  minSize: number;
  /** Instances allowed in the group and the warm pool together; unset: the group's MaxSize. */
  maxGroupPreparedCapacity: number | undefined;
  poolState: PoolState;
  /** DeleteWarmPool without ForceDelete: the pool stays until its instances are terminated. */
  pendingDelete: boolean;
}

const isWarm = (state: LifecycleState): state is WarmedState => state.startsWith('Warmed:');

type Transition = 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';

interface Hook {
  readonly name: string;
  readonly transition: Transition;
  readonly heartbeatTimeout: number;
  readonly defaultResult: 'CONTINUE' | 'ABANDON';
}

interface Member {
  readonly id: string;
  readonly availabilityZone: string;
  state: LifecycleState;
  /** While in a wait state: the hook, its action token and when it times out. */
  wait: { readonly hook: Hook; readonly token: string; deadline: number } | undefined;
  /** Whether the group has this instance registered in its target groups. */
  registered: boolean;
}

interface Group {
  readonly name: string;
  readonly arn: string;
  minSize: number;
  maxSize: number;
  desired: number;
  readonly subnetIds: readonly string[];
  readonly launchTemplate: XmlObject;
  readonly tags: readonly { key: string; value: string; propagate: boolean }[];
  readonly targetGroups: Map<string, 'Added' | 'Removing'>;
  readonly healthCheckType: string;
  readonly healthCheckGracePeriod: number;
  readonly createdAt: number;
  /** The group's instances and its warm pool's (in a Warmed:* state). */
  readonly members: Map<string, Member>;
  readonly hooks: Map<string, Hook>;
  warmPool: WarmPool | undefined;
}

/** What the Auto Scaling service uses of the rest of the simulator. */
export interface AutoScalingDependencies {
  readonly env: Environment;
  readonly ec2: Ec2Service;
  /** Runs an ELBv2 action as `caller` and records it in CloudTrail; errors are recorded, not thrown. */
  elbv2(caller: Caller, action: string, query: QueryTree): void;
  /** Whether the instance is still draining from the target group. */
  draining(targetGroupArn: string, instanceId: string): boolean;
  targetGroupExists(arn: string): boolean;
  /** Auto Scaling's service-linked role as CloudTrail shows its calls. */
  serviceRole(since: number): Caller;
}

type Handler = (input: QueryInput, call: Call) => XmlObject;

const NAME = /^[\u0020-\uD7FF\uE000-\uFFFD]{1,255}$/;
const HOOK_NAME = /^[A-Za-z0-9\-_/]{1,255}$/;
const PLACEHOLDER_AMI = 'ami-0123456789abcdef0';

export class AutoScalingService {
  readonly #deps: AutoScalingDependencies;
  readonly #groups = new Map<string, Group>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateAutoScalingGroup: (input, call) => this.#createGroup(input, call),
    DescribeAutoScalingGroups: (input) => this.#describeGroups(input),
    DescribeAutoScalingInstances: (input) => this.#describeInstances(input),
    UpdateAutoScalingGroup: (input) => this.#updateGroup(input),
    SetDesiredCapacity: (input) => {
      const group = this.#group(input.required('AutoScalingGroupName'));
      this.#setDesired(group, requiredInt(input, 'DesiredCapacity'));
      return {};
    },
    AttachLoadBalancerTargetGroups: (input, call) =>
      this.#attach(input.required('AutoScalingGroupName'), input.strings('TargetGroupARNs'), call),
    DetachLoadBalancerTargetGroups: (input, call) =>
      this.#detach(input.required('AutoScalingGroupName'), input.strings('TargetGroupARNs'), call),
    DescribeLoadBalancerTargetGroups: (input) => ({
      LoadBalancerTargetGroups: [...this.#group(input.required('AutoScalingGroupName')).targetGroups].map(
        ([arn, state]) => ({ LoadBalancerTargetGroupARN: arn, State: state }),
      ),
    }),
    AttachTrafficSources: (input, call) =>
      this.#attach(input.required('AutoScalingGroupName'), trafficSources(input), call),
    DetachTrafficSources: (input, call) =>
      this.#detach(input.required('AutoScalingGroupName'), trafficSources(input), call),
    DescribeTrafficSources: (input) => ({
      TrafficSources: [...this.#group(input.required('AutoScalingGroupName')).targetGroups].map(
        ([arn, state]) => ({ TrafficSource: arn, Identifier: arn, Type: 'elbv2', State: state }),
      ),
    }),
    EnterStandby: (input, call) => this.#enterStandby(input, call),
    ExitStandby: (input, call) => this.#exitStandby(input, call),
    TerminateInstanceInAutoScalingGroup: (input, call) => this.#terminateInstance(input, call),
    PutLifecycleHook: (input) => this.#putLifecycleHook(input),
    DescribeLifecycleHooks: (input) => ({
      LifecycleHooks: [...this.#group(input.required('AutoScalingGroupName')).hooks.values()]
        .filter((hook) => {
          const names = input.strings('LifecycleHookNames');
          return names.length === 0 || names.includes(hook.name);
        })
        .map((hook) => hookXml(input.required('AutoScalingGroupName'), hook)),
    }),
    CompleteLifecycleAction: (input, call) => this.#completeLifecycleAction(input, call),
    RecordLifecycleActionHeartbeat: (input, call) => {
      const { member, hook } = this.#waiting(input);
      if (member.wait) member.wait.deadline = call.now + hook.heartbeatTimeout * 1000;
      return {};
    },
    DeleteAutoScalingGroup: (input, call) => this.#deleteGroup(input, call),
    PutWarmPool: (input, call) => this.#putWarmPool(input, call),
    DescribeWarmPool: (input) => this.#describeWarmPool(input),
    DeleteWarmPool: (input, call) => this.#deleteWarmPool(input, call),
  };

  constructor(deps: AutoScalingDependencies) {
    this.#deps = deps;
  }

  /**
   * Moves every group towards its desired capacity and its instances along their lifecycle, as far as
   * `now` allows: running instances leave Pending, timed-out hooks take their default result, drained
   * instances finish Standby or termination, and instances EC2 reports stopped or gone are replaced.
   */
  advance(now: number): void {
    for (const group of this.#groups.values()) {
      for (const member of [...group.members.values()]) this.#step(group, member, now);
      this.#finishDetaching(group);
      this.#finishDeletingWarmPool(group);
      this.#reconcile(group, now);
    }
  }

  #step(group: Group, member: Member, now: number): void {
    const instance = this.#deps.ec2.instance(member.id);
    const ec2State = instance?.state;
    if (isWarm(member.state)) {
      this.#stepWarm(group, member, ec2State, now);
      return;
    }
    if (member.state === 'Pending' && ec2State === 'running') {
      const hook = this.#hookFor(group, 'autoscaling:EC2_INSTANCE_LAUNCHING');
      if (hook) this.#wait(member, hook, 'Pending:Wait', now);
      else this.#putInService(group, member, now);
      return;
    }
    if (member.wait && member.wait.deadline <= now) {
      this.#proceed(group, member, member.wait.hook.defaultResult, now);
      return;
    }
    // EC2 health checks: an instance that is no longer running is unhealthy and gets replaced.
    if (
      (member.state === 'InService' || member.state === 'Pending') &&
      (ec2State === undefined || ['stopping', 'stopped', 'shutting-down', 'terminated'].includes(ec2State))
    ) {
      this.#beginTermination(group, member, now);
      return;
    }
    if (member.state === 'EnteringStandby' && !this.#stillDraining(group, member)) member.state = 'Standby';
    if (member.state === 'Terminating' && !this.#stillDraining(group, member)) {
      const hook = this.#hookFor(group, 'autoscaling:EC2_INSTANCE_TERMINATING');
      if (hook && ec2State !== 'terminated' && ec2State !== undefined)
        this.#wait(member, hook, 'Terminating:Wait', now);
      else this.#terminate(group, member, now);
    }
  }

  /**
   * A warm pool instance: launched (Warmed:Pending, and Warmed:Pending:Wait behind a launch hook), then
   * stopped, hibernated or kept running as the pool state says; one EC2 no longer has is replaced.
   */
  #stepWarm(group: Group, member: Member, ec2State: string | undefined, now: number): void {
    if (member.state === 'Warmed:Terminating') {
      if (ec2State === undefined || ec2State === 'terminated') group.members.delete(member.id);
      return;
    }
    if (member.state === 'Warmed:Pending' && ec2State === 'running') {
      const hook = this.#hookFor(group, 'autoscaling:EC2_INSTANCE_LAUNCHING');
      if (hook) this.#wait(member, hook, 'Warmed:Pending:Wait', now);
      else this.#settleWarm(group, member, now);
      return;
    }
    if (member.wait && member.wait.deadline <= now) {
      this.#proceed(group, member, member.wait.hook.defaultResult, now);
      return;
    }
    if (member.state === 'Warmed:Pending:Proceed' && ec2State === 'stopped') {
      member.state = group.warmPool?.poolState === 'Hibernated' ? 'Warmed:Hibernated' : 'Warmed:Stopped';
      return;
    }
    const healthy =
      member.state === 'Warmed:Stopped' || member.state === 'Warmed:Hibernated'
        ? ec2State === 'stopped'
        : ec2State !== undefined && !['shutting-down', 'terminated'].includes(ec2State);
    if (!healthy && member.state !== 'Warmed:Pending:Proceed') this.#terminate(group, member, now);
  }

  /** The end of a warm launch: kept running, or stopped (a hibernated instance is stopped to EC2). */
  #settleWarm(group: Group, member: Member, now: number): void {
    member.wait = undefined;
    if (group.warmPool?.poolState === 'Running') {
      member.state = 'Warmed:Running';
      return;
    }
    member.state = 'Warmed:Pending:Proceed';
    this.#deps.ec2.handlers.StopInstances?.(queryInput({ InstanceId: { '1': member.id } }), { now });
  }

  /** Ready to move into the group: kept running, or fully stopped (EC2 starts no stopping instance). */
  #readyInWarmPool(member: Member): boolean {
    if (member.state === 'Warmed:Running') return true;
    return (
      (member.state === 'Warmed:Stopped' || member.state === 'Warmed:Hibernated') &&
      this.#deps.ec2.instance(member.id)?.state === 'stopped'
    );
  }

  /** A scale-out from the warm pool: started if stopped, then Pending, and InService as any launch. */
  #leaveWarmPool(member: Member, now: number): void {
    if (member.state !== 'Warmed:Running') {
      this.#deps.ec2.handlers.StartInstances?.(queryInput({ InstanceId: { '1': member.id } }), { now });
    }
    member.state = 'Pending';
  }

  /**
   * The warm pool's size: MaxGroupPreparedCapacity (or MaxSize) less the desired capacity, at least
   * MinSize (PutWarmPool, MaxGroupPreparedCapacity).
   */
  #reconcileWarmPool(group: Group, now: number): void {
    const pool = group.warmPool;
    if (!pool || pool.pendingDelete) return;
    const prepared = pool.maxGroupPreparedCapacity ?? group.maxSize;
    const size = Math.max(pool.minSize, prepared - group.desired);
    const warm = () =>
      [...group.members.values()].filter((m) => isWarm(m.state) && m.state !== 'Warmed:Terminating');
    while (warm().length < size) this.#launch(group, now, 'Warmed:Pending');
    for (const member of warm().slice(size)) this.#terminateWarm(member, now);
  }

  #terminateWarm(member: Member, now: number): void {
    member.wait = undefined;
    member.state = 'Warmed:Terminating';
    this.#deps.ec2.handlers.TerminateInstances?.(queryInput({ InstanceId: { '1': member.id } }), { now });
  }

  #hookFor(group: Group, transition: Transition): Hook | undefined {
    return [...group.hooks.values()].find((hook) => hook.transition === transition);
  }

  #wait(
    member: Member,
    hook: Hook,
    state: 'Pending:Wait' | 'Terminating:Wait' | 'Warmed:Pending:Wait',
    now: number,
  ): void {
    member.state = state;
    member.wait = { hook, token: uuid(), deadline: now + hook.heartbeatTimeout * 1000 };
  }

  /** The end of a wait state: CONTINUE or ABANDON (an abandoned launch is terminated). */
  #proceed(group: Group, member: Member, result: 'CONTINUE' | 'ABANDON', now: number): void {
    const state = member.state;
    member.wait = undefined;
    if (state === 'Warmed:Pending:Wait') {
      if (result === 'CONTINUE') this.#settleWarm(group, member, now);
      else this.#terminate(group, member, now);
      return;
    }
    if (state === 'Pending:Wait') {
      if (result === 'CONTINUE') this.#putInService(group, member, now);
      else this.#terminate(group, member, now);
      return;
    }
    this.#terminate(group, member, now);
  }

  /** "Registers the instance with the load balancer" before it is InService (attach-load-balancer-asg). */
  #putInService(group: Group, member: Member, now: number): void {
    member.state = 'InService';
    const attached = [...group.targetGroups].filter(([, state]) => state === 'Added').map(([arn]) => arn);
    for (const arn of attached) this.#elb('RegisterTargets', arn, member.id, now);
    member.registered = attached.length > 0;
  }

  /** Deregisters an instance that is still registered; the instance stays up while it drains. */
  #deregister(group: Group, member: Member, now: number): void {
    if (!member.registered) return;
    for (const arn of group.targetGroups.keys()) this.#elb('DeregisterTargets', arn, member.id, now);
    member.registered = false;
  }

  #stillDraining(group: Group, member: Member): boolean {
    return [...group.targetGroups.keys()].some((arn) => this.#deps.draining(arn, member.id));
  }

  #elb(
    action: 'RegisterTargets' | 'DeregisterTargets',
    targetGroupArn: string,
    instanceId: string,
    now: number,
  ): void {
    this.#deps.elbv2(this.#deps.serviceRole(now), action, {
      TargetGroupArn: targetGroupArn,
      Targets: { member: { '1': { Id: instanceId } } },
    });
  }

  #beginTermination(group: Group, member: Member, now: number): void {
    member.wait = undefined;
    member.state = 'Terminating';
    this.#deregister(group, member, now);
  }

  #terminate(group: Group, member: Member, now: number): void {
    const instance = this.#deps.ec2.instance(member.id);
    if (instance && instance.state !== 'terminated' && instance.state !== 'shutting-down') {
      this.#deps.ec2.handlers.TerminateInstances?.(queryInput({ InstanceId: { '1': member.id } }), { now });
    }
    group.members.delete(member.id);
  }

  /**
   * Launches or terminates to the desired capacity, taking ready warm pool instances before launching new
   * ones; Standby, terminating and warm pool instances do not count. Then the warm pool is refilled.
   */
  #reconcile(group: Group, now: number): void {
    const counted = () =>
      [...group.members.values()].filter((m) => ['Pending', 'Pending:Wait', 'InService'].includes(m.state));
    while (counted().length < group.desired) {
      const warm = [...group.members.values()].find((member) => this.#readyInWarmPool(member));
      if (warm) this.#leaveWarmPool(warm, now);
      else this.#launch(group, now, 'Pending');
    }
    const excess = counted().length - group.desired;
    for (const member of scaleInOrder(counted()).slice(0, Math.max(0, excess))) {
      this.#beginTermination(group, member, now);
    }
    this.#reconcileWarmPool(group, now);
  }

  /** A new instance in the zone with the fewest of the group's instances (AZ balance). */
  #launch(group: Group, now: number, state: 'Pending' | 'Warmed:Pending'): void {
    const perZone = new Map<string, number>();
    for (const member of group.members.values()) {
      perZone.set(member.availabilityZone, (perZone.get(member.availabilityZone) ?? 0) + 1);
    }
    const subnets = group.subnetIds.flatMap((id) => {
      const subnet = this.#deps.ec2.subnet(id);
      return subnet ? [subnet] : [];
    });
    const [subnet] = [...subnets].sort(
      (a, b) => (perZone.get(a.availabilityZone) ?? 0) - (perZone.get(b.availabilityZone) ?? 0),
    );
    if (!subnet) return;
    const tags = [
      ...group.tags.filter((tag) => tag.propagate).map((tag) => ({ Key: tag.key, Value: tag.value })),
      { Key: 'aws:autoscaling:groupName', Value: group.name },
    ];
    const result = this.#deps.ec2.handlers.RunInstances?.(
      queryInput({
        ImageId: PLACEHOLDER_AMI,
        InstanceType: 't3.micro',
        MinCount: '1',
        MaxCount: '1',
        SubnetId: subnet.id,
        TagSpecification: {
          '1': {
            ResourceType: 'instance',
            Tag: Object.fromEntries(tags.map((tag, index) => [String(index + 1), tag])),
          },
        },
      }),
      { now },
    );
    const id = String(
      ((result?.instancesSet as XmlObject[] | undefined)?.[0] as XmlObject | undefined)?.instanceId,
    );
    group.members.set(id, {
      id,
      availabilityZone: subnet.availabilityZone,
      state,
      wait: undefined,
      registered: false,
    });
  }

  #finishDetaching(group: Group): void {
    for (const [arn, state] of group.targetGroups) {
      const draining = [...group.members.keys()].some((id) => this.#deps.draining(arn, id));
      if (state === 'Removing' && !draining) group.targetGroups.delete(arn);
    }
  }

  // ---- API ----

  #createGroup(input: QueryInput, call: Call): XmlObject {
    const name = groupName(input.required('AutoScalingGroupName'));
    if (this.#groups.has(name)) {
      throw new AwsError(
        'AlreadyExists',
        `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`,
      );
    }
    const minSize = requiredInt(input, 'MinSize');
    const maxSize = requiredInt(input, 'MaxSize');
    const desired = input.int('DesiredCapacity') ?? minSize;
    checkSizes(minSize, maxSize, desired);
    const template = input.child('LaunchTemplate');
    if (!template && !input.has('MixedInstancesPolicy') && !input.has('LaunchConfigurationName')) {
      throw new AwsError(
        'ValidationError',
        'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
      );
    }
    const subnetIds = (input.str('VPCZoneIdentifier') ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
    if (subnetIds.length === 0) {
      throw new AwsError('ValidationError', 'At least one Availability Zone or VPC Subnet is required.');
    }
    for (const id of subnetIds) {
      if (!this.#deps.ec2.subnet(id))
        throw new AwsError('ValidationError', `The subnet ID '${id}' does not exist`);
    }
    const targetGroups = input.strings('TargetGroupARNs');
    for (const arn of targetGroups) this.#requireTargetGroup(arn);
    const group: Group = {
      name,
      arn: `arn:aws:autoscaling:${this.#deps.env.region}:${this.#deps.env.account}:autoScalingGroup:${uuid()}:autoScalingGroupName/${name}`,
      minSize,
      maxSize,
      desired,
      subnetIds,
      launchTemplate: {
        LaunchTemplateId: template?.str('LaunchTemplateId'),
        LaunchTemplateName: template?.str('LaunchTemplateName'),
        Version: template?.str('Version') ?? '$Default',
      },
      tags: input.list('Tags').map((tag) => ({
        key: tag.str('Key') ?? '',
        value: tag.str('Value') ?? '',
        propagate: tag.bool('PropagateAtLaunch') ?? false,
      })),
      targetGroups: new Map(targetGroups.map((arn) => [arn, 'Added' as const])),
      healthCheckType: input.str('HealthCheckType') ?? 'EC2',
      healthCheckGracePeriod: input.int('HealthCheckGracePeriod') ?? 0,
      createdAt: call.now,
      members: new Map(),
      hooks: new Map(),
      warmPool: undefined,
    };
    for (const spec of input.list('LifecycleHookSpecificationList')) {
      const hook = parseHook(spec);
      group.hooks.set(hook.name, hook);
    }
    this.#groups.set(name, group);
    this.#reconcile(group, call.now);
    return {};
  }

  #group(name: string): Group {
    const group = this.#groups.get(name);
    if (!group) {
      throw new AwsError(
        'ValidationError',
        `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`,
      );
    }
    return group;
  }

  #requireTargetGroup(arn: string): void {
    if (!this.#deps.targetGroupExists(arn)) {
      throw new AwsError(
        'ValidationError',
        `Provided Target Groups may not be valid. Please ensure they exist: ${arn}`,
      );
    }
  }

  #describeGroups(input: QueryInput): XmlObject {
    const names = input.strings('AutoScalingGroupNames');
    const groups = [...this.#groups.values()].filter(
      (group) => names.length === 0 || names.includes(group.name),
    );
    return {
      AutoScalingGroups: groups.map((group) => ({
        AutoScalingGroupName: group.name,
        AutoScalingGroupARN: group.arn,
        LaunchTemplate: group.launchTemplate,
        MinSize: group.minSize,
        MaxSize: group.maxSize,
        DesiredCapacity: group.desired,
        DefaultCooldown: 300,
        AvailabilityZones: [
          ...new Set(group.subnetIds.map((id) => this.#deps.ec2.subnet(id)?.availabilityZone ?? '')),
        ],
        LoadBalancerNames: [],
        TargetGroupARNs: [...group.targetGroups.keys()],
        HealthCheckType: group.healthCheckType,
        HealthCheckGracePeriod: group.healthCheckGracePeriod,
        Instances: [...group.members.values()]
          .filter((member) => !isWarm(member.state))
          .map((member) => instanceXml(group, member)),
        CreatedTime: new Date(group.createdAt),
        VPCZoneIdentifier: group.subnetIds.join(','),
        Tags: group.tags.map((tag) => ({
          ResourceId: group.name,
          ResourceType: 'auto-scaling-group',
          Key: tag.key,
          Value: tag.value,
          PropagateAtLaunch: tag.propagate,
        })),
        TerminationPolicies: ['Default'],
        NewInstancesProtectedFromScaleIn: false,
        ServiceLinkedRoleARN: `arn:aws:iam::${this.#deps.env.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
        TrafficSources: [...group.targetGroups.keys()].map((arn) => ({ Identifier: arn, Type: 'elbv2' })),
        ...(group.warmPool
          ? {
              WarmPoolConfiguration: warmPoolXml(group.warmPool),
              WarmPoolSize: [...group.members.values()].filter((m) => isWarm(m.state)).length,
            }
          : {}),
      })),
    };
  }

  #describeInstances(input: QueryInput): XmlObject {
    const ids = input.strings('InstanceIds');
    return {
      AutoScalingInstances: [...this.#groups.values()].flatMap((group) =>
        [...group.members.values()]
          .filter((member) => ids.length === 0 || ids.includes(member.id))
          .map((member) => ({
            InstanceId: member.id,
            InstanceType: 't3.micro',
            AutoScalingGroupName: group.name,
            AvailabilityZone: member.availabilityZone,
            LifecycleState: member.state,
            HealthStatus: 'HEALTHY',
            LaunchTemplate: group.launchTemplate,
            ProtectedFromScaleIn: false,
          })),
      ),
    };
  }

  #updateGroup(input: QueryInput): XmlObject {
    const group = this.#group(input.required('AutoScalingGroupName'));
    const minSize = input.int('MinSize') ?? group.minSize;
    const maxSize = input.int('MaxSize') ?? group.maxSize;
    const desired = input.int('DesiredCapacity') ?? Math.min(Math.max(group.desired, minSize), maxSize);
    checkSizes(minSize, maxSize, desired);
    group.minSize = minSize;
    group.maxSize = maxSize;
    group.desired = desired;
    return {};
  }

  #setDesired(group: Group, desired: number): void {
    if (desired > group.maxSize) {
      throw new AwsError(
        'ValidationError',
        `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
      );
    }
    if (desired < group.minSize) {
      throw new AwsError(
        'ValidationError',
        `New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`,
      );
    }
    group.desired = desired;
  }

  /** Attaching registers the InService instances; the instances launched later are registered as they come. */
  #attach(name: string, arns: readonly string[], call: Call): XmlObject {
    const group = this.#group(name);
    for (const arn of arns) this.#requireTargetGroup(arn);
    for (const arn of arns) {
      group.targetGroups.set(arn, 'Added');
      for (const member of group.members.values()) {
        if (member.state !== 'InService') continue;
        this.#elb('RegisterTargets', arn, member.id, call.now);
        member.registered = true;
      }
    }
    return {};
  }

  /** Detaching deregisters the group's instances; the target group is `Removing` while they drain. */
  #detach(name: string, arns: readonly string[], call: Call): XmlObject {
    const group = this.#group(name);
    for (const arn of arns) {
      if (!group.targetGroups.has(arn)) continue;
      for (const member of group.members.values()) {
        if (member.registered) this.#elb('DeregisterTargets', arn, member.id, call.now);
      }
      group.targetGroups.set(arn, 'Removing');
    }
    this.#finishDetaching(group);
    return {};
  }

  #member(input: QueryInput, allowed: readonly LifecycleState[]): { group: Group; members: Member[] } {
    const group = this.#group(input.required('AutoScalingGroupName'));
    const members = input.strings('InstanceIds').map((id) => {
      const member = group.members.get(id);
      if (!member) {
        throw new AwsError(
          'ValidationError',
          `The instance ${id} is not part of Auto Scaling group ${group.name}.`,
        );
      }
      if (!allowed.includes(member.state)) {
        throw new AwsError('ValidationError', `The instance ${id} is not in ${allowed.join(' or ')}.`);
      }
      return member;
    });
    return { group, members };
  }

  /** Standby takes the instance out of its target groups; without decrementing, a replacement launches. */
  #enterStandby(input: QueryInput, call: Call): XmlObject {
    const decrement = requiredBool(input, 'ShouldDecrementDesiredCapacity');
    const { group, members } = this.#member(input, ['InService']);
    if (decrement) this.#setDesired(group, group.desired - members.length);
    for (const member of members) {
      member.state = 'EnteringStandby';
      this.#deregister(group, member, call.now);
    }
    this.#reconcile(group, call.now);
    return {
      Activities: members.map((m) => activity(group, `Moving EC2 instance to Standby: ${m.id}`, call.now)),
    };
  }

  /** Leaving Standby adds the instance back: desired capacity grows by one and it goes through Pending. */
  #exitStandby(input: QueryInput, call: Call): XmlObject {
    const { group, members } = this.#member(input, ['Standby']);
    this.#setDesired(group, group.desired + members.length);
    for (const member of members) {
      const hook = this.#hookFor(group, 'autoscaling:EC2_INSTANCE_LAUNCHING');
      if (hook) this.#wait(member, hook, 'Pending:Wait', call.now);
      else this.#putInService(group, member, call.now);
    }
    return {
      Activities: members.map((m) =>
        activity(group, `Moving EC2 instance out of Standby: ${m.id}`, call.now),
      ),
    };
  }

  #terminateInstance(input: QueryInput, call: Call): XmlObject {
    const id = input.required('InstanceId');
    const decrement = requiredBool(input, 'ShouldDecrementDesiredCapacity');
    const group = [...this.#groups.values()].find((candidate) => candidate.members.has(id));
    const member = group?.members.get(id);
    if (!group || !member) {
      throw new AwsError(
        'ValidationError',
        `Instance Id not found - No managed instance found for instance ID ${id}`,
      );
    }
    if (decrement) this.#setDesired(group, group.desired - 1);
    this.#beginTermination(group, member, call.now);
    this.#reconcile(group, call.now);
    return { Activity: activity(group, `Terminating EC2 instance: ${id}`, call.now) };
  }

  #putLifecycleHook(input: QueryInput): XmlObject {
    const group = this.#group(input.required('AutoScalingGroupName'));
    const hook = parseHook(input);
    group.hooks.set(hook.name, hook);
    return {};
  }

  #waiting(input: QueryInput): { group: Group; member: Member; hook: Hook } {
    const group = this.#group(input.required('AutoScalingGroupName'));
    const hookName = input.required('LifecycleHookName');
    const hook = group.hooks.get(hookName);
    if (!hook) {
      throw new AwsError(
        'ValidationError',
        `No Lifecycle Hook found for name: ${hookName} in group ${group.name}`,
      );
    }
    const token = input.str('LifecycleActionToken');
    const id = input.str('InstanceId');
    const member = [...group.members.values()].find(
      (candidate) =>
        candidate.wait?.hook.name === hookName &&
        (token === undefined || candidate.wait.token === token) &&
        (id === undefined || candidate.id === id),
    );
    if (!member || (token === undefined && id === undefined)) {
      throw new AwsError(
        'ValidationError',
        `No active Lifecycle Action found with instance ID ${id ?? '(none)'} and token ${token ?? '(none)'}`,
      );
    }
    return { group, member, hook };
  }

  #completeLifecycleAction(input: QueryInput, call: Call): XmlObject {
    const { group, member } = this.#waiting(input);
    const result = input.required('LifecycleActionResult');
    if (result !== 'CONTINUE' && result !== 'ABANDON') {
      throw new AwsError(
        'ValidationError',
        `LifecycleActionResult must be CONTINUE or ABANDON, got ${result}`,
      );
    }
    this.#proceed(group, member, result, call.now);
    return {};
  }

  #putWarmPool(input: QueryInput, call: Call): XmlObject {
    const group = this.#group(input.required('AutoScalingGroupName'));
    const minSize = input.int('MinSize') ?? group.warmPool?.minSize ?? 0;
    if (minSize < 0) throw new AwsError('ValidationError', `MinSize must be 0 or more, got ${minSize}`);
    const prepared = input.int('MaxGroupPreparedCapacity');
    if (prepared !== undefined && prepared < -1) {
      throw new AwsError(
        'ValidationError',
        `MaxGroupPreparedCapacity must be -1 (unset) or more, got ${prepared}`,
      );
    }
    const poolState = input.str('PoolState') ?? group.warmPool?.poolState ?? 'Stopped';
    if (!POOL_STATES.includes(poolState)) {
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${poolState}' at 'poolState' failed to satisfy constraint: Member must satisfy enum value set: [${POOL_STATES.join(', ')}]`,
      );
    }
    if (input.child('InstanceReusePolicy')?.bool('ReuseOnScaleIn') === true) {
      throw new AwsError(
        'ValidationError',
        'The simulator does not return instances to the warm pool on scale-in (InstanceReusePolicy)',
      );
    }
    group.warmPool = {
      minSize,
      // -1 removes a value set before.
      maxGroupPreparedCapacity:
        prepared === -1 ? undefined : (prepared ?? group.warmPool?.maxGroupPreparedCapacity),
      poolState: poolState as PoolState,
      pendingDelete: false,
    };
    this.#reconcileWarmPool(group, call.now);
    return {};
  }

  #describeWarmPool(input: QueryInput): XmlObject {
    const group = this.#group(input.required('AutoScalingGroupName'));
    if (!group.warmPool) return { Instances: [] };
    return {
      WarmPoolConfiguration: warmPoolXml(group.warmPool),
      Instances: [...group.members.values()]
        .filter((member) => isWarm(member.state))
        .map((member) => instanceXml(group, member)),
    };
  }

  /** Terminates the warm pool's instances; without ForceDelete the pool is PendingDelete until they are gone. */
  #deleteWarmPool(input: QueryInput, call: Call): XmlObject {
    const group = this.#group(input.required('AutoScalingGroupName'));
    const pool = group.warmPool;
    if (!pool) {
      throw new AwsError('ValidationError', `No warm pool found for Auto Scaling group ${group.name}`);
    }
    const warm = [...group.members.values()].filter((member) => isWarm(member.state));
    for (const member of warm) {
      if (member.state !== 'Warmed:Terminating') this.#terminateWarm(member, call.now);
    }
    if (input.bool('ForceDelete') === true) {
      for (const member of warm) group.members.delete(member.id);
    }
    pool.pendingDelete = true;
    this.#finishDeletingWarmPool(group);
    return {};
  }

  #finishDeletingWarmPool(group: Group): void {
    if (!group.warmPool?.pendingDelete) return;
    if (![...group.members.values()].some((member) => isWarm(member.state))) group.warmPool = undefined;
  }

  /** Deleting needs ForceDelete while instances remain; forced, it terminates them. */
  #deleteGroup(input: QueryInput, call: Call): XmlObject {
    const group = this.#group(input.required('AutoScalingGroupName'));
    if (group.members.size > 0 && input.bool('ForceDelete') !== true) {
      throw new AwsError(
        'ResourceInUse',
        'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.',
      );
    }
    for (const member of [...group.members.values()]) {
      this.#deregister(group, member, call.now);
      this.#terminate(group, member, call.now);
    }
    this.#groups.delete(group.name);
    return {};
  }
}

/**
 * The default termination policy, simplified: the zone with the most instances first, and in it the
 * oldest launch (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html).
 */
function scaleInOrder(members: Member[]): Member[] {
  const perZone = new Map<string, number>();
  for (const member of members)
    perZone.set(member.availabilityZone, (perZone.get(member.availabilityZone) ?? 0) + 1);
  const order = members.map((member, index) => ({ member, index }));
  order.sort(
    (a, b) =>
      (perZone.get(b.member.availabilityZone) ?? 0) - (perZone.get(a.member.availabilityZone) ?? 0) ||
      a.index - b.index,
  );
  return order.map(({ member }) => member);
}

/** PutLifecycleHook's fields with its defaults: HeartbeatTimeout 3600 (30–7200), DefaultResult ABANDON. */
function parseHook(input: QueryInput): Hook {
  const name = input.required('LifecycleHookName');
  if (!HOOK_NAME.test(name)) {
    throw new AwsError('ValidationError', `Lifecycle hook name '${name}' must match [A-Za-z0-9\\-_\\/]+`);
  }
  const transition = input.str('LifecycleTransition');
  if (
    transition !== 'autoscaling:EC2_INSTANCE_LAUNCHING' &&
    transition !== 'autoscaling:EC2_INSTANCE_TERMINATING'
  ) {
    throw new AwsError(
      'ValidationError',
      'Lifecycle Transition must be autoscaling:EC2_INSTANCE_LAUNCHING or autoscaling:EC2_INSTANCE_TERMINATING',
    );
  }
  const heartbeatTimeout = input.int('HeartbeatTimeout') ?? 3600;
  if (heartbeatTimeout < 30 || heartbeatTimeout > 7200) {
    throw new AwsError('ValidationError', 'Heartbeat timeout must be between 30 and 7200 seconds');
  }
  const defaultResult = input.str('DefaultResult') ?? 'ABANDON';
  if (defaultResult !== 'CONTINUE' && defaultResult !== 'ABANDON') {
    throw new AwsError('ValidationError', 'Default result must be CONTINUE or ABANDON');
  }
  return { name, transition, heartbeatTimeout, defaultResult };
}

function hookXml(groupName: string, hook: Hook): XmlObject {
  return {
    LifecycleHookName: hook.name,
    AutoScalingGroupName: groupName,
    LifecycleTransition: hook.transition,
    HeartbeatTimeout: hook.heartbeatTimeout,
    GlobalTimeout: Math.min(172800, hook.heartbeatTimeout * 100),
    DefaultResult: hook.defaultResult,
  };
}

function instanceXml(group: Group, member: Member): XmlObject {
  return {
    InstanceId: member.id,
    InstanceType: 't3.micro',
    AvailabilityZone: member.availabilityZone,
    LifecycleState: member.state,
    HealthStatus: 'Healthy',
    LaunchTemplate: group.launchTemplate,
    ProtectedFromScaleIn: false,
  };
}

function warmPoolXml(pool: WarmPool): XmlObject {
  return {
    ...(pool.maxGroupPreparedCapacity !== undefined
      ? { MaxGroupPreparedCapacity: pool.maxGroupPreparedCapacity }
      : {}),
    MinSize: pool.minSize,
    PoolState: pool.poolState,
    ...(pool.pendingDelete ? { Status: 'PendingDelete' } : {}),
    InstanceReusePolicy: { ReuseOnScaleIn: false },
  };
}

function activity(group: Group, description: string, now: number): XmlObject {
  return {
    ActivityId: uuid(),
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    Description: description,
    Cause: `At ${new Date(now).toISOString()} a user request was made.`,
    StartTime: new Date(now),
    StatusCode: 'InProgress',
    Progress: 50,
  };
}

/** The traffic sources of Attach/DetachTrafficSources; only ELBv2 target groups are simulated. */
function trafficSources(input: QueryInput): string[] {
  return input.list('TrafficSources').map((source) => {
    const type = source.str('Type') ?? 'elbv2';
    if (type !== 'elbv2') {
      throw new AwsError(
        'ValidationError',
        `The simulator supports traffic sources of type elbv2 only, not ${type}`,
      );
    }
    return source.required('Identifier');
  });
}

function groupName(name: string): string {
  if (!NAME.test(name)) throw new AwsError('ValidationError', `Invalid AutoScalingGroupName '${name}'`);
  return name;
}

function requiredInt(input: QueryInput, name: string): number {
  input.required(name);
  return input.int(name) ?? 0;
}

function requiredBool(input: QueryInput, name: string): boolean {
  input.required(name);
  return input.bool(name) === true;
}

function checkSizes(minSize: number, maxSize: number, desired: number): void {
  if (minSize > maxSize) {
    throw new AwsError(
      'ValidationError',
      `Max bound, ${maxSize}, must be greater than or equal to min bound, ${minSize}`,
    );
  }
  if (desired < minSize || desired > maxSize) {
    throw new AwsError(
      'ValidationError',
      `Desired capacity:${desired} must be between the specified min size:${minSize} and max size:${maxSize}`,
    );
  }
}

function queryInput(tree: QueryTree): QueryInput {
  return new QueryInput(tree);
}
