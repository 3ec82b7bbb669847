/**
 * The scheduled sweep: from any state, one pass reaches the desired state; a second pass makes no
 * mutating call. Selector queries are shared between bindings, bindings run concurrently (bounded).
 */

import type { Binding } from '../config.ts';
import { registrationFailedAlert } from '../domain/alert-kinds.ts';
import type { Instance, TargetGroup } from '../domain/model.ts';
import { selectorKey } from '../domain/registration.ts';
import { errorText, isTransient } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import { runBinding, throwIfTransient } from './binding-run.ts';
import { type Deps, mapLimit, type Trigger } from './context.ts';
import { reconcileHealth } from './health.ts';
import type { Notifier } from './notify.ts';
import { checkEventPipeline } from './pipeline.ts';
import { reconcileRegistration } from './registration.ts';
import { observeListeners } from './repair.ts';
import { reconcileHealthCheck, reconcileListeners } from './repair-parts.ts';
import type { InvocationResult } from './results.ts';

export interface SweepOptions {
  readonly trigger?: Trigger;
  readonly eventId?: string | undefined;
  /** Only these bindings (by name); all when absent. */
  readonly bindings?: readonly string[] | undefined;
  /** Return per-binding failures instead of throwing (the CLI reports them itself). */
  readonly throwOnTransient?: boolean;
}

type Lookup = { instances: Instance[] } | { error: unknown };

export async function sweep(deps: Deps, options: SweepOptions = {}): Promise<InvocationResult> {
  const { config, telemetry } = deps;
  const started = performance.now();
  const trigger = options.trigger ?? { type: 'sweep' };
  const bindings = options.bindings
    ? config.bindings.filter((binding) => options.bindings?.includes(binding.name))
    : config.bindings;

  // One DescribeInstances query per distinct selector, whatever the number of bindings sharing it.
  const selectors = [
    ...new Map(
      bindings.map((binding) => [selectorKey(binding.instanceSelector.tags), binding.instanceSelector.tags]),
    ).entries(),
  ];
  const lookups = new Map<string, Lookup>();
  await mapLimit(selectors, config.limits.concurrentBindings, async ([key, tags]) => {
    try {
      lookups.set(key, { instances: await deps.instances.findByTags(tags) });
    } catch (error) {
      lookups.set(key, { error });
    }
  });
  const groups = await describeHealthCheckedGroups(deps, bindings);

  const results = await mapLimit(bindings, config.limits.concurrentBindings, (binding) =>
    runBinding(deps, binding, trigger, async ({ state, notifier, result, attempt }) => {
      // Target health feeds registration and alerting: without it there is nothing to decide on.
      const [observed, targets] = await Promise.all([
        observeListeners(deps, binding).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ),
        deps.elb.describeTargetHealth(binding.targetGroupArn),
      ]);
      // undefined: the shared read failed, so each binding reads (and fails) on its own.
      const group = groups ? (groups.get(binding.targetGroupArn) ?? null) : undefined;

      const context = { deps, binding, state, notifier, trigger };
      await attempt('listeners', async () => {
        if ('error' in observed) throw observed.error;
        result.listeners = await reconcileListeners(context, observed.value);
        await checkEventPipeline(deps, binding, state, notifier);
      });
      if (binding.healthCheck) {
        await attempt('health-check', async () => {
          result.healthCheck = await reconcileHealthCheck(context, group);
        });
      }

      const lookup = lookups.get(selectorKey(binding.instanceSelector.tags));
      const matching = lookup && 'instances' in lookup ? lookup.instances : undefined;
      await attempt('registration', async () => {
        if (matching) {
          const knownVpcId = group?.vpcId ?? undefined;
          result.registration = await reconcileRegistration({
            deps,
            binding,
            state,
            notifier,
            matching,
            targets,
            knownVpcId,
          });
          return;
        }
        result.registration = {
          applied: false,
          register: [],
          deregister: [],
          unchanged: 0,
          foreign: [],
          rejected: [],
          withheld: 'DescribeInstances failed: nothing was changed',
        };
        const error = lookup && 'error' in lookup ? lookup.error : undefined;
        // A transient failure fails the invocation (retried); any other is alerted once and acted on by no one.
        if (isTransient(error)) throw error;
        await reportFailedLookup(deps, binding, notifier, error);
      });

      await attempt('health', async () => {
        const instances = new Map((matching ?? []).map((instance) => [instance.id, instance]));
        result.health = await reconcileHealth({ deps, binding, state, notifier, targets, instances });
      });
    }),
  );

  telemetry.count(METRIC.sweepDuration, Math.round(performance.now() - started));
  const result: InvocationResult = {
    function: 'sweep',
    eventId: options.eventId,
    mode: config.mode,
    bindings: results,
  };
  if (options.throwOnTransient !== false) throwIfTransient(results);
  return result;
}

/** One DescribeTargetGroups call (per 20 groups) for the bindings that enforce a health check. */
async function describeHealthCheckedGroups(
  deps: Deps,
  bindings: readonly Binding[],
): Promise<Map<string, TargetGroup> | undefined> {
  const arns = [
    ...new Set(bindings.filter((binding) => binding.healthCheck).map((binding) => binding.targetGroupArn)),
  ];
  if (arns.length === 0) return new Map();
  try {
    const groups = await deps.elb.describeTargetGroups(arns);
    return new Map(groups.map((group) => [group.arn, group]));
  } catch (error) {
    deps.telemetry.log.warn('shared DescribeTargetGroups failed; bindings read their own', {
      error: errorText(error),
    });
    return undefined;
  }
}

async function reportFailedLookup(
  deps: Deps,
  binding: Binding,
  notifier: Notifier,
  error: unknown,
): Promise<void> {
  deps.telemetry.count(METRIC.registrationFailures);
  await notifier.notice(
    'registration:lookup',
    'failed',
    registrationFailedAlert({
      binding,
      now: deps.now(),
      mode: deps.config.mode,
      headline: 'instance lookup failed: registrations left as they are',
      detail: `DescribeInstances for the selector failed, so the controller acted on nothing for this binding: a failed lookup must never look like "the fleet is gone". ${errorText(error)}`,
    }),
  );
}
