/**
 * A repair plan is a value: from what was observed, what is remembered, the trigger, the settings and the
 * time, what the controller decides for one repairable part of a binding (its listeners, its health check),
 * the AWS steps that carry the decision out, and the notices to claim (each releases its alert only if the
 * claim lands). `status`, a dry-run and an enforcing sweep all compute this same value; only an enforcing
 * executor acts on it. Pure.
 */
import {
  driftAlert,
  healthCheckDriftAlert,
  repairFailedAlert,
  repairsSuspendedAlert,
} from './alert-kinds.ts';
import type { Alert } from './alerts.ts';
import { hash } from './hash.ts';
import { describeHealthCheckDrift, desiredHealthCheck, healthCheckDrift } from './health-check.ts';
import {
  driftFingerprint,
  type ListenerPlan,
  type RepairStep as ListenerStep,
  type ObservedListeners,
  planListeners,
} from './listeners.ts';
import type { TargetGroup, TargetGroupHealthCheck } from './model.ts';
import { type BreakerKey, settledBy, TOPIC } from './notices.ts';
import { type Decision, decideRepair, type RepairAnswer } from './repair-policy.ts';
import type { Binding, WardenSettings } from './settings.ts';
import { activePause, decode, KEY, recentRepairs } from './state.ts';
import { actorOf, foundBy, type Trigger } from './trigger.ts';

export interface HealthCheckStep {
  readonly type: 'modify-health-check';
  readonly listener: 'health-check';
  readonly targetGroupArn: string;
  readonly request: Required<TargetGroupHealthCheck>;
  readonly before: TargetGroupHealthCheck;
}

export type RepairStep = ListenerStep | HealthCheckStep;

/** A report to claim in the state table; its alert goes out only if the claim lands. */
export interface NoticeClaim {
  readonly topic: string;
  readonly fingerprint: string;
  readonly alert: Alert;
  readonly accepted?: boolean | undefined;
  readonly remindEveryMinutes?: number | undefined;
}

export type RepairOutcome =
  | 'in-sync'
  | 'repaired'
  | 'would-repair'
  | 'reported'
  | 'accepted'
  | 'paused'
  | 'suspended'
  | 'blocked';

export type RepairSubject =
  | { readonly part: 'listeners'; readonly plan: ListenerPlan; readonly observed: ObservedListeners }
  | { readonly part: 'health-check'; readonly drift: string; readonly before: TargetGroupHealthCheck };

export interface RepairPlan {
  readonly part: 'listeners' | 'health-check';
  readonly decision: Decision | { readonly kind: 'in-sync'; readonly reason: string };
  /** What the result reports: the decision as the operator reads it. */
  readonly outcome: RepairOutcome;
  readonly fingerprint: string;
  readonly drift: readonly string[];
  readonly blocked: readonly string[];
  /** The steps that carry the decision out (`apply`), or that would (`would-apply`, `report`). */
  readonly steps: readonly RepairStep[];
  readonly notices: readonly NoticeClaim[];
  /** Notice topics this plan settles: the states they reported are over. */
  readonly settle: readonly string[];
  readonly subject: RepairSubject;
}

export interface PlanInput {
  readonly binding: Binding;
  readonly settings: Pick<WardenSettings, 'mode' | 'approvedActors' | 'circuitBreaker'>;
  readonly trigger: Trigger;
  readonly now: number;
  /** The binding's remembered records, by key. */
  readonly recall: (key: string) => unknown;
}

export function planListenerRepair(input: PlanInput, observed: ObservedListeners): RepairPlan {
  const { binding } = input;
  const plan = planListeners(binding, observed);
  const fingerprint = driftFingerprint(plan);
  const subject = { part: 'listeners' as const, plan, observed };
  const drift = [...plan.drifts.map((d) => d.summary), ...plan.findings.map((f) => f.summary)];
  const blocked = plan.blocked.map((block) => block.detail);
  const base = { part: 'listeners' as const, fingerprint, drift, blocked, subject };
  if (drift.length === 0) return { ...base, ...inSync('listeners'), steps: [] };
  const alertBase = alertContext(input);
  const breakers = [...new Set(plan.steps.map((step) => step.listener))];
  const answer = ask(input, 'listeners', fingerprint, breakers);
  const reported = (reportReason: string, accepted?: boolean): NoticeClaim => ({
    topic: TOPIC.drift('listeners'),
    fingerprint,
    alert: driftAlert({ ...alertBase, outcome: 'reported', plan, reportReason }),
    accepted,
  });
  if (answer.kind === 'accept')
    return accept(base, answer, answer.approvedBy ? [reported(answer.reason, true)] : []);
  if (answer.kind === 'report')
    return {
      ...base,
      decision: decisionOf(answer),
      outcome: 'paused',
      steps: plan.steps,
      notices: [reported(answer.reason)],
      settle: [],
    };

  const notices: NoticeClaim[] = [];
  if (plan.blocked.length > 0) notices.push(blockedNotice(input, plan, fingerprint));
  if (plan.steps.length === 0) {
    if (plan.findings.length > 0 && plan.blocked.length === 0) {
      const reason = 'foreignRules is "report" for this binding';
      const decision = { kind: 'report' as const, reason };
      return { ...base, decision, outcome: 'reported', steps: [], notices: [reported(reason)], settle: [] };
    }
    const decision = { kind: 'blocked' as const, reason: blocked.join(' ') };
    return { ...base, decision, outcome: 'blocked', steps: [], notices, settle: [] };
  }
  if (answer.kind === 'would-apply') {
    notices.push({
      topic: TOPIC.drift('listeners'),
      fingerprint,
      alert: driftAlert({ ...alertBase, outcome: 'would-repair', plan }),
    });
    return {
      ...base,
      decision: decisionOf(answer),
      outcome: 'would-repair',
      steps: plan.steps,
      notices,
      settle: [],
    };
  }
  notices.push(...suspensionNotices(input, answer.suspended));
  // HTTP waits for HTTPS: while HTTPS repairs are suspended, the redirect must not be restored either.
  const held = new Set<string>(answer.suspended);
  const steps = plan.steps.filter(
    (step) => !held.has(step.listener) && !(step.listener === 'http' && held.has('https')),
  );
  if (steps.length === 0) {
    const decision = { kind: 'suspend' as const, reason: answer.reason };
    return { ...base, decision, outcome: 'suspended', steps: [], notices, settle: [] };
  }
  return {
    ...base,
    decision: decisionOf(answer),
    outcome: 'repaired',
    steps,
    notices,
    settle: settledByRepair('listeners'),
  };
}

export function planHealthCheckRepair(input: PlanInput, group: TargetGroup): RepairPlan | undefined {
  const desired = input.binding.healthCheck;
  if (!desired) return undefined;
  const drifts = healthCheckDrift(desired, group.healthCheck);
  const drift = describeHealthCheckDrift(drifts);
  const fingerprint = drifts.length === 0 ? '' : hash(drift);
  const subject = { part: 'health-check' as const, drift, before: { ...group.healthCheck } };
  const base = {
    part: 'health-check' as const,
    fingerprint,
    drift: drift ? [drift] : [],
    blocked: [],
    subject,
  };
  if (drifts.length === 0) return { ...base, ...inSync('health-check'), steps: [] };
  const alertBase = { ...alertContext(input), drift, before: subject.before };
  const step: HealthCheckStep = {
    type: 'modify-health-check',
    listener: 'health-check',
    targetGroupArn: input.binding.targetGroupArn,
    request: desiredHealthCheck(desired),
    before: group.healthCheck,
  };
  const answer = ask(input, 'health-check', fingerprint, ['health-check']);
  const notice = (outcome: 'reported' | 'would-repair', reportReason?: string, accepted?: boolean) => ({
    topic: TOPIC.drift('health-check'),
    fingerprint,
    alert: healthCheckDriftAlert({ ...alertBase, outcome, reportReason }),
    accepted,
  });
  switch (answer.kind) {
    case 'accept':
      return accept(base, answer, answer.approvedBy ? [notice('reported', answer.reason, true)] : []);
    case 'report':
      return {
        ...base,
        decision: decisionOf(answer),
        outcome: 'paused',
        steps: [step],
        notices: [notice('reported', answer.reason)],
        settle: [],
      };
    case 'would-apply':
      return {
        ...base,
        decision: decisionOf(answer),
        outcome: 'would-repair',
        steps: [step],
        notices: [notice('would-repair')],
        settle: [],
      };
    case 'suspend':
      return {
        ...base,
        decision: decisionOf(answer),
        outcome: 'suspended',
        steps: [],
        notices: suspensionNotices(input, answer.suspended),
        settle: [],
      };
    default:
      return {
        ...base,
        decision: decisionOf(answer),
        outcome: 'repaired',
        steps: [step],
        notices: [],
        settle: settledByRepair('health-check'),
      };
  }
}

/** A repair that held settles what the part reported, except a blocked repair it did not make. */
const settledByRepair = (part: 'listeners' | 'health-check') =>
  settledBy(part).filter((topic) => topic !== TOPIC.blocked);

const decisionOf = (answer: RepairAnswer): Decision => ({ kind: answer.kind, reason: answer.reason });

function inSync(part: 'listeners' | 'health-check') {
  return {
    decision: { kind: 'in-sync' as const, reason: 'matches the configuration' },
    outcome: 'in-sync' as const,
    notices: [],
    settle: settledBy(part),
  };
}

function accept(
  base: Omit<RepairPlan, 'decision' | 'outcome' | 'steps' | 'notices' | 'settle'>,
  answer: RepairAnswer,
  notices: NoticeClaim[],
): RepairPlan {
  const outcome = answer.approvedBy ? 'reported' : 'accepted';
  return { ...base, decision: decisionOf(answer), outcome, steps: [], notices, settle: [] };
}

function ask(
  input: PlanInput,
  part: 'listeners' | 'health-check',
  fingerprint: string,
  breakers: readonly BreakerKey[],
) {
  const { settings, recall, now } = input;
  return decideRepair({
    fingerprint,
    breakers,
    actor: actorOf(input.trigger),
    lastNotice: decode.notice(recall(KEY.notice(TOPIC.drift(part)))),
    pause: activePause(decode.pause(recall(KEY.pause)), now),
    repairs: decode.repairs(recall(KEY.repairs)),
    mode: settings.mode,
    approvedActors: settings.approvedActors,
    circuitBreaker: settings.circuitBreaker,
    now,
  });
}

function alertContext(input: PlanInput) {
  const { binding, now, settings, trigger } = input;
  return { binding, now, mode: settings.mode, actor: actorOf(trigger), foundBy: foundBy(trigger) };
}

/** Blocked repairs are said once per state, critically unless only TLS on port 80 is left alone. */
function blockedNotice(input: PlanInput, plan: ListenerPlan, fingerprint: string): NoticeClaim {
  const critical = plan.blocked.some((block) => block.reason !== 'tls-on-http-port');
  return {
    topic: TOPIC.blocked,
    fingerprint,
    alert: repairFailedAlert({
      ...alertContext(input),
      critical,
      headline: critical ? 'cannot restore the listeners safely' : 'listener left as it is',
      detail: plan.blocked.map((block) => block.detail).join(' '),
      extra: { blocked: plan.blocked },
    }),
  };
}

/** One critical alert per suspended breaker, naming who kept changing it back; never a reminder. */
function suspensionNotices(input: PlanInput, keys: readonly BreakerKey[]): NoticeClaim[] {
  const { settings, now, recall } = input;
  const log = decode.repairs(recall(KEY.repairs));
  return keys.map((key) => {
    const repairs = recentRepairs(log, key, now, settings.circuitBreaker.windowMinutes);
    const actors = [...new Set(repairs.map((entry) => entry.actor ?? 'unknown (found by the sweep)'))];
    return {
      topic: TOPIC.suspended(key),
      fingerprint: String(repairs[0]?.at ?? now),
      alert: repairsSuspendedAlert({
        ...alertContext(input),
        listener: key,
        repairs: repairs.length,
        windowMinutes: settings.circuitBreaker.windowMinutes,
        actors,
      }),
      remindEveryMinutes: 0,
    };
  });
}
