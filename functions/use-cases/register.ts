/**
 * The register function: an EC2 instance changed state (its current state decides what happens), or EC2
 * warned that it interrupts a Spot Instance in two minutes.
 */
import type { ParsedEvent } from '../domain/events.ts';
import { ignoredBeforeLookup } from '../domain/instance-event-plan.ts';
import type { InstanceEventClaim } from '../domain/registration.ts';
import type { Binding } from '../domain/settings.ts';
import { failBinding, throwIfFailed } from './binding-run.ts';
import type { BindingState } from './binding-state.ts';
import type { Deps } from './context.ts';
import { withRecordedDiscovery } from './discovery.ts';
import { handleInstanceEvent } from './instance-event.ts';
import { Notifier } from './notify.ts';
import { type BindingResult, type InvocationResult, newBindingResult } from './results.ts';

export async function handleInstanceState(
  given: Deps,
  event: Extract<ParsedEvent, { type: 'instance-state' | 'spot-interruption' }>,
): Promise<InvocationResult & { decision: string }> {
  const deps = await withRecordedDiscovery(given);
  const { config, telemetry } = deps;
  const ignored = ignoredBeforeLookup(config.bindings, {
    account: event.account,
    region: event.region,
    state: event.type === 'instance-state' ? event.state : undefined,
  });
  if (ignored !== undefined) {
    telemetry.log.info('event ignored', { instanceId: event.instanceId, reason: ignored });
    return {
      function: 'register',
      eventId: event.id,
      mode: config.mode,
      decision: ignored,
      ignored,
      bindings: [],
    };
  }
  const alerted = new Map<string, BindingResult>();
  // A DescribeInstances failure concerns no binding in particular: it is thrown, so the event is retried; so
  // is a young running event whose instance EC2 does not return yet.
  const notifierFor = (binding: Binding, state: BindingState) => {
    const result = newBindingResult(binding.name);
    alerted.set(binding.name, result);
    return new Notifier(deps, state, result);
  };
  const { decision, outcomes } = await handleInstanceEvent(
    deps,
    event.instanceId,
    event.type === 'spot-interruption'
      ? { type: 'spot-interruption' }
      : { type: 'state-change', claim: claimOf(deps, event) },
    notifierFor,
  );
  telemetry.log.info('instance event handled', {
    instanceId: event.instanceId,
    eventState: event.type === 'spot-interruption' ? `spot ${event.instanceAction}` : event.state,
    decision,
    outcomes: outcomes.map(({ binding, action, detail }) => ({ binding, action, detail })),
  });
  const trigger = { type: 'event' as const, eventId: event.id };
  const bindings = await Promise.all(
    outcomes.map(async (entry) => {
      const binding = config.bindings.find((candidate) => candidate.name === entry.binding);
      if (entry.action === 'failed' && binding)
        return failBinding(deps, binding, trigger, 'registration', entry.error);
      const result = alerted.get(entry.binding) ?? newBindingResult(entry.binding);
      const id = event.instanceId;
      result.registration = {
        applied: config.mode === 'enforce',
        ...(entry.decision ? { decision: entry.decision } : {}),
        register: entry.action === 'registered' || entry.action === 'would-register' ? [id] : [],
        deregister: entry.action === 'deregistered' || entry.action === 'would-deregister' ? [id] : [],
        unchanged:
          entry.action === 'already-registered' ||
          entry.action === 'not-registered' ||
          entry.action === 'other-vpc'
            ? 1
            : 0,
        foreign: [],
        rejected: entry.action === 'rejected' ? [`${id}: ${entry.detail ?? ''}`] : [],
        ...(entry.action === 'co-owned' ? { coOwned: { count: 1, groups: [entry.detail ?? ''] } } : {}),
      };
      return result;
    }),
  );
  throwIfFailed(bindings);
  return { function: 'register', eventId: event.id, mode: config.mode, decision, bindings };
}

/** What a state-change event claims, and how old it is. */
function claimOf(deps: Deps, event: Extract<ParsedEvent, { type: 'instance-state' }>): InstanceEventClaim {
  const time = event.time === undefined ? Number.NaN : Date.parse(event.time);
  return { state: event.state, ageMs: Number.isNaN(time) ? undefined : deps.now() - time };
}
