/**
 * What the controller remembers per binding, as records in the state table: their keys, their shapes, and
 * the small decisions made from them (pause, circuit breaker, "already reported"). Pure.
 *
 * Keys (sort key `sk`; the partition is the binding):
 *   target#<id>:<port>    alert state of one target (health.ts)
 *   condition#no-healthy  the "no healthy target left" condition
 *   repairs               recent listener repairs: circuit breaker, loop safety, alert context
 *   notice#<topic>        the last report on a topic, so a state left alone is reported once
 *   pause                 an operator's pause
 *   pipeline              drift the sweep found that no event had reported
 *   meta                  facts that never change (the target group's VPC)
 *   https-seen            the HTTPS listener as last seen: what a recreation must not weaken
 *   accepted#<resource>   an approved actor's change to a listener or the health check, left alone
 *   first-seen#<part>     drift no event explained yet, waiting for its event
 *   outbox#<id>           an alert that could not be published yet
 *   hold#<id>:<port>      a target an AWS service (or a Spot interruption) took out: not registered again yet
 *
 * Ownership (`owned#<id>:<port>`: a target the controller registered, so it may deregister it) lives in a
 * partition of its own, `ownershipOf(binding)`: it grows with the fleet (10,000 targets are over a megabyte,
 * two Query pages), and a converged sweep never needs it, only one that meets a target outside its selector.
 */
import { alertId, type RenderedAlert } from './alerts.ts';
import type { ConditionRecord, TargetRecord } from './health.ts';
import type { ListenerRole } from './listeners.ts';
import type { Action } from './model.ts';
import { keptEntries } from './pipeline-stats.ts';
import { MINUTE } from './time.ts';

export const KEY = {
  target: (targetKey: string) => `target#${targetKey}`,
  condition: 'condition#no-healthy',
  owned: (targetKey: string) => `owned#${targetKey}`,
  repairs: 'repairs',
  notice: (topic: string) => `notice#${topic}`,
  pause: 'pause',
  pipeline: 'pipeline',
  meta: 'meta',
  httpsSeen: 'https-seen',
  accepted: (resource: string) => `accepted#${resource}`,
  firstSeen: (part: string) => `first-seen#${part}`,
  outbox: (id: string) => `outbox#${id}`,
  hold: (targetKey: string) => `hold#${targetKey}`,
} as const;

export const PREFIX = {
  target: 'target#',
  owned: 'owned#',
  notice: 'notice#',
  outbox: 'outbox#',
  hold: 'hold#',
} as const;

/** The partition of a binding's ownership records (binding names cannot contain "/"). */
export const ownershipOf = (binding: string) => `${binding}/owned`;

/**
 * How long ownership is remembered after a registration. Past it, the controller treats the target as one
 * added by hand: it reports it and never removes it, the safe side.
 */
export const OWNERSHIP_DAYS = 180;

/** A record as a writer gives it to the state table, under one binding; the table keeps its version. */
export interface RecordWrite<Data = unknown> {
  readonly key: string;
  readonly data: Data;
  /** Epoch seconds after which the table may delete the record (DynamoDB TTL). */
  readonly expiresAt?: number | undefined;
  /** What `putUnlessMarked` compares: one value per thing recorded (an instance's launch, say). */
  readonly marker?: string | undefined;
}

const DAY_SECONDS = 24 * 60 * 60;

/** TTL (epoch seconds) for records that only matter for a while. */
export const expiresIn = (now: number, days: number) => Math.floor(now / 1000) + days * DAY_SECONDS;

/**
 * A record that stands for an ongoing condition (a target's alert state, no healthy target, a notice of a
 * state left alone) is rewritten while the condition lasts once its TTL is this close: DynamoDB's TTL
 * deletion must never end the condition and page again, yet a steady condition costs one write a week or
 * so, not one per sweep.
 */
export const REFRESH_WITHIN_DAYS = 1;

export function expiresSoon(expiresAt: number | undefined, now: number): boolean {
  return expiresAt !== undefined && expiresAt - Math.floor(now / 1000) < REFRESH_WITHIN_DAYS * DAY_SECONDS;
}

/**
 * TTL of the repair log: a day past the longest window that counts its entries (the circuit breaker's, the
 * alerts' context), so TTL deletion never lifts a suspension early. It is written only when repairs are made,
 * and a suspension lasts only while its entries are in the window.
 */
export function repairLogExpiry(
  now: number,
  settings: { circuitBreaker: { windowMinutes: number }; alerts: { contextMinutes: number } },
): number {
  const minutes = Math.max(settings.circuitBreaker.windowMinutes, settings.alerts.contextMinutes);
  return expiresIn(now, Math.max(2, Math.ceil(minutes / (24 * 60)) + 1));
}

export interface OwnedRecord {
  readonly registeredAt: number;
}

export interface RepairEntry {
  readonly at: number;
  readonly listener: ListenerRole | 'health-check';
  readonly fingerprint: string;
  readonly summary: string;
  readonly actor?: string | undefined;
  /** CloudTrail's eventTime of the event that led to the repair: pipeline-stats.ts measures its delay. */
  readonly eventAt?: number | undefined;
}

export interface RepairLog {
  readonly entries: readonly RepairEntry[];
}

export interface Pause {
  readonly until: number;
  readonly by: string;
  readonly reason?: string | undefined;
  readonly at: number;
}

export interface Notice {
  readonly fingerprint: string;
  readonly sentAt: number;
}

export interface PipelineRecord {
  readonly unreported: readonly number[];
}

export interface MetaRecord {
  readonly targetGroupVpcId?: string | undefined;
}

/**
 * The HTTPS listener as last seen with HTTPS: recreating it after a deletion keeps its stronger policy, its
 * SNI certificates, its mutual TLS and its authentication, or refuses to recreate it without them.
 */
export interface HttpsSeen {
  readonly arn: string;
  readonly sslPolicy?: string | undefined;
  /** The certificates besides the default one (SNI), from DescribeListenerCertificates. */
  readonly sniCertificateArns: readonly string[];
  readonly mutualAuthentication?: Readonly<Record<string, unknown>> | undefined;
  readonly defaultActions: readonly Action[];
}

/** An approved actor's change, left alone while the drift of that resource stays the same. */
export interface Accepted {
  readonly fingerprint: string;
  readonly by: string;
  readonly at: number;
}

/** Drift first seen, and who made it when an event said so (then nothing waits for the event). */
export interface FirstSeen {
  readonly fingerprint: string;
  readonly at: number;
  readonly by?: string | undefined;
}

/** A target taken out by another owner's operation, left out until `until` (or until registered again). */
export interface Hold {
  readonly by: string;
  readonly at: number;
  readonly until: number;
}

export interface OutboxRecord {
  readonly topicArn: string;
  readonly alert: RenderedAlert;
  readonly attempts: number;
  /** Attempts SNS refused for good (topic gone, key disabled, no permission): bounded, unlike transient ones. */
  readonly refusals?: number | undefined;
}

/** Decoders: a record whose data is not of the expected shape (hand-edited, older version) counts as absent. */
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
const isNumberList = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'number');

/** The data as `T` when it has these fields of these types; absent otherwise. */
function shaped<T>(data: unknown, fields: Readonly<Record<string, 'string' | 'number'>>): T | undefined {
  if (!isObject(data)) return undefined;
  return Object.entries(fields).every(([key, type]) => typeof data[key] === type) ? (data as T) : undefined;
}

export const decode = {
  target(data: unknown): TargetRecord | undefined {
    if (
      !isObject(data) ||
      typeof data.phase !== 'string' ||
      typeof data.strikes !== 'number' ||
      !isNumberList(data.changes)
    )
      return undefined;
    return data as unknown as TargetRecord;
  },
  condition(data: unknown): ConditionRecord | undefined {
    if (!isObject(data) || typeof data.active !== 'boolean' || typeof data.strikes !== 'number')
      return undefined;
    return data as unknown as ConditionRecord;
  },
  owned(data: unknown): OwnedRecord | undefined {
    return isObject(data) && typeof data.registeredAt === 'number'
      ? (data as unknown as OwnedRecord)
      : undefined;
  },
  repairs(data: unknown): RepairLog {
    if (!isObject(data) || !Array.isArray(data.entries)) return { entries: [] };
    return {
      entries: data.entries.filter(
        (entry): entry is RepairEntry => isObject(entry) && typeof entry.at === 'number',
      ),
    };
  },
  pause: (data: unknown) => shaped<Pause>(data, { until: 'number', by: 'string' }),
  notice: (data: unknown) => shaped<Notice>(data, { fingerprint: 'string', sentAt: 'number' }),
  pipeline(data: unknown): PipelineRecord {
    return isObject(data) && isNumberList(data.unreported)
      ? (data as unknown as PipelineRecord)
      : { unreported: [] };
  },
  meta(data: unknown): MetaRecord {
    return isObject(data) ? (data as MetaRecord) : {};
  },
  httpsSeen(data: unknown): HttpsSeen | undefined {
    return isObject(data) && typeof data.arn === 'string' && Array.isArray(data.sniCertificateArns)
      ? (data as unknown as HttpsSeen)
      : undefined;
  },
  accepted: (data: unknown) => shaped<Accepted>(data, { fingerprint: 'string', at: 'number' }),
  firstSeen: (data: unknown) => shaped<FirstSeen>(data, { fingerprint: 'string', at: 'number' }),
  hold(data: unknown): Hold | undefined {
    return isObject(data) && typeof data.by === 'string' && typeof data.until === 'number'
      ? (data as unknown as Hold)
      : undefined;
  },
  outbox(data: unknown): OutboxRecord | undefined {
    if (!isObject(data) || typeof data.topicArn !== 'string' || !isObject(data.alert)) return undefined;
    const record = data as unknown as OutboxRecord;
    if (typeof record.alert.id === 'string') return record;
    // Parked by an earlier version, before alerts had an id: derived from the same content.
    const { attributes, document, subject, text } = record.alert;
    const id = alertId([attributes.kind, attributes.binding, String(document.time), subject, text]);
    return { ...record, alert: { ...record.alert, id } };
  },
};

export function activePause(pause: Pause | undefined, now: number): Pause | undefined {
  return pause && pause.until > now ? pause : undefined;
}

/** Repairs of one listener within the circuit breaker's window. */
export function recentRepairs(
  log: RepairLog,
  listener: RepairEntry['listener'],
  now: number,
  windowMinutes: number,
): RepairEntry[] {
  return log.entries.filter(
    (entry) => entry.listener === listener && entry.at > now - windowMinutes * MINUTE,
  );
}

/** True when a listener was repaired `maxRepairs` times within the window: something keeps changing it back. */
export function breakerOpen(
  log: RepairLog,
  listener: RepairEntry['listener'],
  now: number,
  breaker: { maxRepairs: number; windowMinutes: number },
): boolean {
  return recentRepairs(log, listener, now, breaker.windowMinutes).length >= breaker.maxRepairs;
}

/** Appends repairs and forgets what no window needs any more. */
export function withRepairs(
  log: RepairLog,
  entries: readonly RepairEntry[],
  now: number,
  keepMinutes: number,
): RepairLog {
  return { entries: [...keptEntries(log.entries, now - keepMinutes * MINUTE, now), ...entries] };
}

/**
 * Whether a report on a topic is due: the state is new (another fingerprint), or it lasted long enough for a
 * reminder (`remindEveryMinutes`, 0 = never).
 */
export function noticeDue(
  notice: Notice | undefined,
  fingerprint: string,
  now: number,
  remindEveryMinutes: number,
): boolean {
  if (!notice || notice.fingerprint !== fingerprint) return true;
  return remindEveryMinutes > 0 && now - notice.sentAt >= remindEveryMinutes * MINUTE;
}

/** Drift the sweep had to repair on its own, within the last day. */
export function withUnreported(pipeline: PipelineRecord, now: number): PipelineRecord {
  return { unreported: [...pipeline.unreported.filter((time) => time > now - 24 * 60 * MINUTE), now] };
}

/** Holds not yet expired, `id:port` → who holds the target. */
export function activeHolds(
  records: ReadonlyMap<string, { readonly data: unknown }>,
  now: number,
): Map<string, string> {
  const active = new Map<string, string>();
  for (const [key, record] of records) {
    const hold = decode.hold(record.data);
    if (hold && hold.until > now) active.set(key, hold.by);
  }
  return active;
}
