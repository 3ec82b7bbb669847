/**
 * Registration decisions: which instances belong in a binding's target group, as a keyed three-way diff
 * (`id:port`) with ownership and the safety limit applied. Pure: observed state in, plan out.
 */

import type { Instance, InstanceState, Target, TargetHealth } from './model.ts';
import { targetKey } from './model.ts';
import type { Binding } from './settings.ts';
import { MINUTE } from './time.ts';

/** True when every tag of the selector is on the instance with the same value. */
export function matchesSelector(
  instance: Pick<Instance, 'tags'>,
  selector: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([key, value]) => instance.tags[key] === value);
}

/** One canonical text per selector, so bindings that share a selector share one DescribeInstances query. */
export function selectorKey(selector: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(selector).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const GONE_STATES = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

/**
 * EC2 Auto Scaling tags every instance it launches with its group's name.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html
 */
export const SCALING_GROUP_TAG = 'aws:autoscaling:groupName';

export function scalingGroupOf(instance: Pick<Instance, 'tags'>): string | undefined {
  return instance.tags[SCALING_GROUP_TAG];
}

/**
 * The instances that belong to an Auto Scaling group which has `targetGroupArn` attached, by id → group:
 * the group registers and deregisters them through its lifecycle, so the controller must not.
 */
export function coOwnedIn(
  instances: Iterable<Pick<Instance, 'id' | 'tags'>>,
  attached: ReadonlyMap<string, ReadonlySet<string>>,
  targetGroupArn: string,
): Map<string, string> {
  const coOwned = new Map<string, string>();
  for (const instance of instances) {
    const group = scalingGroupOf(instance);
    if (group && attached.get(group)?.has(targetGroupArn)) coOwned.set(instance.id, group);
  }
  return coOwned;
}

/** Where each target of a binding stands: the registration part of its plan. Its parts are declared below. */
export interface RegistrationPlan {
  /** Running, matching instances in the target group's VPC with no live target, not held nor left for the sweep. */
  readonly toRegister: readonly Target[];
  /**
   * Targets of matching instances that are stopping or gone, and the controller's own targets whose instance
   * is gone from EC2 or no longer matches.
   */
  readonly toDeregister: readonly Deregistration[];
  /** Targets that stay: a matching instance's, or the controller's own whose instance is between states. */
  readonly unchanged: readonly Target[];
  /** Registered targets that do not match the selector and that the controller did not register. */
  readonly foreign: readonly Target[];
  /** Targets of an Auto Scaling group attached to the target group: the group's to register and remove. */
  readonly coOwned: readonly CoOwnedTarget[];
  /** Targets an AWS service deregistered for an operation still in progress: not registered again yet. */
  readonly held: readonly CoOwnedTarget[];
  /**
   * Wanted targets found draining before anyone knows who deregistered them (`waitOnDrains`): left alone
   * until the drain ends, since an AWS service's operation may be in progress.
   */
  readonly draining: readonly Target[];
  /**
   * Wanted targets missing on the event path (`eventPath`) that the event does not name: a service's call may
   * not have arrived yet, and only the sweep asks event history who took them out.
   */
  readonly leftForSweep: readonly Target[];
  /** Held targets registered again (by their owner): the hold is over. */
  readonly releasedHolds: readonly string[];
  /** Owned targets whose instance state must be looked up before the plan is final. */
  readonly needsLookup: readonly string[];
  /** Set when the plan is withheld: nothing is done for this binding, and an alert says why. */
  readonly withheld?:
    | { readonly reason: 'selector-matched-nothing' | 'safety-limit'; readonly detail: string }
    | undefined;
}

/** A target another owner holds: an Auto Scaling group, or an AWS service's operation in progress. */
export interface CoOwnedTarget {
  readonly target: Target;
  readonly by: string;
}

export type DeregisterReason = 'stopped' | 'terminated' | 'gone' | 'no-longer-matches' | 'spot-interruption';

export interface Deregistration {
  readonly target: Target;
  readonly reason: DeregisterReason;
}

export interface RegistrationInput {
  readonly binding: Binding;
  readonly targetGroupVpcId: string | undefined;
  /** Every instance (any state) that carries the selector's tags, as DescribeInstances returned them. */
  readonly matching: readonly Instance[];
  /** The target group's targets, from DescribeTargetHealth. */
  readonly registered: readonly TargetHealth[];
  /** `id:port` keys of targets the controller registered. */
  readonly owned: ReadonlySet<string>;
  /** Registered, owned instances outside `matching`, looked up by id; an id missing here is gone from EC2. */
  readonly lookedUp?: ReadonlyMap<string, Instance> | undefined;
  /** Instance id → Auto Scaling group, for instances of groups that have this target group attached. */
  readonly coOwned?: ReadonlyMap<string, string> | undefined;
  /** `id:port` → who holds it (the service whose operation deregistered it), for holds not yet expired. */
  readonly held?: ReadonlyMap<string, string> | undefined;
  /**
   * Set when `coOwners.services` is not empty: an AWS service may be taking targets out. A wanted target found
   * `draining` then waits for its drain to end (someone deregistered it within the group's deregistration
   * delay, and until its event or the event history says who, it may be a service's operation in progress),
   * and on the event path (`eventPath`) a missing one its event does not name is left for the sweep.
   */
  readonly waitOnDrains?: boolean | undefined;
  /** `id:port` of targets the event at hand says a person deregistered: registered again, draining or not. */
  readonly personDeregistered?: ReadonlySet<string> | undefined;
  /**
   * Planned for an event, which cannot ask CloudTrail's event history: with `waitOnDrains`, a wanted target
   * missing that the event does not name is left for the sweep.
   */
  readonly eventPath?: boolean | undefined;
  readonly maxDeregisterFraction: number;
}

/**
 * How long after a call its CloudTrail event may arrive and still be taken as on time: our allowance for
 * EventBridge's delivery, which usually takes seconds.
 */
export const EVENT_DELIVERY_WINDOW_MS = 60_000;

/**
 * Whether a person's DeregisterTargets event came too late to speak for the targets it names: older than the
 * delivery window, or of no known time. The deregistration delay is no bound to trust it by: ELB completes a
 * deregistration at once when the target has no in-flight requests and no active connections
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay),
 * so a service may have put a target back and taken it out again at any time after the person's call. A late
 * event's targets are left for the sweep, which asks event history who took each out last.
 */
export function personsEventIsLate(callAgeMs: number): boolean {
  return !(callAgeMs <= EVENT_DELIVERY_WINDOW_MS);
}

/** How a result names a target that drains before anyone knows who deregistered it. */
export const DRAINING_HOLDER = 'draining; who deregistered it is not known yet';
/** How a result names a wanted target the event path leaves for the sweep. */
export const LEFT_FOR_SWEEP_HOLDER = 'missing; left for the sweep, which asks event history who took it out';

/**
 * Desired = running, matching instances in the target group's VPC. A draining target is on its way out, so
 * it counts as not registered; while `waitOnDrains`, a wanted one waits (`draining`) until its drain ends,
 * unless a person is known to have deregistered it, and the event path registers only what its event names.
 * Otherwise the event that prompted the plan is never consulted: state is truth.
 */
export function planRegistration(input: RegistrationInput): RegistrationPlan {
  const { binding } = input;
  const coOwnedIds = input.coOwned ?? new Map<string, string>();
  const holds = input.held ?? new Map<string, string>();
  const registered = input.registered.filter((target) => target.state !== 'draining');
  const registeredKeys = new Set(registered.map(targetKey));
  const unexplainedDrains = new Set(
    input.waitOnDrains
      ? input.registered
          .filter((target) => target.state === 'draining')
          .map(targetKey)
          .filter((key) => !input.personDeregistered?.has(key))
      : [],
  );
  const matchingById = new Map(
    input.matching
      .filter((instance) => matchesSelector(instance, binding.instanceSelector.tags))
      .filter(
        (instance) => !input.targetGroupVpcId || !instance.vpcId || instance.vpcId === input.targetGroupVpcId,
      )
      .map((instance) => [instance.id, instance]),
  );

  const coOwned = new Map<string, CoOwnedTarget>();
  const toRegister: Target[] = [];
  const held: CoOwnedTarget[] = [];
  const draining: Target[] = [];
  const leftForSweep: Target[] = [];
  const waitsForSweep = (key: string) =>
    input.eventPath === true && input.waitOnDrains === true && !input.personDeregistered?.has(key);
  for (const instance of matchingById.values()) {
    const target = { id: instance.id, port: binding.targetPort };
    const group = coOwnedIds.get(instance.id);
    if (group) coOwned.set(instance.id, { target, by: group });
    else if (instance.state === 'running' && !registeredKeys.has(targetKey(target))) {
      const holder = holds.get(targetKey(target));
      if (holder) held.push({ target, by: holder });
      else if (unexplainedDrains.has(targetKey(target))) draining.push(target);
      else if (waitsForSweep(targetKey(target))) leftForSweep.push(target);
      else toRegister.push(target);
    }
  }
  for (const target of registered) {
    const group = coOwnedIds.get(target.id);
    if (group) coOwned.set(target.id, { target: { id: target.id, port: target.port }, by: group });
  }
  // A group's targets are not the controller's to miss or remove: only its own share is sorted.
  const ours = registered.filter((target) => !coOwnedIds.has(target.id));
  const { toDeregister, unchanged, foreign, needsLookup } = sortRegistered(input, ours, matchingById);

  const releasedHolds = [...holds.keys()].filter((key) => registeredKeys.has(key));
  const plan = {
    toRegister,
    toDeregister,
    unchanged,
    foreign,
    coOwned: [...coOwned.values()],
    held,
    draining,
    leftForSweep,
    releasedHolds,
    needsLookup,
  };
  if (needsLookup.length > 0) return plan;

  if (matchingById.size === 0 && ours.length > 0) {
    return withhold(plan, {
      reason: 'selector-matched-nothing',
      detail: `no instance carries the tags ${describeSelector(binding.instanceSelector.tags)}, but ${ours.length} target(s) are registered: a typo in the selector or a failed lookup must not empty the target group, so nothing was changed`,
    });
  }
  const allowed = Math.floor(input.maxDeregisterFraction * registered.length);
  if (toDeregister.length > allowed) {
    return withhold(plan, {
      reason: 'safety-limit',
      detail: `${toDeregister.length} of ${registered.length} targets would be deregistered, more than the safety limit (maxDeregisterFraction ${input.maxDeregisterFraction} allows ${allowed}), so nothing was changed`,
    });
  }
  return plan;
}

/** The controller's registered targets: unchanged, to deregister, someone else's, or to look up first. */
function sortRegistered(
  input: RegistrationInput,
  registered: readonly TargetHealth[],
  matchingById: ReadonlyMap<string, Instance>,
): Pick<RegistrationPlan, 'toDeregister' | 'unchanged' | 'foreign' | 'needsLookup'> {
  const toDeregister: Deregistration[] = [];
  const unchanged: Target[] = [];
  const foreign: Target[] = [];
  const needsLookup: string[] = [];
  for (const { id, port: targetPort } of registered) {
    const target = { id, port: targetPort };
    const instance = matchingById.get(id);
    if (instance && targetPort === input.binding.targetPort) {
      if (GONE_STATES.has(instance.state)) toDeregister.push(goneBecause(target, instance));
      else unchanged.push(target);
      continue;
    }
    if (!input.owned.has(targetKey(target))) {
      foreign.push(target);
      continue;
    }
    // Ours, but no longer among the matching instances: the instance state decides.
    if (!input.lookedUp) {
      needsLookup.push(id);
      continue;
    }
    const current = input.lookedUp.get(id);
    if (!current) toDeregister.push({ target, reason: 'gone' });
    else if (GONE_STATES.has(current.state)) toDeregister.push(goneBecause(target, current));
    else if (current.state === 'running') {
      toDeregister.push({ target, reason: 'no-longer-matches' });
    } else unchanged.push(target);
  }
  return { toDeregister, unchanged, foreign, needsLookup };
}

function withhold(
  plan: RegistrationPlan,
  withheld: NonNullable<RegistrationPlan['withheld']>,
): RegistrationPlan {
  return { ...plan, toRegister: [], toDeregister: [], withheld };
}

function goneBecause(target: Target, instance: Instance): Deregistration {
  const reason =
    instance.state === 'terminated' || instance.state === 'shutting-down' ? 'terminated' : 'stopped';
  return { target, reason };
}

function describeSelector(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

/** A binding whose target group the instance's Auto Scaling group has attached: the group acts, not us. */
export interface CoOwnedBinding {
  readonly binding: Binding;
  readonly group: string;
}

/** What an instance-state event should do, decided from the instance's current state (re-read), not the event's. */
export type InstanceDecision =
  | {
      readonly action: 'register';
      readonly bindings: readonly Binding[];
      readonly coOwned: readonly CoOwnedBinding[];
    }
  | {
      readonly action: 'deregister';
      readonly reason: DeregisterReason;
      readonly bindings: readonly Binding[];
      readonly coOwned: readonly CoOwnedBinding[];
    }
  | { readonly action: 'none'; readonly reason: string }
  /** EC2 does not return the instance yet: the event is retried rather than taken as "gone". */
  | { readonly action: 'wait'; readonly reason: string };

/** What the event said and how old it is (ms since its `time`; undefined without one). */
export interface InstanceEventClaim {
  readonly state: InstanceState;
  readonly ageMs: number | undefined;
}

/**
 * How long a `running` event may wait for DescribeInstances to return its instance. EC2's API is eventually
 * consistent: a new instance may be missing from DescribeInstances for a short while after the event.
 * https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
 */
export const INSTANCE_VISIBLE_WITHIN_MINUTES = 5;

/**
 * `attached`: the target groups attached to Auto Scaling groups, by group name (only the instance's group
 * matters); a binding whose target group the instance's group has attached is left to the group.
 */
export function decideForInstance(
  bindings: readonly Binding[],
  instanceId: string,
  current: Instance | undefined,
  claim?: InstanceEventClaim,
  attached: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): InstanceDecision {
  if (!current) {
    const young =
      claim?.state === 'running' &&
      claim.ageMs !== undefined &&
      claim.ageMs < INSTANCE_VISIBLE_WITHIN_MINUTES * MINUTE;
    // Gone from EC2: every group that may still have it; nothing is left to tell whose it was.
    return young
      ? {
          action: 'wait',
          reason: `EC2 does not return ${instanceId} yet, ${Math.max(0, Math.round((claim.ageMs ?? 0) / 1000))} s after its running event`,
        }
      : { action: 'deregister', reason: 'gone', bindings, coOwned: [] };
  }
  if (current.id !== instanceId)
    return { action: 'none', reason: `EC2 answered for ${current.id}, not ${instanceId}` };
  const selecting = bindings.filter((binding) => matchesSelector(current, binding.instanceSelector.tags));
  if (GONE_STATES.has(current.state)) {
    return {
      action: 'deregister',
      reason: current.state === 'stopping' || current.state === 'stopped' ? 'stopped' : 'terminated',
      ...splitCoOwned(selecting, current, attached),
    };
  }
  if (current.state !== 'running')
    return { action: 'none', reason: `instance is ${current.state}; the running event follows` };
  if (selecting.length === 0) return { action: 'none', reason: 'no binding selects this instance' };
  return { action: 'register', ...splitCoOwned(selecting, current, attached) };
}

/**
 * A Spot interruption warning: the instance leaves every target group that has it now, so draining ends
 * before EC2 reclaims it two minutes later; a scaling group that has the target group attached does it itself.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
 */
export function decideForSpotWarning(
  bindings: readonly Binding[],
  current: Instance | undefined,
  attached: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Extract<InstanceDecision, { action: 'deregister' }> {
  const split = current ? splitCoOwned(bindings, current, attached) : { bindings, coOwned: [] };
  return { action: 'deregister', reason: 'spot-interruption', ...split };
}

function splitCoOwned(
  bindings: readonly Binding[],
  instance: Instance,
  attached: ReadonlyMap<string, ReadonlySet<string>>,
): { bindings: Binding[]; coOwned: CoOwnedBinding[] } {
  const group = scalingGroupOf(instance);
  const groupTargets = group ? attached.get(group) : undefined;
  const coOwned: CoOwnedBinding[] = [];
  const own: Binding[] = [];
  for (const binding of bindings) {
    if (group && groupTargets?.has(binding.targetGroupArn)) coOwned.push({ binding, group });
    else own.push(binding);
  }
  return { bindings: own, coOwned };
}
