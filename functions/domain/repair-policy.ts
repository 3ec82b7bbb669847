/**
 * The one repair policy: whether the controller may put a drifted resource (a listener, the health check)
 * back, or must leave it alone, and why. Every kind of repair asks it, in the same order:
 * accepted earlier → approved actor → paused → waiting for the event that names who made it → dry-run →
 * circuit breaker → apply.
 */
import { isApprovedActor } from './events.ts';
import type { Actor } from './model.ts';
import type { BreakerKey } from './notices.ts';
import type { CircuitBreakerSettings, WardenSettings } from './settings.ts';
import { activePause, breakerOpen, type FirstSeen, type Pause, type RepairLog } from './state.ts';
import { MINUTE } from './time.ts';

export type DecisionKind = 'apply' | 'would-apply' | 'report' | 'accept' | 'wait' | 'suspend' | 'blocked';

/** The settings the policy reads. */
export type RepairSettings = Pick<
  WardenSettings,
  'mode' | 'approvedActors' | 'approvalGraceMinutes' | 'circuitBreaker'
>;

/** What a part's plan decided, with why (for people: logs, alerts, the CLI). */
export interface Decision {
  readonly kind: DecisionKind;
  readonly reason: string;
}

export interface RepairQuestion {
  /** The drift's fingerprint (stable while the drift stays the same). */
  readonly fingerprint: string;
  /** The circuit breakers the repair's steps count against. */
  readonly breakers: readonly BreakerKey[];
  /** Who made the change, when an event about this very resource said so. */
  readonly actor?: Actor | undefined;
  /** An operator asked for this repair (`alb-warden reconcile`): nothing is waited for. */
  readonly byOperator: boolean;
  /** An approved actor's change to this resource, remembered with this same drift. */
  readonly acceptedEarlier: boolean;
  /** When this drift was first seen with no event naming who made it. */
  readonly firstSeen?: FirstSeen | undefined;
  readonly pause?: Pause | undefined;
  readonly repairs: RepairLog;
  readonly settings: RepairSettings;
  readonly now: number;
}

export interface RepairAnswer extends Decision {
  /** Breakers open among `breakers`: their steps must not run (the others may). */
  readonly suspended: readonly BreakerKey[];
  /** The approved actor pattern that matched, when the change is accepted because of it. */
  readonly approvedBy?: string | undefined;
}

export function decideRepair(question: RepairQuestion): RepairAnswer {
  const { actor, now, settings } = question;
  const none: readonly BreakerKey[] = [];
  if (question.acceptedEarlier)
    return {
      kind: 'accept',
      reason: 'an approved actor made this change; it stays until it changes again',
      suspended: none,
    };
  const approvedBy = actor ? isApprovedActor(settings.approvedActors, actor) : undefined;
  if (approvedBy)
    return {
      kind: 'accept',
      reason: `the change was made by an approved actor (${approvedBy}); it is reported, not reverted`,
      suspended: none,
      approvedBy,
    };
  const pause = activePause(question.pause, now);
  if (pause) return { kind: 'report', reason: pauseReason(pause), suspended: none };
  const waiting = waitingForEvent(question);
  if (waiting) return { kind: 'wait', reason: waiting, suspended: none };
  if (settings.mode === 'dry-run')
    return { kind: 'would-apply', reason: 'dry-run mode: nothing is changed', suspended: none };
  const suspended = question.breakers.filter((key) =>
    breakerOpen(question.repairs, key, now, settings.circuitBreaker),
  );
  if (suspended.length > 0 && suspended.length === question.breakers.length)
    return { kind: 'suspend', reason: suspendReason(suspended, settings.circuitBreaker), suspended };
  return { kind: 'apply', reason: 'drift found: repairing', suspended };
}

/**
 * Drift that no event explains may be an approved actor's change whose CloudTrail event is still on its way
 * (EventBridge delivers those late, best effort): while approved actors exist, it waits a bounded grace
 * before it is repaired. A change whose event names an unapproved actor is repaired at once.
 */
function waitingForEvent(question: RepairQuestion): string | undefined {
  const { approvalGraceMinutes: grace, approvedActors } = question.settings;
  if (question.actor || question.byOperator || grace === 0 || approvedActors.length === 0) return undefined;
  const first = question.firstSeen?.fingerprint === question.fingerprint ? question.firstSeen : undefined;
  // An event named who made this same drift before (it was left alone then: paused, dry-run, suspended).
  if (first?.by) return undefined;
  const seen = first?.at ?? question.now;
  const left = seen + grace * MINUTE - question.now;
  if (left <= 0) return undefined;
  return `no event has said who made this change yet, and approved actors' changes are never reverted: waiting up to ${grace} min for it (${Math.ceil(left / MINUTE)} min left)`;
}

function pauseReason(pause: Pause): string {
  const note = pause.reason ? ` (${pause.reason})` : '';
  return `the binding is paused by ${pause.by} until ${new Date(pause.until).toISOString()}${note}`;
}

function suspendReason(keys: readonly BreakerKey[], breaker: CircuitBreakerSettings): string {
  return `repairs of ${keys.map(breakerLabel).join(' and ')} suspended: repaired ${breaker.maxRepairs} times within ${breaker.windowMinutes} min`;
}

/** What a breaker guards, as people name it. */
function breakerLabel(key: BreakerKey): string {
  return key === 'health-check' ? 'the health check' : `the ${key.toUpperCase()} listener`;
}
