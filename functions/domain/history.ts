/**
 * What CloudTrail's event history says about a change the sweep found before any event did: who last changed
 * a drifted listener, and whether an AWS service took a missing target out for its own operation. The calls
 * are inputs, as an event's actor is; what they decide stays with the repair policy and the registration
 * plan. Pure.
 */
import {
  type ApiCallEvent,
  coOwnerService,
  guardScopeOf,
  isApprovedActor,
  isControllerActor,
  targetsIn,
  touchedBy,
} from './events.ts';
import type { ListenerRole, ObservedListeners } from './listeners.ts';
import { findListeners } from './listeners.ts';
import { type Actor, type Target, targetKey } from './model.ts';
import type { Binding, WardenSettings } from './settings.ts';
import { decode, KEY } from './state.ts';
import { MINUTE } from './time.ts';

/** Calls asked for per lookup: the latest few changes of one resource are all that can explain its drift. */
export const HISTORY_LOOKUP_LIMIT = 10;

/**
 * How far before drift was first seen its change is looked for: the sweep before saw the listener in order,
 * so with the default schedule (every minute) the change came within the minute before, plus slack. A longer
 * schedule only makes the lookup find nothing (the drift then waits its grace); a longer lookback would let
 * an older call, made before the listener was last seen in order, explain a newer change.
 */
export const HISTORY_LOOKBACK_MS = 2 * MINUTE;

/** Who made a drift, by CloudTrail's event history: scoped to what the call touched, as an event is. */
export interface HistoryAttribution {
  readonly actor: Actor;
  readonly touched: readonly string[];
}

export interface ListenerHistoryQuestion {
  /** The resources to look up: the drifted listeners (or, for one that is missing, what names it). */
  readonly resources: readonly string[];
  /** Changes before this time cannot have made the drift: the listeners were in order after them. */
  readonly since: number;
}

/**
 * What to ask the history about the listeners of `roles`: their ARNs (a deleted HTTPS listener by the ARN
 * last seen; a missing HTTP listener by its load balancer, which a CreateListener names), since they were
 * last known in order: their last repair or accepted change, and at most a sweep interval (with slack) before
 * the drift was first seen.
 */
export function listenerHistoryQuestion(
  binding: Binding,
  observed: ObservedListeners,
  roles: readonly ListenerRole[],
  recall: (key: string) => unknown,
  now: number,
): ListenerHistoryQuestion {
  const current = findListeners(binding, observed.listeners);
  const resources = new Set<string>();
  for (const role of roles) {
    const arn = role === 'https' ? (current.https?.arn ?? observed.httpsSeen?.arn) : current.http?.arn;
    resources.add(arn ?? binding.loadBalancerArn);
  }
  const firstSeen = decode.firstSeen(recall(KEY.firstSeen('listeners')));
  const repaired = decode
    .repairs(recall(KEY.repairs))
    .entries.filter((entry) => (roles as readonly string[]).includes(entry.listener))
    .map((entry) => entry.at);
  const accepted = roles.map((role) => decode.accepted(recall(KEY.accepted(role)))?.at ?? 0);
  const since = Math.max(Math.min(firstSeen?.at ?? now, now) - HISTORY_LOOKBACK_MS, ...repaired, ...accepted);
  return { resources: [...resources], since };
}

/**
 * The call that explains the drift, from one page of calls per drifted listener: on each listener, the newest
 * call after `since` that the guard would have acted on (it went through, not by the controller) is the one
 * that made its drift. Of those, an approved actor's comes first: its approval is scoped to what its call
 * touched, and drift of another listener keeps waiting (the next sweep asks about that listener alone).
 */
export function latestListenerChange(
  settings: Pick<WardenSettings, 'controllerRoleArns' | 'approvedActors'>,
  pages: readonly (readonly ApiCallEvent[])[],
  since: number,
): HistoryAttribution | undefined {
  const latestOf = (calls: readonly ApiCallEvent[]) =>
    calls
      .filter(
        (call) =>
          guardScopeOf(call.eventName) === 'listeners' &&
          !call.errorCode &&
          !call.readOnly &&
          !isControllerActor(settings, call.actor) &&
          timeOf(call) > since,
      )
      .sort((a, b) => timeOf(b) - timeOf(a))[0];
  const winners = pages
    .map(latestOf)
    .filter((call) => call !== undefined)
    .sort((a, b) => timeOf(b) - timeOf(a));
  const chosen =
    winners.find((call) => isApprovedActor(settings.approvedActors, call.actor) !== undefined) ?? winners[0];
  return chosen ? { actor: chosen.actor, touched: touchedBy(chosen) } : undefined;
}

/** A missing target an AWS service took out for its own operation, still within the hold. */
export interface ServiceHold {
  readonly service: string;
  readonly at: number;
  readonly until: number;
}

/**
 * The missing targets (`id:port` keys) that an AWS service of `coOwners.services` deregistered within the
 * hold: the newest Register/DeregisterTargets call that names a target decides it (one registered again
 * since, or deregistered by a person since, is not held).
 */
export function serviceHolds(
  settings: Pick<WardenSettings, 'coOwners'>,
  binding: Pick<Binding, 'targetGroupArn' | 'targetPort'>,
  calls: readonly ApiCallEvent[],
  missing: readonly Target[],
  now: number,
): Map<string, ServiceHold> {
  const open = new Set(missing.map(targetKey));
  const holds = new Map<string, ServiceHold>();
  const newestFirst = calls
    .filter(
      (call) =>
        !call.errorCode && (call.eventName === 'RegisterTargets' || call.eventName === 'DeregisterTargets'),
    )
    .filter((call) => call.requestParameters.targetGroupArn === binding.targetGroupArn)
    .sort((a, b) => timeOf(b) - timeOf(a));
  for (const call of newestFirst) {
    const service =
      call.eventName === 'DeregisterTargets'
        ? coOwnerService(settings.coOwners.services, call.actor)
        : undefined;
    const at = timeOf(call);
    const until = at + settings.coOwners.holdMinutes * MINUTE;
    for (const target of targetsIn(call.requestParameters)) {
      const key = targetKey({ id: target.id, port: target.port ?? binding.targetPort });
      if (!open.delete(key)) continue;
      if (service && until > now) holds.set(key, { service, at, until });
    }
  }
  return holds;
}

function timeOf(call: ApiCallEvent): number {
  return Date.parse(call.actor.eventTime ?? '') || 0;
}
