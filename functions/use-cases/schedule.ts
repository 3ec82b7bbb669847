/**
 * The scheduled sweep as a scheduler: it picks the bindings due this minute (domain/sweep-schedule.ts) and
 * queues them for the sweep workers. O(bindings) arithmetic and one SendMessageBatch per 10 messages; no ELB
 * or EC2 read (discovery by tag, when configured, reads the tagging API), so its duration does not grow with
 * the fleet's AWS state.
 */
import { planSchedule } from '../domain/sweep-schedule.ts';
import type { SweepQueue } from '../ports.ts';
import { METRIC } from '../telemetry.ts';
import type { Deps } from './context.ts';
import type { DiscoverySummary } from './discovery.ts';
import { discoverEverywhere } from './member-discovery.ts';
import { discoveryFailure } from './sweep.ts';

export interface ScheduleResult {
  readonly function: 'sweep';
  readonly eventId?: string | undefined;
  readonly mode: Deps['config']['mode'];
  /** Every binding is swept once in this many minutes. */
  readonly intervalMinutes: number;
  readonly bindings: number;
  readonly due: readonly string[];
  readonly messages: number;
  readonly discovery?: DiscoverySummary | undefined;
}

export async function scheduleSweeps(
  given: Deps,
  queue: SweepQueue,
  options: { readonly eventId?: string | undefined; readonly at?: number | undefined } = {},
): Promise<ScheduleResult> {
  // Discovery by tag is the scheduler's (one GetResources pass a minute in each account and region it
  // discovers in, no ELB call): it records the sets the workers and the event handlers read, and alerts tag
  // problems once.
  const { deps, summary, failure } = await discoverEverywhere(given);
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
  // The bindings known were queued; the run still fails so the failed discovery is retried and seen.
  if (failure !== undefined) throw discoveryFailure(failure);
  return {
    function: 'sweep',
    eventId: options.eventId,
    mode: config.mode,
    intervalMinutes: plan.intervalMinutes,
    bindings: names.length,
    due: plan.due,
    messages: plan.groups.length,
    ...(summary ? { discovery: summary } : {}),
  };
}
