/**
 * Target health → alerts. Every target's state machine advances by this sweep's observation; each state
 * change is claimed with a conditional write before its alert goes out, so two concurrent sweeps never send
 * the same alert; the events of one binding are grouped into at most one alert per kind.
 */
import type { Binding } from '../config.ts';
import { conditionAlert, targetHealthAlerts } from '../domain/alert-kinds.ts';
import type { RecentChange } from '../domain/alerts.ts';
import type { TargetEvent } from '../domain/health.ts';
import { type HealthPlan, planTargetHealth, type StateClaim } from '../domain/health-plan.ts';
import { type Instance, type TargetHealth, targetKey } from '../domain/model.ts';
import { decode, expiresIn, KEY, ownershipOf, PREFIX } from '../domain/state.ts';
import { MINUTE } from '../domain/time.ts';
import type { Trigger } from '../domain/trigger.ts';
import { errorText } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import { type Deps, mapLimit } from './context.ts';
import type { Notifier } from './notify.ts';
import type { HealthResult } from './results.ts';

/** State writes in flight at once when many targets change in one sweep. */
const CLAIM_CONCURRENCY = 25;
/**
 * A target's alert state outlives any reminder interval, and is rewritten within a day of its TTL while the
 * condition lasts; once it is over, the TTL cleans it up.
 */
const TARGET_RECORD_DAYS = 8;
/** ELB's longest deregistration delay (the attribute's range is 0–3600 s). */
const MAX_DEREGISTRATION_DELAY_SECONDS = 3600;

export interface HealthContext {
  readonly deps: Deps;
  readonly binding: Binding;
  readonly state: BindingState;
  readonly notifier: Notifier;
  readonly trigger: Trigger;
  readonly targets: readonly TargetHealth[];
  readonly instances: ReadonlyMap<string, Instance>;
}

/** The target-health plan a sweep would make now: reads only, writes nothing. */
export async function planHealthFor(
  context: Omit<HealthContext, 'notifier' | 'trigger'>,
): Promise<HealthPlan> {
  const { deps, state, targets, instances } = context;
  const records = new Map(
    [...state.withPrefix(PREFIX.target)].map(([key, record]) => [key, record] as const),
  );
  const condition = state.has(KEY.condition)
    ? { data: state.data(KEY.condition), expiresAt: state.expiresAt(KEY.condition) }
    : undefined;
  const deregistrationDelaySeconds = await drainingDelay(context);
  return planTargetHealth(
    { targets, instances, records, condition, deregistrationDelaySeconds },
    deps.config.alerts,
    deps.now(),
  );
}

/** What the target-health plan found, as a result reports it. */
export function healthResultOf(plan: HealthPlan): HealthResult {
  return {
    decision: plan.decision,
    registered: plan.fleet.registered,
    healthy: plan.fleet.healthy,
    unhealthy: plan.unhealthy.map((target) => ({
      target: targetKey(target),
      state: target.state,
      reason: target.reasonCode,
    })),
  };
}

/**
 * Makes the plan's claims; only the invocation whose write lands sends a claim's alerts. A write that fails
 * leaves its target to the next sweep, but the alerts of the claims that landed still go out first.
 */
export async function executeHealth(
  context: Pick<HealthContext, 'deps' | 'binding' | 'state' | 'notifier'>,
  plan: HealthPlan,
): Promise<HealthResult> {
  const { deps, state } = context;
  const now = deps.now();
  const events = [...plan.events];
  const failures: unknown[] = [];
  await mapLimit(plan.claims, CLAIM_CONCURRENCY, async (claim) => {
    try {
      if (await makeClaim(state, now, claim)) events.push(...claim.releases);
    } catch (error) {
      failures.push(error);
    }
  });
  deps.telemetry.count(METRIC.unhealthyTargets, plan.unhealthy.length);
  // Read only when something is alerted: registrations live in the (large) ownership partition.
  let changes: Promise<RecentChange[]> | undefined;
  const recentChanges = () => {
    changes ??= recentChangesOf(deps, state, now, deps.config.alerts.contextMinutes);
    return changes;
  };
  await alertTargets(context, now, events, plan, recentChanges);
  if (plan.condition && (await makeClaim(state, now, plan.condition))) {
    const base = { binding: context.binding, now, mode: deps.config.mode };
    for (const event of plan.condition.releases)
      await context.notifier.send(
        conditionAlert(base, event, plan.fleet, await recentChanges(), deps.config.alerts.contextMinutes),
      );
  }
  if (failures.length > 0) throw failures[0];
  return healthResultOf(plan);
}

/** A conditional write (or delete) of the claimed record: true when it landed. */
function makeClaim(state: BindingState, now: number, claim: StateClaim<unknown, unknown>): Promise<boolean> {
  return claim.record
    ? state.save(claim.key, claim.record, expiresIn(now, TARGET_RECORD_DAYS))
    : state.delete(claim.key);
}

/**
 * The group's deregistration delay, read once per binding and sweep and only while a target drains. When the
 * read fails, draining is given ELB's longest delay this sweep rather than paged early.
 */
async function drainingDelay(
  context: Omit<HealthContext, 'notifier' | 'trigger'>,
): Promise<number | undefined> {
  if (!context.targets.some((target) => target.state === 'draining')) return undefined;
  const { deps, binding } = context;
  try {
    return await deps.elb.deregistrationDelaySeconds(binding.targetGroupArn);
  } catch (error) {
    deps.telemetry.log.warn('deregistration delay not read; draining targets get the longest delay', {
      binding: binding.name,
      error: errorText(error),
    });
    return MAX_DEREGISTRATION_DELAY_SECONDS;
  }
}

async function alertTargets(
  context: Pick<HealthContext, 'deps' | 'binding' | 'notifier'>,
  now: number,
  events: readonly TargetEvent[],
  { fleet, instances }: Pick<HealthPlan, 'fleet' | 'instances'>,
  recentChanges: () => Promise<RecentChange[]>,
): Promise<void> {
  const { deps, binding, notifier } = context;
  const settings = deps.config.alerts;
  for (const alert of targetHealthAlerts({
    binding,
    now,
    mode: deps.config.mode,
    events,
    fleet,
    instances,
    recentChanges: events.length > 0 ? await recentChanges() : [],
    contextMinutes: settings.contextMinutes,
    criticalBelowHealthyFraction: settings.criticalBelowHealthyFraction,
    flappingWindowMinutes: settings.flapping.windowMinutes,
  })) {
    await notifier.send(alert);
  }
}

/** What the controller changed on the binding lately: repairs (with who caused them) and registrations. */
async function recentChangesOf(
  deps: Deps,
  state: BindingState,
  now: number,
  minutes: number,
): Promise<RecentChange[]> {
  const since = now - minutes * MINUTE;
  const repairs = decode
    .repairs(state.data(KEY.repairs))
    .entries.filter((entry) => entry.at > since)
    .map((entry) => ({
      at: entry.at,
      summary: `repaired ${entry.listener}: ${entry.summary}`,
      actor: entry.actor,
    }));
  const ownership = await deps.state.load(ownershipOf(state.binding));
  const registrations = ownership
    .filter((record) => !record.deleted && record.key.startsWith(PREFIX.owned))
    .map((record) => ({ key: record.key.slice(PREFIX.owned.length), owned: decode.owned(record.data) }))
    .filter(({ owned }) => owned !== undefined && owned.registeredAt > since)
    .map(({ key, owned }) => ({ at: owned?.registeredAt ?? now, summary: `registered ${key}` }));
  return [...repairs, ...registrations].sort((a, b) => a.at - b.at);
}
