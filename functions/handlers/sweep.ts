/** Lambda `sweep`: the EventBridge schedule; the safety net that brings every binding to its desired state. */
import type { Deps } from '../use-cases/context.ts';
import { sweepFleet } from '../use-cases/fleet.ts';
import { createObservability, eventHandler, lazyDeps, type Observability } from './runtime.ts';

export function createSweepHandler(observability: Observability, deps: () => Deps) {
  return eventHandler('sweep', ['scheduled'], observability, deps, (deps, event) =>
    sweepFleet(deps, { eventId: event.id, trigger: { type: 'sweep' } }),
  );
}

const observability = createObservability('sweep');
export const handler = createSweepHandler(observability, lazyDeps(observability));
