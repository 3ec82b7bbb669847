/**
 * Figure 2 and the event paths: what one event costs. A person turns a binding's 301 redirect into a 302
 * and the guard repairs it from the CloudTrail event; an instance launches and the register function
 * registers it from its `running` event; it terminates and the register function handles `terminated`.
 * The simulator adds `latencyMs` to every AWS call, so wall time shows how many calls are made one after
 * another, not CPU. The controller is warm (clients built, modules loaded), as on a second invocation.
 */
import { parseEvent } from '../functions/domain/events.ts';
import type { Deps } from '../functions/use-cases/context.ts';
import { handleApiCall } from '../functions/use-cases/guard.ts';
import { handleInstanceState } from '../functions/use-cases/register.ts';
import type { InvocationResult } from '../functions/use-cases/results.ts';
import { type CallCounts, totalCalls } from './calls.ts';
import { driftEvent, launchEvent, terminateEvent } from './events.ts';
import { refill } from './limits.ts';
import { median, round } from './stats.ts';
import type { World } from './world.ts';

export interface EventCost {
  readonly apiCalls: number;
  readonly elbCalls: number;
  readonly calls: CallCounts;
  /** Median wall time with the injected latency. */
  readonly wallMs: number;
  readonly runs: number;
}

export interface EventFigures {
  readonly latencyMs: number;
  /** The controller's rate limiter share in this run. */
  readonly apiShare: number;
  readonly repair: EventCost;
  readonly register: EventCost;
  readonly deregister: EventCost;
}

async function handle(deps: Deps, raw: unknown): Promise<InvocationResult> {
  const event = parseEvent(raw);
  if (event.type === 'api-call') return handleApiCall(deps, event);
  if (event.type === 'instance-state') return handleInstanceState(deps, event);
  throw new Error(`not an event path: ${event.type}`);
}

/**
 * Runs `make` (outside the count) then handles its event (counted) `runs` times, each from full rate
 * limiter buckets, as a rare event finds them.
 */
async function measure(
  world: World,
  deps: Deps,
  runs: number,
  make: () => Promise<unknown>,
  check: (result: InvocationResult) => boolean,
): Promise<EventCost> {
  const samples: { calls: CallCounts; wallMs: number }[] = [];
  for (let run = 0; run < runs; run++) {
    const event = await make();
    await refill(samples.at(-1)?.calls ?? world.lastCalls(), deps.config.limits.apiShare);
    const { result, calls, wallMs } = await world.counted(() => handle(deps, event));
    if (!check(result))
      throw new Error(`the event was not handled as the figure needs: ${JSON.stringify(result)}`);
    samples.push({ calls, wallMs });
  }
  // Every run makes the same calls; the most expensive one is reported, to be safe.
  const calls = samples.map((sample) => sample.calls).sort((a, b) => totalCalls(b) - totalCalls(a))[0];
  if (!calls) throw new Error('no runs');
  return {
    apiCalls: totalCalls(calls),
    elbCalls: totalCalls(calls, 'elbv2'),
    calls,
    wallMs: round(median(samples.map((sample) => sample.wallMs))),
    runs,
  };
}

type BindingOutcome = { listeners?: { outcome?: string }; registration?: { register?: string[] } };
const firstBinding = (result: InvocationResult) => result.bindings[0] as BindingOutcome | undefined;

export async function measureEvents(world: World, runs: number, latencyMs = 20): Promise<EventFigures> {
  const [binding] = world.bindings;
  if (!binding) throw new Error('the event world needs a binding');
  const deps = world.deps();
  const launched: string[] = [];
  const repair = (runs: number) =>
    measure(
      world,
      deps,
      runs,
      () => driftEvent(world, binding),
      (result) => firstBinding(result)?.listeners?.outcome === 'repaired',
    );
  const register = (runs: number) =>
    measure(
      world,
      deps,
      runs,
      async () => {
        const { id, event } = await launchEvent(world, binding);
        launched.push(id);
        return event;
      },
      (result) => firstBinding(result)?.registration?.register?.length === 1,
    );
  const deregister = (runs: number) =>
    measure(
      world,
      deps,
      runs,
      () => terminateEvent(world, launched.shift() ?? ''),
      (result) => (result as { decision?: string }).decision?.startsWith('deregister') === true,
    );

  // A first pass without latency warms the controller (modules, clients, connections).
  await repair(1);
  await register(1);
  await deregister(1);
  await world.control.faults({ latencyMs });
  try {
    return {
      latencyMs,
      apiShare: deps.config.limits.apiShare,
      repair: await repair(runs),
      register: await register(runs),
      deregister: await deregister(runs),
    };
  } finally {
    await world.control.faults({ latencyMs: 0 });
  }
}
