/**
 * Attribution after the fact: when the sweep repaired a change before its CloudTrail event arrived, the late
 * event still names who made it. The on-call gets one follow-up (not a second page): who it was, and, when
 * it was an approved actor whose event came after the grace, that the controller reverted an approved change.
 * Pure.
 */
import { type Alert, type AlertBase, baseAlert, clean, describeActor, formatTime } from './alerts.ts';
import { isApprovedActor } from './events.ts';
import type { Actor } from './model.ts';
import type { RepairEntry, RepairLog } from './state.ts';
import { MINUTE } from './time.ts';

/** How long after a repair its late event is still taken as the one that explains it. */
const LATE_EVENT_WINDOW_MS = 24 * 60 * MINUTE;
/** CloudTrail's clock and the controller's are different machines' clocks: a minute of slack between them. */
const CLOCK_SKEW_MS = MINUTE;

/** The repairs the sweep made with no actor that a late event about `keys` explains. */
export function unattributedRepairs(
  log: RepairLog,
  keys: readonly RepairEntry['listener'][],
  actor: Actor,
  now: number,
): RepairEntry[] {
  const changedAt = actor.eventTime ? Date.parse(actor.eventTime) : Number.NaN;
  return log.entries.filter(
    (entry) =>
      entry.actor === undefined &&
      keys.includes(entry.listener) &&
      now - entry.at < LATE_EVENT_WINDOW_MS &&
      (Number.isNaN(changedAt) || entry.at >= changedAt - CLOCK_SKEW_MS),
  );
}

/** The same log with those repairs now naming who made the change (the circuit breaker counts people). */
export function withActor(log: RepairLog, repairs: readonly RepairEntry[], who: string): RepairLog {
  const late = new Set(repairs);
  return { entries: log.entries.map((entry) => (late.has(entry) ? { ...entry, actor: who } : entry)) };
}

export function attributionAlert(
  input: AlertBase & {
    readonly actor: Actor;
    readonly repairs: readonly RepairEntry[];
    readonly approvedActors: readonly string[];
    readonly graceMinutes: number;
  },
): Alert {
  const approvedBy = isApprovedActor(input.approvedActors, input.actor);
  const what = input.repairs.map((entry) => `${entry.listener}: ${clean(entry.summary, 300)}`);
  const lines = [
    `The change the controller repaired earlier, found by the scheduled sweep before any event said who made it, was made by: ${describeActor(input.actor)}.`,
    ...input.repairs.map((entry) => `  - repaired at ${formatTime(entry.at)}: ${clean(entry.summary, 300)}`),
  ];
  if (approvedBy)
    lines.push(
      `That actor is approved (${approvedBy}): its event arrived after the ${input.graceMinutes} min the controller waits for one, so an approved change was reverted. Make it again; it will be left alone. If events often arrive this late, raise approvalGraceMinutes.`,
    );
  else lines.push('Nothing else to do: this only names who made the change.');
  return {
    ...baseAlert(input),
    kind: 'DriftAttributed',
    severity: approvedBy ? 'warning' : 'info',
    headline: approvedBy
      ? `an approved change was reverted before its event arrived (${what.length} repair${what.length === 1 ? '' : 's'})`
      : `who made the change repaired earlier: ${clean(input.actor.arn, 60)}`,
    lines,
    details: { actor: input.actor, approvedBy, repairs: input.repairs },
  };
}

/** Who, without when: the same person repairing three times is one actor. */
export function whoMadeIt(actor: { readonly arn: string; readonly sourceIp?: string | undefined }): string {
  return actor.sourceIp ? `${actor.arn} (${actor.sourceIp})` : actor.arn;
}
