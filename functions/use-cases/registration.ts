/**
 * Registration: every running instance that matches a binding's selector is a target, stopped and
 * terminated ones are not. The sweep plans a whole binding at once; an instance event plans one instance
 * (instance-event.ts) and registers or deregisters it through its own steps.
 */
import { registrationFailedAlert } from '../domain/alert-kinds.ts';
import { hash } from '../domain/hash.ts';
import type { ServiceHold } from '../domain/history.ts';
import { type Instance, type Target, type TargetHealth, targetKey } from '../domain/model.ts';
import { TOPIC } from '../domain/notices.ts';
import {
  coOwnedIn,
  DRAINING_HOLDER,
  LEFT_FOR_SWEEP_HOLDER,
  personsEventIsLate,
  planRegistration,
  type RegistrationPlan,
  scalingGroupOf,
} from '../domain/registration.ts';
import {
  planRegistrationPart,
  type RegistrationObservation,
  type RegistrationPartPlan,
  type RegistrationStep,
  UNKNOWN_LAUNCH,
} from '../domain/registration-plan.ts';
import { planServiceHold } from '../domain/service-hold-plan.ts';
import type { Binding } from '../domain/settings.ts';
import {
  activeHolds,
  decode,
  expiresIn,
  KEY,
  type MetaRecord,
  OWNERSHIP_DAYS,
  ownershipOf,
  PREFIX,
} from '../domain/state.ts';
import type { Trigger } from '../domain/trigger.ts';
import type { ScalingGroups, TargetWriteResult } from '../ports.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import type { Deps } from './context.ts';
import { holdsFromHistory } from './history.ts';
import type { Notifier } from './notify.ts';
import { claimNotices, keepRecords, settle } from './plan-records.ts';
import type { RegistrationResult } from './results.ts';

/**
 * Which target groups the Auto Scaling groups have attached, asked once per group per invocation: the
 * sweep asks for every group it saw in one call before its bindings run.
 */
export class ScalingGroupCache {
  private readonly known = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  private readonly scaling: ScalingGroups;

  constructor(scaling: ScalingGroups) {
    this.scaling = scaling;
  }

  /** The attachments of the groups the instances belong to; no call when none belongs to a group. */
  async attached(instances: Iterable<Instance>): Promise<Map<string, ReadonlySet<string>>> {
    const names = [...new Set([...instances].map(scalingGroupOf).filter((name) => name !== undefined))];
    const unknown = names.filter((name) => !this.known.has(name));
    if (unknown.length > 0) {
      const asked = this.scaling.attachedTargetGroups(unknown);
      for (const name of unknown) {
        const entry = asked.then((found) => found.get(name));
        // Awaited below; a failure is the caller's, and the group is asked again next time.
        entry.catch(() => this.known.delete(name));
        this.known.set(name, entry);
      }
    }
    const attached = new Map<string, ReadonlySet<string>>();
    for (const name of names) {
      const targetGroups = await this.known.get(name);
      if (targetGroups) attached.set(name, targetGroups);
    }
    return attached;
  }
}

export interface RegistrationContext {
  readonly deps: Deps;
  readonly binding: Binding;
  readonly state: BindingState;
  readonly notifier: Notifier;
  readonly trigger: Trigger;
  /** Instances carrying the selector's tags (from a query the sweep may share between bindings). */
  readonly matching: readonly Instance[];
  readonly targets: readonly TargetHealth[];
  /** The target group's VPC when the caller already read it; otherwise it is looked up (and remembered). */
  readonly knownVpcId?: string | undefined;
  /** The invocation's view of Auto Scaling groups; one of its own when absent. */
  readonly scalingGroups?: ScalingGroupCache | undefined;
}

/** What registration reads with; a trigger only when the run may ask the event history (sweeps, operators). */
type Observing = Omit<RegistrationContext, 'notifier' | 'trigger'> & {
  readonly trigger?: Trigger | undefined;
};

/**
 * The registration plan a sweep would make now. It reads only, except that holds the event history reveals
 * are kept as the event path keeps them, so later sweeps need not ask again (`status` passes no trigger).
 */
export async function planRegistrationFor(context: Observing): Promise<RegistrationPartPlan> {
  const { deps } = context;
  return planRegistrationPart({
    observed: await observeRegistration(context),
    mode: deps.config.mode,
    now: deps.now(),
  });
}

/**
 * What registration decides on. Ownership is read only for targets outside the selector, and EC2 asked only
 * about those (which may be an Auto Scaling group's even without the selector's tags).
 */
async function observeRegistration(context: Observing): Promise<RegistrationObservation> {
  const { deps, binding, state } = context;
  const groups = context.scalingGroups ?? new ScalingGroupCache(deps.scaling);
  const coOwnedOf = async (instances: readonly Instance[]) =>
    coOwnedIn(instances, await groups.attached(instances), binding.targetGroupArn);
  const vpc = await targetGroupVpc(deps, binding, state, context.knownVpcId);
  let observed: RegistrationObservation = {
    binding,
    targetGroupVpcId: vpc.vpcId,
    newVpc: vpc.remember,
    matching: context.matching,
    registered: context.targets,
    owned: new Set<string>(),
    coOwned: await coOwnedOf(context.matching),
    held: activeHolds(state.withPrefix(PREFIX.hold), deps.now()),
    waitOnDrains: deps.config.coOwners.services.length > 0,
    personDeregistered: personDeregistered(context.trigger, binding, deps),
    eventPath: context.trigger?.type === 'event',
    maxDeregisterFraction: deps.config.safety.maxDeregisterFraction,
  };
  let plan = planRegistration(observed);
  if (plan.foreign.length > 0) {
    const ownership = (await deps.state.load(ownershipOf(binding.name)))
      .filter((record) => !record.deleted && record.key.startsWith(PREFIX.owned))
      .map((record) => [record.key.slice(PREFIX.owned.length), record] as const);
    observed = { ...observed, ownership: new Map(ownership), owned: new Set(ownership.map(([key]) => key)) };
    plan = planRegistration(observed);
  }
  const strangers = [...plan.needsLookup, ...plan.foreign.map((target) => target.id)];
  if (strangers.length > 0) {
    const found = await deps.instances.describe(strangers);
    observed = {
      ...observed,
      coOwned: new Map([...(observed.coOwned ?? []), ...(await coOwnedOf(found))]),
      lookedUp: new Map(found.map((instance) => [instance.id, instance])),
    };
  }
  return withHistoryHolds(context, observed);
}

/**
 * The targets the event at hand says a person deregistered: those are put back even while they drain. With
 * co-owners, none when the event is late (personsEventIsLate): the sweep decides about them instead.
 */
function personDeregistered(trigger: Trigger | undefined, binding: Binding, deps: Deps): Set<string> {
  if (trigger?.type !== 'event') return new Set();
  const late = personsEventIsLate(deps.now() - Date.parse(trigger.actor?.eventTime ?? ''));
  if (late && deps.config.coOwners.services.length > 0) return new Set();
  return new Set(
    (trigger.deregistered ?? []).map((target) =>
      targetKey({ id: target.id, port: target.port ?? binding.targetPort }),
    ),
  );
}

/**
 * A target missing or draining before its DeregisterTargets event arrived may be an AWS service's: the
 * history says, and a hold it reveals outlasts the drain.
 */
async function withHistoryHolds(
  context: Observing,
  observed: RegistrationObservation,
): Promise<RegistrationObservation> {
  if (context.trigger === undefined || context.trigger.type === 'event') return observed;
  const plan = planRegistration(observed);
  const missing = [...plan.toRegister, ...plan.draining];
  const holds = await holdsFromHistory(context.deps, context.binding, missing);
  if (holds.size === 0) return observed;
  await keepHolds(context, holds);
  const found = [...holds].map(([key, hold]) => [key, hold.service] as const);
  return { ...observed, held: new Map([...(observed.held ?? []), ...found]) };
}

/** What the registration plan decided, as a result reports it (`applied: false` unless its steps run). */
export function registrationResultOf(plan: RegistrationPartPlan): RegistrationResult {
  const { diff } = plan;
  return {
    applied: plan.mode === 'enforce' && plan.decision.kind !== 'blocked',
    decision: plan.decision,
    register: diff.toRegister.map(targetKey),
    deregister: diff.toDeregister.map((entry) => `${targetKey(entry.target)} (${entry.reason})`),
    unchanged: diff.unchanged.length,
    foreign: diff.foreign.map(targetKey),
    rejected: [],
    withheld: diff.withheld?.detail,
    ...otherOwners(diff),
  };
}

/**
 * Carries a registration plan out: its records and notice always; its AWS steps (register, then deregister)
 * only for `apply`, reporting the targets AWS refused one by one.
 */
export async function executeRegistration(
  context: Pick<RegistrationContext, 'deps' | 'binding' | 'state' | 'notifier'>,
  plan: RegistrationPartPlan,
): Promise<RegistrationResult> {
  const { deps, binding, notifier } = context;
  const { log } = deps.telemetry;
  const result = registrationResultOf(plan);
  if (result.foreign.length > 0)
    log.info('targets added by hand are left alone', { binding: binding.name, foreign: result.foreign });
  if (result.coOwned || result.held)
    log.info('targets of other owners, or whose owner is not known yet, are left alone', {
      binding: binding.name,
      coOwned: result.coOwned,
      held: result.held,
    });
  await keepRecords(context.state, deps.now(), plan.keep);
  if (plan.forget.length > 0) await context.state.removeAll(plan.forget);
  if (plan.decision.kind === 'blocked') {
    log.warn('registration withheld', { binding: binding.name, reason: plan.decision.reason });
    deps.telemetry.count(METRIC.registrationFailures);
  }
  await claimNotices(notifier, plan.notices);
  if (plan.forgetOwned.length > 0 && !deps.preview)
    await deps.state.removeAll(ownershipOf(binding.name), plan.forgetOwned);
  await settle(notifier, plan.settle);
  if (plan.steps.length === 0) return result;
  log.info(
    plan.decision.kind === 'apply' ? 'registration plan' : 'registration plan (dry-run: not applied)',
    {
      binding: binding.name,
      register: result.register,
      deregister: result.deregister,
    },
  );
  if (plan.decision.kind !== 'apply') return result;
  const rejected: TargetWriteResult['rejected'][number][] = [];
  for (const step of plan.steps) rejected.push(...(await applyRegistrationStep(deps, binding, step)));
  if (rejected.length > 0) await reportRejected(deps, binding, notifier, rejected);
  return { ...result, rejected: rejected.map((entry) => `${targetKey(entry.target)}: ${entry.code}`) };
}

/** Applies one step; returns the targets AWS refused. */
async function applyRegistrationStep(
  deps: Deps,
  binding: Binding,
  step: RegistrationStep,
): Promise<TargetWriteResult['rejected']> {
  if (step.type === 'register') return (await register(deps, binding, step.targets, step.launches)).rejected;
  deps.telemetry.log.info('deregistering', { binding: binding.name, targets: step.targets.map(targetKey) });
  const outcome = await deps.elb.deregisterTargets(binding.targetGroupArn, step.targets);
  deps.telemetry.log.info('deregistered', { binding: binding.name, done: outcome.done.map(targetKey) });
  deps.telemetry.count(METRIC.deregistrations, outcome.done.length);
  await deps.state.removeAll(
    ownershipOf(binding.name),
    outcome.done.map((target) => KEY.owned(targetKey(target))),
  );
  return outcome.rejected;
}

/** Holds found in the history are kept as the event path keeps them, so later sweeps need not ask again. */
async function keepHolds(
  context: Pick<RegistrationContext, 'deps' | 'state'>,
  holds: ReadonlyMap<string, ServiceHold>,
): Promise<void> {
  if (context.deps.config.mode !== 'enforce') return;
  await context.state.putAll(
    [...holds].map(([key, hold]) => ({
      key: KEY.hold(key),
      data: { by: hold.service, at: hold.at, until: hold.until },
      expiresAt: Math.ceil(hold.until / 1000),
    })),
  );
}

/**
 * How a result names other owners' targets: counted, with the groups or services that hold them; targets
 * whose owner is not known yet (still draining, or left for the sweep) are held too.
 */
export function otherOwners({
  coOwned,
  held,
  draining = [],
  leftForSweep = [],
}: Pick<RegistrationPlan, 'coOwned' | 'held'> &
  Partial<Pick<RegistrationPlan, 'draining' | 'leftForSweep'>>): Pick<
  RegistrationResult,
  'coOwned' | 'held'
> {
  const holders = [
    ...held,
    ...draining.map((target) => ({ target, by: DRAINING_HOLDER })),
    ...leftForSweep.map((target) => ({ target, by: LEFT_FOR_SWEEP_HOLDER })),
  ];
  return {
    ...(coOwned.length > 0
      ? { coOwned: { count: coOwned.length, groups: [...new Set(coOwned.map((entry) => entry.by))].sort() } }
      : {}),
    ...(holders.length > 0
      ? { held: holders.map((entry) => `${targetKey(entry.target)} (${entry.by})`) }
      : {}),
  };
}

async function register(
  deps: Deps,
  binding: Binding,
  targets: readonly Target[],
  launches: ReadonlyMap<string, string>,
): Promise<TargetWriteResult> {
  const { log } = deps.telemetry;
  // Ownership first: if what follows fails, the controller still knows these targets are its own.
  const now = deps.now();
  const ownership = ownershipOf(binding.name);
  await deps.state.putAll(
    ownership,
    targets.map((target) => ({
      key: KEY.owned(targetKey(target)),
      data: { registeredAt: now },
      marker: launches.get(target.id) ?? UNKNOWN_LAUNCH,
      expiresAt: expiresIn(now, OWNERSHIP_DAYS),
    })),
  );
  log.info('registering', { binding: binding.name, targets: targets.map(targetKey) });
  const outcome = await deps.elb.registerTargets(binding.targetGroupArn, targets);
  log.info('registered', {
    binding: binding.name,
    done: outcome.done.map(targetKey),
    rejected: outcome.rejected.map((entry) => targetKey(entry.target)),
  });
  deps.telemetry.count(METRIC.registrations, outcome.done.length);
  if (outcome.rejected.length > 0) {
    await deps.state.removeAll(
      ownership,
      outcome.rejected.map((entry) => KEY.owned(targetKey(entry.target))),
    );
  }
  return outcome;
}

/** Reports the targets AWS refused to register, once per set of refusals. */
export async function reportRejected(
  deps: Deps,
  binding: Binding,
  notifier: Notifier,
  rejected: TargetWriteResult['rejected'],
): Promise<void> {
  deps.telemetry.count(METRIC.registrationFailures, rejected.length);
  const lines = rejected.map((entry) => `${targetKey(entry.target)}: ${entry.code}: ${entry.message}`);
  await notifier.notice(
    TOPIC.rejected,
    hash(rejected.map((entry) => `${targetKey(entry.target)}:${entry.code}`).join(',')),
    registrationFailedAlert({
      binding,
      now: deps.now(),
      mode: deps.config.mode,
      headline: `AWS refused ${rejected.length} target${rejected.length === 1 ? '' : 's'}`,
      detail: `AWS refused these targets; the rest of the batch went through. ${lines.join(' | ')}`,
      next: 'The other targets were registered; the next sweep tries these again while their instances run and match.',
      error: { code: rejected[0]?.code, message: rejected[0]?.message ?? '' },
      extra: {
        targets: rejected.map((entry) => ({
          id: entry.target.id,
          port: entry.target.port,
          code: entry.code,
          message: entry.message,
        })),
      },
    }),
  );
}

/**
 * The target group's VPC never changes; it is kept in the state table so no sweep has to ask twice. Read
 * here, remembered by the plan (`remember`) when it was not known yet.
 */
async function targetGroupVpc(
  deps: Deps,
  binding: Binding,
  state: BindingState,
  known?: string,
): Promise<{ vpcId: string | undefined; remember?: { meta: MetaRecord; vpcId: string } }> {
  const meta = decode.meta(state.data(KEY.meta)) as MetaRecord;
  if (meta.targetGroupVpcId) return { vpcId: meta.targetGroupVpcId };
  const vpcId = known ?? (await deps.elb.describeTargetGroups([binding.targetGroupArn]))[0]?.vpcId;
  return vpcId ? { vpcId, remember: { meta, vpcId } } : { vpcId };
}

/** Targets an AWS service took out for its own operation: planned (domain/service-hold-plan.ts), then kept. */
export async function holdForService(
  context: Pick<RegistrationContext, 'deps' | 'binding' | 'state'>,
  service: string,
  targets: readonly { readonly id: string; readonly port?: number | undefined }[],
  eventTime: string | undefined,
): Promise<RegistrationResult> {
  const { deps, binding } = context;
  const plan = planServiceHold({
    binding,
    service,
    targets,
    eventTime,
    holdMinutes: deps.config.coOwners.holdMinutes,
    mode: deps.config.mode,
    now: deps.now(),
  });
  if (plan.holds.size > 0) await keepHolds(context, plan.holds);
  deps.telemetry.log.info('targets held for an AWS service operation', {
    binding: binding.name,
    service,
    keys: plan.keys,
  });
  return {
    applied: plan.mode === 'enforce',
    register: [],
    deregister: [],
    unchanged: 0,
    foreign: [],
    rejected: [],
    held: [...plan.holds].map(([key, hold]) => `${key} (${hold.service})`),
  };
}
