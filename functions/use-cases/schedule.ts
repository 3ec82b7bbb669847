/**
 * The scheduled sweep as a scheduler: it picks the bindings due this minute (domain/sweep-schedule.ts) and
 * queues them for the sweep workers. O(bindings) arithmetic and one SendMessageBatch per 10 messages; no AWS
 * read, so its duration does not grow with the fleet's AWS state.
 */
import { planSchedule } from '../domain/sweep-schedule.ts';
import type { SweepQueue } from '../ports.ts';
import { METRIC } from '../telemetry.ts';
import type { Deps } from './context.ts';

export interface ScheduleResult {
  readonly function: 'sweep';
  readonly eventId?: string | undefined;
  readonly mode: Deps['config']['mode'];
  /** Every binding is swept once in this many minutes. */
  readonly intervalMinutes: number;
  readonly bindings: number;
  readonly due: readonly string[];
  readonly messages: number;
}

export async function scheduleSweeps(
  deps: Deps,
  queue: SweepQueue,
  options: { readonly eventId?: string | undefined; readonly at?: number | undefined } = {},
): Promise<ScheduleResult> {
  const { config, telemetry } = deps;
  const names = config.bindings.map((binding) => binding.name);
  // The schedule's own time, when the event carries it: a late or retried run still serves its minute.
  const plan = planSchedule(names, config.limits, options.at ?? deps.now());
  telemetry.log.info('sweep schedule', {
    intervalMinutes: plan.intervalMinutes,
    minute: plan.minute,
    bindings: names.length,
    due: plan.due.length,
    messages: plan.groups.length,
  });
  telemetry.count(METRIC.sweepIntervalMinutes, plan.intervalMinutes);
  telemetry.count(METRIC.sweepBindingsDue, plan.due.length);
  await queue.send(plan.groups);
  return {
    function: 'sweep',
    eventId: options.eventId,
    mode: config.mode,
    intervalMinutes: plan.intervalMinutes,
    bindings: names.length,
    due: plan.due,
    messages: plan.groups.length,
  };
}
