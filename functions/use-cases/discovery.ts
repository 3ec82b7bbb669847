/**
 * Discovery by tag, once per sweep: read the tags (Resource Groups Tagging API, not the ELB describe budget
 * the sweep needs), decide the bindings (domain/discovery.ts), alert each load balancer whose tags make no
 * binding once (a notice, settled when fixed), and record the discovered set in the state table, where the
 * event handlers read it (cached per execution environment) so events find discovered bindings too.
 *
 * Costs: ceil(selected / 100) GetResources calls per policy, plus ceil(target groups / 100) for their tags.
 * A converged sweep writes nothing; the event path adds one state-table Query per environment per minute,
 * and only when discovery is configured.
 */
import { checkBinding } from '../config.ts';
import { discoveryScopes, hubScope, type Scope, sameScope, scopeOfBinding } from '../domain/accounts.ts';
import { discoveryProblemAlert } from '../domain/alert-kinds.ts';
import {
  DISCOVERY_TAG,
  type DiscoveredBinding,
  type DiscoveryOutcome,
  type DiscoveryProblem,
  discoverBindings,
  type TaggedResource,
} from '../domain/discovery.ts';
import { hash } from '../domain/hash.ts';
import type { Binding, DiscoveryPolicy } from '../domain/settings.ts';
import { expiresIn, expiresSoon, PREFIX } from '../domain/state.ts';
import { MINUTE } from '../domain/time.ts';
import { ConfigError } from '../errors.ts';
import type { TaggedResources } from '../ports.ts';
import { BindingState } from './binding-state.ts';
import type { Deps } from './context.ts';
import { Notifier } from './notify.ts';
import { newBindingResult } from './results.ts';

/** The state-table partition of discovery's records: no binding can have this name. */
export const DISCOVERY_PARTITION = '(discovery)';
const FOUND_PREFIX = 'found#';
const NOTICE_TOPIC_PREFIX = 'discovery:';
/** How long an execution environment trusts the discovered set it read: the sweep's own period. */
export const RECORDED_TTL_MS = MINUTE;
/** A recorded binding the sweep has not confirmed for this long is no longer trusted by events. */
const FOUND_DAYS = 7;

export interface FleetDiscovery extends DiscoveryOutcome {
  /** The explicit bindings, then the discovered ones: what a sweep works on. */
  readonly effective: readonly Binding[];
}

/** What the sweep reports about discovery in its result. */
export interface DiscoverySummary {
  readonly discovered: readonly {
    readonly binding: string;
    readonly policy: string;
    readonly loadBalancerArn: string;
    /** Where the load balancer is: the hub's account and region, or a member's. */
    readonly account: string;
    readonly region: string;
  }[];
  readonly problems: readonly DiscoveryProblem[];
  readonly shadowed: DiscoveryOutcome['shadowed'];
  /** Member accounts and regions whose tags could not be read: their bindings are the ones recorded before. */
  readonly failed?: readonly DiscoveryScopeFailure[] | undefined;
}

export interface DiscoveryScopeFailure {
  readonly account: string;
  readonly region: string;
  readonly message: string;
}

/** What a sweep, a scheduler run or the CLI reports of what discovery found. */
export function discoverySummary(
  found: FleetDiscovery,
  failed: readonly DiscoveryScopeFailure[] = [],
): DiscoverySummary {
  return {
    discovered: found.bindings.map(({ binding, policy }) => ({
      binding: binding.name,
      policy,
      loadBalancerArn: binding.loadBalancerArn,
      ...scopeOfBinding(binding),
    })),
    problems: found.problems,
    shadowed: found.shadowed,
    ...(failed.length > 0 ? { failed } : {}),
  };
}

/** Reads the tags and decides; no write, no alert. Explicit bindings only when no policy is configured. */
export async function discoverFleet(deps: Deps): Promise<FleetDiscovery> {
  const { config } = deps;
  if (config.discovery.length === 0)
    return { effective: config.bindings, bindings: [], problems: [], shadowed: [] };
  const tagging = deps.tagging;
  if (!tagging)
    throw new ConfigError('dependencies', [{ field: 'discovery', message: 'needs the tagging API port' }]);
  const outcome = decideDiscovery(config, config.discovery, await readTagged(tagging, config.discovery));
  return { ...outcome, effective: [...config.bindings, ...outcome.bindings.map((found) => found.binding)] };
}

/** The load balancers the policies select, and the tags of their target groups, in one account and region. */
export async function readTagged(
  tagging: TaggedResources,
  policies: readonly DiscoveryPolicy[],
): Promise<TaggedResource[]> {
  const selected = new Map<string, TaggedResource>();
  for (const policy of policies) {
    for (const lb of await tagging.loadBalancersTagged(policy.selector.tags)) selected.set(lb.arn, lb);
  }
  const groupArns = [...selected.values()].flatMap((lb) => {
    const arn = lb.tags[DISCOVERY_TAG.targetGroup];
    return arn?.startsWith('arn:') ? [arn] : [];
  });
  const groups = groupArns.length > 0 ? await tagging.tagsOf(groupArns) : [];
  return [...selected.values(), ...groups];
}

/** The bindings `policies` make of `resources`, beside the configuration's explicit ones. */
export function decideDiscovery(
  config: Deps['config'],
  policies: readonly DiscoveryPolicy[],
  resources: readonly TaggedResource[],
  reserved?: ReadonlyMap<string, string>,
): DiscoveryOutcome {
  return discoverBindings(policies, resources, config.bindings, checkBinding, reserved);
}

/**
 * Where an account and region's discovered set and notices are kept: the hub's in DISCOVERY_PARTITION, a
 * member's beside it, named by its account and region (no binding name has parentheses).
 */
export function discoveryPartition(config: Deps['config'], scope: Scope): string {
  if (sameScope(scope, hubScope(config))) return DISCOVERY_PARTITION;
  return `${DISCOVERY_PARTITION}:${scope.account}:${scope.region}`;
}

/** `deps` whose configuration lists `bindings`: every use case then works on them as on explicit ones. */
export function withBindings(deps: Deps, bindings: readonly Binding[]): Deps {
  return bindings === deps.config.bindings ? deps : { ...deps, config: { ...deps.config, bindings } };
}

/**
 * The sweep's discovery: decides, alerts the problems once, records the set for the event handlers, and
 * returns the effective bindings. An operator's preview records and sends nothing.
 */
export async function discoverForSweep(
  deps: Deps,
): Promise<{ deps: Deps; summary?: DiscoverySummary; failure?: Error }> {
  if (deps.config.discovery.length === 0) return { deps };
  const found = await discoverFleet(deps);
  const state = await loadDiscoveryState(deps, DISCOVERY_PARTITION);
  const failure = await settleDiscovery(deps, state, found);
  return {
    deps: withBindings(deps, found.effective),
    summary: discoverySummary(found),
    ...(failure ? { failure } : {}),
  };
}

/** An account and region's discovery records; an operator's preview keeps its writes in memory. */
export function loadDiscoveryState(deps: Deps, partition: string): Promise<BindingState> {
  return BindingState.load(deps.state, partition, deps.preview !== undefined);
}

/**
 * Records what one account and region's discovery found and alerts its problems once. Returns the first
 * alert that could not be sent: it does not undo the discovery; the sweep goes on, then fails loudly.
 */
export async function settleDiscovery(
  deps: Deps,
  state: BindingState,
  found: DiscoveryOutcome,
): Promise<Error | undefined> {
  await record(deps, state, found.bindings);
  const [failure] = await reportProblems(deps, state, found.problems);
  const { log } = deps.telemetry;
  for (const problem of found.problems) log.warn('discovery problem', { ...problem });
  log.info('discovery', {
    partition: state.binding,
    discovered: found.bindings.length,
    problems: found.problems.length,
    shadowed: found.shadowed.length,
  });
  return failure;
}

/** Writes only what changed: a converged fleet costs no write. */
async function record(
  deps: Deps,
  state: BindingState,
  bindings: readonly DiscoveredBinding[],
): Promise<void> {
  const now = deps.now();
  const current = new Set<string>();
  for (const found of bindings) {
    const key = `${FOUND_PREFIX}${found.binding.loadBalancerArn}`;
    current.add(key);
    const same = JSON.stringify(state.data(key)) === JSON.stringify(found);
    // Refreshed near its TTL, so a binding the sweep keeps finding never expires.
    if (same && !expiresSoon(state.expiresAt(key), now)) continue;
    await state.save(key, found, expiresIn(now, FOUND_DAYS));
  }
  for (const [lb] of state.withPrefix(FOUND_PREFIX)) {
    const key = `${FOUND_PREFIX}${lb}`;
    if (!current.has(key) && state.data(key) !== undefined) await state.delete(key);
  }
}

/**
 * One alert per load balancer and distinct set of problems; a notice whose problems are gone is settled.
 * Returns the alerts that could not be sent (parked ones go out with the next sweep).
 */
async function reportProblems(
  deps: Deps,
  state: BindingState,
  problems: readonly DiscoveryProblem[],
): Promise<readonly Error[]> {
  const notifier = new Notifier(deps, state, newBindingResult(state.binding));
  await notifier.drainOutbox();
  const byLb = new Map<string, DiscoveryProblem[]>();
  for (const problem of problems)
    byLb.set(problem.loadBalancerArn, [...(byLb.get(problem.loadBalancerArn) ?? []), problem]);
  for (const [loadBalancerArn, its] of byLb) {
    const fingerprint = hash(its.map((problem) => problem.message).join('\n'));
    const alert = discoveryProblemAlert({
      name: /loadbalancer\/[a-z]+\/([^/]+)\//.exec(loadBalancerArn)?.[1] ?? 'discovery',
      loadBalancerArn,
      problems: its,
      now: deps.now(),
      mode: deps.config.mode,
    });
    await notifier.notice(`${NOTICE_TOPIC_PREFIX}${loadBalancerArn}`, fingerprint, alert, {
      remindEveryMinutes: 0,
    });
  }
  for (const [topic] of state.withPrefix(`${PREFIX.notice}${NOTICE_TOPIC_PREFIX}`)) {
    if (!byLb.has(topic)) await notifier.clearNotice(`${NOTICE_TOPIC_PREFIX}${topic}`);
  }
  return notifier.failures;
}

const recordedCache = new WeakMap<
  object,
  Map<string, { readonly at: number; readonly found: readonly DiscoveredBinding[] }>
>();

/**
 * The event handlers' view: explicit bindings plus the sets the last sweep recorded for every account and
 * region the configuration discovers in (the hub's, each member's), each read once per execution environment
 * per RECORDED_TTL_MS. A load balancer tagged since the last sweep is found by the next one.
 */
export async function withRecordedDiscovery(deps: Deps): Promise<Deps> {
  const { config } = deps;
  const scopes = discoveryScopes(config);
  if (scopes.length === 0) return deps;
  const now = deps.now();
  const cache = recordedCache.get(deps.state) ?? new Map();
  recordedCache.set(deps.state, cache);
  const sets = await Promise.all(
    scopes.map(async ({ scope }) => {
      const partition = discoveryPartition(config, scope);
      const cached = cache.get(partition);
      if (cached && now - cached.at < RECORDED_TTL_MS) return cached.found;
      const state = await BindingState.load(deps.state, partition, true);
      const found = recordedIn(state, sameScope(scope, hubScope(config)) ? undefined : scope, now);
      cache.set(partition, { at: now, found });
      return found;
    }),
  );
  return withBindings(deps, withoutDuplicates(config.bindings, sets.flat()));
}

/**
 * The bindings recorded in one partition that are still trusted: not past their TTL, valid by today's rules
 * (a record from an older version or a redeployed configuration may not pass), and, for a member's, in its
 * account and region.
 */
export function recordedIn(state: BindingState, member: Scope | undefined, now: number): DiscoveredBinding[] {
  const found: DiscoveredBinding[] = [];
  for (const [, entry] of state.withPrefix(FOUND_PREFIX)) {
    // The table deletes expired items late: one past its TTL is gone already.
    if (entry.expiresAt !== undefined && entry.expiresAt * 1000 <= now) continue;
    const recorded = entry.data as DiscoveredBinding | undefined;
    const checked = recorded && checkBinding(recorded.binding);
    if (!checked || 'issues' in checked) continue;
    if (member && !sameScope(scopeOfBinding(checked.binding), member)) continue;
    found.push({ policy: recorded.policy, binding: checked.binding });
  }
  return found;
}

/** `explicit`, then each discovered binding whose load balancer and name no earlier binding has. */
export function withoutDuplicates(
  explicit: readonly Binding[],
  discovered: readonly DiscoveredBinding[],
): Binding[] {
  const arns = new Set(explicit.map((binding) => binding.loadBalancerArn));
  const names = new Set(explicit.map((binding) => binding.name));
  const bindings = [...explicit];
  for (const { binding } of discovered) {
    if (arns.has(binding.loadBalancerArn) || names.has(binding.name)) continue;
    arns.add(binding.loadBalancerArn);
    names.add(binding.name);
    bindings.push(binding);
  }
  return bindings;
}
