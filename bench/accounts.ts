/**
 * Many accounts: a hub guarding A member accounts × R regions × B bindings on the simulator, each member
 * account and region a world of its own (its own ELB and EC2 throttling buckets, on for the run), on a
 * simulated clock.
 *
 * Setup (not measured): each member account joins the organization and gets, in each region, what the member
 * stack holds (testkit/members.ts: the role the hub's functions assume, the two rules forwarding its EC2 and ELB
 * events to the hub's bus) and B seed topologies with their instances. Two sweeps converge the fleet.
 *
 * The measured run, a simulated hour as deployed: every minute the real scheduler queues the bindings due, the
 * sweep worker slots take the messages (as in fleet.ts: each slot is one warm execution environment with its
 * own credential cache and ELB limiters per member, on the slot's clock), and a person drifts the HTTP listener
 * of K members, each twice half the run apart. Each drift's CloudTrail event is forwarded by the member's
 * rule to the hub's bus and handed to the guard (one warm environment), with 20 ms added to every AWS call
 * while it runs, as the event-path figures do. Its time is ours only: from the forwarded event reaching the
 * handler to the repair verified (the use-case re-reads the listener; the bench reads it again).
 *
 * Monthly figures scale the hour to 30 days; prices are fleet.ts's (README, Performance, names the pages).
 */
import { DescribeListenersCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { REFRESH_BEFORE_MS } from '../functions/adapters/accounts.ts';
import { parseConfig, type WardenConfig } from '../functions/config.ts';
import { ENVIRONMENT_SHARE } from '../functions/domain/api-share.ts';
import { parseEvent } from '../functions/domain/events.ts';
import { sweepIntervalMinutes } from '../functions/domain/sweep-schedule.ts';
import { silentTelemetry } from '../functions/use-cases/context.ts';
import { handleApiCall } from '../functions/use-cases/guard.ts';
import { inEventScope, sweepFleet } from '../functions/use-cases/members.ts';
import type { InvocationResult } from '../functions/use-cases/results.ts';
import { buildSeedTopology, createAlertResources, launchInstances, type SeedTopology } from '../sim/seed.ts';
import { ELBV2_BUCKETS, elbv2BucketOf } from '../sim/throttling.ts';
import { EventFeed } from '../testkit/events.ts';
import { InstantClock } from '../testkit/limiter-clock.ts';
import { deployMemberStack, openHubBus } from '../testkit/members.ts';
import { createClients, destroyClients, openWorld, SIM_SECRET, type World } from '../testkit/world.ts';
import { clockedDeps, MINUTES_PER_MONTH, monthlyUse, startSweeps } from './fleet.ts';
import { median, round } from './stats.ts';
import { bindingOf, KEYS, STATE_TABLE } from './world.ts';

export interface AccountsScale {
  readonly accounts: number;
  /** Regions of each member account (at most `MEMBER_REGIONS.length`). */
  readonly regions: number;
  /** Bindings in each member account and region. */
  readonly bindingsPerRegion: number;
  readonly instancesPerBinding: number;
  /** Member accounts and regions whose HTTP listener a person changes, twice each. */
  readonly driftedMembers: number;
}

/** The run is one simulated hour: what the hour's AssumeRole calls are counted over. */
export const RUN_MINUTES = 60;

export const ACCOUNTS_SCALE: AccountsScale = {
  accounts: 20,
  regions: 3,
  bindingsPerRegion: 10,
  instancesPerBinding: 2,
  driftedMembers: 6,
};

/** `--quick`: a quarter of the accounts, the same hour. */
export const QUICK_ACCOUNTS_SCALE: AccountsScale = { ...ACCOUNTS_SCALE, accounts: 5 };

/** The members' regions; the hub is in the simulator's own (ap-northeast-2). */
export const MEMBER_REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2', 'eu-central-1'] as const;

/** What each member's AWS calls cost in time while the guard runs, as in the event-path figures. */
export const EVENT_LATENCY_MS = 20;
/**
 * AssumeRole's default session (DurationSeconds 3600, which the hub does not set): the cache asks again
 * `REFRESH_BEFORE_MS` before it ends (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 */
const SESSION_MS = 3600 * 1000;
/** The guard function's memory as deployed (the controller functions' default). */
const GUARD_MEMORY_GB = 0.25;
/**
 * EventBridge: an event sent to another account's bus is billed to the sender as a custom event, $1.00 per
 * million in US East (N. Virginia), read on 2026-11-29 (https://aws.amazon.com/eventbridge/pricing/,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html). The members pay it; it is
 * the fleet's cost of the hub, so it is counted here.
 */
export const EVENTBRIDGE_CROSS_ACCOUNT_EVENT_USD = 1 / 1e6;

const ORGANIZATION = 'o-a1b2c3d4e5';

export interface AccountsFigure {
  readonly accounts: number;
  readonly regions: number;
  readonly bindings: number;
  /** Median over the drifts: the guard's run from the forwarded event to the repair verified. */
  readonly eventPathOursMs: number;
  readonly eventPathOursMaxMs: number;
  /** Median of each member's first drift: the guard reached the member first, its run includes AssumeRole. */
  readonly eventPathFirstReachMs: number;
  /** Median of each member's second drift: the guard's credentials for the member were cached. */
  readonly eventPathCachedMs: number;
  readonly eventPathLatencyPerCallMs: number;
  readonly drifts: number;
  /** Drifts the guard repaired, verified, and the bench found repaired by reading the listener. */
  readonly repairsVerified: number;
  /** What the simulator's STS answered in the run. */
  readonly assumeRoleCallsPerHour: number;
  /**
   * The cache rule: each environment assumes each member's role at most once per session less the early
   * refresh, ⌈run / (60 − 10 min)⌉ times in the run.
   */
  readonly assumeRoleCallsBound: number;
  /** Warm execution environments that reach members: the sweep worker slots and the guard. */
  readonly hubEnvironments: number;
  /** The most ELB calls one member account and region's bucket took in one simulated minute. */
  readonly maxMemberElbCallsPerMinute: number;
  readonly maxMemberElbBucket: string;
  /** That bucket's documented refill, per minute (ELB user guide, API throttling). */
  readonly maxMemberElbBucketRatePerMinute: number;
  readonly maxMemberElbScope: string;
  /** ELB and EC2 requests the members' and the hub's buckets refused, retried or not. */
  readonly throttlingErrors: number;
  /** Bindings whose sweep or repair failed in the run. */
  readonly failedBindingRuns: number;
  readonly intervalMinutes: number;
  readonly sweepsRun: number;
  readonly simulatedMinutes: number;
  readonly eventsForwardedPerHour: number;
  readonly hubCostPerMonthUsd: number;
  readonly hubCostBreakdownUsd: {
    readonly lambda: number;
    readonly sqs: number;
    readonly dynamodb: number;
    readonly eventBridge: number;
  };
  /** Real time: the setup (accounts, topologies, convergence) and the simulated hour. */
  readonly setupS: number;
  readonly runS: number;
}

interface MemberBinding {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly adminKey: string;
  readonly topology: SeedTopology;
  readonly selector: Readonly<Record<string, string>>;
}

export function checkScale(scale: AccountsScale): void {
  const whole = (field: keyof AccountsScale, min: number, max = Number.POSITIVE_INFINITY) => {
    const value = scale[field];
    if (!Number.isInteger(value) || value < min || value > max)
      throw new RangeError(
        `accounts bench: ${field} must be a whole number from ${min}${max < Infinity ? ` to ${max}` : ''}, got ${value}`,
      );
  };
  // Binding names carry the account's last two digits.
  whole('accounts', 1, 99);
  whole('regions', 1, MEMBER_REGIONS.length);
  whole('bindingsPerRegion', 1);
  // The seed's /24 subnet holds 250 instances.
  whole('instancesPerBinding', 1, 250);
  whole('driftedMembers', 1, scale.accounts * scale.regions);
}

/** The n-th member account: 2000000000nn. */
const memberAccount = (index: number) => String(200_000_000_001 + index);

export async function measureAccounts(
  scale: AccountsScale = ACCOUNTS_SCALE,
  progress: (message: string) => void = () => {},
): Promise<AccountsFigure> {
  checkScale(scale);
  const setupStarted = performance.now();
  const world = await openWorld({ keys: KEYS });
  try {
    const { topicArn } = await deployHub(world);
    const regions = MEMBER_REGIONS.slice(0, scale.regions);
    const bindings: MemberBinding[] = [];
    for (let index = 0; index < scale.accounts; index++)
      bindings.push(...(await deployMember(world, memberAccount(index), regions, scale)));
    progress(`accounts: ${scale.accounts} member accounts deployed`);
    const config = parseConfig({
      controllerRoleArns: [world.controllerRoleArn],
      alerts: { topicArn, stateTable: STATE_TABLE },
      members: Array.from({ length: scale.accounts }, (_, index) => ({
        account: memberAccount(index),
        regions: [...regions],
      })),
      bindings: bindings.map(bindingOf),
    });
    progress(`accounts: ${bindings.length} bindings deployed; converging them with two sweeps`);
    await converge(world, config);
    progress('accounts: the simulated hour');
    const setupS = (performance.now() - setupStarted) / 1000;
    const runStarted = performance.now();
    const run = await runHour(world, config, bindings, scale);
    return { ...run, setupS: round(setupS), runS: round((performance.now() - runStarted) / 1000) };
  } finally {
    await world.stop();
  }
}

/** The hub: its organization, alert topic and table, and its bus open to the organization's accounts. */
async function deployHub(world: World): Promise<{ topicArn: string }> {
  await world.control.organization(world.account, ORGANIZATION);
  const { topicArn } = await createAlertResources(world.clients, { tableName: STATE_TABLE });
  await openHubBus(world.endpoint, {
    region: world.region,
    accessKeyId: KEYS.setup,
    organizationId: ORGANIZATION,
  });
  return { topicArn };
}

/** A member account in the organization, and in each region its member stack and topologies. */
async function deployMember(
  world: World,
  account: string,
  regions: readonly string[],
  scale: AccountsScale,
): Promise<MemberBinding[]> {
  const adminKey = `AKIA${account}ADMIN`;
  await world.control.organization(account, ORGANIZATION);
  await world.control.in({ account }).identity(adminKey, `arn:aws:sts::${account}:assumed-role/Admin/seeder`);
  const perRegion = await Promise.all(
    regions.map(async (region, regionIndex) => {
      const iam = await deployMemberStack(world.endpoint, {
        account,
        region,
        adminAccessKeyId: adminKey,
        hubAccount: world.account,
        hubRegion: world.region,
        organizationId: ORGANIZATION,
      });
      iam.destroy();
      const clients = createClients(world.endpoint, region, adminKey);
      try {
        const made: MemberBinding[] = [];
        for (let index = 0; index < scale.bindingsPerRegion; index++) {
          const topology = await buildSeedTopology(clients, {
            loadBalancerName: `web-alb-${index}`,
            targetGroupName: `web-8080-${index}`,
          });
          const selector = { Role: `web-${index}` };
          await launchInstances(clients, {
            count: scale.instancesPerBinding,
            subnetId: topology.subnetIds[0],
            tags: selector,
          });
          made.push({
            name: `m${account.slice(-2)}-r${regionIndex}-web-${index}`,
            account,
            region,
            adminKey,
            topology,
            selector,
          });
        }
        return made;
      } finally {
        destroyClients(clients);
      }
    }),
  );
  return perRegion.flat();
}

/** Two sweeps a minute apart: the first registers every instance, the second must find nothing to do. */
async function converge(world: World, config: WardenConfig): Promise<void> {
  let simNow = Date.parse((await world.control.clock(0)).now);
  const deps = world.deps(config, {
    telemetry: silentTelemetry,
    limiterClock: new InstantClock(),
    now: () => simNow,
  });
  await sweepFleet(deps);
  simNow = Date.parse((await world.control.clock(60_000)).now);
  const second = await sweepFleet(deps);
  const unsettled = second.bindings.filter(
    (binding) =>
      binding.status !== 'ok' ||
      (binding.registration?.register.length ?? 0) > 0 ||
      (binding.listeners?.outcome !== undefined && binding.listeners.outcome !== 'in-sync'),
  );
  if (unsettled.length > 0)
    throw new Error(
      `the member fleet did not converge: ${unsettled.length} bindings still changing or failing, e.g. ${JSON.stringify(unsettled[0])}`,
    );
}

interface DriftSample {
  readonly ms: number;
  readonly firstReach: boolean;
  readonly verified: boolean;
}

type HourFigure = Omit<AccountsFigure, 'setupS' | 'runS'>;

async function runHour(
  world: World,
  config: WardenConfig,
  bindings: readonly MemberBinding[],
  scale: AccountsScale,
): Promise<HourFigure> {
  const { control } = world;
  const limits = config.limits;
  const scopes = [...new Map(bindings.map((b) => [`${b.account}/${b.region}`, b])).values()];
  const scopeControls = scopes.map((binding) => ({
    key: `${binding.account}/${binding.region}`,
    control: control.in({ account: binding.account, region: binding.region }),
  }));
  // The SDK's own retries, as deployed.
  const aws = world.controllerAws({ retries: 'sdk' });
  const sqs = new SQSClient({
    endpoint: world.endpoint,
    region: world.region,
    credentials: { accessKeyId: KEYS.controller, secretAccessKey: SIM_SECRET },
  });
  try {
    const { base, advanceTo, slots, run: runHub } = await startSweeps(sqs, control, config, aws);
    const guardClock = new InstantClock();
    // One guard environment at its deployed part of the event share (the cap's C environments split it).
    const guardDeps = clockedDeps(config, aws, guardClock, base, ENVIRONMENT_SHARE.guard(limits));
    const guard = inEventScope('guard', handleApiCall);

    // Each drifted member twice, half the run apart: first reached by the guard, then with cached credentials.
    const drifted = Array.from(
      { length: scale.driftedMembers },
      (_, index) => scopes[Math.floor((index * scopes.length) / scale.driftedMembers)] as MemberBinding,
    );
    const end = RUN_MINUTES * 60_000;
    const drifts = [0, 1].flatMap((round) =>
      drifted.map((binding, index) => ({
        binding,
        firstReach: round === 0,
        at: Math.floor(((round * drifted.length + index + 0.5) * end) / (2 * drifted.length)),
      })),
    );

    const feed = await EventFeed.open(control);
    await control.resetCalls();
    for (const target of [control, ...scopeControls.map((scope) => scope.control)]) {
      await target.resetCalls();
      if (!(await target.throttling({ enabled: true, reset: true })).enabled)
        throw new Error('the simulator did not turn its throttling on');
    }
    const elbSeen = new Map<string, Record<string, number>>();
    const perMinuteMax = { calls: 0, bucket: 'describe', scope: '' };
    const readMemberElb = async () => {
      for (const { key, control: scoped } of scopeControls) {
        const counts = (await scoped.calls()).elbv2 ?? {};
        const before = elbSeen.get(key) ?? {};
        const buckets: Record<string, number> = {};
        for (const [action, count] of Object.entries(counts)) {
          const bucket = elbv2BucketOf(action);
          buckets[bucket] = (buckets[bucket] ?? 0) + count - (before[action] ?? 0);
        }
        for (const [bucket, calls] of Object.entries(buckets))
          if (calls > perMinuteMax.calls) Object.assign(perMinuteMax, { calls, bucket, scope: key });
        elbSeen.set(key, counts);
      }
    };

    const samples: DriftSample[] = [];
    let failed = 0;
    let sweepsRun = 0;
    let busyMs = 0;
    let forwarded = 0;
    const countFailures = (result: { bindings: readonly { status: string }[] }) => {
      failed += result.bindings.filter((binding) => binding.status !== 'ok').length;
    };
    let nextDrift = 0;
    const run = await runHub({
      end,
      afterTurn: (slot, turn, start) => {
        // Billed time: the limiters' waits on the slot's clock and the invocation's own work.
        const duration = slot.clock.now() - start + turn.wallMs;
        busyMs += duration;
        countFailures(turn.result);
        sweepsRun += turn.result.bindings.filter((binding) => binding.status === 'ok').length;
        return duration;
      },
      atMinute: readMemberElb,
      interject: async (t) => {
        const drift = drifts[nextDrift];
        if (!drift || drift.at > t) return false;
        nextDrift += 1;
        await advanceTo(drift.at);
        const sample = await driftAndRepair(world, feed, drift.binding, async (raw) => {
          guardClock.startAt(drift.at);
          const waitedFrom = guardClock.now();
          const started = performance.now();
          const event = parseEvent(raw);
          if (event.type !== 'api-call') throw new Error(`the guard's rule delivered a ${event.type} event`);
          const result = await guard(guardDeps, event);
          return { result, ms: performance.now() - started + (guardClock.now() - waitedFrom) };
        });
        countFailures(sample.result);
        forwarded += sample.forwarded;
        samples.push({ ms: sample.ms, firstReach: drift.firstReach, verified: sample.verified });
        return true;
      },
    });

    let throttlingErrors = 0;
    for (const target of [control, ...scopeControls.map((scope) => scope.control)]) {
      const { throttled } = await target.throttlingState();
      throttlingErrors += Object.values(throttled)
        .flatMap((actions) => Object.values(actions))
        .reduce((sum, count) => sum + count, 0);
      await target.throttling({ enabled: false });
    }
    const calls = (await control.calls()) as Partial<Record<string, Record<string, number>>>;
    const minutes = RUN_MINUTES;
    const guardMs = samples.reduce((sum, sample) => sum + sample.ms, 0);
    const use = monthlyUse({
      minutes,
      calls,
      run,
      workerBusyMs: busyMs,
      other: { invocations: samples.length, gbSeconds: (guardMs / 1000) * GUARD_MEMORY_GB },
    });
    const breakdown = {
      ...use.usd,
      eventBridge: ((forwarded * MINUTES_PER_MONTH) / minutes) * EVENTBRIDGE_CROSS_ACCOUNT_EVENT_USD,
    };
    const cost = breakdown.lambda + breakdown.sqs + breakdown.dynamodb + breakdown.eventBridge;
    const environments = slots.length + 1;
    const refreshEvery = SESSION_MS - REFRESH_BEFORE_MS;
    const bucketRate = ELBV2_BUCKETS[perMinuteMax.bucket as keyof typeof ELBV2_BUCKETS].refillPerSecond * 60;
    const ms = (list: readonly DriftSample[]) => round(median(list.map((sample) => sample.ms)));
    return {
      accounts: scale.accounts,
      regions: scale.regions,
      bindings: bindings.length,
      eventPathOursMs: ms(samples),
      eventPathOursMaxMs: round(Math.max(...samples.map((sample) => sample.ms))),
      eventPathFirstReachMs: ms(samples.filter((sample) => sample.firstReach)),
      eventPathCachedMs: ms(samples.filter((sample) => !sample.firstReach)),
      eventPathLatencyPerCallMs: EVENT_LATENCY_MS,
      drifts: samples.length,
      repairsVerified: samples.filter((sample) => sample.verified).length,
      assumeRoleCallsPerHour: calls.sts?.AssumeRole ?? 0,
      assumeRoleCallsBound: environments * scopes.length * Math.ceil((minutes * 60_000) / refreshEvery),
      hubEnvironments: environments,
      maxMemberElbCallsPerMinute: perMinuteMax.calls,
      maxMemberElbBucket: perMinuteMax.bucket,
      maxMemberElbBucketRatePerMinute: bucketRate,
      maxMemberElbScope: perMinuteMax.scope,
      throttlingErrors,
      failedBindingRuns: failed,
      intervalMinutes: sweepIntervalMinutes(bindings.length, limits),
      sweepsRun,
      simulatedMinutes: minutes,
      eventsForwardedPerHour: forwarded,
      hubCostPerMonthUsd: round(cost),
      hubCostBreakdownUsd: {
        lambda: round(breakdown.lambda),
        sqs: round(breakdown.sqs),
        dynamodb: round(breakdown.dynamodb),
        eventBridge: round(breakdown.eventBridge),
      },
    };
  } finally {
    sqs.destroy();
  }
}

/**
 * A person in the member turns the binding's HTTP redirect into a forward; the forwarded CloudTrail event is
 * handed to `handle` as the hub's rule routes it. Verified: the guard says it repaired and verified the
 * listener, and the listener redirects with a 301 again when read from the member.
 */
async function driftAndRepair(
  world: World,
  feed: EventFeed,
  binding: MemberBinding,
  handle: (raw: unknown) => Promise<{ result: InvocationResult; ms: number }>,
): Promise<{ result: InvocationResult; ms: number; verified: boolean; forwarded: number }> {
  const admin = createClients(world.endpoint, binding.region, binding.adminKey);
  const memberControl = world.control.in({ account: binding.account, region: binding.region });
  try {
    await admin.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: binding.topology.httpListenerArn,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: binding.topology.targetGroupArn }],
      }),
    );
    let handled: { result: InvocationResult; ms: number } | undefined;
    let forwarded = 0;
    const latency = (latencyMs: number) =>
      Promise.all([world.control.faults({ latencyMs }), memberControl.faults({ latencyMs })]);
    await latency(EVENT_LATENCY_MS);
    try {
      await feed.deliver(world.controllerRoleArn, async (target, raw) => {
        if (raw.account !== world.account) forwarded += 1;
        if (target !== 'guard' || handled) return undefined;
        handled = await handle(raw);
        return handled;
      });
    } finally {
      await latency(0);
    }
    if (!handled) throw new Error(`no forwarded event of ${binding.name}'s drift reached the guard`);
    const outcome = handled.result.bindings.find((result) => result.binding === binding.name)?.listeners;
    const { Listeners = [] } = await admin.elbv2.send(
      new DescribeListenersCommand({ ListenerArns: [binding.topology.httpListenerArn] }),
    );
    const action = Listeners[0]?.DefaultActions?.[0];
    const verified =
      outcome?.outcome === 'repaired' &&
      outcome.verified === true &&
      action?.Type === 'redirect' &&
      action.RedirectConfig?.StatusCode === 'HTTP_301';
    return { ...handled, verified, forwarded };
  } finally {
    destroyClients(admin);
  }
}
