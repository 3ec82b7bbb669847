/**
 * Guarding a binding's listeners: observe (listeners and the HTTP listener's rules) → plan (pure) → decide
 * whether this invocation may act (mode, pause, approved actor, circuit breaker) → act in a safe order →
 * re-read and verify → record and alert.
 */

import type { Binding } from '../config.ts';
import {
  describeStep,
  driftAlert,
  eventPipelineAlert,
  repairFailedAlert,
  repairsSuspendedAlert,
} from '../domain/alert-kinds.ts';
import { isApprovedActor } from '../domain/events.ts';
import {
  type Drift,
  driftFingerprint,
  findListeners,
  type ListenerPlan,
  type ListenerRole,
  planListeners,
  type RepairStep,
} from '../domain/listeners.ts';
import type { Listener, Rule } from '../domain/model.ts';
import {
  activePause,
  breakerOpen,
  decode,
  expiresIn,
  KEY,
  type RepairEntry,
  recentRepairs,
  withRepairs,
  withUnreported,
} from '../domain/state.ts';
import { DriftRepairError, errorText } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import { type Deps, foundBy, type Trigger } from './context.ts';
import type { Notifier } from './notify.ts';
import type { ListenerResult } from './results.ts';

const TOPIC = 'listeners';
/** A repair of the same drift logged this recently was made by a concurrent invocation. */
const SAME_REPAIR_MS = 5 * 60_000;

export interface ListenerContext {
  readonly deps: Deps;
  readonly binding: Binding;
  readonly state: BindingState;
  readonly notifier: Notifier;
  readonly trigger: Trigger;
  /** Listeners already read by the caller (the sweep reads them alongside target health). */
  readonly observed?:
    | { readonly listeners: readonly Listener[]; readonly httpRules: readonly Rule[] }
    | undefined;
}

export async function observeListeners(
  deps: Deps,
  binding: Binding,
): Promise<{ listeners: Listener[]; httpRules: Rule[] }> {
  const listeners = await deps.elb.listListeners(binding.loadBalancerArn);
  const { http } = findListeners(binding, listeners);
  const httpRules = http ? await deps.elb.listRules(http.arn) : [];
  return { listeners, httpRules };
}

export async function reconcileListeners(context: ListenerContext): Promise<ListenerResult> {
  const { deps, binding, state, notifier, trigger } = context;
  const { config, telemetry } = deps;
  const { log } = telemetry;
  const now = deps.now();
  const observed = context.observed ?? (await observeListeners(deps, binding));
  const plan = planListeners(binding, observed);
  const actor = trigger.type === 'event' ? trigger.actor : undefined;
  const summary = {
    drift: [...plan.drifts.map((drift) => drift.summary), ...plan.findings.map((finding) => finding.summary)],
    blocked: plan.blocked.map((block) => block.detail),
    actor: actor?.arn,
  };

  if (plan.drifts.length === 0 && plan.findings.length === 0) {
    await notifier.clearNotice(TOPIC);
    if (trigger.type === 'event') await forgiveUnreported(deps, state, now);
    return { outcome: 'in-sync', steps: [], ...summary };
  }
  telemetry.count(METRIC.driftDetected);
  const fingerprint = driftFingerprint(plan);
  log.warn('listener drift', {
    binding: binding.name,
    drift: summary.drift,
    blocked: summary.blocked,
    actor: actor?.arn,
    trigger: trigger.type,
  });
  const base = { binding, now, mode: config.mode, foundBy: foundBy(trigger) };
  const steps = plan.steps.map(describeStep);

  // Left alone: an approved actor's change stays until it changes again.
  const lastNotice = notifier.lastNotice(TOPIC);
  if (lastNotice?.accepted && lastNotice.fingerprint === fingerprint) {
    return { outcome: 'accepted', steps: [], ...summary };
  }
  const approvedBy = actor ? isApprovedActor(config.approvedActors, actor) : undefined;
  if (approvedBy) {
    await notifier.notice(
      TOPIC,
      fingerprint,
      driftAlert({
        ...base,
        outcome: 'reported',
        plan,
        actor,
        reportReason: `the change was made by an approved actor (${approvedBy}); it is reported, not reverted`,
      }),
      { accepted: true },
    );
    return { outcome: 'reported', steps: [], ...summary };
  }
  const pause = activePause(decode.pause(state.data(KEY.pause)), now);
  if (pause) {
    const reason = `the binding is paused by ${pause.by} until ${new Date(pause.until).toISOString()}${pause.reason ? ` (${pause.reason})` : ''}`;
    await notifier.notice(
      TOPIC,
      fingerprint,
      driftAlert({ ...base, outcome: 'reported', plan, actor, reportReason: reason }),
    );
    return { outcome: 'paused', steps, ...summary };
  }

  // Blocked repairs: say why, critically (HTTPS cannot serve, no certificate), once per state.
  if (plan.blocked.length > 0) {
    const critical = plan.blocked.some((block) => block.reason !== 'tls-on-http-port');
    await notifier.notice(
      `${TOPIC}:blocked`,
      fingerprint,
      repairFailedAlert({
        ...base,
        critical,
        headline: critical ? 'cannot restore the listeners safely' : 'listener left as it is',
        detail: plan.blocked.map((block) => block.detail).join(' '),
        actor,
        extra: { blocked: plan.blocked },
      }),
    );
  }
  if (plan.steps.length === 0) {
    if (plan.findings.length > 0 && plan.blocked.length === 0) {
      await notifier.notice(
        TOPIC,
        fingerprint,
        driftAlert({
          ...base,
          outcome: 'reported',
          plan,
          actor,
          reportReason: 'foreignRules is "report" for this binding',
        }),
      );
      return { outcome: 'reported', steps: [], ...summary };
    }
    return { outcome: 'blocked', steps: [], ...summary };
  }

  if (config.mode === 'dry-run') {
    await notifier.notice(TOPIC, fingerprint, driftAlert({ ...base, outcome: 'would-repair', plan, actor }));
    return { outcome: 'would-repair', steps, ...summary };
  }

  // Circuit breaker, per listener: something that keeps changing it back wins the tug-of-war, loudly.
  const log0 = decode.repairs(state.data(KEY.repairs));
  const suspended = new Set<ListenerRole>();
  for (const role of ['https', 'http'] as const) {
    if (!plan.steps.some((step) => step.listener === role)) continue;
    if (!breakerOpen(log0, role, now, config.circuitBreaker)) continue;
    suspended.add(role);
    const repairs = recentRepairs(log0, role, now, config.circuitBreaker.windowMinutes);
    const actors = [...new Set(repairs.map((entry) => entry.actor ?? 'unknown (found by the sweep)'))];
    await notifier.notice(
      `breaker:${role}`,
      String(repairs[0]?.at ?? now),
      repairsSuspendedAlert({
        ...base,
        listener: role,
        repairs: repairs.length,
        windowMinutes: config.circuitBreaker.windowMinutes,
        actors,
      }),
      { remindEveryMinutes: 0 },
    );
  }
  // HTTP waits for HTTPS: if the HTTPS repair is suspended, the redirect must not be restored either.
  const runnable = plan.steps.filter(
    (step) => !suspended.has(step.listener) && !(step.listener === 'http' && suspended.has('https')),
  );
  if (runnable.length === 0) return { outcome: 'suspended', steps: [], ...summary };

  const applied: RepairStep[] = [];
  try {
    await applySteps(deps, binding, runnable, applied);
  } catch (error) {
    // The steps that went through changed the load balancer: say so now; the next sweep does the rest.
    if (applied.length > 0) {
      const done: ListenerPlan = {
        drifts: driftsRepairedBy(plan, applied),
        steps: applied,
        blocked: [],
        findings: [],
      };
      await recordRepairs(deps, state, repairEntries(done, now, fingerprint, trigger), fingerprint).catch(
        () => true,
      );
      await notifier.send(
        driftAlert({ ...base, outcome: 'repaired', plan: done, actor, unfinished: errorText(error) }),
      );
    }
    throw error;
  }
  const after = await verify(deps, binding, runnable, observed);
  const verified = after.drifts.every((drift) => !runnable.some((step) => step.listener === drift.listener));
  if (!verified) {
    const detail = `after the repair the listeners still differ: ${after.drifts.map((drift) => drift.summary).join('; ')}`;
    telemetry.count(METRIC.repairFailures);
    await notifier.notice(
      `${TOPIC}:unverified`,
      driftFingerprint(after),
      repairFailedAlert({ ...base, critical: true, headline: 'listener repair did not hold', detail, actor }),
    );
    throw new DriftRepairError(`${binding.name}: ${detail}`);
  }
  telemetry.count(METRIC.driftRepaired, applied.length);

  const repaired: ListenerPlan = { ...plan, steps: runnable };
  // A log that cannot be written costs the circuit breaker one count, never the alert.
  const first = await recordRepairs(
    deps,
    state,
    repairEntries(repaired, now, fingerprint, trigger),
    fingerprint,
  ).catch((error: unknown) => {
    log.warn('could not record the repair; alerting anyway', {
      binding: binding.name,
      error: errorText(error),
    });
    return true;
  });
  if (first) {
    await notifier.send(
      driftAlert({ ...base, outcome: 'repaired', plan: repaired, actor, after: after.listeners, verified }),
    );
    if (trigger.type === 'sweep') {
      await countUnreported(deps, state).catch((error: unknown) =>
        log.warn('could not count the unreported drift', { binding: binding.name, error: errorText(error) }),
      );
    }
  } else {
    log.info('a concurrent invocation repaired the same drift and alerted; not alerting twice', {
      binding: binding.name,
      fingerprint,
    });
  }
  await notifier.clearNotice(TOPIC);
  return { outcome: 'repaired', steps: runnable.map(describeStep), verified, ...summary };
}

/** The drifts a set of applied steps repaired: a rule's by its deletion, a listener's by its create or modify. */
function driftsRepairedBy(plan: ListenerPlan, applied: readonly RepairStep[]): Drift[] {
  return plan.drifts.filter((drift) =>
    applied.some((step) =>
      drift.kind === 'foreign-rule'
        ? step.type === 'delete-rule' && step.ruleArn === (drift.before as Rule | undefined)?.arn
        : step.type !== 'delete-rule' && step.listener === drift.listener,
    ),
  );
}

/** One log entry per repaired listener: what the circuit breaker counts and alerts show as context. */
function repairEntries(
  plan: ListenerPlan,
  now: number,
  fingerprint: string,
  trigger: Trigger,
): RepairEntry[] {
  const actor = trigger.type === 'event' ? trigger.actor : undefined;
  return [...new Set(plan.steps.map((step) => step.listener))].map((role) => ({
    at: now,
    listener: role,
    fingerprint,
    summary: plan.drifts
      .filter((drift) => drift.listener === role)
      .map((drift) => drift.summary)
      .join('; '),
    actor: actor ? actorOf(actor) : trigger.type === 'manual' ? `operator ${trigger.by}` : undefined,
  }));
}

/** Who, without when: the same person repairing three times is one actor. */
export function actorOf(actor: { readonly arn: string; readonly sourceIp?: string | undefined }): string {
  return actor.sourceIp ? `${actor.arn} (${actor.sourceIp})` : actor.arn;
}

/** Applies the steps in order; `applied` holds those that went through, even when a later one fails. */
async function applySteps(
  deps: Deps,
  binding: Binding,
  steps: readonly RepairStep[],
  applied: RepairStep[],
): Promise<void> {
  const { log } = deps.telemetry;
  for (const step of steps) {
    const before = step.type === 'create-listener' ? null : step.before;
    log.info('repairing', {
      binding: binding.name,
      step: step.type,
      listener: step.listener,
      before,
      request: step.type === 'delete-rule' ? undefined : step.request,
    });
    let after: unknown = null;
    if (step.type === 'create-listener')
      after = await deps.elb.createListener(binding.loadBalancerArn, step.request);
    else if (step.type === 'modify-listener')
      after = await deps.elb.modifyListener(step.listenerArn, step.request);
    else await deps.elb.deleteRule(step.ruleArn);
    log.info('repaired', { binding: binding.name, step: step.type, listener: step.listener, after });
    applied.push(step);
  }
}

/** Re-reads what the steps touched and plans again: the repair holds only if that part no longer drifts. */
async function verify(
  deps: Deps,
  binding: Binding,
  steps: readonly RepairStep[],
  observed: { readonly listeners: readonly Listener[]; readonly httpRules: readonly Rule[] },
): Promise<ListenerPlan & { listeners: readonly Listener[] }> {
  const listenersChanged = steps.some((step) => step.type !== 'delete-rule');
  const rulesChanged = steps.some((step) => step.type === 'delete-rule');
  const listeners = listenersChanged
    ? await deps.elb.listListeners(binding.loadBalancerArn)
    : observed.listeners;
  const http = findListeners(binding, listeners).http;
  const httpRules =
    rulesChanged && http ? await deps.elb.listRules(http.arn) : listenersChanged ? [] : observed.httpRules;
  // After a listener-only repair, rules were not touched: judge only the listeners.
  const plan = planListeners(binding, { listeners, httpRules });
  const drifts = rulesChanged ? plan.drifts : plan.drifts.filter((drift) => drift.kind !== 'foreign-rule');
  return { ...plan, drifts, listeners };
}

/**
 * Logs the repair for the circuit breaker and the alert context. Returns false when a concurrent invocation
 * already logged the same repair (it sends the alert, not us). Another invocation's write to the log (a
 * different repair) only makes it read the log again.
 */
export async function recordRepairs(
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
    if (
      attempt > 0 &&
      log.entries.some((entry) => entry.fingerprint === fingerprint && now - entry.at < SAME_REPAIR_MS)
    )
      return false;
    if (await state.save(KEY.repairs, withRepairs(log, entries, now, keep), expiresIn(now, 2))) return true;
    await state.reload();
  }
  deps.telemetry.log.warn('the repair log kept changing under this invocation; alerting anyway', {
    binding: state.binding,
  });
  return true;
}

/**
 * An event that finds its change already repaired lost a race to the sweep: the sweep's repair was reported
 * after all, so it must not count against the event pipeline.
 */
async function forgiveUnreported(deps: Deps, state: BindingState, now: number): Promise<void> {
  const pipeline = decode.pipeline(state.data(KEY.pipeline));
  const latest = pipeline.unreported.at(-1);
  if (latest === undefined || now - latest > SAME_REPAIR_MS) return;
  await state
    .save(KEY.pipeline, { unreported: pipeline.unreported.slice(0, -1) }, expiresIn(now, 2))
    .catch((error: unknown) =>
      deps.telemetry.log.warn('could not update the event pipeline count', { error: errorText(error) }),
    );
}

/** Drift only the sweep saw: counted, and when it repeats, the event pipeline is suspect. */
async function countUnreported(deps: Deps, state: BindingState): Promise<void> {
  const now = deps.now();
  deps.telemetry.count(METRIC.unreportedDrift);
  await state.save(
    KEY.pipeline,
    withUnreported(decode.pipeline(state.data(KEY.pipeline)), now),
    expiresIn(now, 2),
  );
}

/**
 * Warns, once a day at most, when drift that no event reported keeps being repaired by the sweep. A repair
 * counts once it is older than an event's usual delay: an event that arrives late forgives it first.
 */
export async function checkEventPipeline(
  deps: Deps,
  binding: Binding,
  state: BindingState,
  notifier: Notifier,
): Promise<void> {
  const now = deps.now();
  const matured = decode
    .pipeline(state.data(KEY.pipeline))
    .unreported.filter((time) => now - time > SAME_REPAIR_MS);
  if (matured.length < deps.config.eventPipeline.warnAfterUnreportedDrifts) return;
  await notifier.notice(
    'pipeline',
    'suspect',
    eventPipelineAlert({ binding, now, mode: deps.config.mode, unreportedDrifts: matured.length }),
    { remindEveryMinutes: 24 * 60 },
  );
}
