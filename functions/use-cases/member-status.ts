/**
 * `alb-warden status` across accounts and regions: each binding read with the clients of its account and
 * region (a member's through its role, as the hub reads it). Read-only: a member whose role cannot be assumed
 * shows its bindings failing with the reason, and nothing is alerted or recorded.
 */
import { groupByScope } from '../domain/accounts.ts';
import { MemberAccessError } from '../errors.ts';
import { type Deps, mapLimit } from './context.ts';
import { scopedDeps } from './member-access.ts';
import { type BindingStatus, bindingStatuses, failedStatus } from './status.ts';

export async function statusesEverywhere(deps: Deps, names: readonly string[]): Promise<BindingStatus[]> {
  const { clientsFor } = deps;
  if (!clientsFor) return bindingStatuses(deps, names);
  const selected = deps.config.bindings.filter((binding) => names.includes(binding.name));
  const groups = await mapLimit(
    groupByScope(selected),
    deps.config.limits.concurrentBindings,
    async ({ scope, bindings }) => {
      const asked = bindings.map((binding) => binding.name);
      try {
        return await bindingStatuses(scopedDeps(deps, scope, await clientsFor(scope)), asked);
      } catch (error) {
        if (!(error instanceof MemberAccessError)) throw error;
        return asked.map((name) => failedStatus(name, error.message));
      }
    },
  );
  const byName = new Map(groups.flat().map((status) => [status.binding, status]));
  return selected.flatMap((binding) => byName.get(binding.name) ?? []);
}
