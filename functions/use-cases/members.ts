/**
 * The hub's work across accounts and regions: bindings are grouped by their load balancer's account and
 * region, and each group runs the unchanged use-cases with the configuration narrowed to it and the clients
 * of its account and region (a member's role, clients and ELB budget, or the hub's own). A member whose role
 * cannot be assumed fails alone (member-access.ts). Discovery runs first, in every account and region
 * (member-discovery.ts), so the bindings it finds are grouped with the others.
 */
import { groupByScope, hubScope, narrowTo, sameScope } from '../domain/accounts.ts';
import { type Deps, mapLimit } from './context.ts';
import { withRecordedDiscovery } from './discovery.ts';
import { reach } from './member-access.ts';
import { discoverEverywhere } from './member-discovery.ts';
import type { InvocationResult } from './results.ts';
import { type SweepOptions, selectedBindings, sweep, sweepResult } from './sweep.ts';

/** The sweep of every account and region, each with its own clients; one member's failure stops no other. */
export async function sweepFleet(given: Deps, options: SweepOptions = {}): Promise<InvocationResult> {
  const { clientsFor } = given;
  if (!clientsFor) return sweep(given, options);
  const { deps, summary, failure } =
    options.discover === false ? { deps: given } : await discoverEverywhere(given);
  const selected = selectedBindings(deps.config.bindings, options);
  const hub = hubScope(deps.config);
  const groups = groupByScope(selected);
  const home = groups.find((group) => sameScope(group.scope, hub));
  const each = { ...options, throwOnTransient: false, discover: false };
  // Each member spends its own API budget: running them side by side takes no one's share.
  const outcomes = await mapLimit(
    groups.filter((group) => group !== home),
    deps.config.limits.concurrentBindings,
    async (group) => {
      const scoped = await reach(deps, clientsFor, group);
      if ('failed' in scoped) return scoped.failed;
      return (await sweep(scoped.deps, each)).bindings;
    },
  );
  // The hub's own bindings first in the result, as they always came.
  const own = home ? await sweep({ ...deps, config: narrowTo(deps.config, hub) }, each) : { bindings: [] };
  return sweepResult(deps, options, [...own.bindings, ...outcomes.flat()], { summary, failure });
}

/**
 * Runs an event's use-case with the bindings and clients of the event's account and region: an event of one
 * account never reaches another's bindings, whatever its ARNs or tags look like.
 */
export function inEventScope<
  E extends { readonly id: string; readonly account: string; readonly region: string },
  R extends InvocationResult,
>(functionName: 'guard' | 'register', run: (deps: Deps, event: E) => Promise<R>) {
  return async (deps: Deps, event: E): Promise<R | InvocationResult> => {
    const { clientsFor } = deps;
    if (!clientsFor) return run(deps, event);
    const scope = { account: event.account, region: event.region };
    // The scope's explicit bindings and the ones discovery recorded there.
    const narrowed = await withRecordedDiscovery({ ...deps, config: narrowTo(deps.config, scope) });
    const bindings = narrowed.config.bindings;
    // Nothing guarded there: the use-case ignores the event without a call, and no role is assumed.
    if (bindings.length === 0) return run(narrowed, event);
    const scoped = await reach(narrowed, clientsFor, { scope, bindings });
    if ('deps' in scoped) return run(scoped.deps, event);
    return {
      function: functionName,
      eventId: event.id,
      mode: deps.config.mode,
      ignored: `the member role of account ${scope.account} in ${scope.region} cannot be assumed`,
      bindings: scoped.failed,
    };
  };
}
