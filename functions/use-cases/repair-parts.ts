/** The two repairable parts of a binding: observe → plan (pure) → execute. */
import { registrationFailedAlert, repairFailedAlert } from '../domain/alert-kinds.ts';
import { findListeners, type ObservedListeners } from '../domain/listeners.ts';
import type { Listener, TargetGroup } from '../domain/model.ts';
import { TOPIC } from '../domain/notices.ts';
import { planHealthCheckRepair, planListenerRepair } from '../domain/repair-plan.ts';
import { decode, type HttpsSeen, KEY } from '../domain/state.ts';
import { actorOf } from '../domain/trigger.ts';
import { errorText } from '../errors.ts';
import type { Deps } from './context.ts';
import { executePart } from './execute.ts';
import { attributeFromHistory } from './history.ts';
import type { Notifier } from './notify.ts';
import { observeListeners, planInput, type RepairContext } from './repair.ts';
import type { RepairResult } from './results.ts';

export async function reconcileListeners(
  context: RepairContext,
  observed?: ObservedListeners,
): Promise<RepairResult> {
  const current = observed ?? (await observeListeners(context.deps, context.binding));
  const httpsSeen = decode.httpsSeen(context.state.data(KEY.httpsSeen));
  const httpsSni = await sniIfRecreated(context, current.listeners, httpsSeen);
  const observedAll = { ...current, httpsSeen, httpsSni };
  const input = planInput(context);
  let plan = planListenerRepair(input, observedAll);
  // Drift waiting for its event: CloudTrail's event history may already say who made it.
  if (plan.outcome === 'waiting') {
    const history = await attributeFromHistory(context, plan, observedAll);
    if (history) plan = planListenerRepair({ ...input, history }, observedAll);
  }
  const { result, after } = await executePart(context, plan);
  // After a repair, what it left is what to remember (a recreated HTTPS listener has a new ARN).
  const seen = after?.subject.part === 'listeners' ? after.subject.observed.listeners : current.listeners;
  await rememberHttps(context, seen, httpsSeen);
  return result;
}

/**
 * The SNI certificates of an HTTPS listener that is not the one remembered, when the one remembered had some:
 * a recreation (ours cut short, or someone's) must not leave them behind. No call otherwise.
 */
async function sniIfRecreated(
  context: RepairContext,
  listeners: readonly Listener[],
  seen: HttpsSeen | undefined,
): Promise<string[] | undefined> {
  const https = findListeners(context.binding, listeners).https;
  if (!https || !seen || seen.arn === https.arn || seen.sniCertificateArns.length === 0) return undefined;
  return context.deps.elb.listCertificates(https.arn);
}

/**
 * Remembers the HTTPS listener as seen, so a recreation after a deletion is never weaker. Sweeps remember it
 * (the event path stays as short as it can be), only when it changed (the SNI list is read then too): a
 * converged sweep makes no call for it. Best effort: a failure here costs only the memory, never the repair.
 */
async function rememberHttps(
  context: RepairContext,
  listeners: readonly Listener[],
  stored: HttpsSeen | undefined,
): Promise<void> {
  const { deps, binding, state } = context;
  if (context.trigger.type === 'event') return;
  const https = findListeners(binding, listeners).https;
  if (https?.protocol !== 'HTTPS') return;
  const shape = {
    arn: https.arn,
    sslPolicy: https.sslPolicy,
    mutualAuthentication: https.mutualAuthentication,
    defaultActions: https.defaultActions,
  };
  if (
    stored &&
    JSON.stringify({ ...stored, sniCertificateArns: undefined }) ===
      JSON.stringify({ ...shape, sniCertificateArns: undefined })
  )
    return;
  try {
    const sniCertificateArns = await deps.elb.listCertificates(https.arn);
    await state.save(KEY.httpsSeen, { ...shape, sniCertificateArns } satisfies HttpsSeen);
  } catch (error) {
    deps.telemetry.log.warn('could not remember the HTTPS listener', {
      binding: binding.name,
      error: errorText(error),
    });
  }
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
  return plan && (await executePart(context, plan)).result;
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
