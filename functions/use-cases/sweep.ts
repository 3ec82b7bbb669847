/**
 * The scheduled sweep: from any state, one pass reaches the desired state; a second pass makes no
 * mutating call. Selector queries are shared between bindings, bindings run concurrently (bounded).
 */

import { registrationFailedAlert } from '../domain/alert-kinds.ts';
import type { Instance, TargetGroup } from '../domain/model.ts';
import { TOPIC } from '../domain/notices.ts';
import { selectorKey } from '../domain/registration.ts';
import type { Binding } from '../domain/settings.ts';
import { awsErrorCode, errorText, isTransient } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import { publishBindingFigures } from './binding-metrics.ts';
import { type BindingWork, InvocationIncompleteError, runBinding, throwIfFailed } from './binding-run.ts';
import { type Deps, mapLimit, type Settled, settled, type Trigger, unwrap } from './context.ts';
import {
  DISCOVERY_PARTITION,
  type DiscoverySummary,
  discoverForSweep,
  withRecordedDiscovery,
} from './discovery.ts';
import { reconcileHealth, reconcileRegistration } from './execute.ts';
import type { Notifier } from './notify.ts';
import { checkEventPipeline } from './pipeline.ts';
import { ScalingGroupCache } from './registration.ts';
import { observeListeners, type RepairContext } from './repair.ts';
import { reconcileHealthCheck, reconcileListeners } from './repair-parts.ts';
import {
  type BindingResult,
  type InvocationResult,
  newBindingResult,
  type RegistrationResult,
} from './results.ts';

export interface SweepOptions {
  readonly trigger?: Trigger;
  readonly eventId?: string | undefined;
  /** Only these bindings (by name); all when absent. */
  readonly bindings?: readonly string[] | undefined;
  /** Return per-binding failures instead of throwing (the CLI reports them itself). */
  readonly throwOnTransient?: boolean;
  /** false: the bindings are already the effective ones (a sweep worker reads the set the scheduler recorded). */
  readonly discover?: boolean;
}

type Shared = {
  /** One DescribeInstances query per distinct selector, whatever the number of bindings sharing it. */
  readonly lookups: ReadonlyMap<string, Settled<Instance[]>>;
  /** undefined: the shared read failed, so each binding reads (and fails) on its own. */
  readonly groups: ReadonlyMap<string, TargetGroup> | undefined;
  /** The Auto Scaling groups of every instance found, asked about in one call before the bindings run. */
  readonly scalingGroups: ScalingGroupCache;
};

export async function sweep(given: Deps, options: SweepOptions = {}): Promise<InvocationResult> {
  const started = performance.now();
  const { deps, summary, failure } = options.discover === false ? { deps: given } : await discoverOnce(given);
  const { config, telemetry } = deps;
  const trigger = options.trigger ?? { type: 'sweep' };
  const bindings = selectedBindings(config.bindings, options);
  const lookups = await lookUpSelectors(deps, bindings);
  const shared: Shared = {
    lookups,
    groups: await describeHealthCheckedGroups(deps, bindings),
    scalingGroups: await askScalingGroups(deps, lookups),
  };
  const results = await mapLimit(bindings, config.limits.concurrentBindings, (binding) =>
    runBinding(deps, binding, trigger, (work) => sweepBinding({ ...work, deps, binding, trigger }, shared)),
  );
  telemetry.count(METRIC.sweepDuration, Math.round(performance.now() - started));
  publishBindingFigures(telemetry, results);
  return sweepResult(deps, options, results, { summary, failure });
}

/** The bindings `options.bindings` names, or all of them. */
export function selectedBindings(bindings: readonly Binding[], options: SweepOptions): readonly Binding[] {
  return options.bindings ? bindings.filter((binding) => options.bindings?.includes(binding.name)) : bindings;
}

/**
 * A sweep's result from its bindings' and its discovery's. Unless `throwOnTransient` is false, a failed binding
 * fails the invocation, and so does a failed discovery once every binding known was swept (retried and seen).
 */
export function sweepResult(
  deps: Deps,
  options: SweepOptions,
  bindings: BindingResult[],
  discovery: { readonly summary?: DiscoverySummary | undefined; readonly failure?: unknown },
): InvocationResult {
  const { summary, failure } = discovery;
  if (options.throwOnTransient !== false) {
    throwIfFailed(bindings);
    if (failure !== undefined) throw discoveryFailure(failure);
  }
  return {
    function: 'sweep',
    eventId: options.eventId,
    mode: deps.config.mode,
    bindings,
    ...(summary ? { discovery: summary } : {}),
    ...(failure === undefined ? {} : { discoveryError: errorText(failure) }),
  };
}

/** A passing failure fails the invocation as incomplete (retried); any other as itself (a person must act). */
export function discoveryFailure(error: unknown): unknown {
  if (!isTransient(error)) return error;
  return new InvocationIncompleteError([
    {
      ...newBindingResult(DISCOVERY_PARTITION),
      status: 'failed',
      error: { message: errorText(error), transient: true, code: awsErrorCode(error) },
    },
  ]);
}

/**
 * Discovery once per sweep (or per scheduler run): the hub's own, or `discover` (every account and region's,
 * member-discovery.ts). When it fails, the work goes on with the set the last run recorded (explicit bindings
 * always), and the failure is thrown once the bindings are done.
 */
export async function discoverOnce(
  deps: Deps,
  discover: (
    deps: Deps,
  ) => Promise<{ deps: Deps; summary?: DiscoverySummary | undefined; failure?: unknown }> = discoverForSweep,
): Promise<{ deps: Deps; summary?: DiscoverySummary | undefined; failure?: unknown }> {
  try {
    return await discover(deps);
  } catch (failure) {
    deps.telemetry.log.error('discovery failed; sweeping the bindings the last sweep recorded', {
      error: errorText(failure),
    });
    return { deps: await withRecordedDiscovery(deps).catch(() => deps), failure };
  }
}

async function lookUpSelectors(
  deps: Deps,
  bindings: readonly Binding[],
): Promise<Map<string, Settled<Instance[]>>> {
  const selectors = new Map(
    bindings.map((binding) => [selectorKey(binding.instanceSelector.tags), binding.instanceSelector.tags]),
  );
  const lookups = new Map<string, Settled<Instance[]>>();
  await mapLimit([...selectors], deps.config.limits.concurrentBindings, async ([key, tags]) => {
    lookups.set(key, await settled(deps.instances.findByTags(tags)));
  });
  return lookups;
}

/** A failure here is each binding's own to meet: their registration asks again and fails on its own. */
async function askScalingGroups(
  deps: Deps,
  lookups: ReadonlyMap<string, Settled<Instance[]>>,
): Promise<ScalingGroupCache> {
  const cache = new ScalingGroupCache(deps.scaling);
  const found = [...lookups.values()].flatMap((lookup) => ('value' in lookup ? lookup.value : []));
  await cache.attached(found).catch((error: unknown) => {
    deps.telemetry.log.warn('shared DescribeAutoScalingGroups failed; bindings ask on their own', {
      error: errorText(error),
    });
  });
  return cache;
}

/** One binding's sweep: four parts, each settling on its own. */
async function sweepBinding(context: RepairContext & BindingWork, shared: Shared): Promise<void> {
  const { deps, binding, state, notifier, result, attempt } = context;
  // Target health feeds registration and alerting: without it there is nothing to decide on.
  const [observed, targets] = await Promise.all([
    settled(observeListeners(deps, binding)),
    deps.elb.describeTargetHealth(binding.targetGroupArn),
  ]);
  const group = shared.groups ? (shared.groups.get(binding.targetGroupArn) ?? null) : undefined;
  await attempt('listeners', async () => {
    result.listeners = await reconcileListeners(context, unwrap(observed));
    await checkEventPipeline(deps, binding, state, notifier);
  });
  if (binding.healthCheck) {
    await attempt('health-check', async () => {
      result.healthCheck = await reconcileHealthCheck(context, group);
    });
  }
  const lookup = shared.lookups.get(selectorKey(binding.instanceSelector.tags));
  const matching = lookup && 'value' in lookup ? lookup.value : undefined;
  await attempt('registration', async () => {
    if (!matching) {
      result.registration = await withheldRegistration(context, lookup);
      return;
    }
    const knownVpcId = group?.vpcId ?? undefined;
    result.registration = await reconcileRegistration({
      ...context,
      matching,
      targets,
      knownVpcId,
      scalingGroups: shared.scalingGroups,
    });
  });
  await attempt('health', async () => {
    const instances = new Map((matching ?? []).map((instance) => [instance.id, instance]));
    result.health = await reconcileHealth({ ...context, targets, instances });
  });
}

/**
 * Without the instance lookup nothing is registered or deregistered: a failed lookup must never look like
 * "the fleet is gone". A transient failure fails the invocation (retried); any other is alerted once.
 */
async function withheldRegistration(
  context: RepairContext,
  lookup: Settled<Instance[]> | undefined,
): Promise<RegistrationResult> {
  const error = lookup && 'error' in lookup ? lookup.error : undefined;
  if (isTransient(error)) throw error;
  await reportFailedLookup(context.deps, context.binding, context.notifier, error);
  const withheld = 'DescribeInstances failed: nothing was changed';
  return {
    applied: false,
    decision: { kind: 'blocked', reason: withheld },
    register: [],
    deregister: [],
    unchanged: 0,
    foreign: [],
    rejected: [],
    withheld,
  };
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
    TOPIC.lookup,
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
