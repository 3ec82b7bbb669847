/**
 * Discovery in every account and region the configuration discovers in: the hub's own with its own tagging
 * client, each member's with its role (the Resource Groups Tagging API in the member). The reads run side by
 * side; the decisions one account and region after another (the hub first, then the members in configuration
 * order), each keeping the names the others recorded, so a binding's name never moves to another account.
 * Each account and region records its set and alerts its problems in a partition of its own.
 *
 * A member whose tags cannot be read keeps the set it recorded before and fails alone: a role that cannot be
 * assumed is the member alert every sweep sends (account, region, role), any other refusal one discovery alert
 * naming the same; both settle once discovery works again. A passing failure (throttling, 5xx) fails the run
 * at the end, so it is retried.
 */
import {
  type DiscoveryScope,
  discoveryScopes,
  hubScope,
  memberAccess,
  sameScope,
  scopeKey,
  scopeOfBinding,
} from '../domain/accounts.ts';
import type { DiscoveredBinding, DiscoveryOutcome, TaggedResource } from '../domain/discovery.ts';
import { memberDiscoveryFailedAlert } from '../domain/member-alerts.ts';
import { awsErrorCode, ConfigError, errorText, isTransient, MemberAccessError } from '../errors.ts';
import type { BindingState } from './binding-state.ts';
import { type Deps, mapLimit, type Settled, settled } from './context.ts';
import {
  type DiscoveryScopeFailure,
  type DiscoverySummary,
  decideDiscovery,
  discoveryPartition,
  discoverySummary,
  loadDiscoveryState,
  readTagged,
  recordedIn,
  settleDiscovery,
  withBindings,
  withoutDuplicates,
} from './discovery.ts';
import { alertUnreachable, settleUnreachable } from './member-access.ts';
import { Notifier } from './notify.ts';
import { newBindingResult } from './results.ts';
import { discoverOnce } from './sweep.ts';

const FAILED_TOPIC = 'member-discovery';

export interface EverywhereDiscovery {
  /** `deps` whose configuration lists the explicit bindings, then every discovered one. */
  readonly deps: Deps;
  readonly summary?: DiscoverySummary | undefined;
  /** What fails the run once its work is done (retried): the hub's discovery, or a passing member failure. */
  readonly failure?: unknown;
}

/**
 * The scheduler's and the hub sweep's discovery: decides, records and alerts in each account and region.
 * Without member clients (a single account), the hub's discovery alone.
 */
export function discoverEverywhere(deps: Deps): Promise<EverywhereDiscovery> {
  return discoverOnce(deps, deps.clientsFor ? (given) => discoverScopes(given, true) : undefined);
}

/**
 * What the operator's commands see: every account and region's discovery, read and decided, nothing recorded
 * or alerted. A member that cannot be read is listed in the summary's `failed` with the set it recorded kept;
 * the hub's own failure is thrown, as with a single account.
 */
export function previewEverywhere(deps: Deps): Promise<EverywhereDiscovery> {
  return discoverScopes(deps, false);
}

async function discoverScopes(deps: Deps, settle: boolean): Promise<EverywhereDiscovery> {
  const { config, telemetry } = deps;
  const scopes = discoveryScopes(config);
  if (scopes.length === 0) return { deps };
  const limit = config.limits.concurrentBindings;
  const now = deps.now();
  const [states, reads] = await Promise.all([
    mapLimit(scopes, limit, (target) => loadDiscoveryState(deps, discoveryPartition(config, target.scope))),
    mapLimit(scopes, limit, (target) => settled(readIn(deps, target))),
  ]);
  const hub = hubScope(config);
  const isHub = (target: DiscoveryScope) => sameScope(target.scope, hub);
  const recorded = scopes.map((target, index) =>
    recordedIn(states[index] as BindingState, isHub(target) ? undefined : target.scope, now),
  );
  const { outcomes, kept } = decideInOrder(config, scopes, reads, recorded);
  // In the order of the scopes, whatever order their work ends in.
  const failed: DiscoveryScopeFailure[] = scopes.flatMap((target, index) => {
    const read = reads[index] as Settled<unknown>;
    return 'error' in read ? [{ ...target.scope, message: errorText(read.error) }] : [];
  });
  const failures: unknown[] = [];
  await mapLimit(scopes, limit, async (target, index) => {
    const state = states[index] as BindingState;
    const read = reads[index] as Settled<unknown>;
    const outcome = outcomes[index];
    if (outcome) {
      if (!settle) return;
      const alertFailure = await settleDiscovery(deps, state, outcome);
      if (alertFailure) failures.push(alertFailure);
      if (isHub(target)) return;
      await settleFailedNotice(deps, state);
      // Its role was assumed. A member with no binding there is reached by no worker, whose reach would
      // settle a "cannot assume role" alert: discovery settles it, so the next failure is alerted again.
      if (bindingsIn(config, target, kept[index] ?? []).length === 0)
        await settleUnreachable(deps, target.scope);
      return;
    }
    const error = 'error' in read ? read.error : undefined;
    const { account, region } = target.scope;
    telemetry.log.error('discovery failed; keeping the bindings recorded there before', {
      account,
      region,
      kept: kept[index]?.length ?? 0,
      error: errorText(error),
    });
    if (!settle) {
      if (isHub(target)) throw error;
      return;
    }
    if (isHub(target) || isTransient(error)) failures.push(error);
    else failures.push(...(await reportMember(deps, target, state, kept[index] ?? [], error)));
  });

  const fresh = outcomes.filter((outcome) => outcome !== undefined);
  const found = {
    bindings: fresh.flatMap((outcome) => outcome.bindings),
    problems: fresh.flatMap((outcome) => outcome.problems),
    shadowed: fresh.flatMap((outcome) => outcome.shadowed),
    effective: withoutDuplicates(config.bindings, kept.flat()),
  };
  const memberFailures = failed.filter((entry) => !sameScope(entry, hub));
  return {
    deps: withBindings(deps, found.effective),
    summary: discoverySummary(found, memberFailures),
    ...(failures.length > 0 ? { failure: failures[0] } : {}),
  };
}

/**
 * Each scope's decision, one after another: a scope whose tags were read decides with the names the scopes
 * before it decided, and those the scopes after it recorded, taken; one that was not read keeps its records.
 */
function decideInOrder(
  config: Deps['config'],
  scopes: readonly DiscoveryScope[],
  reads: readonly Settled<TaggedResource[]>[],
  recorded: readonly (readonly DiscoveredBinding[])[],
): { outcomes: (DiscoveryOutcome | undefined)[]; kept: (readonly DiscoveredBinding[])[] } {
  const outcomes: (DiscoveryOutcome | undefined)[] = [];
  const kept: (readonly DiscoveredBinding[])[] = [];
  scopes.forEach((target, index) => {
    const read = reads[index];
    if (!read || 'error' in read) {
      kept.push(recorded[index] ?? []);
      outcomes.push(undefined);
      return;
    }
    const reserved = new Map<string, string>();
    scopes.forEach((other, at) => {
      if (at === index) return;
      for (const { binding } of (at < index ? kept[at] : recorded[at]) ?? [])
        reserved.set(binding.name, `a binding discovered in ${scopeKey(other.scope)}`);
    });
    const outcome = decideDiscovery(config, target.policies, read.value, reserved);
    outcomes.push(outcome);
    kept.push(outcome.bindings);
  });
  return { outcomes, kept };
}

/** One account and region's tagged resources, read with its own tagging client. */
async function readIn(deps: Deps, target: DiscoveryScope): Promise<TaggedResource[]> {
  const hub = sameScope(target.scope, hubScope(deps.config));
  const tagging = hub ? deps.tagging : (await deps.clientsFor?.(target.scope))?.tagging;
  if (!tagging)
    throw new ConfigError('dependencies', [
      {
        field: hub ? 'discovery' : 'members[].discovery',
        message: `needs the tagging API port in ${scopeKey(target.scope)}`,
      },
    ]);
  return readTagged(tagging, target.policies);
}

/**
 * A member whose discovery failed for good: the member alert when its role cannot be assumed, else one
 * discovery alert naming the account, the region and the role. Returns what must fail the run: an alert that
 * could not be sent.
 */
async function reportMember(
  deps: Deps,
  target: DiscoveryScope,
  state: BindingState,
  kept: readonly DiscoveredBinding[],
  error: unknown,
): Promise<unknown[]> {
  const bindings = bindingsIn(deps.config, target, kept);
  if (error instanceof MemberAccessError) {
    const { refused } = await alertUnreachable(deps, { scope: target.scope, bindings }, error);
    return refused ? [error] : [];
  }
  const roleArn = memberAccess(deps.config, target.scope)?.roleArn ?? '';
  const code = awsErrorCode(error) ?? 'Error';
  const notifier = new Notifier(deps, state, newBindingResult(state.binding));
  await notifier.notice(
    FAILED_TOPIC,
    `${roleArn} ${code}`,
    memberDiscoveryFailedAlert({
      ...target.scope,
      roleArn,
      kept: kept.map(({ binding }) => binding.name),
      now: deps.now(),
      mode: deps.config.mode,
      error: { code, message: errorText(error) },
    }),
  );
  return notifier.failures;
}

/** The bindings of one account and region: its explicit ones, then those discovered there. */
function bindingsIn(config: Deps['config'], target: DiscoveryScope, kept: readonly DiscoveredBinding[]) {
  return withoutDuplicates(
    config.bindings.filter((binding) => sameScope(scopeOfBinding(binding), target.scope)),
    kept,
  );
}

/** Discovery works (again) in the member: a failure reported before is news again the next time. */
async function settleFailedNotice(deps: Deps, state: BindingState): Promise<void> {
  const notifier = new Notifier(deps, state, newBindingResult(state.binding));
  if (notifier.lastNotice(FAILED_TOPIC)) await notifier.clearNotice(FAILED_TOPIC);
}
