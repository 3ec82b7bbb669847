/**
 * Alerts: what the on-call reads. One model for every kind, rendered three ways: an SNS subject (under 100
 * characters, severity and binding first), readable text for email/SMS, and a versioned JSON document for
 * machines. Every value that came from AWS or a person is sanitized, so a hostile tag or name can neither
 * fake a line in the text nor break the JSON.
 */

import { type Scope, sameScope, scopeKey } from './accounts.ts';
import { arnParts } from './arn.ts';
import { hash } from './hash.ts';
import type { Actor } from './model.ts';
import type { Binding } from './settings.ts';

export const ALERT_SCHEMA = 'alb-warden.alert/v1';

export type Severity = 'critical' | 'warning' | 'info';

export type AlertKind =
  | 'TargetUnhealthy'
  | 'TargetRecovered'
  | 'TargetFlapping'
  | 'NoHealthyTargets'
  | 'HealthyTargetsRestored'
  | 'DriftRepaired'
  | 'RepairFailed'
  | 'RepairsSuspended'
  | 'RegistrationFailed'
  | 'EventPipelineSuspect'
  | 'DiscoveryProblem'
  | 'DriftAttributed';

export interface Alert {
  readonly kind: AlertKind;
  readonly severity: Severity;
  readonly binding: string;
  /** ISO time the controller decided to alert. */
  readonly time: string;
  /** Short statement for the subject line, after severity and binding. */
  readonly headline: string;
  /** The body: what happened, where, what the controller did or will do. */
  readonly lines: readonly string[];
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  readonly mode: 'enforce' | 'dry-run';
  /** Kind-specific facts for machines (the JSON document's `details`). */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface RenderedAlert {
  /**
   * Stable for the alert's content (kind, binding, time, subject, text): the same alert sent again after a
   * lost response carries the same id, so a FIFO topic drops the copy (its MessageDeduplicationId).
   */
  readonly id: string;
  readonly subject: string;
  readonly text: string;
  readonly document: Readonly<Record<string, unknown>>;
  readonly attributes: { readonly severity: Severity; readonly kind: AlertKind; readonly binding: string };
}

const MAX_VALUE = 256;
const SUBJECT_LIMIT = 99;

/**
 * Makes a value from outside safe to place in a line of text: control characters, line and paragraph
 * separators and bidirectional overrides become spaces, and it is cut to a sane length.
 */
export function clean(value: unknown, limit = MAX_VALUE): string {
  const text = String(value ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** Like `clean`, for a line the controller composed: its own indentation and spacing are kept. */
function cleanLine(line: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const text = line.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, ' ');
  return text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
}

/** Cleans every string inside a JSON-able value (keys too), so machines get the same safe values. */
function cleanDeep(value: unknown, depth = 0): unknown {
  if (depth > 12) return '…';
  if (typeof value === 'string') return clean(value, 4096);
  if (Array.isArray(value)) return value.map((item) => cleanDeep(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [clean(key, 128), cleanDeep(item, depth + 1)]),
    );
  }
  return value;
}

export interface RenderOptions {
  /**
   * The hub's own account and region. An alert about a binding elsewhere (a member's) names that account and
   * region in its subject too. @default the binding's own: the subject names no account
   */
  readonly home?: Scope | undefined;
}

export function renderAlert(alert: Alert, options: RenderOptions = {}): RenderedAlert {
  const binding = clean(alert.binding, 32);
  const where = scopeOfAlert(alert);
  // An alert about a whole account and region (a member the hub cannot reach) is already named by it.
  const elsewhere =
    where && options.home && !sameScope(where, options.home) && binding !== scopeKey(where)
      ? ` (${clean(scopeKey(where), 40)})`
      : '';
  const prefix = `[${alert.severity.toUpperCase()}] ${binding}${elsewhere}: `;
  const mode = alert.mode === 'dry-run' ? '(dry-run) ' : '';
  const subject = toSubject(`${prefix}${mode}${clean(alert.headline)}`);
  const region = arnParts(alert.targetGroupArn)?.region ?? '';
  const text = [
    [
      alert.severity.toUpperCase(),
      alert.kind,
      `binding ${binding}`,
      ...(where ? [`account ${clean(where.account, 16)}, ${clean(where.region, 24)}`] : []),
      ...(alert.mode === 'dry-run' ? ['DRY-RUN: nothing was changed'] : []),
    ].join(' · '),
    '',
    ...alert.lines.map(cleanLine),
    '',
    `Load balancer: ${clean(alert.loadBalancerArn)}`,
    `Target group:  ${clean(alert.targetGroupArn)}`,
    `Console:       ${consoleLink(alert.targetGroupArn)}`,
    `Time:          ${alert.time}${region ? ` (${region})` : ''}`,
  ].join('\n');
  const id = alertId([alert.kind, binding, alert.time, subject, text]);
  const document = {
    schema: ALERT_SCHEMA,
    id,
    kind: alert.kind,
    severity: alert.severity,
    binding,
    ...(where ? { account: clean(where.account, 16), region: clean(where.region, 24) } : {}),
    time: alert.time,
    mode: alert.mode,
    summary: clean(alert.headline, 512),
    loadBalancerArn: clean(alert.loadBalancerArn),
    targetGroupArn: clean(alert.targetGroupArn),
    details: cleanDeep(alert.details) as Record<string, unknown>,
  };
  return { id, subject, text, document, attributes: { severity: alert.severity, kind: alert.kind, binding } };
}

/** The account and region of the alert's load balancer (or target group), from its ARN. */
function scopeOfAlert(alert: Alert): Scope | undefined {
  const parts = arnParts(alert.loadBalancerArn) ?? arnParts(alert.targetGroupArn);
  return parts?.account && parts.region ? { account: parts.account, region: parts.region } : undefined;
}

/** 64 bits from two differently seeded FNV-1a passes: collisions within SNS's five-minute window are negligible. */
export function alertId(parts: readonly string[]): string {
  const content = parts.join('\u0000');
  return `${hash(content)}${hash(`alb-warden\u0000${content}`)}`;
}

/** SNS subjects: under 100 characters, no line breaks; ASCII keeps every email client happy. */
function toSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > SUBJECT_LIMIT ? `${ascii.slice(0, SUBJECT_LIMIT - 3)}...` : ascii;
}

export function consoleLink(targetGroupArn: string): string {
  const parts = arnParts(targetGroupArn);
  if (!parts) return '';
  const host =
    parts.partition === 'aws-cn'
      ? `${parts.region}.console.amazonaws.cn`
      : parts.partition === 'aws-us-gov'
        ? `console.amazonaws-us-gov.com`
        : `${parts.region}.console.aws.amazon.com`;
  return `https://${host}/ec2/home?region=${parts.region}#TargetGroup:targetGroupArn=${encodeURIComponent(targetGroupArn)}`;
}

/** "less than a minute", "4 min", "2 h 5 min", "3 d 1 h". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'unknown';
  if (ms < 60_000) return 'less than a minute';
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function formatTime(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Who made a change, from its CloudTrail record; without one, how the controller found it (`foundBy`: the
 * scheduled sweep unless an operator ran a reconcile).
 */
export function describeActor(actor: Actor | undefined, foundBy?: string): string {
  if (!actor)
    return `unknown (found by ${clean(foundBy ?? 'the scheduled sweep')}, not reported by an event)`;
  const parts = [clean(actor.arn)];
  if (actor.sourceIp) parts.push(`from ${clean(actor.sourceIp, 64)}`);
  if (actor.eventName) parts.push(`via ${clean(actor.eventName, 64)}`);
  if (actor.eventTime) parts.push(`at ${clean(actor.eventTime, 64)}`);
  return parts.join(' ');
}

/** A recent change on the binding, shown next to a symptom in case it is related. */
export interface RecentChange {
  readonly at: number;
  readonly summary: string;
  readonly actor?: string | undefined;
}

export function contextLines(changes: readonly RecentChange[], minutes: number): string[] {
  if (changes.length === 0)
    return [`Recent changes on this binding (last ${minutes} min): none seen by the controller.`];
  return [
    `Recent changes on this binding (last ${minutes} min), in case one is related:`,
    ...changes
      .slice(-10)
      .map(
        (change) =>
          `  ${formatTime(change.at)}  ${clean(change.summary)}${change.actor ? ` by ${clean(change.actor)}` : ''}`,
      ),
  ];
}

export interface AlertBase {
  readonly binding: Binding;
  readonly now: number;
  readonly mode: 'enforce' | 'dry-run';
}

export function baseAlert(
  base: AlertBase,
): Pick<Alert, 'binding' | 'time' | 'loadBalancerArn' | 'targetGroupArn' | 'mode'> {
  return {
    binding: base.binding.name,
    time: formatTime(base.now),
    loadBalancerArn: base.binding.loadBalancerArn,
    targetGroupArn: base.binding.targetGroupArn,
    mode: base.mode,
  };
}
