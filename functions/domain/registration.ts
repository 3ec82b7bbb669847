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

export type DeregisterReason = 'stopped' | 'terminated' | 'gone' | 'no-longer-matches';

export interface Deregistration {
  readonly target: Target;
  readonly reason: DeregisterReason;
  readonly instanceState?: string | undefined;
}

export interface RegistrationPlan {
  readonly toRegister: readonly Target[];
  readonly toDeregister: readonly Deregistration[];
  readonly unchanged: readonly Target[];
  /** Registered targets that do not match the selector and that the controller did not register. */
  readonly foreign: readonly Target[];
  /** Owned targets whose instance state must be looked up before the plan is final. */
  readonly needsLookup: readonly string[];
  /** Set when the plan is withheld: nothing is done for this binding, and an alert says why. */
  readonly withheld?:
    | { readonly reason: 'selector-matched-nothing' | 'safety-limit'; readonly detail: string }
    | undefined;
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
  readonly maxDeregisterFraction: number;
}

/**
 * Desired = running, matching instances in the target group's VPC. A draining target is on its way out, so
 * it counts as not registered. The event that prompted the sweep is never consulted: state is truth.
 */
export function planRegistration(input: RegistrationInput): RegistrationPlan {
  const { binding, matching, owned } = input;
  const port = binding.targetPort;
  const registered = input.registered.filter((target) => target.state !== 'draining');
  const registeredKeys = new Set(registered.map(targetKey));
  const matchingById = new Map(
    matching
      .filter((instance) => matchesSelector(instance, binding.instanceSelector.tags))
      .filter(
        (instance) => !input.targetGroupVpcId || !instance.vpcId || instance.vpcId === input.targetGroupVpcId,
      )
      .map((instance) => [instance.id, instance]),
  );

  const toRegister: Target[] = [];
  for (const instance of matchingById.values()) {
    const target = { id: instance.id, port };
    if (instance.state === 'running' && !registeredKeys.has(targetKey(target))) toRegister.push(target);
  }

  const toDeregister: Deregistration[] = [];
  const unchanged: Target[] = [];
  const foreign: Target[] = [];
  const needsLookup: string[] = [];
  for (const { id, port: targetPort } of registered) {
    const target = { id, port: targetPort };
    const key = targetKey(target);
    const instance = matchingById.get(id);
    if (instance && targetPort === port) {
      if (GONE_STATES.has(instance.state)) toDeregister.push(goneBecause(target, instance));
      else unchanged.push(target);
      continue;
    }
    if (!owned.has(key)) {
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
      toDeregister.push({ target, reason: 'no-longer-matches', instanceState: current.state });
    } else unchanged.push(target);
  }

  const plan = { toRegister, toDeregister, unchanged, foreign, needsLookup };
  if (needsLookup.length > 0) return plan;

  if (matchingById.size === 0 && registered.length > 0) {
    return withhold(plan, {
      reason: 'selector-matched-nothing',
      detail: `no instance carries the tags ${describeSelector(binding.instanceSelector.tags)}, but ${registered.length} target(s) are registered: a typo in the selector or a failed lookup must not empty the target group, so nothing was changed`,
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

function withhold(
  plan: RegistrationPlan,
  withheld: NonNullable<RegistrationPlan['withheld']>,
): RegistrationPlan {
  return { ...plan, toRegister: [], toDeregister: [], withheld };
}

function goneBecause(target: Target, instance: Instance): Deregistration {
  const reason =
    instance.state === 'terminated' || instance.state === 'shutting-down' ? 'terminated' : 'stopped';
  return { target, reason, instanceState: instance.state };
}

function describeSelector(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

/** What an instance-state event should do, decided from the instance's current state (re-read), not the event's. */
export type InstanceDecision =
  | { readonly action: 'register'; readonly bindings: readonly Binding[] }
  | { readonly action: 'deregister'; readonly reason: DeregisterReason }
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

export function decideForInstance(
  bindings: readonly Binding[],
  instanceId: string,
  current: Instance | undefined,
  claim?: InstanceEventClaim,
): InstanceDecision {
  if (!current) {
    const young =
      claim?.state === 'running' &&
      claim.ageMs !== undefined &&
      claim.ageMs < INSTANCE_VISIBLE_WITHIN_MINUTES * MINUTE;
    return young
      ? {
          action: 'wait',
          reason: `EC2 does not return ${instanceId} yet, ${Math.max(0, Math.round((claim.ageMs ?? 0) / 1000))} s after its running event`,
        }
      : { action: 'deregister', reason: 'gone' };
  }
  if (current.id !== instanceId)
    return { action: 'none', reason: `EC2 answered for ${current.id}, not ${instanceId}` };
  if (GONE_STATES.has(current.state)) {
    return {
      action: 'deregister',
      reason: current.state === 'stopping' || current.state === 'stopped' ? 'stopped' : 'terminated',
    };
  }
  if (current.state !== 'running')
    return { action: 'none', reason: `instance is ${current.state}; the running event follows` };
  const matched = bindings.filter((binding) => matchesSelector(current, binding.instanceSelector.tags));
  if (matched.length === 0) return { action: 'none', reason: 'no binding selects this instance' };
  return { action: 'register', bindings: matched };
}
