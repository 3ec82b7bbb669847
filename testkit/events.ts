/**
 * EventBridge between the simulator and the controller: the events the simulator records (CloudTrail API
 * calls, EC2 state changes) go to the function whose deployed rule matches them, with the very patterns the
 * Warden stack deploys (infra/event-patterns.ts) and EventBridge's matching (sim/event-pattern.ts).
 */
import { parseEvent } from '../functions/domain/events.ts';
import type { Deps } from '../functions/use-cases/context.ts';
import { handleApiCall } from '../functions/use-cases/guard.ts';
import { handleInstanceState } from '../functions/use-cases/register.ts';
import type { InvocationResult } from '../functions/use-cases/results.ts';
import { eventRules, type RuleTarget } from '../infra/event-patterns.ts';
import type { SimControl, SimEvent } from '../sim/control.ts';
import { failingFields } from '../sim/event-pattern.ts';

export type { RuleTarget } from '../infra/event-patterns.ts';

export type Route = { readonly target: RuleTarget } | { readonly reason: string };

/** Where EventBridge sends `event`, or why no rule delivers it. */
export function routeEvent(event: SimEvent, controllerRoleArn: string): Route {
  const rules = eventRules([controllerRoleArn]).map((rule) => ({
    ...rule,
    failing: failingFields(rule.pattern, event),
  }));
  const matched = rules.find((rule) => rule.failing.length === 0);
  if (matched) return { target: matched.target };
  const sameKind = rules.find(
    (rule) => !rule.failing.some((field) => field === 'source' || field === 'detail-type'),
  );
  if (!sameKind) return { reason: `no rule matches ${event.source} "${event['detail-type']}"` };
  return { reason: dropReason(sameKind.target, sameKind.failing[0] ?? '', event.detail) };
}

function dropReason(target: RuleTarget, field: string, detail: SimEvent['detail']): string {
  if (target === 'register') return `instance state ${String(detail.state)} is not in the rule's pattern`;
  const name = String(detail.eventName);
  if (field === 'detail.eventName') return `${name} is not a call the guard watches`;
  if (field === 'detail.errorCode') return `${name} failed (${String(detail.errorCode)})`;
  if (field === 'detail.$or') return `${name} by the controller's own role: the rule drops it (no loops)`;
  return `${name} does not match the rule's ${field}`;
}

export interface Dropped {
  readonly event: SimEvent;
  readonly reason: string;
}

/** The simulator's event record, read from a cursor. */
export class EventFeed {
  readonly #control: SimControl;
  #cursor: number;

  private constructor(control: SimControl, cursor: number) {
    this.#control = control;
    this.#cursor = cursor;
  }

  /** A feed of the events recorded from now on. */
  static async open(control: SimControl): Promise<EventFeed> {
    return new EventFeed(control, (await control.events(0)).cursor);
  }

  /** Events recorded since the cursor, which moves past them. */
  async take(): Promise<SimEvent[]> {
    const batch = await this.#control.events(this.#cursor);
    this.#cursor = batch.cursor;
    return batch.events;
  }

  /** Events recorded since the cursor, which stays. */
  async peek(): Promise<SimEvent[]> {
    return (await this.#control.events(this.#cursor)).events;
  }

  /**
   * Delivers the events recorded since the cursor to `invoke`, as EventBridge's rules route them, until the
   * world is quiet: what the functions do is recorded too (and their own calls dropped by the guard's rule).
   * `invoke` returning undefined delivered nothing worth keeping.
   */
  async deliver<T>(
    controllerRoleArn: string,
    invoke: (target: RuleTarget, event: SimEvent) => Promise<T | undefined>,
  ): Promise<{ delivered: T[]; dropped: Dropped[] }> {
    const delivered: T[] = [];
    const dropped: Dropped[] = [];
    for (let round = 0; round < 10; round++) {
      const events = await this.take();
      if (events.length === 0) break;
      for (const event of events) {
        const route = routeEvent(event, controllerRoleArn);
        if ('reason' in route) dropped.push({ event, reason: route.reason });
        else {
          const result = await invoke(route.target, event);
          if (result !== undefined) delivered.push(result);
        }
      }
    }
    return { delivered, dropped };
  }
}

/** Runs the use-case each function's handler runs, in this process, on a delivered event. */
export function useCases(deps: Deps) {
  return async (target: RuleTarget, raw: SimEvent): Promise<InvocationResult | undefined> => {
    const event = parseEvent(raw);
    if (target === 'register' && (event.type === 'instance-state' || event.type === 'spot-interruption'))
      return handleInstanceState(deps, event);
    if (target === 'guard' && event.type === 'api-call') return handleApiCall(deps, event);
    return undefined;
  };
}
