/**
 * `alb-warden status` for a fleet: which bindings to read (filters on what the configuration says, so a
 * filter costs no AWS call), one state per binding, and the counts by state an operator reads first.
 */
import { hubScope, scopeKey } from '../domain/accounts.ts';
import { arnParts } from '../domain/arn.ts';
import type { Binding, WardenSettings } from '../domain/settings.ts';
import type { BindingStatus } from './status.ts';

/** Worst first: a binding is in the first state that applies to it. */
export const FLEET_STATES = [
  'failing',
  'suspended',
  'paused',
  'drift',
  'repairing',
  'unhealthy',
  'in-sync',
] as const;
export type FleetState = (typeof FLEET_STATES)[number];

export interface FleetFilter {
  /** `KEY=VALUE` each; a binding matches when its instance selector has every one. */
  readonly tags?: readonly string[] | undefined;
  readonly account?: string | undefined;
  readonly region?: string | undefined;
}

/** A filter that cannot be read, or that no binding matches; the message names it. */
export class FleetFilterError extends Error {
  override readonly name = 'FleetFilterError';
}

export interface FleetEntry extends BindingStatus {
  readonly state: FleetState;
  /** From the load balancer's ARN. */
  readonly account: string;
  readonly region: string;
}

export type FleetCounts = { readonly bindings: number } & Readonly<Record<CountKey, number>>;
type CountKey = 'inSync' | Exclude<FleetState, 'in-sync'>;

export interface FleetStatus {
  readonly ok: boolean;
  readonly summary: FleetCounts;
  readonly bindings: readonly FleetEntry[];
}

export function selectBindings(bindings: readonly Binding[], filter: FleetFilter): Binding[] {
  const tags = (filter.tags ?? []).map(parseTag);
  const selected = bindings.filter((binding) => {
    const where = placeOf(binding);
    return (
      (filter.account === undefined || where.account === filter.account) &&
      (filter.region === undefined || where.region === filter.region) &&
      tags.every(([key, value]) => binding.instanceSelector.tags[key] === value)
    );
  });
  if (selected.length === 0 && bindings.length > 0) throw new FleetFilterError(noMatch(bindings, filter));
  return selected;
}

/**
 * With members, `--account` and `--region` must name where the configuration reaches: the hub's own account
 * and region, or a member's. Checked before any binding is read, so a typo is not mistaken for "no binding
 * there". Without members every binding is read with the caller's own credentials, wherever it is.
 */
export function requireConfiguredScope(
  config: Pick<WardenSettings, 'alerts' | 'members'>,
  filter: Pick<FleetFilter, 'account' | 'region'>,
): void {
  if (config.members.length === 0) return;
  const hub = hubScope(config);
  const places = [
    hub,
    ...config.members.flatMap((m) => m.regions.map((region) => ({ account: m.account, region }))),
  ];
  const configured = places.map(scopeKey).join(', ');
  const { account, region } = filter;
  const inAccount = account === undefined ? places : places.filter((place) => place.account === account);
  if (inAccount.length === 0)
    throw new FleetFilterError(
      `--account ${account} is not configured: it is neither the hub's (${hub.account}) nor listed in members (configured: ${configured})`,
    );
  if (region !== undefined && !inAccount.some((place) => place.region === region))
    throw new FleetFilterError(
      account === undefined
        ? `--region ${region} is not configured: no account is reached there (configured: ${configured})`
        : `--region ${region} is not configured for account ${account}: its regions are ${inAccount.map((place) => place.region).join(', ')}`,
    );
}

function parseTag(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new FleetFilterError(`--tag "${text}" is not KEY=VALUE (for example --tag Role=web)`);
  return [text.slice(0, at), text.slice(at + 1)];
}

function noMatch(bindings: readonly Binding[], filter: FleetFilter): string {
  const known = (values: readonly string[]) => [...new Set(values)].sort().join(', ');
  const asked = [
    ...(filter.tags ?? []).map((tag) => `--tag ${tag}`),
    ...(filter.account === undefined ? [] : [`--account ${filter.account}`]),
    ...(filter.region === undefined ? [] : [`--region ${filter.region}`]),
  ].join(' ');
  return `no binding matches ${asked} (accounts: ${known(bindings.map((b) => placeOf(b).account))}; regions: ${known(
    bindings.map((b) => placeOf(b).region),
  )}; selector tags: ${known(
    bindings.flatMap((b) => Object.entries(b.instanceSelector.tags).map(([key, value]) => `${key}=${value}`)),
  )})`;
}

function placeOf(binding: Binding): { account: string; region: string } {
  const parts = arnParts(binding.loadBalancerArn);
  return { account: parts?.account ?? '', region: parts?.region ?? '' };
}

/**
 * The one state an operator sees first. `repairing`: off, and the controller puts it back by itself (the
 * plan applies a repair, waits out a late approval, or registers matching instances); `drift`: off, and it
 * will not (reported, blocked, dry-run).
 */
export function fleetState(status: BindingStatus, mode: 'enforce' | 'dry-run'): FleetState {
  if (status.error !== undefined) return 'failing';
  if (status.alertState.suspended.length > 0) return 'suspended';
  if (status.alertState.paused) return 'paused';
  const parts = [status.listeners, status.healthCheck].filter((part) => part !== undefined);
  const off = parts.filter((part) => !part.inSync && part.decision !== 'accept');
  const repairs = (part: (typeof parts)[number]) => part.decision === 'apply' || part.decision === 'wait';
  const registers = status.targets.missing.length > 0;
  if (off.some((part) => !repairs(part)) || (registers && mode === 'dry-run')) return 'drift';
  if (off.length > 0 || registers) return 'repairing';
  if (status.targets.unhealthy.length > 0 || status.alertState.noHealthyTargets) return 'unhealthy';
  return 'in-sync';
}

export function fleetStatus(
  statuses: readonly BindingStatus[],
  bindings: readonly Binding[],
  mode: 'enforce' | 'dry-run',
): FleetStatus {
  const byName = new Map(bindings.map((binding) => [binding.name, binding]));
  const entries = statuses.map((status): FleetEntry => {
    const binding = byName.get(status.binding);
    return {
      ...status,
      state: fleetState(status, mode),
      ...(binding ? placeOf(binding) : { account: '', region: '' }),
    };
  });
  const count = (state: FleetState) => entries.filter((entry) => entry.state === state).length;
  return {
    ok: entries.every((entry) => entry.ok),
    summary: {
      bindings: entries.length,
      inSync: count('in-sync'),
      failing: count('failing'),
      suspended: count('suspended'),
      paused: count('paused'),
      drift: count('drift'),
      repairing: count('repairing'),
      unhealthy: count('unhealthy'),
    },
    bindings: entries,
  };
}

/** What is off about a binding, in one line. */
export function offNotes(entry: FleetEntry): string {
  if (entry.error !== undefined) return entry.error;
  const { alertState: alert, targets } = entry;
  return [
    alert.suspended.length > 0 ? `repairs suspended: ${alert.suspended.join(', ')}` : '',
    alert.paused ? `paused by ${alert.paused.by} until ${alert.paused.until}` : '',
    ...entry.listeners.drift,
    ...(entry.healthCheck?.drift ?? []).map((drift) => `health check: ${drift}`),
    targets.missing.length > 0 ? `${targets.missing.length} matching instance(s) not registered` : '',
    alert.noHealthyTargets ? 'no healthy targets' : '',
    targets.unhealthy.length > 0
      ? `${targets.unhealthy.length} of ${targets.registered} target(s) unhealthy (${targets.unhealthy[0]?.reason ?? targets.unhealthy[0]?.state})`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
}
