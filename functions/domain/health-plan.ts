/**
 * The target-health part of a binding's plan, as a value: every target's alert state machine (and the
 * binding-wide "no healthy target left" condition) advanced by this sweep's observation, as state claims,
 * each with the alert events it releases when its conditional write lands. `status`, a dry-run and a sweep
 * compute this same value; the executor makes the claims and sends what they release. Pure.
 */
import {
  type ConditionEvent,
  type ConditionRecord,
  type FleetHealth,
  type HealthSettings,
  isUnhealthyNow,
  stepCondition,
  stepTarget,
  type TargetEvent,
  type TargetRecord,
} from './health.ts';
import { type Instance, type TargetHealth, targetKey } from './model.ts';
import { decode, expiresSoon, KEY } from './state.ts';

/**
 * A state change to write conditionally: `releases` goes out only if the write lands (of two concurrent
 * sweeps, only one sends). A claim that releases nothing only keeps a lasting state past its TTL.
 */
export interface StateClaim<Record, Event> {
  readonly key: string;
  /** The record to store; null to delete it. */
  readonly record: Record | null;
  readonly releases: readonly Event[];
}

export interface HealthPlan {
  readonly part: 'health';
  readonly decision: { readonly kind: 'in-sync' | 'report'; readonly reason: string };
  readonly fleet: FleetHealth;
  readonly unhealthy: readonly TargetHealth[];
  /** The instances behind the targets, as observed: the alerts name their zone and state. */
  readonly instances: ReadonlyMap<string, Instance>;
  readonly claims: readonly StateClaim<TargetRecord, TargetEvent>[];
  /** Events of states already claimed (a reminder due on an unchanged record): sent without a claim. */
  readonly events: readonly TargetEvent[];
  /** The "no healthy target left" condition, claimed after the targets' alerts went out. */
  readonly condition?: StateClaim<ConditionRecord, ConditionEvent> | undefined;
}

/** A remembered record as the planner reads it: its data and when the table may delete it. */
export interface Remembered {
  readonly data: unknown;
  readonly expiresAt?: number | undefined;
}

export interface HealthObservation {
  readonly targets: readonly TargetHealth[];
  readonly instances: ReadonlyMap<string, Instance>;
  /** The targets' alert records, by `id:port`. */
  readonly records: ReadonlyMap<string, Remembered>;
  readonly condition: Remembered | undefined;
  /** The group's deregistration delay, read only while a target drains. */
  readonly deregistrationDelaySeconds?: number | undefined;
}

export function planTargetHealth(
  observed: HealthObservation,
  settings: HealthSettings,
  now: number,
): HealthPlan {
  const { claims, events } = targetSteps(observed, settings, now);
  const active = observed.targets.filter((target) => target.state !== 'draining');
  const fleet: FleetHealth = {
    registered: active.length,
    healthy: active.filter((target) => target.state === 'healthy').length,
    inGrace: active.filter((target) => target.state === 'initial').length,
  };
  const unhealthy = observed.targets.filter((target) => isUnhealthyNow(target, running(observed, target.id)));
  const condition = conditionClaim(observed.condition, fleet, settings, now);
  const releases = claims.some((claim) => claim.releases.length > 0) || events.length > 0;
  const decision =
    unhealthy.length === 0 && !releases && !condition?.releases.length
      ? { kind: 'in-sync' as const, reason: 'no target is unhealthy and no alert is due' }
      : {
          kind: 'report' as const,
          reason: `${unhealthy.length} of ${observed.targets.length} targets unhealthy: alerts go out as their state changes are claimed`,
        };
  return {
    part: 'health',
    decision,
    fleet,
    unhealthy,
    instances: observed.instances,
    claims,
    events,
    condition,
  };
}

const running = (observed: HealthObservation, id: string) => {
  const instance = observed.instances.get(id);
  return instance ? instance.state === 'running' : undefined;
};

/** Each target's state machine advanced by this sweep's observation: changes to claim, events to send. */
function targetSteps(observed: HealthObservation, settings: HealthSettings, now: number) {
  const health = new Map(observed.targets.map((target) => [targetKey(target), target]));
  const events: TargetEvent[] = [];
  const claims: StateClaim<TargetRecord, TargetEvent>[] = [];
  const advance = (key: string, target: { id: string; port: number }) => {
    const found = health.get(key);
    const remembered = observed.records.get(key);
    const observation = found
      ? {
          health: found,
          instanceRunning: running(observed, target.id),
          deregistrationDelaySeconds: observed.deregistrationDelaySeconds,
        }
      : ('gone' as const);
    const step = stepTarget(decode.target(remembered?.data), observation, now, settings, target);
    if (step.changed) claims.push({ key: KEY.target(key), record: step.record, releases: step.events });
    else {
      events.push(...step.events);
      // An alert state that lasts is rewritten before its TTL ends it (and the next sweep pages again).
      if (step.record && expiresSoon(remembered?.expiresAt, now))
        claims.push({ key: KEY.target(key), record: step.record, releases: [] });
    }
  };
  for (const [key, target] of health) advance(key, target);
  for (const key of observed.records.keys()) {
    if (health.has(key)) continue;
    const [id = '', port = '0'] = key.split(':');
    advance(key, { id, port: Number(port) });
  }
  return { claims, events };
}

function conditionClaim(
  remembered: Remembered | undefined,
  fleet: FleetHealth,
  settings: HealthSettings,
  now: number,
): StateClaim<ConditionRecord, ConditionEvent> | undefined {
  const step = stepCondition(decode.condition(remembered?.data), fleet, now, settings);
  if (step.changed) return { key: KEY.condition, record: step.record, releases: step.events };
  if (step.record && expiresSoon(remembered?.expiresAt, now))
    return { key: KEY.condition, record: step.record, releases: [] };
  return undefined;
}
