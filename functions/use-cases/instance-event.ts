/**
 * An EC2 instance event: observe (the instance, its Auto Scaling group's attachments, its target in each
 * binding's group when it is to leave) → plan (pure, functions/domain/instance-event-plan.ts) → execute.
 */
import {
  decideInstanceEvent,
  describeInstanceDecision,
  type InstanceBindingPlan,
  type InstanceEventAction,
  type InstanceEventObservation,
  type InstanceEventPlan,
  type InstanceEventStep,
  type InstanceEventTrigger,
  planInstanceEvent,
  refusalOf,
} from '../domain/instance-event-plan.ts';
import { type TargetHealth, targetKey } from '../domain/model.ts';
import type { Binding } from '../domain/settings.ts';
import { ownershipOf } from '../domain/state.ts';
import { InstanceNotVisibleYetError } from '../errors.ts';
import type { TargetWriteResult } from '../ports.ts';
import { METRIC } from '../telemetry.ts';
import { BindingState } from './binding-state.ts';
import { type Deps, settled } from './context.ts';
import type { Notifier } from './notify.ts';
import { reportRejected, ScalingGroupCache } from './registration.ts';

export interface InstanceEventOutcome {
  readonly binding: string;
  /** Set when this binding's work failed; the other bindings went on. */
  readonly error?: unknown;
  readonly action: InstanceEventAction;
  readonly detail?: string | undefined;
  /** The binding's decision, in the sweep's terms. */
  readonly decision?:
    | { readonly kind: 'in-sync' | 'apply' | 'would-apply'; readonly reason: string }
    | undefined;
}

export type NotifierFor = (binding: Binding, state: BindingState) => Notifier;

/**
 * The plan an instance event leads to now. Reads only: the instance, its group's attachments, and for a
 * deregistration its target in each binding's group (a failed read fails that binding only).
 */
export async function planInstanceEventFor(
  deps: Deps,
  instanceId: string,
  trigger: InstanceEventTrigger,
): Promise<InstanceEventPlan> {
  const [instance] = await deps.instances.describe([instanceId]);
  const attached = await new ScalingGroupCache(deps.scaling).attached(instance ? [instance] : []);
  const observed: InstanceEventObservation = {
    instanceId,
    trigger,
    bindings: deps.config.bindings,
    instance,
    attached,
    mode: deps.config.mode,
    now: deps.now(),
  };
  const decision = decideInstanceEvent(observed);
  if (decision.action !== 'deregister') return planInstanceEvent(observed);
  return planInstanceEvent({ ...observed, ...(await readTargets(deps, decision.bindings, instanceId)) });
}

async function readTargets(
  deps: Deps,
  bindings: readonly Binding[],
  instanceId: string,
): Promise<Pick<InstanceEventObservation, 'targets' | 'unread'>> {
  const targets = new Map<string, TargetHealth | undefined>();
  const unread = new Map<string, unknown>();
  await Promise.all(
    bindings.map(async (binding) => {
      const target = { id: instanceId, port: binding.targetPort };
      const read = await settled(deps.elb.describeTargetHealth(binding.targetGroupArn, [target]));
      if ('error' in read) unread.set(binding.name, read.error);
      else targets.set(binding.name, read.value[0]);
    }),
  );
  return { targets, unread };
}

/**
 * One instance event, planned then executed: a young running event whose instance EC2 does not return yet
 * is thrown (retried), never taken as "gone".
 */
export async function handleInstanceEvent(
  deps: Deps,
  instanceId: string,
  trigger: InstanceEventTrigger,
  notifierFor: NotifierFor,
): Promise<{ decision: string; outcomes: InstanceEventOutcome[] }> {
  const plan = await planInstanceEventFor(deps, instanceId, trigger);
  if (plan.decision.kind === 'wait') throw new InstanceNotVisibleYetError(plan.decision.reason);
  return executeInstanceEvent(deps, plan, notifierFor);
}

/**
 * Carries an instance event's plan out, binding by binding (one binding's failure is its outcome, the
 * others go on): its holds first (a plan has them in enforce mode only), then its AWS steps only when its
 * decision is `apply`.
 */
export async function executeInstanceEvent(
  deps: Deps,
  plan: InstanceEventPlan,
  notifierFor: NotifierFor,
): Promise<{ decision: string; outcomes: InstanceEventOutcome[] }> {
  for (const { message, attributes } of plan.warnings) deps.telemetry.log.warn(message, attributes);
  const outcomes = await Promise.all(
    plan.bindings.map(async (part): Promise<InstanceEventOutcome> => {
      const outcome = await settled(executeBinding(deps, part, notifierFor));
      return 'error' in outcome
        ? { binding: part.binding.name, action: 'failed', error: outcome.error }
        : outcome.value;
    }),
  );
  return { decision: describeInstanceDecision(plan.decision), outcomes };
}

async function executeBinding(
  deps: Deps,
  part: InstanceBindingPlan,
  notifierFor: NotifierFor,
): Promise<InstanceEventOutcome> {
  const { binding } = part;
  if (part.holds.length > 0) await deps.state.putAll(binding.name, part.holds);
  if (part.decision.kind === 'unobserved')
    return { binding: binding.name, action: 'failed', error: part.error };
  const { kind, reason } = part.decision;
  const planned = {
    binding: binding.name,
    action: part.outcome,
    detail: part.detail,
    decision: { kind, reason },
  };
  if (kind !== 'apply') return planned;
  let outcome: InstanceEventOutcome = planned;
  for (const step of part.steps) outcome = await applyStep(deps, binding, step, notifierFor, planned);
  return outcome;
}

function applyStep(
  deps: Deps,
  binding: Binding,
  step: InstanceEventStep,
  notifierFor: NotifierFor,
  planned: InstanceEventOutcome,
): Promise<InstanceEventOutcome> {
  return step.type === 'register'
    ? registerClaimed(deps, binding, step, notifierFor, planned)
    : deregister(deps, binding, step, planned);
}

/** Ownership first, per run: a retried event claims it again only if this attempt gave it back. */
async function registerClaimed(
  deps: Deps,
  binding: Binding,
  step: Extract<InstanceEventStep, { type: 'register' }>,
  notifierFor: NotifierFor,
  planned: InstanceEventOutcome,
): Promise<InstanceEventOutcome> {
  const { log } = deps.telemetry;
  const ownership = ownershipOf(binding.name);
  const claimed = await deps.state.putUnlessMarked(ownership, step.claim);
  if (!claimed) return { ...planned, action: 'already-registered' };
  let outcome: TargetWriteResult;
  try {
    log.info('registering', { binding: binding.name, targets: [targetKey(step.target)] });
    outcome = await deps.elb.registerTargets(binding.targetGroupArn, [step.target]);
    log.info('registered', { binding: binding.name, done: outcome.done.map(targetKey) });
  } catch (error) {
    // Let the retried event claim it again.
    await deps.state.removeAll(ownership, [step.claim.key]).catch(() => undefined);
    throw error;
  }
  deps.telemetry.count(METRIC.registrations, outcome.done.length);
  const [refusal] = outcome.rejected;
  if (!refusal) return { ...planned, action: 'registered' };
  await deps.state.removeAll(ownership, [step.claim.key]);
  const [group] = await deps.elb.describeTargetGroups([binding.targetGroupArn]);
  const refused = refusalOf(step.vpcId, group?.vpcId, refusal.message);
  if (refused.action === 'rejected') {
    const state = await BindingState.load(deps.state, binding.name);
    await reportRejected(deps, binding, notifierFor(binding, state), outcome.rejected);
  }
  return { ...planned, ...refused };
}

async function deregister(
  deps: Deps,
  binding: Binding,
  step: Extract<InstanceEventStep, { type: 'deregister' }>,
  planned: InstanceEventOutcome,
): Promise<InstanceEventOutcome> {
  const { log } = deps.telemetry;
  const targets = [targetKey(step.target)];
  log.info('deregistering', { binding: binding.name, targets, reason: step.reason });
  const outcome = await deps.elb.deregisterTargets(binding.targetGroupArn, [step.target]);
  log.info('deregistered', { binding: binding.name, done: outcome.done.map(targetKey) });
  deps.telemetry.count(METRIC.deregistrations, outcome.done.length);
  return { ...planned, action: outcome.done.length > 0 ? 'deregistered' : 'rejected' };
}
