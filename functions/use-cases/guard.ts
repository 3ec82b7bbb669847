/**
 * The guard: a CloudTrail ELB API call is a hint that something changed. The event is mapped to bindings
 * through its ARNs (no AWS call for load balancers we do not guard), then the current state is re-read and
 * reconciled: the event only decides where to look and who to name.
 */
import { type ApiCallRoute, type ParsedEvent, routeApiCall, targetsIn, touchedBy } from '../domain/events.ts';
import { runBinding, throwIfFailed } from './binding-run.ts';
import { type Deps, mapLimit, type Trigger } from './context.ts';
import { withRecordedDiscovery } from './discovery.ts';
import { reconcileRegistration } from './execute.ts';
import { holdForService } from './registration.ts';
import { reconcileHealthCheck, reconcileListeners, reportMissingTargetGroup } from './repair-parts.ts';
import type { InvocationResult } from './results.ts';

export async function handleApiCall(
  given: Deps,
  event: Extract<ParsedEvent, { type: 'api-call' }>,
): Promise<InvocationResult> {
  const deps = await withRecordedDiscovery(given);
  const { config, telemetry } = deps;
  const route = routeApiCall(config, event);
  if (route.action === 'ignore') {
    telemetry.log.info('event ignored', { eventName: event.eventName, reason: route.reason });
    return { function: 'guard', eventId: event.id, mode: config.mode, ignored: route.reason, bindings: [] };
  }
  if (route.action === 'hold') return holdTargets(deps, event, route);
  telemetry.log.info('event accepted', {
    eventName: event.eventName,
    scope: route.scope,
    bindings: route.bindings.map((binding) => binding.name),
    actor: event.actor.arn,
  });
  const trigger: Trigger = {
    type: 'event',
    eventId: event.id,
    actor: event.actor,
    touched: touchedBy(event),
    ...(route.scope === 'registration' ? { deregistered: targetsIn(event.requestParameters) } : {}),
  };
  const results = await mapLimit(route.bindings, config.limits.concurrentBindings, (binding) =>
    runBinding(deps, binding, trigger, async ({ state, notifier, result, attempt }) => {
      const context = { deps, binding, state, notifier, trigger };
      switch (route.scope) {
        case 'listeners':
          return attempt('listeners', async () => {
            result.listeners = await reconcileListeners(context);
          });
        case 'health-check':
          return attempt('health-check', async () => {
            result.healthCheck = await reconcileHealthCheck(context);
          });
        case 'registration':
          // Someone deregistered targets: registration runs for the binding. With co-owners, it registers only
          // what a person's event names; the sweep asks event history about any other missing target.
          return attempt('registration', async () => {
            const [matching, targets] = await Promise.all([
              deps.instances.findByTags(binding.instanceSelector.tags),
              deps.elb.describeTargetHealth(binding.targetGroupArn),
            ]);
            result.registration = await reconcileRegistration({
              ...context,
              matching,
              targets,
            });
          });
        case 'target-group-deleted':
          return attempt('state', async () => {
            const [group] = await deps.elb.describeTargetGroups([binding.targetGroupArn]);
            if (!group) await reportMissingTargetGroup(context, 'RepairFailed');
          });
      }
    }),
  );
  throwIfFailed(results);
  return { function: 'guard', eventId: event.id, mode: config.mode, bindings: results };
}

/** An AWS service took targets out for its own operation: they are held, never registered again on the spot. */
async function holdTargets(
  deps: Deps,
  event: Extract<ParsedEvent, { type: 'api-call' }>,
  route: Extract<ApiCallRoute, { action: 'hold' }>,
): Promise<InvocationResult> {
  const { config } = deps;
  deps.telemetry.log.info('event accepted', {
    eventName: event.eventName,
    service: route.service,
    bindings: route.bindings.map((binding) => binding.name),
    actor: event.actor.arn,
  });
  const trigger: Trigger = { type: 'event', eventId: event.id, actor: event.actor };
  const results = await mapLimit(route.bindings, config.limits.concurrentBindings, (binding) =>
    runBinding(deps, binding, trigger, async ({ state, result, attempt }) =>
      attempt('registration', async () => {
        result.registration = await holdForService(
          { deps, binding, state },
          route.service,
          route.targets,
          event.actor.eventTime,
        );
      }),
    ),
  );
  throwIfFailed(results);
  return { function: 'guard', eventId: event.id, mode: config.mode, bindings: results };
}
