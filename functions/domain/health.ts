/**
 * The alert state machine for target health. Per target: ok → suspect → alerting → ok, with damping
 * (`unhealthyAfterSweeps` bad sweeps in a row before an alert), a grace period for targets that are still
 * registering or draining, reminders, and a flapping state that replaces a stream of unhealthy/recovered
 * pairs with one alert. Per binding: the "no healthy target left" condition. Pure and clock-free: `now` is
 * passed in.
 */
import type { TargetHealth } from './model.ts';
import { MINUTE } from './time.ts';

export type Phase = 'ok' | 'suspect' | 'alerting' | 'flapping';

/** What AWS last said of a target: its state and why. */
export interface HealthDetail {
  readonly state?: string | undefined;
  readonly reasonCode?: string | undefined;
  readonly description?: string | undefined;
}

/** What the state table keeps per target. Only targets that are or were recently unhealthy have one. */
export interface TargetRecord extends HealthDetail {
  readonly phase: Phase;
  /** Bad observations in a row. */
  readonly strikes: number;
  /** Start of the current bad run (ms since epoch). */
  readonly badSince?: number | undefined;
  /** Last notification about this target, for reminders. */
  readonly notifiedAt?: number | undefined;
  /** Times the target switched between good and bad, within the flapping window. */
  readonly changes: readonly number[];
  /** Whether the last informative observation was bad. */
  readonly lastBad?: boolean | undefined;
  /** When the target entered `initial` or `draining`, to tell a slow start from a stuck one. */
  readonly graceSince?: number | undefined;
  readonly graceState?: string | undefined;
}

export interface HealthSettings {
  readonly unhealthyAfterSweeps: number;
  readonly remindEveryMinutes: number;
  readonly stuckAfterMinutes: number;
  readonly flapping: { readonly transitions: number; readonly windowMinutes: number };
}

export interface Observation {
  readonly health: TargetHealth;
  /** Whether the target's instance is running; undefined when not known. */
  readonly instanceRunning: boolean | undefined;
  /** The group's deregistration delay: how long ELB drains a target (read only while one drains). */
  readonly deregistrationDelaySeconds?: number | undefined;
}

export type TargetEventKind = 'unhealthy' | 'reminder' | 'recovered' | 'flapping';

export interface TargetEvent extends HealthDetail {
  readonly kind: TargetEventKind;
  readonly targetId: string;
  readonly port: number;
  /** Start of the bad run this event is about. */
  readonly badSince?: number | undefined;
  /** For `recovered`: how long the target was unhealthy (ms). */
  readonly unhealthyForMs?: number | undefined;
  /** For `recovered`: the target left the group rather than turning healthy. */
  readonly deregistered?: boolean | undefined;
}

export interface Step {
  /** The record to store; null to delete it; unchanged when `changed` is false. */
  readonly record: TargetRecord | null;
  readonly changed: boolean;
  readonly events: readonly TargetEvent[];
}

type Verdict = 'good' | 'bad' | 'grace' | 'neutral';

const GRACE_REASONS = new Set(['Elb.RegistrationInProgress', 'Elb.InitialHealthChecking']);

/** Unhealthy right now, before any damping: `unhealthy`, or `unused` while its instance runs. */
export function isUnhealthyNow(health: TargetHealth, instanceRunning: boolean | undefined): boolean {
  return health.state === 'unhealthy' || (health.state === 'unused' && instanceRunning === true);
}

/** Past the deregistration delay, a sweep or two before a draining target counts as stuck. */
export const DRAIN_MARGIN_MINUTES = 2;

/**
 * How long `initial` or `draining` is grace. ELB drains a target for the group's deregistration delay
 * (0–3600 s, 300 by default), so draining is measured against it when known; the rest against
 * `stuckAfterMinutes`.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
 */
function graceMs(observation: Observation, settings: HealthSettings): number {
  const delay = observation.deregistrationDelaySeconds;
  if (observation.health.state === 'draining' && delay !== undefined)
    return delay * 1000 + DRAIN_MARGIN_MINUTES * MINUTE;
  return settings.stuckAfterMinutes * MINUTE;
}

/**
 * Good, bad, or not telling: `unused` is bad only while the instance runs (a stopped one is registration's
 * business), `initial` and `draining` only once they outlast their grace (`graceMs`).
 */
function classify(
  observation: Observation,
  graceSince: number | undefined,
  now: number,
  settings: HealthSettings,
): Verdict {
  const { state, reasonCode } = observation.health;
  switch (state) {
    case 'healthy':
      return 'good';
    case 'unhealthy':
    case 'unused':
      return isUnhealthyNow(observation.health, observation.instanceRunning) ? 'bad' : 'neutral';
    case 'initial':
    case 'draining': {
      const started = graceSince ?? now;
      const stuck = now - started >= graceMs(observation, settings);
      if (stuck) return 'bad';
      return state === 'draining' || reasonCode === undefined || GRACE_REASONS.has(reasonCode)
        ? 'grace'
        : 'bad';
    }
    default:
      return 'neutral';
  }
}

const EMPTY: TargetRecord = { phase: 'ok', strikes: 0, changes: [] };

/** Advances one target's state by one sweep's observation (`gone`: no longer registered). */
export function stepTarget(
  previous: TargetRecord | undefined,
  observation: Observation | 'gone',
  now: number,
  settings: HealthSettings,
  target: { id: string; port: number },
): Step {
  const before = previous ?? EMPTY;
  if (observation === 'gone') return stepGone(previous, before, now, target);
  const { health } = observation;
  const inGrace = health.state === 'initial' || health.state === 'draining';
  const graceSince = inGrace ? (before.graceState === health.state ? before.graceSince : now) : undefined;
  const graceState = inGrace ? health.state : undefined;
  const verdict = classify(observation, graceSince, now, settings);
  const windowStart = now - settings.flapping.windowMinutes * MINUTE;
  const isBad = verdict === 'bad' ? true : verdict === 'good' ? false : undefined;
  const switched = isBad !== undefined && before.lastBad !== undefined && isBad !== before.lastBad;
  const changes = [...before.changes.filter((time) => time > windowStart), ...(switched ? [now] : [])];
  const detail = { state: health.state, reasonCode: health.reasonCode, description: health.description };
  const transition: Transition = {
    before,
    base: { ...before, changes, graceSince, graceState, lastBad: isBad ?? before.lastBad },
    detail,
    isBad,
    now,
    settings,
    event: (kind, extra = {}) => ({ kind, targetId: target.id, port: target.port, ...detail, ...extra }),
  };
  const flappingNow = changes.length >= settings.flapping.transitions;
  const { next, events } =
    before.phase === 'flapping'
      ? fromFlapping(transition)
      : flappingNow && switched
        ? startFlapping(transition)
        : verdict === 'bad'
          ? whileBad(transition)
          : verdict === 'good'
            ? whenGood(transition)
            : { next: transition.base, events: [] };
  const idle = next.phase === 'ok' && next.changes.length === 0 && next.graceSince === undefined;
  if (idle) return { record: null, changed: previous !== undefined, events };
  return { record: next, changed: !sameRecord(previous, next), events };
}

interface Transition {
  readonly before: TargetRecord;
  /** The record carried forward: flapping window, grace, last verdict. */
  readonly base: TargetRecord;
  readonly detail: Pick<TargetRecord, 'state' | 'reasonCode' | 'description'>;
  readonly isBad: boolean | undefined;
  readonly now: number;
  readonly settings: HealthSettings;
  readonly event: (kind: TargetEventKind, extra?: Partial<TargetEvent>) => TargetEvent;
}

type Next = { next: TargetRecord; events: TargetEvent[] };

/** No longer registered: an alerted target is reported recovered (deregistered), its record goes. */
function stepGone(
  previous: TargetRecord | undefined,
  before: TargetRecord,
  now: number,
  target: { id: string; port: number },
): Step {
  const wasAlerted = before.phase === 'alerting' || before.phase === 'flapping';
  const events: TargetEvent[] = wasAlerted
    ? [
        {
          kind: 'recovered',
          targetId: target.id,
          port: target.port,
          deregistered: true,
          badSince: before.badSince,
          unhealthyForMs: since(before.badSince, now),
        },
      ]
    : [];
  return { record: null, changed: previous !== undefined, events };
}

/** Settled once fewer than two switches remain in the window; until then, stay quiet. */
function fromFlapping({ before, base, detail, isBad, now, settings, event }: Transition): Next {
  if (base.changes.length >= 2 || isBad === undefined)
    return { next: { ...base, ...(isBad ? { ...detail } : {}) }, events: [] };
  if (isBad) {
    const next = {
      ...base,
      ...detail,
      phase: 'alerting' as const,
      strikes: settings.unhealthyAfterSweeps,
      notifiedAt: now,
    };
    return { next, events: [event('unhealthy', { badSince: before.badSince ?? now })] };
  }
  const next = { ...base, phase: 'ok' as const, strikes: 0, badSince: undefined, notifiedAt: now };
  return {
    next,
    events: [event('recovered', { badSince: before.badSince, unhealthyForMs: since(before.badSince, now) })],
  };
}

function startFlapping({ before, base, detail, now, event }: Transition): Next {
  const badSince = before.badSince ?? now;
  return {
    next: { ...base, ...detail, phase: 'flapping', notifiedAt: now, badSince },
    events: [event('flapping', { badSince })],
  };
}

/** Capped at the threshold, so a target that stays unhealthy costs no write per sweep. */
function whileBad({ before, base, detail, now, settings, event }: Transition): Next {
  const strikes = Math.min(before.strikes + 1, settings.unhealthyAfterSweeps);
  const badSince = before.badSince ?? now;
  if (before.phase === 'alerting') {
    const remind = settings.remindEveryMinutes > 0;
    const due = remind && now - (before.notifiedAt ?? 0) >= settings.remindEveryMinutes * MINUTE;
    const next = { ...base, ...detail, strikes, badSince, notifiedAt: due ? now : before.notifiedAt };
    return { next, events: due ? [event('reminder', { badSince })] : [] };
  }
  if (strikes >= settings.unhealthyAfterSweeps)
    return {
      next: { ...base, ...detail, phase: 'alerting', strikes, badSince, notifiedAt: now },
      events: [event('unhealthy', { badSince })],
    };
  return { next: { ...base, ...detail, phase: 'suspect', strikes, badSince }, events: [] };
}

function whenGood({ before, base, now, event }: Transition): Next {
  const alerted = before.phase === 'alerting';
  const next: TargetRecord = {
    ...base,
    phase: 'ok',
    strikes: 0,
    badSince: undefined,
    state: undefined,
    reasonCode: undefined,
    description: undefined,
    notifiedAt: alerted ? now : before.notifiedAt,
  };
  const events = alerted
    ? [event('recovered', { badSince: before.badSince, unhealthyForMs: since(before.badSince, now) })]
    : [];
  return { next, events };
}

function since(start: number | undefined, now: number): number | undefined {
  return start === undefined ? undefined : now - start;
}

/** Compares what matters; trimming old switches alone is not worth a write. */
function sameRecord(a: TargetRecord | undefined, b: TargetRecord): boolean {
  if (!a) return false;
  const keys: (keyof TargetRecord)[] = [
    'phase',
    'strikes',
    'badSince',
    'notifiedAt',
    'lastBad',
    'graceSince',
    'graceState',
    'state',
    'reasonCode',
  ];
  return keys.every((key) => a[key] === b[key]) && (b.changes.at(-1) ?? 0) === (a.changes.at(-1) ?? 0);
}

/** The binding-level condition: registered targets, none healthy. */
export interface ConditionRecord {
  readonly active: boolean;
  readonly strikes: number;
  readonly since?: number | undefined;
  readonly notifiedAt?: number | undefined;
}

export type ConditionEvent =
  | { readonly kind: 'no-healthy'; readonly since: number; readonly reminder: boolean }
  | { readonly kind: 'restored'; readonly since: number | undefined; readonly lastedMs: number | undefined };

export interface ConditionStep {
  readonly record: ConditionRecord | null;
  readonly changed: boolean;
  readonly events: readonly ConditionEvent[];
}

export interface FleetHealth {
  readonly registered: number;
  readonly healthy: number;
  /** Registered targets still registering or draining within their grace period. */
  readonly inGrace: number;
}

/**
 * NoHealthyTargets: registered targets exist, none is healthy, and not all of them are still starting (a
 * fresh fleet is `initial` for a while; that is not an outage yet). Damped like a target.
 */
export function stepCondition(
  previous: ConditionRecord | undefined,
  fleet: FleetHealth,
  now: number,
  settings: HealthSettings,
): ConditionStep {
  const before = previous ?? { active: false, strikes: 0 };
  const bad = fleet.registered > 0 && fleet.healthy === 0 && fleet.inGrace < fleet.registered;
  if (!bad) {
    if (!previous) return { record: null, changed: false, events: [] };
    const events: ConditionEvent[] = before.active
      ? [{ kind: 'restored', since: before.since, lastedMs: since(before.since, now) }]
      : [];
    return { record: null, changed: true, events };
  }
  const started = before.since ?? now;
  if (before.active) {
    const due =
      settings.remindEveryMinutes > 0 &&
      now - (before.notifiedAt ?? 0) >= settings.remindEveryMinutes * MINUTE;
    return {
      record: due ? { ...before, notifiedAt: now } : before,
      changed: due,
      events: due ? [{ kind: 'no-healthy', since: started, reminder: true }] : [],
    };
  }
  const strikes = before.strikes + 1;
  if (strikes >= settings.unhealthyAfterSweeps) {
    return {
      record: { active: true, strikes, since: started, notifiedAt: now },
      changed: true,
      events: [{ kind: 'no-healthy', since: started, reminder: false }],
    };
  }
  return { record: { active: false, strikes, since: started }, changed: true, events: [] };
}

/** Severity of a group of unhealthy targets: critical when too few healthy ones remain. */
export function unhealthySeverity(
  fleet: FleetHealth,
  criticalBelowHealthyFraction: number,
): 'critical' | 'warning' {
  if (fleet.healthy === 0) return 'critical';
  if (fleet.registered > 0 && fleet.healthy / fleet.registered < criticalBelowHealthyFraction)
    return 'critical';
  return 'warning';
}
