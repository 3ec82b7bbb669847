/**
 * How late CloudTrail events reach the guard after the change they report (AWS documents no bound: it is
 * best effort), for `alb-warden doctor`. Pure.
 *
 * The samples are the repairs an event triggered: their repair log entry carries the event's time (`eventAt`)
 * next to when the guard logged its repair (`at`, a fraction of a second after the event arrived), so
 * measuring costs no AWS call. Such entries stay in the log for a day
 * (beyond the circuit breaker's window, at most MAX_KEPT of them); every other entry leaves with the window.
 */
import type { RepairEntry, RepairLog } from './state.ts';

const DAY_MS = 24 * 60 * 60_000;
/** Older event-triggered repairs kept beyond the window: the circuit breaker bounds them far below this. */
const MAX_KEPT = 100;

/** The entries a repair log keeps: those within the window, and a day of event-triggered ones. */
export function keptEntries(
  entries: readonly RepairEntry[],
  windowStart: number,
  now: number,
): RepairEntry[] {
  const older = entries.filter(
    (entry) => entry.at <= windowStart && entry.eventAt !== undefined && entry.at > now - DAY_MS,
  );
  const keptOlder = new Set(older.slice(-MAX_KEPT));
  return entries.filter((entry) => entry.at > windowStart || keptOlder.has(entry));
}

export interface PipelineSummary {
  /** Events that led to a repair in the last day. */
  readonly events: number;
  readonly p50Ms: number | undefined;
  readonly maxMs: number | undefined;
  /** Drift the sweep repaired before any event reported it, in the last day. */
  readonly unreportedDrifts: number;
}

export function summarizePipeline(
  log: RepairLog,
  unreported: readonly number[],
  now: number,
): PipelineSummary {
  // One repair of several listeners logs an entry per listener for one event: one sample.
  const events = new Map<string, number>();
  for (const entry of log.entries)
    if (entry.eventAt !== undefined && entry.at > now - DAY_MS)
      events.set(`${entry.at}:${entry.eventAt}`, Math.max(0, entry.at - entry.eventAt));
  const delays = [...events.values()].sort((a, b) => a - b);
  return {
    events: delays.length,
    p50Ms: delays.length === 0 ? undefined : delays[Math.ceil(delays.length / 2) - 1],
    maxMs: delays.at(-1),
    unreportedDrifts: unreported.filter((time) => time > now - DAY_MS).length,
  };
}
