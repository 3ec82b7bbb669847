/**
 * Turns what EventBridge delivered and what the functions answered into timeline entries: one line per
 * decision, in the words an on-call engineer uses. This is the story's narration only; whether a step
 * reached its state is decided by the checks.
 */
import { wouldDo } from '../functions/domain/alert-kinds.ts';
import type { BindingResult, InvocationResult } from '../functions/use-cases/results.ts';
import type { Delivery, Invocation } from './controller.ts';
import type { Timeline } from './timeline.ts';

type Result = InvocationResult & { readonly decision?: string };

/** `arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim` → `jiwoo.kim (AdministratorAccess)`. */
export function shortActor(arn: string): string {
  const role = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (role) return `${role[2]} (${role[1]})`;
  return arn.split(/[:/]/).pop() ?? arn;
}

export function narrateDelivery(timeline: Timeline, delivery: Delivery): void {
  const isPending = (invocation: Invocation) =>
    invocation.function === 'register' &&
    (invocation.result as Result | undefined)?.ignored !== undefined &&
    eventState(invocation) === 'pending';
  const pending = delivery.invocations.filter(isPending).map(instanceOf);
  if (pending.length > 0)
    timeline.note('register', `${pending.join(', ')} pending: nothing to do yet (the running event follows)`);
  for (const invocation of delivery.invocations)
    if (!isPending(invocation)) narrateInvocation(timeline, invocation);
  const reasons = new Map<string, number>();
  for (const { reason } of delivery.dropped) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  for (const [reason, count] of reasons)
    timeline.note('eventbridge', `not delivered${count > 1 ? ` (×${count})` : ''}: ${reason}`);
}

export function narrateInvocation(timeline: Timeline, invocation: Invocation): void {
  const source = invocation.function;
  if (invocation.error) {
    timeline.note(source, `failed: ${invocation.error} (EventBridge would retry)`);
    return;
  }
  const result = invocation.result as Result | undefined;
  if (!result) return;
  if (result.ignored) {
    timeline.note(source, `${trigger(invocation)}: ignored (${result.ignored})`);
    return;
  }
  if (source === 'register') {
    const outcomes = result.bindings.map((binding) => instanceOutcome(binding, result.mode)).filter(Boolean);
    timeline.note(
      source,
      `${instanceOf(invocation)} ${eventState(invocation)} → ${outcomes.join('; ') || result.decision || 'no change'}`,
    );
    return;
  }
  for (const binding of result.bindings) {
    const parts = [
      listenerLine(binding, result.mode, source === 'sweep'),
      registrationLine(binding, result.mode),
      healthLine(binding),
      binding.alerts.length > 0 ? `alerted: ${binding.alerts.join(', ')}` : '',
      binding.error ? `error: ${binding.error.message}` : '',
    ].filter(Boolean);
    timeline.note(
      source,
      `${trigger(invocation)} → ${binding.binding}: ${parts.join('; ') || 'nothing to do'}`,
    );
  }
}

function trigger(invocation: Invocation): string {
  const { event } = invocation;
  if (event['detail-type'] === 'Scheduled Event') return 'scheduled sweep';
  if (event['detail-type'] === 'AWS API Call via CloudTrail') {
    const identity = event.detail.userIdentity as { arn?: string } | undefined;
    return `${String(event.detail.eventName)} by ${shortActor(identity?.arn ?? 'unknown')}`;
  }
  return `${instanceOf(invocation)} ${eventState(invocation)}`;
}

function instanceOf(invocation: Invocation): string {
  return String(invocation.event.detail['instance-id'] ?? '?');
}

function eventState(invocation: Invocation): string {
  return String(invocation.event.detail.state ?? '?');
}

function listenerLine(binding: BindingResult, mode: Result['mode'], brief: boolean): string {
  const listeners = binding.listeners;
  if (!listeners) return '';
  if (listeners.outcome === 'in-sync') return 'listeners in sync';
  // A dry-run sweep finds the same drift every time; the guard's line already told it in full.
  if (brief && listeners.outcome === 'would-repair')
    return `listeners: ${listeners.drift.length} drift(s), would repair (${mode}, already alerted)`;
  const drift = listeners.drift.join('; ');
  const steps = listeners.steps.join('; ');
  switch (listeners.outcome) {
    case 'repaired':
      return `drift (${drift}) → ${steps}${listeners.verified ? ', verified' : ''}`;
    case 'would-repair':
      return `drift (${drift}) → ${listeners.steps.map(wouldDo).join('; ')} (${mode})`;
    default:
      return `drift (${drift}) → ${listeners.outcome}`;
  }
}

function registrationLine(binding: BindingResult, mode: Result['mode']): string {
  const registration = binding.registration;
  if (!registration) return '';
  const verb = registration.applied ? '' : 'would ';
  const group = 'the target group';
  const parts = [
    registration.register.length > 0 ? `${verb}register ${registration.register.join(', ')} in ${group}` : '',
    registration.deregister.length > 0
      ? `${verb}deregister ${registration.deregister.join(', ')} from ${group}`
      : '',
    registration.withheld ? `withheld: ${registration.withheld}` : '',
    registration.rejected.length > 0 ? `refused by AWS: ${registration.rejected.join(', ')}` : '',
  ].filter(Boolean);
  if (parts.length === 0) return binding.listeners || binding.health ? '' : 'no change';
  return `${parts.join('; ')}${registration.applied || mode === 'enforce' ? '' : ` (${mode})`}`;
}

/** One instance event's outcome for one binding: "registered in web's target group". */
function instanceOutcome(binding: BindingResult, mode: Result['mode']): string {
  const registration = binding.registration;
  if (binding.error) return `${binding.binding}: failed: ${binding.error.message}`;
  if (!registration) return '';
  if (registration.register.length > 0)
    return registration.applied
      ? `registered in ${binding.binding}'s target group`
      : `would register in ${binding.binding}'s target group (${mode})`;
  if (registration.deregister.length > 0)
    return registration.applied
      ? `deregistered from ${binding.binding}'s target group`
      : `would deregister from ${binding.binding}'s target group (${mode})`;
  if (registration.rejected.length > 0) return `refused by AWS: ${registration.rejected.join(', ')}`;
  return `${binding.binding}: nothing to do`;
}

function healthLine(binding: BindingResult): string {
  const health = binding.health;
  if (!health) return '';
  const unhealthy = health.unhealthy.map((entry) =>
    `${entry.target} ${entry.state} ${entry.reason ?? ''}`.trim(),
  );
  return `${health.healthy}/${health.registered} healthy${unhealthy.length > 0 ? ` (${unhealthy.join(', ')})` : ''}`;
}
