/**
 * An EC2 instance event as a plan value: from what was observed (the instance as EC2 returns it now, its
 * target in each binding's group, the Auto Scaling groups' attachments), the mode and the time, the decision
 * with its reason and, per binding, its own decision, the records to write first and the AWS steps. A
 * dry-run event computes the same value as an enforcing one; only an enforcing executor makes its writes.
 * Pure.
 */
import { arnParts } from './arn.ts';
import { type Instance, type InstanceState, type Target, type TargetHealth, targetKey } from './model.ts';
import {
  decideForInstance,
  decideForSpotWarning,
  type InstanceDecision,
  type InstanceEventClaim,
} from './registration.ts';
import { UNKNOWN_LAUNCH } from './registration-plan.ts';
import type { Binding, Mode } from './settings.ts';
import { expiresIn, type Hold, KEY, OWNERSHIP_DAYS, type RecordWrite } from './state.ts';

/**
 * How long a target the controller took out at a Spot interruption warning stays out: EC2 interrupts two
 * minutes after the warning, and an instance still running well after that was not reclaimed after all.
 */
export const SPOT_HOLD_MS = 10 * 60_000;

/** What prompted the plan: a state-change event (with what it claimed) or a Spot interruption warning. */
export type InstanceEventTrigger =
  | { readonly type: 'state-change'; readonly claim?: InstanceEventClaim | undefined }
  | { readonly type: 'spot-interruption' };

export interface InstanceEventObservation {
  readonly instanceId: string;
  readonly trigger: InstanceEventTrigger;
  readonly bindings: readonly Binding[];
  /** The instance as DescribeInstances returns it now; undefined when EC2 does not return it. */
  readonly instance: Instance | undefined;
  /** Target groups attached to Auto Scaling groups, by group name (only the instance's group matters). */
  readonly attached: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * By binding name, the instance's target as DescribeTargetHealth returned it (undefined: not in the
   * group). Read only for a deregistration, and only in the bindings it concerns.
   */
  readonly targets?: ReadonlyMap<string, TargetHealth | undefined> | undefined;
  /** By binding name, why its target could not be read: that binding fails, the others go on. */
  readonly unread?: ReadonlyMap<string, unknown> | undefined;
  readonly mode: Mode;
  readonly now: number;
}

/** A write to the state table that lasts a set time, in the binding's partition (`ownershipOf` for ownership). */
type ExpiringWrite<Data> = RecordWrite<Data> & { readonly expiresAt: number };

export type InstanceEventStep =
  | {
      readonly type: 'register';
      readonly target: Target;
      /**
       * Ownership, claimed per run of the instance (its launch time) before the call: a duplicate or late
       * event for the same run finds it claimed and makes no ELB call.
       */
      readonly claim: ExpiringWrite<{ readonly registeredAt: number }> & { readonly marker: string };
      /** The instance's VPC: a refusal because the target group is in another one is no failure. */
      readonly vpcId?: string | undefined;
    }
  | { readonly type: 'deregister'; readonly target: Target; readonly reason: string };

/** What a binding reports: the planned outcome, or what its steps did. */
export type InstanceEventAction =
  | 'registered'
  | 'already-registered'
  | 'deregistered'
  | 'would-register'
  | 'would-deregister'
  | 'not-registered'
  | 'other-vpc'
  | 'rejected'
  | 'co-owned'
  | 'failed';

export interface InstanceBindingPlan {
  readonly binding: Binding;
  readonly target: Target;
  /** As the sweep's registration part decides: nothing to do, steps to apply, or steps dry-run only reports. */
  readonly decision: {
    readonly kind: 'in-sync' | 'apply' | 'would-apply' | 'unobserved';
    readonly reason: string;
  };
  /** What the binding reports unless its steps run (and then what they are expected to do). */
  readonly outcome: InstanceEventAction;
  readonly detail?: string | undefined;
  /** Set when its target could not be read. */
  readonly error?: unknown;
  /** Holds to write before the steps: a sweep between the two writes must not put the target back. */
  readonly holds: readonly ExpiringWrite<Hold>[];
  readonly steps: readonly InstanceEventStep[];
}

export interface InstanceEventPlan {
  readonly part: 'instance-event';
  readonly instanceId: string;
  readonly mode: Mode;
  /**
   * `register`/`deregister` with why; `none`, nothing to do; `wait`, EC2 does not return the instance of a
   * young running event yet (the event is retried rather than taken as "gone").
   */
  readonly decision: {
    readonly kind: 'register' | 'deregister' | 'none' | 'wait';
    readonly reason: string;
  };
  /** The bindings acted on, then those left to an Auto Scaling group. */
  readonly bindings: readonly InstanceBindingPlan[];
  /** Said in the log before anything is done. */
  readonly warnings: readonly { readonly message: string; readonly attributes: Record<string, unknown> }[];
}

/**
 * Why an instance event is ignored before anything is read, or undefined: an instance of an account and
 * region no binding guards is none of ours whatever its id (never looked up), and a pending one's running
 * event follows.
 */
export function ignoredBeforeLookup(
  bindings: readonly Pick<Binding, 'loadBalancerArn'>[],
  event: { readonly account: string; readonly region: string; readonly state?: InstanceState | undefined },
): string | undefined {
  const local = bindings.some((binding) => {
    const parts = arnParts(binding.loadBalancerArn);
    return parts?.account === event.account && parts.region === event.region;
  });
  if (!local)
    return `an instance of account ${event.account} in ${event.region}: no binding guards that account and region`;
  if (event.state === 'pending') return 'pending: no action (the running event follows)';
  return undefined;
}

/**
 * What the event leads to, from the instance's current state (not the event's) and the co-owners: which
 * bindings to act on. The caller reads the targets of a deregistration's bindings before planning it.
 */
export function decideInstanceEvent(
  observed: Pick<InstanceEventObservation, 'instanceId' | 'trigger' | 'bindings' | 'instance' | 'attached'>,
): InstanceDecision {
  const { instanceId, instance, bindings, attached } = observed;
  if (observed.trigger.type === 'spot-interruption')
    return decideForSpotWarning(bindings, instance?.id === instanceId ? instance : undefined, attached);
  return decideForInstance(bindings, instanceId, instance, observed.trigger.claim, attached);
}

/** The plan of one instance event; a deregistration's `targets` (or `unread`) must be observed first. */
export function planInstanceEvent(observed: InstanceEventObservation): InstanceEventPlan {
  const { instanceId, mode } = observed;
  const decision = decideInstanceEvent(observed);
  const base = { part: 'instance-event' as const, instanceId, mode, bindings: [], warnings: [] };
  if (decision.action === 'none' || decision.action === 'wait')
    return { ...base, decision: { kind: decision.action, reason: decision.reason } };
  const coOwned = decision.coOwned.map(
    ({ binding, group }): InstanceBindingPlan => ({
      binding,
      target: targetOf(binding, instanceId),
      decision: {
        kind: 'in-sync',
        reason: `left to the Auto Scaling group ${group}, which has the target group attached`,
      },
      outcome: 'co-owned',
      detail: group,
      holds: [],
      steps: [],
    }),
  );
  if (decision.action === 'register') {
    return {
      ...base,
      decision: { kind: 'register', reason: `instance is ${observed.instance?.state}` },
      bindings: [...decision.bindings.map((binding) => planRegister(observed, binding)), ...coOwned],
    };
  }
  const claim = observed.trigger.type === 'state-change' ? observed.trigger.claim : undefined;
  const missing = !observed.instance && claim?.state === 'running';
  return {
    ...base,
    decision: { kind: 'deregister', reason: decision.reason },
    bindings: [
      ...decision.bindings.map((binding) => planDeregister(observed, binding, decision.reason)),
      ...coOwned,
    ],
    warnings: missing
      ? [
          {
            message: 'instance of a running event still not returned by EC2; taken as gone',
            attributes: {
              instanceId,
              eventAgeSeconds: claim.ageMs === undefined ? undefined : Math.round(claim.ageMs / 1000),
            },
          },
        ]
      : [],
  };
}

/** How the invocation names the plan's decision: `register (instance is running)`, or why nothing. */
export function describeInstanceDecision(decision: InstanceEventPlan['decision']): string {
  return decision.kind === 'register' || decision.kind === 'deregister'
    ? `${decision.kind} (${decision.reason})`
    : decision.reason;
}

/**
 * AWS refused to register the target: an instance in another VPC than the target group is not the
 * controller's to report (the selector matched it, the group cannot take it); any other refusal is.
 */
export function refusalOf(
  instanceVpcId: string | undefined,
  targetGroupVpcId: string | undefined,
  message: string,
): { readonly action: 'other-vpc' | 'rejected'; readonly detail: string } {
  if (targetGroupVpcId && instanceVpcId && targetGroupVpcId !== instanceVpcId)
    return {
      action: 'other-vpc',
      detail: `instance in ${instanceVpcId}, target group in ${targetGroupVpcId}`,
    };
  return { action: 'rejected', detail: message };
}

function targetOf(binding: Binding, instanceId: string): Target {
  return { id: instanceId, port: binding.targetPort };
}

function planRegister(observed: InstanceEventObservation, binding: Binding): InstanceBindingPlan {
  const target = targetOf(binding, observed.instanceId);
  const { now } = observed;
  const step: InstanceEventStep = {
    type: 'register',
    target,
    claim: {
      key: KEY.owned(targetKey(target)),
      data: { registeredAt: now },
      marker: observed.instance?.launchTime ?? UNKNOWN_LAUNCH,
      expiresAt: expiresIn(now, OWNERSHIP_DAYS),
    },
    vpcId: observed.instance?.vpcId,
  };
  const enforce = observed.mode === 'enforce';
  return {
    binding,
    target,
    decision: enforce
      ? {
          kind: 'apply',
          reason: `register ${targetKey(target)} unless this run of the instance is already claimed`,
        }
      : { kind: 'would-apply', reason: `dry-run mode: ${targetKey(target)} to register, nothing is changed` },
    outcome: enforce ? 'registered' : 'would-register',
    holds: [],
    steps: [step],
  };
}

function planDeregister(
  observed: InstanceEventObservation,
  binding: Binding,
  reason: string,
): InstanceBindingPlan {
  const target = targetOf(binding, observed.instanceId);
  const enforce = observed.mode === 'enforce';
  // A Spot warning holds the target out even where it is not registered now: no sweep may put it back.
  const holds =
    enforce && observed.trigger.type === 'spot-interruption' ? [spotHold(target, observed.now)] : [];
  const unread = observed.unread?.get(binding.name);
  if (unread !== undefined || !observed.targets?.has(binding.name))
    return {
      binding,
      target,
      decision: { kind: 'unobserved', reason: 'its target in the group could not be read' },
      outcome: 'failed',
      error: unread ?? new Error(`the target of ${binding.name} was not read`),
      holds,
      steps: [],
    };
  const health = observed.targets.get(binding.name);
  // A draining target is on its way out already.
  const registered = health && health.reasonCode !== 'Target.NotRegistered' && health.state !== 'draining';
  if (!registered)
    return {
      binding,
      target,
      decision: { kind: 'in-sync', reason: `${targetKey(target)} is not registered` },
      outcome: 'not-registered',
      holds,
      steps: [],
    };
  return {
    binding,
    target,
    decision: enforce
      ? { kind: 'apply', reason: `deregister ${targetKey(target)} (${reason})` }
      : {
          kind: 'would-apply',
          reason: `dry-run mode: ${targetKey(target)} to deregister (${reason}), nothing is changed`,
        },
    outcome: enforce ? 'deregistered' : 'would-deregister',
    detail: reason,
    holds,
    steps: [{ type: 'deregister', target, reason }],
  };
}

function spotHold(target: Target, now: number): ExpiringWrite<Hold> {
  const until = now + SPOT_HOLD_MS;
  return {
    key: KEY.hold(targetKey(target)),
    data: { by: 'spot-interruption', at: now, until },
    expiresAt: Math.ceil(until / 1000),
  };
}
