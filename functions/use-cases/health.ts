/**
 * Target health → alerts. Every target's state machine advances by this sweep's observation; each state
 * change is claimed with a conditional write before its alert goes out, so two concurrent sweeps never send
 * the same alert; the events of one binding are grouped into at most one alert per kind.
 */
import type { Binding } from '../config.ts';
import { conditionAlert, targetHealthAlerts } from '../domain/alert-kinds.ts';
import type { RecentChange } from '../domain/alerts.ts';
import {
  type FleetHealth,
  type HealthSettings,
  isUnhealthyNow,
  type Step,
  stepCondition,
  stepTarget,
  type TargetEvent,
} from '../domain/health.ts';
import { type Instance, type TargetHealth, targetKey } from '../domain/model.ts';
import { decode, expiresIn, expiresSoon, KEY, ownershipOf, PREFIX } from '../domain/state.ts';
import { MINUTE } from '../domain/time.ts';
import { errorText } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import { type Deps, mapLimit } from './context.ts';
import type { Notifier } from './notify.ts';
import type { HealthResult } from './results.ts';

/** State writes in flight at once when many targets change in one sweep. */
const CLAIM_CONCURRENCY = 25;
/**
 * A target's alert state outlives any reminder interval, and is rewritten within a day of its TTL while the
 * condition lasts; once it is over, the TTL cleans it up.
 */
const TARGET_RECORD_DAYS = 8;
/** ELB's longest deregistration delay (the attribute's range is 0–3600 s). */
const MAX_DEREGISTRATION_DELAY_SECONDS = 3600;

export interface HealthContext {
  readonly deps: Deps;
  readonly binding: Binding;
  readonly state: BindingState;
  readonly notifier: Notifier;
  readonly targets: readonly TargetHealth[];
  readonly instances: ReadonlyMap<string, Instance>;
}

export async function reconcileHealth(context: HealthContext): Promise<HealthResult> {
  const { deps, state } = context;
  const now = deps.now();
  const { claims, events } = planTargetSteps(context, now, await drainingDelay(context));
  // Only the invocation whose write lands sends a step's alerts. A write that fails leaves its target to the
  // next sweep, but the alerts of the claims that landed still go out first.
  const failures: unknown[] = [];
  await mapLimit(claims, CLAIM_CONCURRENCY, async ({ key, step }) => {
    try {
      const claimed = step.record
        ? await state.save(KEY.target(key), step.record, expiresIn(now, TARGET_RECORD_DAYS))
        : await state.delete(KEY.target(key));
      if (claimed) events.push(...step.events);
    } catch (error) {
      failures.push(error);
    }
  });
  const active = context.targets.filter((target) => target.state !== 'draining');
  const fleet: FleetHealth = {
    registered: active.length,
    healthy: active.filter((target) => target.state === 'healthy').length,
    inGrace: active.filter((target) => target.state === 'initial').length,
  };
  const unhealthy = context.targets.filter((target) => {
    const instance = context.instances.get(target.id);
    return isUnhealthyNow(target, instance ? instance.state === 'running' : undefined);
  });
  deps.telemetry.count(METRIC.unhealthyTargets, unhealthy.length);
  // Read only when something is alerted: registrations live in the (large) ownership partition.
  let changes: Promise<RecentChange[]> | undefined;
  const recentChanges = () => {
    changes ??= recentChangesOf(deps, state, now, deps.config.alerts.contextMinutes);
    return changes;
  };
  await alertTargets(context, now, events, fleet, recentChanges);
  await stepNoHealthyCondition(context, now, fleet, recentChanges);
  if (failures.length > 0) throw failures[0];
  return {
    registered: fleet.registered,
    healthy: fleet.healthy,
    unhealthy: unhealthy.map((target) => ({
      target: targetKey(target),
      state: target.state,
      reason: target.reasonCode,
    })),
  };
}

/**
 * The group's deregistration delay, read once per binding and sweep and only while a target drains. When the
 * read fails, draining is given ELB's longest delay this sweep rather than paged early.
 */
async function drainingDelay(context: HealthContext): Promise<number | undefined> {
  if (!context.targets.some((target) => target.state === 'draining')) return undefined;
  const { deps, binding } = context;
  try {
    return await deps.elb.deregistrationDelaySeconds(binding.targetGroupArn);
  } catch (error) {
    deps.telemetry.log.warn('deregistration delay not read; draining targets get the longest delay', {
      binding: binding.name,
      error: errorText(error),
    });
    return MAX_DEREGISTRATION_DELAY_SECONDS;
  }
}

/** Each target's state machine advanced by this sweep's observation: changes to claim, events to send. */
function planTargetSteps(
  context: HealthContext,
  now: number,
  deregistrationDelaySeconds: number | undefined,
): { claims: { key: string; step: Step }[]; events: TargetEvent[] } {
  const settings: HealthSettings = context.deps.config.alerts;
  const observed = new Map(context.targets.map((target) => [targetKey(target), target]));
  const records = context.state.withPrefix(PREFIX.target);
  const events: TargetEvent[] = [];
  const claims: { key: string; step: Step }[] = [];
  const advance = (key: string, target: { id: string; port: number }, health: TargetHealth | undefined) => {
    const previous = decode.target(records.get(key)?.data);
    const instance = context.instances.get(target.id);
    const observation = health
      ? {
          health,
          instanceRunning: instance ? instance.state === 'running' : undefined,
          deregistrationDelaySeconds,
        }
      : ('gone' as const);
    const step = stepTarget(previous, observation, now, settings, target);
    if (step.changed) claims.push({ key, step });
    else {
      events.push(...step.events);
      // An alert state that lasts is rewritten before its TTL ends it (and the next sweep pages again).
      if (step.record && expiresSoon(records.get(key)?.expiresAt, now))
        claims.push({ key, step: { ...step, events: [] } });
    }
  };
  for (const [key, health] of observed) advance(key, health, health);
  for (const key of records.keys()) {
    if (observed.has(key)) continue;
    const [id = '', port = '0'] = key.split(':');
    advance(key, { id, port: Number(port) }, undefined);
  }
  return { claims, events };
}

async function alertTargets(
  context: HealthContext,
  now: number,
  events: readonly TargetEvent[],
  fleet: FleetHealth,
  recentChanges: () => Promise<RecentChange[]>,
): Promise<void> {
  const { deps, binding, notifier } = context;
  const settings = deps.config.alerts;
  for (const alert of targetHealthAlerts({
    binding,
    now,
    mode: deps.config.mode,
    events,
    fleet,
    instances: context.instances,
    recentChanges: events.length > 0 ? await recentChanges() : [],
    contextMinutes: settings.contextMinutes,
    criticalBelowHealthyFraction: settings.criticalBelowHealthyFraction,
    flappingWindowMinutes: settings.flapping.windowMinutes,
  })) {
    await notifier.send(alert);
  }
}

/** The binding-wide "no healthy target left" condition: claimed like a target's state, alerted once. */
async function stepNoHealthyCondition(
  context: HealthContext,
  now: number,
  fleet: FleetHealth,
  recentChanges: () => Promise<RecentChange[]>,
): Promise<void> {
  const { deps, binding, state, notifier } = context;
  const condition = stepCondition(
    decode.condition(state.data(KEY.condition)),
    fleet,
    now,
    deps.config.alerts,
  );
  if (!condition.changed) {
    if (condition.record && expiresSoon(state.expiresAt(KEY.condition), now))
      await state.save(KEY.condition, condition.record, expiresIn(now, TARGET_RECORD_DAYS));
    return;
  }
  const claimed = condition.record
    ? await state.save(KEY.condition, condition.record, expiresIn(now, TARGET_RECORD_DAYS))
    : await state.delete(KEY.condition);
  if (!claimed) return;
  const base = { binding, now, mode: deps.config.mode };
  for (const event of condition.events)
    await notifier.send(
      conditionAlert(base, event, fleet, await recentChanges(), deps.config.alerts.contextMinutes),
    );
}

/** What the controller changed on the binding lately: repairs (with who caused them) and registrations. */
async function recentChangesOf(
  deps: Deps,
  state: BindingState,
  now: number,
  minutes: number,
): Promise<RecentChange[]> {
  const since = now - minutes * MINUTE;
  const repairs = decode
    .repairs(state.data(KEY.repairs))
    .entries.filter((entry) => entry.at > since)
    .map((entry) => ({
      at: entry.at,
      summary: `repaired ${entry.listener}: ${entry.summary}`,
      actor: entry.actor,
    }));
  const ownership = await deps.state.load(ownershipOf(state.binding));
  const registrations = ownership
    .filter((record) => !record.deleted && record.key.startsWith(PREFIX.owned))
    .map((record) => ({ key: record.key.slice(PREFIX.owned.length), owned: decode.owned(record.data) }))
    .filter(({ owned }) => owned !== undefined && owned.registeredAt > since)
    .map(({ key, owned }) => ({ at: owned?.registeredAt ?? now, summary: `registered ${key}` }));
  return [...repairs, ...registrations].sort((a, b) => a.at - b.at);
}
