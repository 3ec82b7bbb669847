/** The two repairable parts of a binding: observe → plan (pure) → execute. */
import { registrationFailedAlert, repairFailedAlert } from '../domain/alert-kinds.ts';
import type { ObservedListeners } from '../domain/listeners.ts';
import type { TargetGroup } from '../domain/model.ts';
import { TOPIC } from '../domain/notices.ts';
import { planHealthCheckRepair, planListenerRepair } from '../domain/repair-plan.ts';
import { actorOf } from '../domain/trigger.ts';
import type { Deps } from './context.ts';
import type { Notifier } from './notify.ts';
import { executeRepair, observeListeners, planInput, type RepairContext } from './repair.ts';
import type { RepairResult } from './results.ts';

export async function reconcileListeners(
  context: RepairContext,
  observed?: ObservedListeners,
): Promise<RepairResult> {
  const seen = observed ?? (await observeListeners(context.deps, context.binding));
  return executeRepair(context, planListenerRepair(planInput(context), seen));
}

/**
 * Keeps the target group's health check as configured (bindings that configure one). `group` is the target
 * group as the caller already read it (undefined: read it here; null: it does not exist).
 */
export async function reconcileHealthCheck(
  context: RepairContext,
  group?: TargetGroup | null,
): Promise<RepairResult | undefined> {
  const { deps, binding } = context;
  if (!binding.healthCheck) return undefined;
  const found =
    group === undefined ? (await deps.elb.describeTargetGroups([binding.targetGroupArn]))[0] : group;
  if (!found) {
    await reportMissingTargetGroup(context, 'RepairFailed');
    return { outcome: 'missing', drift: [], steps: [], blocked: [] };
  }
  const plan = planHealthCheckRepair(planInput(context), found);
  return plan && executeRepair(context, plan);
}

/**
 * A bound target group was deleted: the controller never recreates it (its ARN would change); it alerts,
 * as a registration failure when registering is what found it.
 */
export async function reportMissingTargetGroup(
  context: {
    readonly deps: Deps;
    readonly binding: RepairContext['binding'];
    readonly notifier: Notifier;
    readonly trigger: RepairContext['trigger'];
  },
  kind: 'RepairFailed' | 'RegistrationFailed',
): Promise<void> {
  const { deps, binding, notifier, trigger } = context;
  const alert = kind === 'RegistrationFailed' ? registrationFailedAlert : repairFailedAlert;
  await notifier.notice(
    TOPIC.targetGroupMissing,
    'missing',
    alert({
      binding,
      now: deps.now(),
      mode: deps.config.mode,
      critical: true,
      headline: 'the bound target group no longer exists',
      detail: `Target group ${binding.targetGroupArn} does not exist any more. The controller does not recreate it (a new one gets a new ARN): recreate it (for example by redeploying the Edge stack) and update this binding's targetGroupArn.`,
      actor: actorOf(trigger),
    }),
  );
}
