/**
 * Runs one binding's work in isolation: its failure is recorded in its result and alerted, and never stops
 * the other bindings. Transient failures (throttling, 5xx after the SDK's retries) are collected so the
 * invocation can fail loudly at the end and be retried by Lambda/EventBridge.
 */

import { hubScope } from '../domain/accounts.ts';
import { registrationFailedAlert, repairFailedAlert } from '../domain/alert-kinds.ts';
import { renderAlert } from '../domain/alerts.ts';
import type { Actor } from '../domain/model.ts';
import { type Part, TOPIC } from '../domain/notices.ts';
import type { Binding } from '../domain/settings.ts';
import {
  AlertRefusedError,
  awsErrorCode,
  DriftRepairError,
  errorText,
  isAwsError,
  isTransient,
  WardenError,
} from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import { BindingState } from './binding-state.ts';
import type { Deps, Trigger } from './context.ts';
import { Notifier } from './notify.ts';
import { reportMissingTargetGroup } from './repair-parts.ts';
import { type BindingResult, newBindingResult } from './results.ts';

/** A part of the binding's work, or `state`: loading its records, which every part needs. */
export type Phase = Part | 'state';

export interface BindingWork {
  readonly state: BindingState;
  readonly notifier: Notifier;
  readonly result: BindingResult;
  /**
   * Runs one part of the binding's work on its own: its failure is recorded and alerted as that kind
   * (`phase`), and the binding's other parts still run (a refused listener repair must not stop alerting).
   */
  attempt(phase: Phase, work: () => Promise<void>): Promise<void>;
}

export async function runBinding(
  deps: Deps,
  binding: Binding,
  trigger: Trigger,
  work: (context: BindingWork) => Promise<void>,
): Promise<BindingResult> {
  const result = newBindingResult(binding.name);
  let notifier: Notifier | undefined;
  try {
    const state = await BindingState.load(deps.state, binding.name, deps.preview !== undefined);
    const ready = new Notifier(deps, state, result);
    notifier = ready;
    await ready.drainOutbox();
    const attempt = async (phase: Phase, part: () => Promise<void>) => {
      try {
        await part();
      } catch (error) {
        await recordFailure(deps, binding, trigger, result, phase, ready, error);
      }
    };
    await work({ state, notifier: ready, result, attempt });
    if (ready.failures.length > 0) {
      const refused = ready.failures.filter((failure) => failure instanceof AlertRefusedError);
      const [first] = refused.length > 0 ? refused : ready.failures;
      const message = ready.failures.map((failure) => failure.message).join('; ');
      result.status = 'failed';
      result.error = {
        message: result.error ? `${result.error.message}; ${message}` : message,
        transient: (result.error?.transient ?? false) || refused.length < ready.failures.length,
        code: result.error?.code ?? awsErrorCode(first),
        alertsRefused: refused.length > 0,
      };
    }
  } catch (error) {
    await recordFailure(deps, binding, trigger, result, 'state', notifier, error);
  }
  return result;
}

/** Records and alerts a binding's failure that happened outside `runBinding` (the instance-event path). */
export async function failBinding(
  deps: Deps,
  binding: Binding,
  trigger: Trigger,
  phase: Phase,
  error: unknown,
): Promise<BindingResult> {
  const result = newBindingResult(binding.name);
  let notifier: Notifier | undefined;
  if (!isTransient(error)) {
    try {
      notifier = new Notifier(deps, await BindingState.load(deps.state, binding.name), result);
    } catch {
      notifier = undefined;
    }
  }
  await recordFailure(deps, binding, trigger, result, phase, notifier, error);
  return result;
}

async function recordFailure(
  deps: Deps,
  binding: Binding,
  trigger: Trigger,
  result: BindingResult,
  phase: Phase,
  notifier: Notifier | undefined,
  error: unknown,
): Promise<void> {
  const code = awsErrorCode(error);
  const transient = isTransient(error);
  const message = errorText(error);
  result.status = 'failed';
  // The first transient failure wins: it is what makes the invocation fail and be retried.
  if (!result.error?.transient) result.error = { code, message, transient };
  deps.telemetry.count(METRIC.bindingFailures);
  deps.telemetry.log.error('binding failed', {
    binding: binding.name,
    phase,
    code,
    transient,
    error: message,
    bug: !(error instanceof WardenError),
  });
  if (transient) return; // retried by the invocation's retry; alerting every throttle would be noise
  if (error instanceof DriftRepairError) return; // the repair alerted its own failure, with the details

  const actor = trigger.type === 'event' ? trigger.actor : undefined;
  if (notifier && isAwsError(error, 'TargetGroupNotFound')) {
    const kind = phase === 'registration' ? 'RegistrationFailed' : 'RepairFailed';
    await reportMissingTargetGroup({ deps, binding, notifier, trigger }, kind);
    return;
  }
  const alert = failureAlert(deps, binding, phase, actor, { code, message });
  if (notifier) {
    await notifier.notice(TOPIC.failure(phase), code ?? message.slice(0, 64), alert);
    return;
  }
  // No state table: no way to deduplicate, so send directly rather than stay silent.
  try {
    await deps.alerts.publish(
      deps.config.alerts.topicArn,
      renderAlert(alert, { home: hubScope(deps.config) }),
    );
    result.alerts.push(alert.kind);
  } catch (publishError) {
    deps.telemetry.log.error('failure alert not sent', {
      binding: binding.name,
      error: errorText(publishError),
    });
  }
}

/** Thrown at the end of an invocation in which some binding failed transiently, so it is retried. */
export class InvocationIncompleteError extends WardenError {
  readonly results: readonly BindingResult[];

  constructor(results: readonly BindingResult[]) {
    const failed = results.filter((result) => result.error?.transient);
    super(
      `${failed.length} binding(s) failed transiently and will be retried: ${failed.map((result) => `${result.binding} (${result.error?.message})`).join('; ')}`,
    );
    this.results = results;
  }
}

/**
 * Thrown at the end of an invocation in which SNS refused alerts for good (topic deleted, KMS key unusable,
 * no permission): not transient, but the function must fail so its Errors alarm reaches a person.
 */
export class AlertsRefusedError extends WardenError {
  readonly results: readonly BindingResult[];

  constructor(results: readonly BindingResult[]) {
    const refused = results.filter((result) => result.error?.alertsRefused);
    super(
      `SNS refused the alerts of ${refused.length} binding(s); fix the alert topic: ${refused.map((result) => `${result.binding} (${result.error?.message})`).join('; ')}`,
    );
    this.results = results;
  }
}

/** Fails the invocation when some binding failed transiently (retried) or its alerts were refused (alarmed). */
export function throwIfFailed(results: readonly BindingResult[]): void {
  if (results.some((result) => result.error?.alertsRefused)) throw new AlertsRefusedError(results);
  if (results.some((result) => result.error?.transient)) throw new InvocationIncompleteError(results);
}

const PART_LABEL: Record<Phase, string> = {
  listeners: 'listener repair',
  'health-check': 'health check repair',
  registration: 'registration',
  health: 'target health check-up',
  state: 'state',
};

/** A part that failed, alerted as its own kind: only a listener failure can leave the site unserved. */
function failureAlert(
  deps: Deps,
  binding: Binding,
  phase: Phase,
  actor: Actor | undefined,
  error: { code?: string | undefined; message: string },
) {
  const base = {
    binding,
    now: deps.now(),
    mode: deps.config.mode,
    actor,
    error,
    critical: phase === 'listeners',
  };
  const headline = `${PART_LABEL[phase]} failed: ${error.code ?? 'error'}`;
  if (phase === 'registration')
    return registrationFailedAlert({
      ...base,
      headline,
      detail: `Registering or deregistering targets of ${binding.name} failed.`,
    });
  return repairFailedAlert({
    ...base,
    headline,
    detail: `The controller could not finish its ${PART_LABEL[phase]} on ${binding.name}.`,
  });
}
