/**
 * The read-only report behind `alb-warden status`: for every binding, the plan a sweep would make now for
 * its four parts (listeners, health check, registration, target health: the same plan values, never
 * executed), the targets (healthy, unhealthy with reasons, missing matching instances) and the alert state.
 * It makes only read calls and writes nothing.
 */
import { scopeOfBinding } from '../domain/accounts.ts';
import type { BindingPlan } from '../domain/binding-plan.ts';
import { targetKey } from '../domain/model.ts';
import { BREAKER_KEYS, SUSPENSION_TOPICS } from '../domain/notices.ts';
import { planHealthCheckRepair, planListenerRepair, type RepairPlan } from '../domain/repair-plan.ts';
import type { Binding } from '../domain/settings.ts';
import { activePause, breakerOpen, decode, KEY, PREFIX } from '../domain/state.ts';
import { errorText } from '../errors.ts';
import { BindingState } from './binding-state.ts';
import { allInOrder, type Deps, mapLimit } from './context.ts';
import { planHealthFor } from './health.ts';
import { withMemberClients } from './member-access.ts';
import { otherOwners, planRegistrationFor, registrationResultOf } from './registration.ts';
import { observeListeners, planInput } from './repair.ts';
import type { RegistrationResult, UnhealthyTarget } from './results.ts';

export interface BindingStatus {
  readonly binding: string;
  readonly ok: boolean;
  readonly listeners: PartStatus;
  /** Present for bindings that configure a health check. */
  readonly healthCheck?: PartStatus | undefined;
  /** The registration plan as a sweep would carry it out: what a dry-run sweep reports for it. */
  readonly registration?: RegistrationResult | undefined;
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

/**
 * The binding's plan as a sweep would make it now (mode as deployed, no event), from reads only: the same
 * planners a sweep runs, never executed. What status shows is what runs.
 */
async function planBinding(
  deps: Deps,
  binding: Binding,
): Promise<{ plan: BindingPlan; state: BindingState }> {
  const [observed, targets, matching, state, groups] = await allInOrder([
    observeListeners(deps, binding),
    deps.elb.describeTargetHealth(binding.targetGroupArn),
    deps.instances.findByTags(binding.instanceSelector.tags),
    BindingState.load(deps.state, binding.name, true),
    binding.healthCheck ? deps.elb.describeTargetGroups([binding.targetGroupArn]) : [],
  ]);
  const trigger = { type: 'sweep' } as const;
  const input = planInput({ deps, binding, state, trigger });
  const [group] = groups;
  const instances = new Map(matching.map((instance) => [instance.id, instance]));
  const plan: BindingPlan = {
    binding: binding.name,
    listeners: planListenerRepair(input, observed),
    healthCheck: group ? planHealthCheckRepair(input, group) : undefined,
    registration: await planRegistrationFor({
      deps,
      binding,
      state,
      matching,
      targets,
      knownVpcId: group?.vpcId,
    }),
    health: await planHealthFor({ deps, binding, state, targets, instances }),
  };
  return { plan, state };
}

async function bindingStatus(hub: Deps, binding: Binding): Promise<BindingStatus> {
  try {
    // A member's binding is read where it lives, through the member role, as the hub's sweep reads it.
    const clients = await hub.clientsFor?.(scopeOfBinding(binding));
    const deps = clients ? withMemberClients(hub, clients) : hub;
    const { plan, state } = await planBinding(deps, binding);
    const listeners = partStatus(plan.listeners);
    const healthCheck = plan.healthCheck && partStatus(plan.healthCheck);
    const registration = plan.registration.diff;
    // A wanted target that drains before anyone knows who deregistered it is missing to the operator, though
    // the sweep waits for its drain (the registration part says so).
    const missing = [...registration.toRegister, ...registration.draining].map(targetKey);
    const unhealthy = plan.health.unhealthy;
    const alertState = alertStateOf(deps, state);
    return {
      binding: binding.name,
      ok:
        partOk(listeners) &&
        partOk(healthCheck) &&
        plan.registration.decision.kind !== 'blocked' &&
        missing.length === 0 &&
        unhealthy.length === 0 &&
        !alertState.noHealthyTargets &&
        alertState.suspended.length === 0,
      listeners,
      healthCheck,
      registration: registrationResultOf(plan.registration),
      targets: {
        registered: plan.health.fleet.registered,
        healthy: plan.health.fleet.healthy,
        unhealthy: unhealthy.map((target) => ({
          target: targetKey(target),
          state: target.state,
          reason: target.reasonCode,
          description: target.description,
        })),
        missing,
        foreign: registration.foreign.map(targetKey),
        ...otherOwners({ coOwned: registration.coOwned, held: registration.held }),
      },
      alertState,
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

function alertStateOf(deps: Deps, state: BindingState): BindingStatus['alertState'] {
  const now = deps.now();
  const repairs = decode.repairs(state.data(KEY.repairs));
  const pause = activePause(decode.pause(state.data(KEY.pause)), now);
  const alerting = [...state.withPrefix(PREFIX.target)]
    .filter(([, record]) => ['alerting', 'flapping'].includes(decode.target(record.data)?.phase ?? ''))
    .map(([key]) => key);
  return {
    alerting,
    noHealthyTargets: decode.condition(state.data(KEY.condition))?.active === true,
    paused: pause
      ? { by: pause.by, until: new Date(pause.until).toISOString(), reason: pause.reason }
      : undefined,
    suspended: BREAKER_KEYS.filter((key) => breakerOpen(repairs, key, now, deps.config.circuitBreaker)),
    parkedAlerts: state.withPrefix(PREFIX.outbox).size,
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
