/** Keeping the target group's health check as configured (only for bindings that configure one). */
import type { Binding } from '../config.ts';
import { healthCheckDriftAlert, registrationFailedAlert, repairFailedAlert } from '../domain/alert-kinds.ts';
import { isApprovedActor } from '../domain/events.ts';
import { hash } from '../domain/hash.ts';
import { describeHealthCheckDrift, desiredHealthCheck, healthCheckDrift } from '../domain/health-check.ts';
import type { TargetGroup } from '../domain/model.ts';
import { activePause, breakerOpen, decode, KEY } from '../domain/state.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import { type Deps, foundBy, type Trigger } from './context.ts';
import { actorOf, recordRepairs } from './listeners.ts';
import type { Notifier } from './notify.ts';
import type { BindingResult } from './results.ts';

const TOPIC = 'health-check';

export interface HealthCheckContext {
  readonly deps: Deps;
  readonly binding: Binding;
  readonly state: BindingState;
  readonly notifier: Notifier;
  readonly trigger: Trigger;
  /** The target group as the caller already read it (undefined: read it here; null: it does not exist). */
  readonly group?: TargetGroup | null | undefined;
}

export async function reconcileHealthCheck(
  context: HealthCheckContext,
): Promise<BindingResult['healthCheck']> {
  const { deps, binding, state, notifier, trigger } = context;
  const desired = binding.healthCheck;
  if (!desired) return undefined;
  const group =
    context.group === undefined
      ? (await deps.elb.describeTargetGroups([binding.targetGroupArn]))[0]
      : context.group;
  if (!group) {
    await reportMissingTargetGroup(deps, binding, notifier, trigger);
    return { outcome: 'missing', drift: [] };
  }
  const drifts = healthCheckDrift(desired, group.healthCheck);
  if (drifts.length === 0) {
    await notifier.clearNotice(TOPIC);
    return { outcome: 'in-sync', drift: [] };
  }
  const now = deps.now();
  const drift = describeHealthCheckDrift(drifts);
  const fingerprint = hash(drift);
  const actor = trigger.type === 'event' ? trigger.actor : undefined;
  const base = {
    binding,
    now,
    mode: deps.config.mode,
    drift,
    actor,
    before: { ...group.healthCheck },
    foundBy: foundBy(trigger),
  };
  deps.telemetry.count(METRIC.driftDetected);
  deps.telemetry.log.warn('health check drift', { binding: binding.name, drift });

  const approvedBy = actor ? isApprovedActor(deps.config.approvedActors, actor) : undefined;
  const lastNotice = notifier.lastNotice(TOPIC);
  if (lastNotice?.accepted && lastNotice.fingerprint === fingerprint)
    return { outcome: 'paused', drift: [drift] };
  const pause = activePause(decode.pause(state.data(KEY.pause)), now);
  if (approvedBy || pause) {
    const reason = approvedBy
      ? `changed by an approved actor (${approvedBy})`
      : `the binding is paused by ${pause?.by}`;
    await notifier.notice(
      TOPIC,
      fingerprint,
      healthCheckDriftAlert({ ...base, outcome: 'reported', reportReason: reason }),
      {
        accepted: approvedBy !== undefined,
      },
    );
    return { outcome: 'paused', drift: [drift] };
  }
  if (deps.config.mode === 'dry-run') {
    await notifier.notice(TOPIC, fingerprint, healthCheckDriftAlert({ ...base, outcome: 'would-repair' }));
    return { outcome: 'would-repair', drift: [drift] };
  }
  const log = decode.repairs(state.data(KEY.repairs));
  if (breakerOpen(log, 'health-check', now, deps.config.circuitBreaker)) {
    await notifier.notice(
      `${TOPIC}:suspended`,
      fingerprint,
      repairFailedAlert({
        ...base,
        critical: true,
        headline: 'health check repairs suspended: something keeps changing it back',
        detail: `The health check of the target group was repaired ${deps.config.circuitBreaker.maxRepairs} times within ${deps.config.circuitBreaker.windowMinutes} min; the controller stops until the window has passed.`,
      }),
    );
    return { outcome: 'paused', drift: [drift] };
  }

  deps.telemetry.log.info('repairing', {
    binding: binding.name,
    step: 'modify-health-check',
    before: group.healthCheck,
    request: desiredHealthCheck(desired),
  });
  await deps.elb.modifyHealthCheck(binding.targetGroupArn, desiredHealthCheck(desired));
  deps.telemetry.log.info('repaired', { binding: binding.name, step: 'modify-health-check' });
  deps.telemetry.count(METRIC.driftRepaired);
  const entry = {
    at: now,
    listener: 'health-check' as const,
    fingerprint,
    summary: `health check: ${drift}`,
    actor: actor ? actorOf(actor) : undefined,
  };
  // The same log, and the same rules, as listener repairs: a write that cannot land never costs the alert.
  const first = await recordRepairs(deps, state, [entry], fingerprint).catch(() => true);
  if (first) await notifier.send(healthCheckDriftAlert({ ...base, outcome: 'repaired' }));
  return { outcome: 'repaired', drift: [drift] };
}

/**
 * A bound target group was deleted: the controller never recreates it (its ARN would change); it alerts,
 * as a registration failure when registering is what found it.
 */
export async function reportMissingTargetGroup(
  deps: Deps,
  binding: Binding,
  notifier: Notifier,
  trigger: Trigger,
  kind: 'RepairFailed' | 'RegistrationFailed' = 'RepairFailed',
): Promise<void> {
  const actor = trigger.type === 'event' ? trigger.actor : undefined;
  const alert = kind === 'RegistrationFailed' ? registrationFailedAlert : repairFailedAlert;
  await notifier.notice(
    'target-group-missing',
    'missing',
    alert({
      binding,
      now: deps.now(),
      mode: deps.config.mode,
      critical: true,
      headline: 'the bound target group no longer exists',
      detail: `Target group ${binding.targetGroupArn} does not exist any more. The controller does not recreate it (a new one gets a new ARN): recreate it (for example by redeploying the Edge stack) and update this binding's targetGroupArn.`,
      actor,
    }),
  );
}
