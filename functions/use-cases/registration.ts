/**
 * Registration: every running instance that matches a binding's selector is a target, stopped and
 * terminated ones are not. The sweep plans a whole binding at once; an instance event acts on one instance.
 */
import { registrationFailedAlert } from '../domain/alert-kinds.ts';
import { hash } from '../domain/hash.ts';
import type { ServiceHold } from '../domain/history.ts';
import { type Instance, type Target, type TargetHealth, targetKey } from '../domain/model.ts';
import { settledBy, TOPIC } from '../domain/notices.ts';
import {
  type CoOwnedBinding,
  coOwnedIn,
  decideForInstance,
  decideForSpotWarning,
  type InstanceDecision,
  type InstanceEventClaim,
  planRegistration,
  type RegistrationInput,
  type RegistrationPlan,
  scalingGroupOf,
} from '../domain/registration.ts';
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
import { MINUTE } from '../domain/time.ts';
import type { Trigger } from '../domain/trigger.ts';
import { InstanceNotVisibleYetError } from '../errors.ts';
import type { ScalingGroups, TargetWriteResult } from '../ports.ts';
import { METRIC } from '../telemetry.ts';
import { BindingState } from './binding-state.ts';
import { type Deps, settled } from './context.ts';
import { holdsFromHistory } from './history.ts';
import type { Notifier } from './notify.ts';
import type { RegistrationResult } from './results.ts';

/** An ownership record younger than this may belong to a registration this sweep could not see yet. */
const OWNERSHIP_GRACE_MS = 10 * 60_000;

/**
 * How long a target the controller took out at a Spot interruption warning stays out: EC2 interrupts two
 * minutes after the warning, and an instance still running well after that was not reclaimed after all.
 */
const SPOT_HOLD_MS = 10 * 60_000;

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
  /** Instances carrying the selector's tags (from a query the sweep may share between bindings). */
  readonly matching: readonly Instance[];
  readonly targets: readonly TargetHealth[];
  /** The target group's VPC when the caller already read it; otherwise it is looked up (and remembered). */
  readonly knownVpcId?: string | undefined;
  /** The invocation's view of Auto Scaling groups; one of its own when absent. */
  readonly scalingGroups?: ScalingGroupCache | undefined;
  /** What prompted the run: only a sweep or an operator asks the event history (an event names its caller). */
  readonly trigger?: Trigger | undefined;
}

export async function reconcileRegistration(context: RegistrationContext): Promise<RegistrationResult> {
  const { deps, binding, notifier } = context;
  const { log } = deps.telemetry;
  const { plan, ownership } = await planWithOwnership(context);
  const applied = deps.config.mode === 'enforce';
  const result = {
    applied,
    register: plan.toRegister.map(targetKey),
    deregister: plan.toDeregister.map((entry) => `${targetKey(entry.target)} (${entry.reason})`),
    unchanged: plan.unchanged.length,
    foreign: plan.foreign.map(targetKey),
    rejected: [] as string[],
    withheld: plan.withheld?.detail,
    ...otherOwners(plan),
  };
  if (plan.foreign.length > 0)
    log.info('targets added by hand are left alone', { binding: binding.name, foreign: result.foreign });
  if (plan.coOwned.length > 0 || plan.held.length > 0)
    log.info('targets of other owners are left to them', {
      binding: binding.name,
      coOwned: result.coOwned,
      held: result.held,
    });
  if (plan.releasedHolds.length > 0)
    await context.state.removeAll(plan.releasedHolds.map((key) => KEY.hold(key)));
  if (plan.withheld) {
    await reportWithheld(context, plan.withheld);
    return { ...result, applied: false };
  }
  if (plan.toRegister.length === 0 && plan.toDeregister.length === 0) {
    if (ownership) await forgetStaleOwnership(deps, ownership, context.targets);
    for (const topic of settledBy('registration')) await notifier.clearNotice(topic);
    return result;
  }
  log.info(applied ? 'registration plan' : 'registration plan (dry-run: not applied)', {
    binding: binding.name,
    register: result.register,
    deregister: result.deregister,
  });
  if (!applied) return result;
  const rejected = await applyRegistration(context, plan);
  if (rejected.length > 0) await reportRejected(deps, binding, notifier, rejected);
  return { ...result, rejected: rejected.map((entry) => `${targetKey(entry.target)}: ${entry.code}`) };
}

/**
 * Plans; ownership is read only for targets outside the selector, and EC2 asked only about those (which
 * may be an Auto Scaling group's even without the selector's tags).
 */
async function planWithOwnership(
  context: RegistrationContext,
): Promise<{ plan: RegistrationPlan; ownership?: BindingState | undefined }> {
  const { deps, binding, state } = context;
  const groups = context.scalingGroups ?? new ScalingGroupCache(deps.scaling);
  const coOwnedOf = async (instances: readonly Instance[]) =>
    coOwnedIn(instances, await groups.attached(instances), binding.targetGroupArn);
  let input = {
    binding,
    targetGroupVpcId: await targetGroupVpc(deps, binding, state, context.knownVpcId),
    matching: context.matching,
    registered: context.targets,
    owned: new Set<string>(),
    coOwned: await coOwnedOf(context.matching),
    held: activeHolds(state.withPrefix(PREFIX.hold), deps.now()),
    maxDeregisterFraction: deps.config.safety.maxDeregisterFraction,
  };
  let plan = planRegistration(input);
  let ownership: BindingState | undefined;
  if (plan.foreign.length > 0) {
    ownership = await BindingState.load(deps.state, ownershipOf(binding.name), deps.preview !== undefined);
    input = { ...input, owned: new Set(ownership.withPrefix(PREFIX.owned).keys()) };
    plan = planRegistration(input);
  }
  const strangers = [...plan.needsLookup, ...plan.foreign.map((target) => target.id)];
  let final: RegistrationInput = input;
  if (strangers.length > 0) {
    const found = await deps.instances.describe(strangers);
    final = {
      ...input,
      coOwned: new Map([...input.coOwned, ...(await coOwnedOf(found))]),
      lookedUp: new Map(found.map((instance) => [instance.id, instance])),
    };
    plan = planRegistration(final);
  }
  // A target missing before its DeregisterTargets event arrived may be an AWS service's: the history says.
  const asks = context.trigger !== undefined && context.trigger.type !== 'event';
  const holds = asks ? await holdsFromHistory(deps, binding, plan.toRegister) : new Map();
  if (holds.size > 0) {
    await keepHolds(context, holds);
    const held = new Map([
      ...(final.held ?? []),
      ...[...holds].map(([key, hold]) => [key, hold.service] as const),
    ]);
    plan = planRegistration({ ...final, held });
  }
  return { plan, ownership };
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

/** How a result names other owners' targets: counted, with the groups or services that hold them. */
export function otherOwners({
  coOwned,
  held,
}: Pick<RegistrationPlan, 'coOwned' | 'held'>): Pick<RegistrationResult, 'coOwned' | 'held'> {
  return {
    ...(coOwned.length > 0
      ? { coOwned: { count: coOwned.length, groups: [...new Set(coOwned.map((entry) => entry.by))].sort() } }
      : {}),
    ...(held.length > 0 ? { held: held.map((entry) => `${targetKey(entry.target)} (${entry.by})`) } : {}),
  };
}

async function reportWithheld(
  context: RegistrationContext,
  withheld: NonNullable<RegistrationPlan['withheld']>,
): Promise<void> {
  const { deps, binding, notifier } = context;
  deps.telemetry.log.warn('registration withheld', {
    binding: binding.name,
    reason: withheld.reason,
    detail: withheld.detail,
  });
  deps.telemetry.count(METRIC.registrationFailures);
  await notifier.notice(
    TOPIC.withheld,
    withheld.reason,
    registrationFailedAlert({
      binding,
      now: deps.now(),
      mode: deps.config.mode,
      critical: true,
      headline:
        withheld.reason === 'safety-limit'
          ? 'deregistrations withheld by the safety limit'
          : 'the instance selector matches nothing',
      detail: withheld.detail,
    }),
  );
}

/** Registers, then deregisters; returns the targets AWS refused one by one. */
async function applyRegistration(
  context: RegistrationContext,
  plan: RegistrationPlan,
): Promise<TargetWriteResult['rejected'][number][]> {
  const { deps, binding } = context;
  const rejected: TargetWriteResult['rejected'][number][] = [];
  if (plan.toRegister.length > 0) {
    const launches = new Map(context.matching.map((instance) => [instance.id, launchMarker(instance)]));
    const outcome = await register(deps, binding, plan.toRegister, launches);
    rejected.push(...outcome.rejected);
  }
  if (plan.toDeregister.length > 0) {
    const targets = plan.toDeregister.map((entry) => entry.target);
    deps.telemetry.log.info('deregistering', { binding: binding.name, targets: targets.map(targetKey) });
    const outcome = await deps.elb.deregisterTargets(binding.targetGroupArn, targets);
    deps.telemetry.log.info('deregistered', { binding: binding.name, done: outcome.done.map(targetKey) });
    deps.telemetry.count(METRIC.deregistrations, outcome.done.length);
    await deps.state.removeAll(
      ownershipOf(binding.name),
      outcome.done.map((target) => KEY.owned(targetKey(target))),
    );
    rejected.push(...outcome.rejected);
  }
  return rejected;
}

/** One run of an instance: a restart is a new run, a duplicate event is not. */
function launchMarker(instance: Instance | undefined): string {
  return instance?.launchTime ?? 'unknown-launch';
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
      marker: launches.get(target.id) ?? launchMarker(undefined),
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

async function reportRejected(
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

/** Ownership of targets that left the group another way (by hand, terminated long ago) is forgotten. */
async function forgetStaleOwnership(
  deps: Deps,
  ownership: BindingState,
  targets: readonly TargetHealth[],
): Promise<void> {
  const registered = new Set(targets.filter((target) => target.state !== 'draining').map(targetKey));
  const now = deps.now();
  const stale = [...ownership.withPrefix(PREFIX.owned)].filter(([key, record]) => {
    const owned = decode.owned(record.data);
    return !registered.has(key) && (!owned || now - owned.registeredAt > OWNERSHIP_GRACE_MS);
  });
  await ownership.removeAll(stale.map(([key]) => KEY.owned(key)));
}

/** The target group's VPC never changes; it is kept in the state table so no sweep has to ask twice. */
async function targetGroupVpc(
  deps: Deps,
  binding: Binding,
  state: BindingState,
  known?: string,
): Promise<string | undefined> {
  const meta = decode.meta(state.data(KEY.meta)) as MetaRecord;
  if (meta.targetGroupVpcId) return meta.targetGroupVpcId;
  const vpc = known ?? (await deps.elb.describeTargetGroups([binding.targetGroupArn]))[0]?.vpcId;
  if (vpc) await state.save(KEY.meta, { ...meta, targetGroupVpcId: vpc });
  return vpc;
}

export interface InstanceEventOutcome {
  readonly binding: string;
  /** Set when this binding's work failed; the other bindings went on. */
  readonly error?: unknown;
  readonly action:
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
  readonly detail?: string | undefined;
}

/** One binding's failure must not stop the others: it becomes that binding's outcome. */
function isolated(
  work: (binding: Binding) => Promise<InstanceEventOutcome>,
): (binding: Binding) => Promise<InstanceEventOutcome> {
  return async (binding) => {
    const outcome = await settled(work(binding));
    return 'error' in outcome
      ? { binding: binding.name, action: 'failed', error: outcome.error }
      : outcome.value;
  };
}

type NotifierFor = (binding: Binding, state: BindingState) => Notifier;

/**
 * One instance changed state. Its current state decides (re-read from EC2): a late `running` event for an
 * instance that has since stopped registers nothing. An Auto Scaling group's instance is left to the group
 * in the target groups it has attached.
 */
export async function handleInstanceChange(
  deps: Deps,
  instanceId: string,
  notifierFor: NotifierFor,
  claim?: InstanceEventClaim,
): Promise<{ decision: string; outcomes: InstanceEventOutcome[] }> {
  const { config } = deps;
  const [current] = await deps.instances.describe([instanceId]);
  const attached = await new ScalingGroupCache(deps.scaling).attached(current ? [current] : []);
  const decision = decideForInstance(config.bindings, instanceId, current, claim, attached);
  if (decision.action === 'wait') throw new InstanceNotVisibleYetError(decision.reason);
  if (decision.action === 'none') return { decision: decision.reason, outcomes: [] };
  if (!current && claim?.state === 'running')
    deps.telemetry.log.warn('instance of a running event still not returned by EC2; taken as gone', {
      instanceId,
      eventAgeSeconds: claim.ageMs === undefined ? undefined : Math.round(claim.ageMs / 1000),
    });
  if (decision.action === 'register') {
    const work = isolated((binding) => registerOnEvent(deps, binding, instanceId, current, notifierFor));
    return {
      decision: `register (instance is ${current?.state})`,
      outcomes: await withCoOwned(decision, decision.bindings.map(work)),
    };
  }
  const work = isolated((binding) => deregisterOnEvent(deps, binding, instanceId, decision.reason));
  return {
    decision: `deregister (${decision.reason})`,
    outcomes: await withCoOwned(decision, decision.bindings.map(work)),
  };
}

/**
 * A Spot interruption warning: the instance is deregistered from every target group that has it, and held
 * out, so draining ends before EC2 reclaims it and no sweep puts it back in the meantime.
 */
export async function handleSpotInterruption(
  deps: Deps,
  instanceId: string,
): Promise<{ decision: string; outcomes: InstanceEventOutcome[] }> {
  const [found] = await deps.instances.describe([instanceId]);
  const current = found?.id === instanceId ? found : undefined;
  const attached = await new ScalingGroupCache(deps.scaling).attached(current ? [current] : []);
  const decision = decideForSpotWarning(deps.config.bindings, current, attached);
  const work = isolated(async (binding) => {
    // The hold first: a sweep between the two writes must not put the target back.
    if (deps.config.mode === 'enforce') await holdForSpot(deps, binding, instanceId);
    return deregisterOnEvent(deps, binding, instanceId, decision.reason);
  });
  return {
    decision: `deregister (${decision.reason})`,
    outcomes: await withCoOwned(decision, decision.bindings.map(work)),
  };
}

async function holdForSpot(deps: Deps, binding: Binding, instanceId: string): Promise<void> {
  const now = deps.now();
  const until = now + SPOT_HOLD_MS;
  await deps.state.putAll(binding.name, [
    {
      key: KEY.hold(targetKey({ id: instanceId, port: binding.targetPort })),
      data: { by: 'spot-interruption', at: now, until },
      expiresAt: Math.ceil(until / 1000),
    },
  ]);
}

/** The bindings left to an Auto Scaling group, as outcomes beside those the controller acted on. */
async function withCoOwned(
  decision: Extract<InstanceDecision, { action: 'register' | 'deregister' }>,
  work: readonly Promise<InstanceEventOutcome>[],
): Promise<InstanceEventOutcome[]> {
  const left = decision.coOwned.map(
    ({ binding, group }: CoOwnedBinding): InstanceEventOutcome => ({
      binding: binding.name,
      action: 'co-owned',
      detail: group,
    }),
  );
  return [...(await Promise.all(work)), ...left];
}

/**
 * Targets an AWS service deregistered for its own operation (a scaling activity, a CodeDeploy BlockTraffic,
 * an Elastic Beanstalk deployment) are held out for `coOwners.holdMinutes` from the call, so neither the
 * sweep nor a later event registers them again while the operation can be in progress.
 */
export async function holdForService(
  context: Pick<RegistrationContext, 'deps' | 'binding' | 'state'>,
  service: string,
  targets: readonly { readonly id: string; readonly port?: number | undefined }[],
  eventTime: string | undefined,
): Promise<RegistrationResult> {
  const { deps, binding } = context;
  const now = deps.now();
  const at = Math.min(now, Date.parse(eventTime ?? '') || now);
  const until = at + deps.config.coOwners.holdMinutes * MINUTE;
  const keys = targets.map((target) => targetKey({ id: target.id, port: target.port ?? binding.targetPort }));
  const applied = deps.config.mode === 'enforce';
  if (until > now) await keepHolds(context, new Map(keys.map((key) => [key, { service, at, until }])));
  deps.telemetry.log.info('targets held for an AWS service operation', {
    binding: binding.name,
    service,
    keys,
  });
  return {
    applied,
    register: [],
    deregister: [],
    unchanged: 0,
    foreign: [],
    rejected: [],
    held: until > now ? keys.map((key) => `${key} (${service})`) : [],
  };
}

/**
 * Ownership is claimed first, per run of the instance: a duplicate or late event for the same run finds it
 * claimed and makes no ELB call at all.
 */
async function registerOnEvent(
  deps: Deps,
  binding: Binding,
  instanceId: string,
  current: Instance | undefined,
  notifierFor: NotifierFor,
): Promise<InstanceEventOutcome> {
  const target = { id: instanceId, port: binding.targetPort };
  if (deps.config.mode !== 'enforce') return { binding: binding.name, action: 'would-register' };
  const key = KEY.owned(targetKey(target));
  const now = deps.now();
  const claimed = await deps.state.putUnlessMarked(ownershipOf(binding.name), {
    key,
    data: { registeredAt: now },
    marker: launchMarker(current),
    expiresAt: expiresIn(now, OWNERSHIP_DAYS),
  });
  if (!claimed) return { binding: binding.name, action: 'already-registered' };
  let outcome: TargetWriteResult;
  try {
    deps.telemetry.log.info('registering', { binding: binding.name, targets: [targetKey(target)] });
    outcome = await deps.elb.registerTargets(binding.targetGroupArn, [target]);
    deps.telemetry.log.info('registered', { binding: binding.name, done: outcome.done.map(targetKey) });
  } catch (error) {
    // Let the retried event claim it again.
    await deps.state.removeAll(ownershipOf(binding.name), [key]).catch(() => undefined);
    throw error;
  }
  deps.telemetry.count(METRIC.registrations, outcome.done.length);
  const [refusal] = outcome.rejected;
  if (!refusal) return { binding: binding.name, action: 'registered' };
  await deps.state.removeAll(ownershipOf(binding.name), [key]);
  const [group] = await deps.elb.describeTargetGroups([binding.targetGroupArn]);
  if (group?.vpcId && current?.vpcId && group.vpcId !== current.vpcId) {
    const detail = `instance in ${current.vpcId}, target group in ${group.vpcId}`;
    return { binding: binding.name, action: 'other-vpc', detail };
  }
  const state = await BindingState.load(deps.state, binding.name);
  await reportRejected(deps, binding, notifierFor(binding, state), outcome.rejected);
  return { binding: binding.name, action: 'rejected', detail: refusal.message };
}

async function deregisterOnEvent(
  deps: Deps,
  binding: Binding,
  instanceId: string,
  reason: string,
): Promise<InstanceEventOutcome> {
  const target = { id: instanceId, port: binding.targetPort };
  const [health] = await deps.elb.describeTargetHealth(binding.targetGroupArn, [target]);
  const registered = health && health.reasonCode !== 'Target.NotRegistered' && health.state !== 'draining';
  if (!registered) return { binding: binding.name, action: 'not-registered' };
  if (deps.config.mode !== 'enforce')
    return { binding: binding.name, action: 'would-deregister', detail: reason };
  deps.telemetry.log.info('deregistering', { binding: binding.name, targets: [targetKey(target)], reason });
  const outcome = await deps.elb.deregisterTargets(binding.targetGroupArn, [target]);
  deps.telemetry.log.info('deregistered', { binding: binding.name, done: outcome.done.map(targetKey) });
  deps.telemetry.count(METRIC.deregistrations, outcome.done.length);
  const action = outcome.done.length > 0 ? 'deregistered' : 'rejected';
  return { binding: binding.name, action, detail: reason };
}
