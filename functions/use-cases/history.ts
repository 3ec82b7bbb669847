/**
 * CloudTrail's event history, asked only when the sweep meets something no event has explained yet: listener
 * drift waiting for its event, or a matching instance missing from its target group. A lookup that fails or
 * finds nothing changes nothing: the drift waits its grace as before, the instance is registered as before.
 */
import {
  HISTORY_LOOKUP_LIMIT,
  type HistoryAttribution,
  latestListenerChange,
  listenerHistoryQuestion,
  type ServiceHold,
  serviceHolds,
} from '../domain/history.ts';
import type { ObservedListeners } from '../domain/listeners.ts';
import { type Target, targetKey } from '../domain/model.ts';
import type { RepairPlan } from '../domain/repair-plan.ts';
import type { Binding } from '../domain/settings.ts';
import { MINUTE } from '../domain/time.ts';
import { errorText } from '../errors.ts';
import type { Deps } from './context.ts';
import type { RepairContext } from './repair.ts';

/** Who made listener drift the sweep found waiting for its event, by the history; undefined if unknown. */
export async function attributeFromHistory(
  context: RepairContext,
  plan: RepairPlan,
  observed: ObservedListeners,
): Promise<HistoryAttribution | undefined> {
  const { deps, binding, state, trigger } = context;
  const roles = plan.unexplained ?? [];
  if (!deps.history || trigger.type !== 'sweep' || roles.length === 0) return undefined;
  const now = deps.now();
  const question = listenerHistoryQuestion(binding, observed, roles, (key) => state.data(key), now);
  const pages = await lookUp(deps, binding, question.resources, question.since);
  const found = pages && latestListenerChange(deps.config, pages, question.since);
  deps.telemetry.log.info('asked CloudTrail event history who changed the listeners', {
    binding: binding.name,
    resources: question.resources,
    since: new Date(question.since).toISOString(),
    found: found?.actor.arn ?? null,
  });
  return found;
}

/**
 * The missing targets an AWS service of `coOwners.services` took out within the hold, by the history: held as
 * the event path holds them. No call when there is no service to respect.
 */
export async function holdsFromHistory(
  deps: Deps,
  binding: Binding,
  missing: readonly Target[],
): Promise<Map<string, ServiceHold>> {
  const { coOwners } = deps.config;
  if (!deps.history || missing.length === 0 || coOwners.services.length === 0) return new Map();
  const now = deps.now();
  const pages = await lookUp(deps, binding, [binding.targetGroupArn], now - coOwners.holdMinutes * MINUTE);
  const holds = serviceHolds(deps.config, binding, pages?.flat() ?? [], missing, now);
  if (holds.size > 0)
    deps.telemetry.log.info('CloudTrail event history shows an AWS service took these targets out', {
      binding: binding.name,
      held: [...holds].map(([key, hold]) => `${key} (${hold.service})`),
      missing: missing.map(targetKey),
    });
  return holds;
}

/** One page per resource, in order; undefined when a lookup failed (logged: the caller goes on without it). */
async function lookUp(deps: Deps, binding: Binding, resources: readonly string[], since: number) {
  const history = deps.history;
  if (!history) return undefined;
  try {
    return await Promise.all(
      resources.map((resource) => history.changesTo(resource, since, HISTORY_LOOKUP_LIMIT)),
    );
  } catch (error) {
    deps.telemetry.log.warn('CloudTrail event history lookup failed; going on without it', {
      binding: binding.name,
      error: errorText(error),
    });
    return undefined;
  }
}
