/**
 * Lambda `sweep`: the EventBridge schedule. With the deployment's sweep queue it is the scheduler: it queues
 * the bindings due this minute for the sweep workers. Without one (a local run) it sweeps every binding.
 */

import type { SweepQueue } from '../ports.ts';
import { sweepQueueFromEnv } from '../queue-deps.ts';
import type { Deps } from '../use-cases/context.ts';
import { sweepFleet } from '../use-cases/members.ts';
import type { InvocationResult } from '../use-cases/results.ts';
import { type ScheduleResult, scheduleSweeps } from '../use-cases/schedule.ts';
import { createObservability, eventHandler, lazyDeps, type Observability } from './runtime.ts';

export function createSweepHandler(
  observability: Observability,
  deps: () => Deps,
  queue: SweepQueue | undefined = undefined,
) {
  return eventHandler(
    'sweep',
    ['scheduled'],
    observability,
    deps,
    (deps, event): Promise<InvocationResult | ScheduleResult> => {
      if (!queue) return sweepFleet(deps, { eventId: event.id, trigger: { type: 'sweep' } });
      const at = Date.parse(event.time);
      return scheduleSweeps(deps, queue, { eventId: event.id, at: Number.isNaN(at) ? undefined : at });
    },
  );
}

const observability = createObservability('sweep');
export const handler = createSweepHandler(observability, lazyDeps(observability), sweepQueueFromEnv());
