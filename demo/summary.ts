/**
 * The closing numbers, taken from the simulator's records: repairs and registrations from CloudTrail (the
 * ELB writes the controller's role made), alerts from the messages published to the topic, AWS calls from
 * the call counter. Only the dry-run's "would have" figures come from what the controller reported.
 */
import type { InvocationResult } from '../functions/use-cases/results.ts';
import type { CallCounts, SimEvent } from '../sim/control.ts';
import { addCalls, type Controller, countCalls, isMutating } from './controller.ts';
import type { FleetFindings } from './fleet.ts';
import type { Stage } from './stage.ts';
import type { Timeline } from './timeline.ts';

const REPAIR_ACTIONS = new Set(['ModifyListener', 'CreateListener', 'DeleteRule', 'ModifyTargetGroup']);

export interface CallBreakdown {
  readonly total: number;
  readonly byService: Record<string, { readonly total: number; readonly actions: Record<string, number> }>;
}

export interface Summary {
  readonly ok: boolean;
  readonly mode: 'enforce' | 'dry-run';
  readonly steps: { readonly total: number; readonly reached: number; readonly failed: readonly string[] };
  readonly repairs: { readonly total: number; readonly byAction: Record<string, number> };
  readonly registrations: { readonly registered: number; readonly deregistered: number };
  /** Dry-run only: what the controller said it would have done. */
  readonly wouldHaveDone: {
    readonly repairs: number;
    readonly registered: number;
    readonly deregistered: number;
  };
  readonly alerts: { readonly total: number; readonly byKind: Record<string, number> };
  readonly awsCalls: {
    readonly controller: CallBreakdown & {
      readonly mutating: number;
      /** The writes per service (`{elbv2: 9, sns: 4, …}`), services without writes left out. */
      readonly mutatingByService: Record<string, number>;
    };
    readonly all: CallBreakdown;
  };
  readonly invocations: Record<string, number>;
  readonly eventsDropped: number;
  readonly durationMs: number;
}

export async function summarize(
  stage: Stage,
  controller: Controller,
  timeline: Timeline,
  mode: 'enforce' | 'dry-run',
  members: FleetFindings['members'] = [],
): Promise<Summary> {
  const { control } = stage.simulator;
  // The controller acts as its own role at home and as the member role in each member account and region.
  const worlds = [
    { control, roleArn: stage.controllerRoleArn },
    ...members.map(({ account, region, roleArn }) => ({ control: control.in({ account, region }), roleArn })),
  ];
  const byController: SimEvent[] = [];
  let allCalls = {} as CallCounts;
  for (const world of worlds) {
    const { events } = await world.control.events(0);
    byController.push(
      ...events.filter((event) => {
        if (event['detail-type'] !== 'AWS API Call via CloudTrail' || event.detail.errorCode !== undefined)
          return false;
        const identity = event.detail.userIdentity as {
          sessionContext?: { sessionIssuer?: { arn?: string } };
        };
        return identity.sessionContext?.sessionIssuer?.arn === world.roleArn;
      }),
    );
    allCalls = addCalls(allCalls, await world.control.calls());
  }
  const repairs: Record<string, number> = {};
  let registered = 0;
  let deregistered = 0;
  for (const event of byController) {
    const name = String(event.detail.eventName);
    if (REPAIR_ACTIONS.has(name)) repairs[name] = (repairs[name] ?? 0) + 1;
    const targets = (event.detail.requestParameters as { targets?: unknown } | null)?.targets;
    const count = Array.isArray(targets) ? targets.length : 1;
    if (name === 'RegisterTargets') registered += count;
    if (name === 'DeregisterTargets') deregistered += count;
  }

  const { messages } = await control.sns();
  const byKind: Record<string, number> = {};
  for (const message of messages.filter((entry) => entry.topicArn === stage.topicArn)) {
    const kind = message.messageAttributes.kind?.Value ?? 'unknown';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }

  let controllerCalls = {} as CallCounts;
  const invocations: Record<string, number> = {};
  // The same decision is reported by every invocation that sees it: count each one once.
  const would = {
    repairs: new Set<string>(),
    registered: new Set<string>(),
    deregistered: new Set<string>(),
  };
  for (const invocation of controller.invocations) {
    controllerCalls = addCalls(controllerCalls, invocation.calls);
    invocations[invocation.function] = (invocations[invocation.function] ?? 0) + 1;
    const result = invocation.result as InvocationResult | undefined;
    for (const binding of result?.bindings ?? []) {
      if (binding.listeners?.outcome === 'would-repair')
        for (const step of binding.listeners.steps) would.repairs.add(`${binding.binding} ${step}`);
      if (binding.registration && !binding.registration.applied) {
        for (const target of binding.registration.register) would.registered.add(instanceId(target));
        for (const target of binding.registration.deregister) would.deregistered.add(instanceId(target));
      }
    }
  }

  const failed = timeline.steps.filter((step) => !step.ok).map((step) => `${step.number}. ${step.title}`);
  const ok = failed.length === 0 && timeline.steps.length > 0;
  return {
    ok,
    mode,
    steps: { total: timeline.steps.length, reached: timeline.steps.length - failed.length, failed },
    repairs: { total: Object.values(repairs).reduce((a, b) => a + b, 0), byAction: repairs },
    registrations: { registered, deregistered },
    wouldHaveDone: {
      repairs: would.repairs.size,
      registered: would.registered.size,
      deregistered: would.deregistered.size,
    },
    alerts: { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind },
    awsCalls: {
      controller: {
        ...breakdown(controllerCalls),
        mutating: countCalls(controllerCalls, isMutating),
        mutatingByService: Object.fromEntries(
          Object.entries(controllerCalls)
            .map(([service, actions]) => [
              service,
              countCalls({ [service]: actions } as CallCounts, isMutating),
            ])
            .filter(([, n]) => Number(n) > 0),
        ),
      },
      all: breakdown(allCalls),
    },
    invocations,
    eventsDropped: controller.dropped.length,
    durationMs: Date.now() - timeline.startedAt,
  };
}

/** `i-0abc:8080 (stopped)` and `i-0abc` are the same instance. */
function instanceId(target: string): string {
  return target.split(/[: ]/)[0] ?? target;
}

function breakdown(calls: CallCounts): CallBreakdown {
  const byService: CallBreakdown['byService'] = {};
  for (const [service, actions] of Object.entries(calls)) {
    const total = Object.values(actions).reduce((a, b) => a + b, 0);
    byService[service] = { total, actions: { ...actions } };
  }
  return { total: countCalls(calls), byService };
}
