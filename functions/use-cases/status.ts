/**
 * The read-only report behind `alb-warden status`: for every binding, the plans a sweep would make now for
 * its listeners and health check (the same plan values, never executed), the targets (healthy, unhealthy with
 * reasons, missing matching instances) and the alert state. It makes only read calls and writes nothing.
 */
import { isUnhealthyNow } from '../domain/health.ts';
import { type Instance, type TargetHealth, targetKey } from '../domain/model.ts';
import { BREAKER_KEYS, SUSPENSION_TOPICS } from '../domain/notices.ts';
import { coOwnedIn, planRegistration } from '../domain/registration.ts';
import {
  type PlanInput,
  planHealthCheckRepair,
  planListenerRepair,
  type RepairPlan,
} from '../domain/repair-plan.ts';
import type { Binding } from '../domain/settings.ts';
import { activeHolds, activePause, breakerOpen, decode, KEY, ownershipOf, PREFIX } from '../domain/state.ts';
import { errorText } from '../errors.ts';
import type { StateRecord } from '../ports.ts';
import { type Deps, mapLimit } from './context.ts';
import { otherOwners, ScalingGroupCache } from './registration.ts';
import { observeListeners } from './repair.ts';
import type { UnhealthyTarget } from './results.ts';

export interface BindingStatus {
  readonly binding: string;
  readonly ok: boolean;
  readonly listeners: PartStatus;
  /** Present for bindings that configure a health check. */
  readonly healthCheck?: PartStatus | undefined;
  readonly targets: {
    readonly registered: number;
    readonly healthy: number;
    readonly unhealthy: readonly UnhealthyTarget[];
    readonly missing: readonly string[];
    readonly foreign: readonly string[];
    /** Targets of Auto Scaling groups that have the target group attached: theirs, not missing or foreign. */
    readonly coOwned?: { readonly count: number; readonly groups: readonly string[] } | undefined;
    /** Targets an AWS service took out for an operation still in progress: not missing either. */
    readonly held?: readonly string[] | undefined;
  };
  readonly alertState: {
    readonly alerting: readonly string[];
    readonly noHealthyTargets: boolean;
    readonly paused?:
      | { readonly by: string; readonly until: string; readonly reason?: string | undefined }
      | undefined;
    readonly suspended: readonly string[];
    readonly parkedAlerts: number;
  };
  readonly error?: string | undefined;
}

/** A repairable part as the sweep would plan it now: the same plan value, never executed. */
export interface PartStatus {
  readonly inSync: boolean;
  /** The plan's decision: `apply` (the next sweep repairs it), `accept`, `report`, `suspend`, `blocked`… */
  readonly decision: RepairPlan['decision']['kind'];
  readonly drift: readonly string[];
  readonly blocked: readonly string[];
  readonly wouldRepair: readonly string[];
}

export async function bindingStatuses(deps: Deps, names?: readonly string[]): Promise<BindingStatus[]> {
  const bindings = names
    ? deps.config.bindings.filter((binding) => names.includes(binding.name))
    : deps.config.bindings;
  return mapLimit(bindings, deps.config.limits.concurrentBindings, (binding) => bindingStatus(deps, binding));
}

async function bindingStatus(deps: Deps, binding: Binding): Promise<BindingStatus> {
  try {
    const [observed, targets, matching, records, ownership, groups] = await Promise.all([
      observeListeners(deps, binding),
      deps.elb.describeTargetHealth(binding.targetGroupArn),
      deps.instances.findByTags(binding.instanceSelector.tags),
      deps.state.load(binding.name),
      deps.state.load(ownershipOf(binding.name)),
      binding.healthCheck ? deps.elb.describeTargetGroups([binding.targetGroupArn]) : [],
    ]);
    const state = new Map(
      records.filter((record) => !record.deleted).map((record) => [record.key, record.data]),
    );
    const coOwned = await coOwnedTargets(deps, binding, matching, targets);
    // The plan a sweep would make now (mode as deployed, no event): what status shows is what runs.
    const input: PlanInput = {
      binding,
      settings: deps.config,
      trigger: { type: 'sweep' },
      now: deps.now(),
      recall: (key) => state.get(key),
    };
    const listeners = partStatus(planListenerRepair(input, observed));
    const [group] = groups;
    const healthCheck = group ? planHealthCheckRepair(input, group) : undefined;
    const parts = { listeners, healthCheck: healthCheck && partStatus(healthCheck) };
    return {
      binding: binding.name,
      ...parts,
      ...health(deps, binding, state, { targets, matching, ownership, coOwned }, parts),
    };
  } catch (error) {
    return {
      binding: binding.name,
      ok: false,
      listeners: { inSync: false, decision: 'in-sync', drift: [], blocked: [], wouldRepair: [] },
      targets: { registered: 0, healthy: 0, unhealthy: [], missing: [], foreign: [] },
      alertState: { alerting: [], noHealthyTargets: false, suspended: [], parkedAlerts: 0 },
      error: errorText(error),
    };
  }
}

function holdsIn(state: ReadonlyMap<string, unknown>, now: number): Map<string, string> {
  const holds = [...state].filter(([key]) => key.startsWith(PREFIX.hold));
  return activeHolds(new Map(holds.map(([key, data]) => [key.slice(PREFIX.hold.length), { data }])), now);
}

/** Instances of Auto Scaling groups that have the binding's target group attached, registered ones included. */
async function coOwnedTargets(
  deps: Deps,
  binding: Binding,
  matching: readonly Instance[],
  targets: readonly TargetHealth[],
): Promise<Map<string, string>> {
  const known = new Set(matching.map((instance) => instance.id));
  const strangers = targets.map((target) => target.id).filter((id) => !known.has(id));
  const instances = [...matching, ...(strangers.length > 0 ? await deps.instances.describe(strangers) : [])];
  const attached = await new ScalingGroupCache(deps.scaling).attached(instances);
  return coOwnedIn(instances, attached, binding.targetGroupArn);
}

function partStatus(plan: RepairPlan): PartStatus {
  const { kind } = plan.decision;
  return {
    inSync: kind === 'in-sync',
    decision: kind,
    drift: plan.drift,
    blocked: plan.blocked,
    wouldRepair:
      // `wait`: what the repair will be once the grace for a late approved event has passed.
      kind === 'apply' || kind === 'would-apply' || kind === 'wait'
        ? plan.steps.map((step) => `${step.type} ${step.listener}`)
        : [],
  };
}

/** An accepted change (an approved actor's) is as the operator wants it; anything else off is not ok. */
const partOk = (part: PartStatus | undefined) => !part || part.inSync || part.decision === 'accept';

function health(
  deps: Deps,
  binding: Binding,
  state: ReadonlyMap<string, unknown>,
  seen: {
    targets: readonly TargetHealth[];
    matching: readonly Instance[];
    ownership: readonly StateRecord[];
    coOwned: ReadonlyMap<string, string>;
  },
  parts: { listeners: PartStatus; healthCheck?: PartStatus | undefined },
): Pick<BindingStatus, 'ok' | 'targets' | 'alertState'> {
  const now = deps.now();
  const { targets, matching } = seen;
  const owned = new Set(
    seen.ownership
      .filter((record) => !record.deleted && record.key.startsWith(PREFIX.owned))
      .map((record) => record.key.slice(PREFIX.owned.length)),
  );
  const registration = planRegistration({
    binding,
    targetGroupVpcId: decode.meta(state.get(KEY.meta)).targetGroupVpcId,
    matching,
    registered: targets,
    owned,
    lookedUp: new Map(),
    coOwned: seen.coOwned,
    held: holdsIn(state, now),
    maxDeregisterFraction: 1,
  });
  const running = new Map(matching.map((instance) => [instance.id, instance.state === 'running']));
  const unhealthy = targets.filter((target) => isUnhealthyNow(target, running.get(target.id)));
  const active = targets.filter((target) => target.state !== 'draining');
  const repairs = decode.repairs(state.get(KEY.repairs));
  const pause = activePause(decode.pause(state.get(KEY.pause)), now);
  const alerting = [...state.entries()]
    .filter(
      ([key, data]) =>
        key.startsWith(PREFIX.target) && ['alerting', 'flapping'].includes(decode.target(data)?.phase ?? ''),
    )
    .map(([key]) => key.slice(PREFIX.target.length));
  const suspended = BREAKER_KEYS.filter((key) => breakerOpen(repairs, key, now, deps.config.circuitBreaker));
  const noHealthy = decode.condition(state.get(KEY.condition))?.active === true;
  return {
    ok:
      partOk(parts.listeners) &&
      partOk(parts.healthCheck) &&
      unhealthy.length === 0 &&
      registration.toRegister.length === 0 &&
      !noHealthy &&
      suspended.length === 0,
    targets: {
      registered: active.length,
      healthy: active.filter((target) => target.state === 'healthy').length,
      unhealthy: unhealthy.map((target) => ({
        target: targetKey(target),
        state: target.state,
        reason: target.reasonCode,
        description: target.description,
      })),
      missing: registration.toRegister.map(targetKey),
      foreign: registration.foreign.map(targetKey),
      ...otherOwners(registration),
    },
    alertState: {
      alerting,
      noHealthyTargets: noHealthy,
      paused: pause
        ? { by: pause.by, until: new Date(pause.until).toISOString(), reason: pause.reason }
        : undefined,
      suspended,
      parkedAlerts: [...state.keys()].filter((key) => key.startsWith(PREFIX.outbox)).length,
    },
  };
}

/** Pause or resume a binding (the CLI's `pause` and `resume`). Resuming also resets the circuit breaker. */
export async function setPause(
  deps: Deps,
  binding: Binding,
  pause: { until: number; by: string; reason?: string | undefined } | null,
): Promise<void> {
  const records = await deps.state.load(binding.name);
  const version = (key: string) => records.find((record) => record.key === key)?.version ?? 0;
  const now = deps.now();
  if (pause) {
    const written = await deps.state.put(binding.name, {
      key: KEY.pause,
      version: version(KEY.pause),
      data: { ...pause, at: now },
      expiresAt: Math.floor(pause.until / 1000) + 24 * 3600,
    });
    if (!written)
      throw new Error(`${binding.name}: the pause record changed while it was being written; try again`);
    return;
  }
  // Resuming ends every suspension of the binding: the repair log the breakers count, and their notices.
  for (const key of [KEY.pause, KEY.repairs, ...SUSPENSION_TOPICS.map(KEY.notice)]) {
    if (records.some((record) => record.key === key && !record.deleted))
      await deps.state.remove(binding.name, key, version(key));
  }
}
