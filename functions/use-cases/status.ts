/**
 * The read-only report behind `alb-warden status`: for every binding, the listeners (in sync or the drift),
 * the targets (healthy, unhealthy with reasons, missing matching instances) and the alert state. It makes
 * only read calls: planning is pure, nothing is executed, nothing is written.
 */

import type { Binding } from '../config.ts';
import { isUnhealthyNow } from '../domain/health.ts';
import { driftFingerprint, planListeners } from '../domain/listeners.ts';
import { targetKey } from '../domain/model.ts';
import { planRegistration } from '../domain/registration.ts';
import { activePause, breakerOpen, decode, KEY, ownershipOf, PREFIX } from '../domain/state.ts';
import { errorText } from '../errors.ts';
import { type Deps, mapLimit } from './context.ts';
import { observeListeners } from './listeners.ts';

export interface BindingStatus {
  readonly binding: string;
  readonly ok: boolean;
  readonly listeners: {
    readonly inSync: boolean;
    readonly drift: readonly string[];
    readonly blocked: readonly string[];
    readonly wouldRepair: readonly string[];
  };
  readonly targets: {
    readonly registered: number;
    readonly healthy: number;
    readonly unhealthy: readonly {
      readonly target: string;
      readonly state: string;
      readonly reason?: string | undefined;
      readonly description?: string | undefined;
    }[];
    readonly missing: readonly string[];
    readonly foreign: readonly string[];
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

export async function bindingStatuses(deps: Deps, names?: readonly string[]): Promise<BindingStatus[]> {
  const bindings = names
    ? deps.config.bindings.filter((binding) => names.includes(binding.name))
    : deps.config.bindings;
  return mapLimit(bindings, deps.config.limits.concurrentBindings, (binding) => bindingStatus(deps, binding));
}

async function bindingStatus(deps: Deps, binding: Binding): Promise<BindingStatus> {
  const now = deps.now();
  try {
    const [observed, targets, matching, records, ownership] = await Promise.all([
      observeListeners(deps, binding),
      deps.elb.describeTargetHealth(binding.targetGroupArn),
      deps.instances.findByTags(binding.instanceSelector.tags),
      deps.state.load(binding.name),
      deps.state.load(ownershipOf(binding.name)),
    ]);
    const state = new Map(
      records.filter((record) => !record.deleted).map((record) => [record.key, record.data]),
    );
    const plan = planListeners(binding, observed);
    const owned = new Set(
      ownership
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
          key.startsWith(PREFIX.target) &&
          ['alerting', 'flapping'].includes(decode.target(data)?.phase ?? ''),
      )
      .map(([key]) => key.slice(PREFIX.target.length));
    const suspended = (['http', 'https', 'health-check'] as const).filter((listener) =>
      breakerOpen(repairs, listener, now, deps.config.circuitBreaker),
    );
    const listenersInSync = driftFingerprint(plan) === '';
    const noHealthy = decode.condition(state.get(KEY.condition))?.active === true;
    const status: BindingStatus = {
      binding: binding.name,
      ok:
        listenersInSync &&
        unhealthy.length === 0 &&
        registration.toRegister.length === 0 &&
        !noHealthy &&
        suspended.length === 0,
      listeners: {
        inSync: listenersInSync,
        drift: [
          ...plan.drifts.map((drift) => drift.summary),
          ...plan.findings.map((finding) => finding.summary),
        ],
        blocked: plan.blocked.map((block) => block.detail),
        wouldRepair: plan.steps.map((step) => `${step.type} ${step.listener}`),
      },
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
    return status;
  } catch (error) {
    return {
      binding: binding.name,
      ok: false,
      listeners: { inSync: false, drift: [], blocked: [], wouldRepair: [] },
      targets: { registered: 0, healthy: 0, unhealthy: [], missing: [], foreign: [] },
      alertState: { alerting: [], noHealthyTargets: false, suspended: [], parkedAlerts: 0 },
      error: errorText(error),
    };
  }
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
  for (const key of [KEY.pause, KEY.repairs, KEY.notice('breaker:http'), KEY.notice('breaker:https')]) {
    if (records.some((record) => record.key === key && !record.deleted))
      await deps.state.remove(binding.name, key, version(key));
  }
}
