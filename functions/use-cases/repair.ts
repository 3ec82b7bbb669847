/**
 * The one executor of repair plans (listeners, health check): claims the plan's notices, and only when the
 * plan decided `apply` (enforce mode) carries its steps out in order, re-reads what they touched and plans
 * again to verify, logs the repair for the circuit breaker and alerts once.
 */
import { describeStep, driftAlert, healthCheckDriftAlert, repairFailedAlert } from '../domain/alert-kinds.ts';
import type { Alert } from '../domain/alerts.ts';
import { whoMadeIt } from '../domain/attribution.ts';
import { findListeners, type ObservedListeners } from '../domain/listeners.ts';
import type { Actor } from '../domain/model.ts';
import { TOPIC } from '../domain/notices.ts';
import {
  type PlanInput,
  planHealthCheckRepair,
  planListenerRepair,
  type RepairPlan,
  type RepairStep,
} from '../domain/repair-plan.ts';
import type { Binding } from '../domain/settings.ts';
import { decode, KEY, type RepairEntry, repairLogExpiry, withRepairs } from '../domain/state.ts';
import { actorOf, foundBy, type Trigger } from '../domain/trigger.ts';
import { DriftRepairError, errorText } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import type { Deps } from './context.ts';
import { explainLateEvent } from './late-events.ts';
import type { Notifier } from './notify.ts';
import { countUnreported, EVENT_DELAY_MS } from './pipeline.ts';
import { claimNotices, keepRecords, settle } from './plan-records.ts';
import type { RepairResult } from './results.ts';

export interface RepairContext {
  readonly deps: Deps;
  readonly binding: Binding;
  readonly state: BindingState;
  readonly notifier: Notifier;
  readonly trigger: Trigger;
}

export function planInput(context: Omit<RepairContext, 'notifier'>): PlanInput {
  const { deps, binding, state, trigger } = context;
  return { binding, settings: deps.config, trigger, now: deps.now(), recall: (key) => state.data(key) };
}

export async function observeListeners(deps: Deps, binding: Binding): Promise<ObservedListeners> {
  const listeners = await deps.elb.listListeners(binding.loadBalancerArn);
  const { http } = findListeners(binding, listeners);
  const httpRules = http ? await deps.elb.listRules(http.arn) : [];
  return { listeners, httpRules };
}

/** Carries a plan out: notices always; AWS steps, verification and the repair alert only for `apply`. */
/** The part's result, and the part as re-read after a repair (what the controller should remember). */
export interface Executed {
  readonly result: RepairResult;
  readonly after?: RepairPlan | undefined;
}

export async function executeRepair(context: RepairContext, plan: RepairPlan): Promise<Executed> {
  const { deps, binding, notifier, trigger } = context;
  const result = resultOf(plan, plan.actor ?? actorOf(trigger));
  if (plan.decision.kind !== 'in-sync') {
    deps.telemetry.count(METRIC.driftDetected);
    deps.telemetry.log.warn(plan.part === 'listeners' ? 'listener drift' : 'health check drift', {
      binding: binding.name,
      part: plan.part,
      drift: plan.drift,
      decision: plan.decision,
      trigger: trigger.type,
    });
  }
  await claimNotices(notifier, plan.notices);
  await keepAndForget(context, plan);
  if (plan.decision.kind === 'in-sync') await explainLateEvent(context, plan.part);
  if (plan.decision.kind !== 'apply') {
    await settle(notifier, plan.settle);
    return { result };
  }
  const applied: RepairStep[] = [];
  try {
    for (const step of plan.steps) await applyStep(deps, binding, step, () => applied.push(step));
  } catch (error) {
    // The steps that went through changed the load balancer: say so now; the next sweep does the rest.
    if (applied.length > 0) await logAndAlert(context, plan, applied, { unfinished: errorText(error) });
    throw error;
  }
  const after = await reread(context, plan);
  if (after.fingerprint !== '' && stillDrifts(after, plan.steps)) {
    const what = plan.part === 'listeners' ? 'the listeners still differ' : 'the health check still differs';
    const detail = `after the repair ${what}: ${after.drift.join('; ')}`;
    deps.telemetry.count(METRIC.repairFailures);
    await notifier.notice(
      TOPIC.unverified(plan.part),
      after.fingerprint,
      repairFailedAlert({
        binding,
        now: deps.now(),
        mode: deps.config.mode,
        critical: plan.part === 'listeners',
        headline: `${plan.part === 'listeners' ? 'listener' : 'health check'} repair did not hold`,
        detail,
        actor: plan.actor ?? actorOf(trigger),
      }),
    );
    throw new DriftRepairError(`${binding.name}: ${detail}`);
  }
  deps.telemetry.count(METRIC.driftRepaired, applied.length);
  await logAndAlert(context, plan, applied, { after });
  await settle(notifier, plan.settle);
  return { result: { ...result, verified: true }, after };
}

/** The records a plan keeps (approvals, first sightings) and those of conditions that are over. */
async function keepAndForget(context: RepairContext, plan: RepairPlan): Promise<void> {
  const { state, deps } = context;
  await keepRecords(state, deps.now(), plan.keep);
  for (const key of plan.forget) if (state.has(key)) await state.delete(key);
}

function resultOf(plan: RepairPlan, actor: Actor | undefined): RepairResult {
  // Steps are listed when they ran or would run (dry-run, paused): never for a change left alone on purpose.
  const listed =
    plan.decision.kind === 'apply' || plan.decision.kind === 'would-apply' || plan.outcome === 'paused';
  const steps = listed ? plan.steps : [];
  return {
    outcome: plan.outcome,
    decision: plan.decision,
    drift: plan.drift,
    blocked: plan.blocked,
    steps: steps.map(describeRepairStep),
    actor: actor?.arn,
  };
}

export function describeRepairStep(step: RepairStep): string {
  if (step.type === 'modify-health-check')
    return 'set the health check of the target group back to the configured one';
  return describeStep(step);
}

/** Applies one step; `applied` is called as soon as the load balancer changed, even if more follows. */
async function applyStep(deps: Deps, binding: Binding, step: RepairStep, applied: () => void): Promise<void> {
  const { log } = deps.telemetry;
  const before = step.type === 'create-listener' ? null : step.before;
  const request = 'request' in step ? step.request : undefined;
  log.info('repairing', { binding: binding.name, step: step.type, listener: step.listener, before, request });
  let after: unknown = null;
  switch (step.type) {
    case 'create-listener': {
      const created = await deps.elb.createListener(binding.loadBalancerArn, step.request);
      applied();
      log.info('repaired', {
        binding: binding.name,
        step: step.type,
        listener: step.listener,
        after: created,
      });
      // CreateListener takes only the default certificate; the others (SNI) are added one by one.
      if (step.request.sniCertificateArns)
        await deps.elb.addCertificates(created.arn, step.request.sniCertificateArns);
      return;
    }
    case 'modify-listener':
      after = await deps.elb.modifyListener(step.listenerArn, step.request);
      break;
    case 'delete-rule':
      await deps.elb.deleteRule(step.ruleArn);
      break;
    case 'add-certificates':
      await deps.elb.addCertificates(step.listenerArn, step.certificateArns);
      break;
    case 'modify-health-check':
      await deps.elb.modifyHealthCheck(step.targetGroupArn, step.request);
      break;
  }
  applied();
  log.info('repaired', { binding: binding.name, step: step.type, listener: step.listener, after });
}

/** Re-reads only what the steps touched and plans again, as a sweep would (the decision is not asked again). */
async function reread(context: RepairContext, plan: RepairPlan): Promise<RepairPlan> {
  const { deps, binding } = context;
  const input = {
    ...planInput(context),
    settings: { ...deps.config, mode: 'enforce' as const, approvedActors: [] },
  };
  if (plan.subject.part === 'health-check') {
    const [group] = await deps.elb.describeTargetGroups([binding.targetGroupArn]);
    if (!group) throw new DriftRepairError(`${binding.name}: the target group disappeared during the repair`);
    return planHealthCheckRepair(input, group) ?? plan;
  }
  const observed = plan.subject.observed;
  const listenersChanged = plan.steps.some((step) => step.type !== 'delete-rule');
  const rulesChanged = plan.steps.some((step) => step.type === 'delete-rule');
  const listeners = listenersChanged
    ? await deps.elb.listListeners(binding.loadBalancerArn)
    : observed.listeners;
  const http = findListeners(binding, listeners).http;
  const httpRules =
    rulesChanged && http ? await deps.elb.listRules(http.arn) : listenersChanged ? [] : observed.httpRules;
  const after = planListenerRepair(input, { listeners, httpRules });
  if (rulesChanged || after.subject.part !== 'listeners') return after;
  // After a listener-only repair the rules were not read again: judge only the listeners.
  const drifts = after.subject.plan.drifts.filter((drift) => drift.kind !== 'foreign-rule');
  return {
    ...after,
    drift: drifts.map((drift) => drift.summary),
    fingerprint: drifts.length === 0 ? '' : after.fingerprint,
  };
}

/** Whether any part the steps repaired still drifts after re-reading. */
function stillDrifts(after: RepairPlan, steps: readonly RepairStep[]): boolean {
  if (after.subject.part === 'health-check') return true;
  const repaired = new Set(steps.map((step) => step.listener));
  return after.subject.plan.drifts.some(
    (drift) =>
      repaired.has(drift.listener) &&
      (drift.kind !== 'foreign-rule' || steps.some((step) => step.type === 'delete-rule')),
  );
}

/**
 * Logs the repair for the circuit breaker, then alerts, unless a concurrent invocation already logged the
 * same repair (it alerts, not us). A log that cannot be written costs the breaker one count, never the alert.
 */
async function logAndAlert(
  context: RepairContext,
  plan: RepairPlan,
  applied: readonly RepairStep[],
  how: { after?: RepairPlan; unfinished?: string },
): Promise<void> {
  const { deps, binding, notifier, trigger, state } = context;
  const first = await recordRepairs(
    deps,
    state,
    repairEntries(context, plan, applied),
    plan.fingerprint,
  ).catch((error: unknown) => {
    deps.telemetry.log.warn('could not record the repair; alerting anyway', {
      binding: binding.name,
      error: errorText(error),
    });
    return true;
  });
  if (!first) {
    deps.telemetry.log.info('a concurrent invocation made the same repair and alerted; not alerting twice', {
      binding: binding.name,
      fingerprint: plan.fingerprint,
    });
    return;
  }
  await notifier.send(repairedAlert(context, plan, applied, how));
  if (plan.part === 'listeners' && trigger.type === 'sweep' && !how.unfinished) {
    await countUnreported(deps, state).catch((error: unknown) =>
      deps.telemetry.log.warn('could not count the unreported drift', {
        binding: binding.name,
        error: errorText(error),
      }),
    );
  }
}

function repairedAlert(
  context: RepairContext,
  plan: RepairPlan,
  applied: readonly RepairStep[],
  how: { after?: RepairPlan; unfinished?: string },
): Alert {
  const { deps, binding, trigger } = context;
  const base = {
    binding,
    now: deps.now(),
    mode: deps.config.mode,
    actor: plan.actor ?? actorOf(trigger),
    foundBy: foundBy(trigger),
  };
  const { subject } = plan;
  if (subject.part === 'health-check')
    return healthCheckDriftAlert({
      ...base,
      outcome: 'repaired',
      drift: subject.drift,
      before: { ...subject.before },
    });
  const steps = applied.filter((step) => step.type !== 'modify-health-check');
  const drifts = how.unfinished
    ? subject.plan.drifts.filter((drift) =>
        steps.some((step) =>
          drift.kind === 'foreign-rule'
            ? step.type === 'delete-rule' && step.ruleArn === drift.before?.arn
            : step.type !== 'delete-rule' && step.listener === drift.listener,
        ),
      )
    : subject.plan.drifts;
  const after = how.after?.subject.part === 'listeners' ? how.after.subject.observed.listeners : undefined;
  return driftAlert({
    ...base,
    outcome: 'repaired',
    plan: { ...subject.plan, drifts, steps, ...(how.unfinished ? { blocked: [], findings: [] } : {}) },
    after,
    verified: how.after !== undefined,
    unfinished: how.unfinished,
  });
}

/** One log entry per repaired listener (or the health check): what the breaker counts and alerts cite. */
function repairEntries(
  context: RepairContext,
  plan: RepairPlan,
  applied: readonly RepairStep[],
): RepairEntry[] {
  const { deps, trigger } = context;
  const actor = plan.actor ?? actorOf(trigger);
  const who = actor ? whoMadeIt(actor) : trigger.type === 'manual' ? `operator ${trigger.by}` : undefined;
  // Only an event's time measures how late events arrive (pipeline-stats.ts), not event history's.
  const eventTime = actorOf(trigger)?.eventTime;
  const now = deps.now();
  return [...new Set(applied.map((step) => step.listener))].map((key) => ({
    at: now,
    listener: key,
    fingerprint: plan.fingerprint,
    summary:
      plan.subject.part === 'health-check'
        ? `health check: ${plan.subject.drift}`
        : plan.subject.plan.drifts
            .filter((drift) => drift.listener === key)
            .map((drift) => drift.summary)
            .join('; '),
    actor: who,
    eventAt: eventTime ? Date.parse(eventTime) || undefined : undefined,
  }));
}

/**
 * Logs repairs. Returns false when a concurrent invocation already logged the same repair. Another
 * invocation's write to the log (a different repair) only makes it read the log again.
 */
async function recordRepairs(
  deps: Deps,
  state: BindingState,
  entries: readonly RepairEntry[],
  fingerprint: string,
): Promise<boolean> {
  const { config } = deps;
  const keep = Math.max(config.circuitBreaker.windowMinutes, config.alerts.contextMinutes);
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = deps.now();
    const log = decode.repairs(state.data(KEY.repairs));
    const sameRepair = log.entries.some(
      (entry) => entry.fingerprint === fingerprint && now - entry.at < EVENT_DELAY_MS,
    );
    if (attempt > 0 && sameRepair) return false;
    if (await state.save(KEY.repairs, withRepairs(log, entries, now, keep), repairLogExpiry(now, config)))
      return true;
    await state.reload();
  }
  deps.telemetry.log.warn('the repair log kept changing under this invocation; alerting anyway', {
    binding: state.binding,
  });
  return true;
}
