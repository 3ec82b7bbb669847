/**
 * A repair plan is a value: from what was observed, what is remembered, the trigger, the settings and the
 * time, what the controller decides for one repairable part of a binding (its listeners, its health check),
 * the AWS steps that carry the decision out, the notices to claim (each releases its alert only if the claim
 * lands) and the records to keep or forget. `status`, a dry-run and an enforcing sweep all compute this same
 * value; only an enforcing executor acts on it. Pure.
 *
 * Approval is scoped: an approved actor's change is accepted for the listener (or the health check) its call
 * touched, and only while that resource's drift stays the same; drift elsewhere is decided on its own.
 */
import {
  driftAlert,
  healthCheckDriftAlert,
  repairFailedAlert,
  repairsSuspendedAlert,
} from './alert-kinds.ts';
import type { Keep, NoticeClaim, PlanClaims } from './claims.ts';
import { isApprovedActor } from './events.ts';
import { hash } from './hash.ts';
import { describeHealthCheckDrift, desiredHealthCheck, healthCheckDrift } from './health-check.ts';
import type { HistoryAttribution } from './history.ts';
import {
  driftFingerprint,
  findListeners,
  type ListenerPlan,
  type ListenerRole,
  type RepairStep as ListenerStep,
  type ObservedListeners,
  planListeners,
} from './listeners.ts';
import type { Actor, TargetGroup, TargetGroupHealthCheck } from './model.ts';
import { type BreakerKey, settledBy, TOPIC } from './notices.ts';
import { type Decision, decideRepair, type RepairAnswer, type RepairSettings } from './repair-policy.ts';
import type { Binding } from './settings.ts';
import { activePause, decode, KEY, recentRepairs } from './state.ts';
import { MINUTE } from './time.ts';
import { actorOf, foundBy, type Trigger } from './trigger.ts';

export interface HealthCheckStep {
  readonly type: 'modify-health-check';
  readonly listener: 'health-check';
  readonly targetGroupArn: string;
  readonly request: Required<TargetGroupHealthCheck>;
  readonly before: TargetGroupHealthCheck;
}

export type RepairStep = ListenerStep | HealthCheckStep;

export type RepairOutcome =
  | 'in-sync'
  | 'repaired'
  | 'would-repair'
  | 'reported'
  | 'accepted'
  | 'paused'
  | 'waiting'
  | 'suspended'
  | 'blocked';

export type RepairSubject =
  | { readonly part: 'listeners'; readonly plan: ListenerPlan; readonly observed: ObservedListeners }
  | { readonly part: 'health-check'; readonly drift: string; readonly before: TargetGroupHealthCheck };

export interface RepairPlan extends PlanClaims {
  readonly part: 'listeners' | 'health-check';
  readonly decision: Decision | { readonly kind: 'in-sync'; readonly reason: string };
  /** What the result reports: the decision as the operator reads it. */
  readonly outcome: RepairOutcome;
  readonly fingerprint: string;
  readonly drift: readonly string[];
  readonly blocked: readonly string[];
  /** The steps that carry the decision out (`apply`), or that would (`would-apply`, `report`). */
  readonly steps: readonly RepairStep[];
  readonly subject: RepairSubject;
  /** Who made the drift, when an event or CloudTrail's event history said so. */
  readonly actor?: Actor | undefined;
  /** The listeners whose drift is waiting for an event to say who made it (outcome `waiting`). */
  readonly unexplained?: readonly ListenerRole[] | undefined;
}

export interface PlanInput {
  readonly binding: Binding;
  readonly settings: RepairSettings;
  readonly trigger: Trigger;
  readonly now: number;
  /** The binding's remembered records, by key. */
  readonly recall: (key: string) => unknown;
  /**
   * Who made the listeners' drift by CloudTrail's event history, for a sweep that found it before any event:
   * it counts as the event's actor would, for what its call touched.
   */
  readonly history?: HistoryAttribution | undefined;
}

/** Approvals last two days and are rewritten while their drift lasts, a day before they would expire. */
const KEEP_DAYS = 2;
const REFRESH_MS = 24 * 60 * MINUTE;

type Decided = Pick<RepairPlan, 'decision' | 'outcome' | 'steps' | 'notices' | 'keep' | 'settle' | 'forget'>;

export function planListenerRepair(input: PlanInput, observed: ObservedListeners): RepairPlan {
  const full = planListeners(input.binding, observed);
  const base = {
    part: 'listeners' as const,
    fingerprint: driftFingerprint(full),
    drift: summaries(full),
    blocked: full.blocked.map((block) => block.detail),
    subject: { part: 'listeners' as const, plan: full, observed },
    actor: attributedActor(input),
  };
  const roles = driftedRoles(full);
  const cleared = (['https', 'http'] as const).filter((role) => !roles.includes(role)).map(KEY.accepted);
  if (roles.length === 0)
    return { ...base, ...inSync('listeners'), forget: [...cleared, KEY.firstSeen('listeners')] };
  const touched = touchedRoles(input, observed);
  const approvals = approvalsOf(input, full, roles, touched);
  const remaining = roles.filter((role) => !approvals.roles.includes(role));
  const rest = onlyRoles(full, remaining);
  // The event's actor made the remaining drift only if its call touched all of it.
  const attributed = !touched || remaining.every((role) => touched.has(role));
  const decided =
    summaries(rest).length === 0 ? acceptedOnly(approvals) : decideListeners(input, rest, attributed);
  return {
    ...base,
    ...decided,
    ...(decided.outcome === 'waiting' ? { unexplained: remaining } : {}),
    notices: [...approvals.notices, ...decided.notices],
    keep: [...approvals.keep, ...decided.keep],
    forget: [...cleared, ...decided.forget],
  };
}

interface Approvals {
  /** Roles left alone: accepted earlier with the same drift, or approved by this event's actor. */
  readonly roles: readonly ListenerRole[];
  readonly approvedNow: boolean;
  readonly notices: readonly NoticeClaim[];
  readonly keep: readonly Keep[];
}

function approvalsOf(
  input: PlanInput,
  full: ListenerPlan,
  roles: readonly ListenerRole[],
  touched: ReadonlySet<ListenerRole> | undefined,
): Approvals {
  const actor = attributedActor(input);
  const approvedBy = actor ? isApprovedActor(input.settings.approvedActors, actor) : undefined;
  const left: ListenerRole[] = [];
  const fresh: ListenerRole[] = [];
  const keep: Keep[] = [];
  for (const role of roles) {
    const fingerprint = driftFingerprint(onlyRoles(full, [role]));
    const earlier = decode.accepted(input.recall(KEY.accepted(role)));
    if (earlier?.fingerprint === fingerprint) {
      left.push(role);
      keep.push(...acceptance(input, KEY.accepted(role), fingerprint));
    } else if (approvedBy && actor && (!touched || touched.has(role))) {
      left.push(role);
      fresh.push(role);
      keep.push(...acceptance(input, KEY.accepted(role), fingerprint, actor.arn));
    }
  }
  const notices: NoticeClaim[] =
    fresh.length === 0
      ? []
      : [
          {
            topic: TOPIC.drift('listeners'),
            fingerprint: driftFingerprint(onlyRoles(full, fresh)),
            alert: driftAlert({
              ...alertContext(input),
              outcome: 'reported',
              plan: onlyRoles(full, fresh),
              reportReason: `the change was made by an approved actor (${approvedBy}); it is reported, not reverted`,
            }),
          },
        ];
  return { roles: left, approvedNow: fresh.length > 0, notices, keep };
}

function acceptedOnly(approvals: Approvals): Decided {
  const reason = approvals.approvedNow
    ? 'the change was made by an approved actor; it is reported, not reverted'
    : 'an approved actor made this change; it stays until it changes again';
  return {
    decision: { kind: 'accept', reason },
    outcome: approvals.approvedNow ? 'reported' : 'accepted',
    steps: [],
    notices: [],
    keep: [],
    settle: [],
    forget: [],
  };
}

/** The policy for the drift no approval covers; the event's actor counts only if it touched all of it. */
function decideListeners(input: PlanInput, plan: ListenerPlan, attributed: boolean): Decided {
  const fingerprint = driftFingerprint(plan);
  const breakers = [...new Set(plan.steps.map((step) => step.listener))];
  const answer = ask(input, 'listeners', fingerprint, breakers, attributed);
  // Every decision but a repair remembers the drift: its first sighting, and who made it when known.
  const none = {
    notices: [],
    keep: firstSight(input, 'listeners', fingerprint, attributed),
    settle: [],
    forget: [],
  };
  const reported = (reason: string): NoticeClaim => ({
    topic: TOPIC.drift('listeners'),
    fingerprint,
    alert: driftAlert({ ...alertContext(input), outcome: 'reported', plan, reportReason: reason }),
  });
  // Approvals were settled per listener before: an approval here would have no scope to hold to.
  if (answer.kind === 'accept') return acceptedOnly({ roles: [], approvedNow: false, notices: [], keep: [] });
  if (answer.kind === 'report' || answer.kind === 'wait')
    return leftForNow(answer, none, plan.steps, reported);
  const notices: NoticeClaim[] = plan.blocked.length > 0 ? [blockedNotice(input, plan, fingerprint)] : [];
  if (plan.steps.length === 0) {
    if (plan.findings.length > 0 && plan.blocked.length === 0) {
      const reason = 'foreignRules is "report" for this binding';
      return {
        ...none,
        decision: { kind: 'report', reason },
        outcome: 'reported',
        steps: [],
        notices: [reported(reason)],
      };
    }
    const reason = plan.blocked.map((block) => block.detail).join(' ');
    return { ...none, decision: { kind: 'blocked', reason }, outcome: 'blocked', steps: [], notices };
  }
  if (answer.kind === 'would-apply') {
    const alert = driftAlert({ ...alertContext(input), outcome: 'would-repair', plan });
    notices.push({ topic: TOPIC.drift('listeners'), fingerprint, alert });
    return { ...none, decision: decisionOf(answer), outcome: 'would-repair', steps: plan.steps, notices };
  }
  notices.push(...suspensionNotices(input, answer.suspended));
  // HTTP waits for HTTPS: while HTTPS repairs are suspended, the redirect must not be restored either.
  const held = new Set<string>(answer.suspended);
  const steps = plan.steps.filter(
    (step) => !held.has(step.listener) && !(step.listener === 'http' && held.has('https')),
  );
  if (steps.length === 0)
    return {
      ...none,
      decision: { kind: 'suspend', reason: answer.reason },
      outcome: 'suspended',
      steps: [],
      notices,
    };
  const settle = settledByRepair('listeners');
  return {
    ...none,
    decision: decisionOf(answer),
    outcome: 'repaired',
    steps,
    notices,
    keep: [],
    settle,
    forget: [KEY.firstSeen('listeners')],
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
  const resource = KEY.accepted('health-check');
  if (drifts.length === 0)
    return { ...base, ...inSync('health-check'), forget: [resource, KEY.firstSeen('health-check')] };
  const step: HealthCheckStep = {
    type: 'modify-health-check',
    listener: 'health-check',
    targetGroupArn: input.binding.targetGroupArn,
    request: desiredHealthCheck(desired),
    before: group.healthCheck,
  };
  const touched =
    input.trigger.type === 'event' &&
    (!input.trigger.touched || input.trigger.touched.includes(input.binding.targetGroupArn));
  const earlier = decode.accepted(input.recall(resource));
  const answer = ask(
    input,
    'health-check',
    fingerprint,
    ['health-check'],
    touched,
    earlier?.fingerprint === fingerprint,
  );
  return {
    ...base,
    ...decideHealthCheck(input, answer, { step, fingerprint, drift, before: subject.before, touched }),
  };
}

function decideHealthCheck(
  input: PlanInput,
  answer: RepairAnswer,
  found: {
    step: HealthCheckStep;
    fingerprint: string;
    drift: string;
    before: TargetGroupHealthCheck;
    touched: boolean;
  },
): Decided {
  const { step, fingerprint } = found;
  const notice = (outcome: 'reported' | 'would-repair', reportReason?: string): NoticeClaim => ({
    topic: TOPIC.drift('health-check'),
    fingerprint,
    alert: healthCheckDriftAlert({
      ...alertContext(input),
      drift: found.drift,
      before: { ...found.before },
      outcome,
      reportReason,
    }),
  });
  const none = {
    notices: [],
    keep: firstSight(input, 'health-check', fingerprint, found.touched),
    settle: [],
    forget: [],
  };
  const decision = decisionOf(answer);
  switch (answer.kind) {
    case 'accept': {
      const by = answer.approvedBy ? actorOf(input.trigger)?.arn : undefined;
      const keep = acceptance(input, KEY.accepted('health-check'), fingerprint, by);
      if (!by) return { ...none, decision, outcome: 'accepted', steps: [], keep };
      const notices = [notice('reported', answer.reason)];
      return { ...none, decision, outcome: 'reported', steps: [], notices, keep };
    }
    case 'report':
    case 'wait':
      return leftForNow(answer, none, [step], (reason) => notice('reported', reason));
    case 'would-apply':
      return { ...none, decision, outcome: 'would-repair', steps: [step], notices: [notice('would-repair')] };
    case 'suspend':
      return {
        ...none,
        decision,
        outcome: 'suspended',
        steps: [],
        notices: suspensionNotices(input, answer.suspended),
      };
    default:
      return {
        ...none,
        decision,
        outcome: 'repaired',
        steps: [step],
        settle: settledByRepair('health-check'),
        forget: [KEY.firstSeen('health-check')],
      };
  }
}

/** Paused (and reported) or waiting for its event: the drift stays; the steps are what a repair would do. */
function leftForNow(
  answer: RepairAnswer,
  remembered: PlanClaims,
  steps: readonly RepairStep[],
  reported: (reason: string) => NoticeClaim,
): Decided {
  return {
    ...remembered,
    decision: decisionOf(answer),
    outcome: answer.kind === 'report' ? 'paused' : 'waiting',
    steps,
    notices: answer.kind === 'report' ? [reported(answer.reason)] : [],
  };
}

/** An approval of a resource: recorded now (`by`), or the one remembered, rewritten when its TTL nears. */
function acceptance(input: PlanInput, key: string, fingerprint: string, by?: string): Keep[] {
  if (by) return [{ key, data: { fingerprint, by, at: input.now }, days: KEEP_DAYS }];
  const earlier = decode.accepted(input.recall(key));
  if (!earlier || input.now - earlier.at < REFRESH_MS) return [];
  return [{ key, data: { ...earlier, at: input.now }, days: KEEP_DAYS }];
}

/** Roles with drift or a finding. */
function driftedRoles(plan: ListenerPlan): ListenerRole[] {
  const roles = new Set<ListenerRole>([
    ...plan.drifts.map((drift) => drift.listener),
    ...plan.findings.map((finding) => finding.listener),
  ]);
  return (['https', 'http'] as const).filter((role) => roles.has(role));
}

/** The part of a listener plan that concerns `roles`. */
function onlyRoles(plan: ListenerPlan, roles: readonly ListenerRole[]): ListenerPlan {
  const keep = new Set(roles);
  return {
    drifts: plan.drifts.filter((drift) => keep.has(drift.listener)),
    steps: plan.steps.filter((step) => keep.has(step.listener)),
    blocked: plan.blocked.filter((block) => keep.has(block.listener)),
    findings: plan.findings.filter((finding) => keep.has(finding.listener)),
  };
}

function summaries(plan: ListenerPlan): string[] {
  return [...plan.drifts.map((drift) => drift.summary), ...plan.findings.map((finding) => finding.summary)];
}

/**
 * The listeners an event's call touched, by ARN (a rule's listener included) or by the port it created a
 * listener on; a listener ARN that no longer exists was a deleted one. Undefined when the trigger is no
 * event or named nothing: then nothing narrows an approval.
 */
function touchedRoles(input: PlanInput, observed: ObservedListeners): ReadonlySet<ListenerRole> | undefined {
  const { trigger, binding } = input;
  const named = trigger.type === 'event' ? trigger.touched : input.history?.touched;
  if (!named || named.length === 0) return undefined;
  const current = findListeners(binding, observed.listeners);
  const byArn = new Map<string, ListenerRole>();
  if (current.http) byArn.set(current.http.arn, 'http');
  if (current.https) byArn.set(current.https.arn, 'https');
  if (observed.httpsSeen && !current.https) byArn.set(observed.httpsSeen.arn, 'https');
  const roles = new Set<ListenerRole>();
  for (const item of named) {
    const role = byArn.get(item);
    if (role) roles.add(role);
    else if (item === `port:${binding.http.port}`) roles.add('http');
    else if (item === `port:${binding.https.port}`) roles.add('https');
    else if (/:listener\/app\//.test(item)) {
      if (!current.http) roles.add('http');
      if (!current.https) roles.add('https');
    }
  }
  return roles;
}

/**
 * A drift is remembered when first seen: with no event naming who made it, so its grace counts from then;
 * with one (an unapproved actor's change left alone for now), so later sweeps need not wait for the event.
 */
function firstSight(
  input: PlanInput,
  part: 'listeners' | 'health-check',
  fingerprint: string,
  attributed: boolean,
): Keep[] {
  const seen = decode.firstSeen(input.recall(KEY.firstSeen(part)));
  const by = attributed ? attributedActor(input)?.arn : undefined;
  if (seen?.fingerprint === fingerprint && (seen.by || !by)) return [];
  const at = seen?.fingerprint === fingerprint ? seen.at : input.now;
  return [{ key: KEY.firstSeen(part), data: { fingerprint, at, by }, days: KEEP_DAYS }];
}

/** A repair that held settles what the part reported, except a blocked repair it did not make. */
const settledByRepair = (part: 'listeners' | 'health-check') =>
  settledBy(part).filter((topic) => topic !== TOPIC.blocked);

const decisionOf = (answer: RepairAnswer): Decision => ({ kind: answer.kind, reason: answer.reason });

function inSync(part: 'listeners' | 'health-check') {
  return {
    decision: { kind: 'in-sync' as const, reason: 'matches the configuration' },
    outcome: 'in-sync' as const,
    steps: [],
    notices: [],
    keep: [],
    settle: settledBy(part),
  };
}

function ask(
  input: PlanInput,
  part: 'listeners' | 'health-check',
  fingerprint: string,
  breakers: readonly BreakerKey[],
  attributed: boolean,
  acceptedEarlier = false,
) {
  const { settings, recall, now } = input;
  return decideRepair({
    fingerprint,
    breakers,
    actor: attributed ? attributedActor(input) : undefined,
    byOperator: input.trigger.type === 'manual',
    acceptedEarlier,
    firstSeen: decode.firstSeen(recall(KEY.firstSeen(part))),
    pause: activePause(decode.pause(recall(KEY.pause)), now),
    repairs: decode.repairs(recall(KEY.repairs)),
    settings,
    now,
  });
}

function alertContext(input: PlanInput) {
  const { binding, now, settings, trigger } = input;
  return { binding, now, mode: settings.mode, actor: attributedActor(input), foundBy: foundBy(trigger) };
}

/** Who made the drift: the event's actor, or for a sweep the one CloudTrail's event history named. */
function attributedActor(input: PlanInput): Actor | undefined {
  return actorOf(input.trigger) ?? input.history?.actor;
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
