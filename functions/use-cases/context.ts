/** What every use-case gets: the configuration, the ports, a clock and telemetry. Built once per cold start. */
import type { WardenConfig } from '../config.ts';
import type { Scope } from '../domain/accounts.ts';
import type { RenderedAlert } from '../domain/alerts.ts';
import type {
  AlertPublisher,
  ChangeHistory,
  Instances,
  LoadBalancing,
  ScalingGroups,
  StateStore,
  TaggedResources,
} from '../ports.ts';
import type { BindingMetricName, MetricName } from '../telemetry.ts';

export interface Log {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface Telemetry {
  readonly log: Log;
  count(metric: MetricName, value?: number): void;
  /** Figures of one binding, published together with a `binding` dimension (the fleet dashboard's). */
  perBinding?(binding: string, figures: Readonly<Partial<Record<BindingMetricName, number>>>): void;
}

/** What differs between accounts and regions: the clients of the services the bindings live in. */
export interface ScopedClients {
  readonly elb: LoadBalancing;
  readonly instances: Instances;
  readonly scaling: ScalingGroups;
  /** Needed only with discovery policies (config `discovery`). */
  readonly tagging?: TaggedResources | undefined;
}

/** The clients of the account and region worked in (ScopedClients), and what every account shares. */
export interface Deps extends ScopedClients {
  readonly config: WardenConfig;
  /** CloudTrail's event history, asked about drift or a missing target nothing else explains; never when absent. */
  readonly history?: ChangeHistory | undefined;
  readonly alerts: AlertPublisher;
  readonly state: StateStore;
  readonly telemetry: Telemetry;
  readonly now: () => number;
  /**
   * An operator's preview (`reconcile --dry-run`): plans are computed and carried out on paper only; state
   * writes stay in memory and the alerts that would go out are collected here instead of published.
   */
  readonly preview?: { readonly wouldAlert: RenderedAlert[] } | undefined;
  /**
   * The clients of a member account and region, signed with its role's credentials; undefined for the hub's
   * own account and region (these deps' clients). Throws MemberAccessError when the role cannot be assumed.
   * Absent: every binding is called with these deps' clients.
   */
  readonly clientsFor?: ((scope: Scope) => Promise<ScopedClients | undefined>) | undefined;
}

/** The deps of a preview: dry-run mode, nothing written, nothing published. */
export function previewDeps(deps: Deps): Deps & { preview: { wouldAlert: RenderedAlert[] } } {
  return { ...deps, config: { ...deps.config, mode: 'dry-run' }, preview: { wouldAlert: [] } };
}

export { foundBy, type Trigger } from '../domain/trigger.ts';

export const silentTelemetry: Telemetry = {
  log: { debug() {}, info() {}, warn() {}, error() {} },
  count() {},
};

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A result or the error that took its place: for reads whose failure only some parts care about. */
export type Settled<T> = { readonly value: T } | { readonly error: unknown };

export function settled<T>(work: Promise<T>): Promise<Settled<T>> {
  return work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** The value, or the error thrown where the value is needed. */
export function unwrap<T>(outcome: Settled<T>): T {
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/**
 * Promise.all, except that it waits for every read and fails with the first failure in the order given, not
 * the first to arrive: a binding whose reads fail reports the same error on every run.
 */
export async function allInOrder<T extends readonly unknown[] | []>(
  work: T,
): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const outcomes = await Promise.all(work.map((item) => settled(Promise.resolve(item))));
  return outcomes.map(unwrap) as { -readonly [P in keyof T]: Awaited<T[P]> };
}
