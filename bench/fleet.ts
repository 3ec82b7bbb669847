/**
 * Fleet figures: B bindings of N instances in one account and region, swept by the scheduler and the sweep
 * workers as deployed (default limits: apiShare 0.25, sweepFraction 0.5, 2 workers), on a simulated clock.
 *
 * The world is converged first (every binding swept at t = 0). Then, minute by minute, the real scheduler
 * queues the due bindings on the simulator's SQS, and W worker slots (the event source mapping's maximum
 * concurrency) take one message each as soon as they are free, running the real worker with its own ELB rate
 * limiter on the slot's clock: an invocation lasts as long as its limiter makes it wait (AWS answers at once
 * here), and a slot is busy for that long. The run lasts max(10, N + 2) simulated minutes, so every binding
 * comes up at least once. The simulator's clock follows (draining, visibility timeouts).
 *
 * Monthly figures scale the run to 30 days of 1,440 minutes. Prices: README, Performance.
 */
import { AddTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ELB_BUCKETS } from '../functions/adapters/rate-limit.ts';
import { parseConfig, type WardenConfig, type WardenConfigInput } from '../functions/config.ts';
import { type AwsClientOptions, createDeps } from '../functions/deps.ts';
import { ENVIRONMENT_SHARE } from '../functions/domain/api-share.ts';
import { DISCOVERY_TAG } from '../functions/domain/discovery.ts';
import { sweepIntervalMinutes } from '../functions/domain/sweep-schedule.ts';
import { parseBody } from '../functions/handlers/sweep-worker.ts';
import { awsSweepQueue } from '../functions/queue-deps.ts';
import { type Deps, silentTelemetry } from '../functions/use-cases/context.ts';
import { discoverForSweep } from '../functions/use-cases/discovery.ts';
import { scheduleSweeps } from '../functions/use-cases/schedule.ts';
import { sweepWorker, type WorkerResult } from '../functions/use-cases/sweep-worker.ts';
import { SWEEP_BATCH_SIZE, SWEEP_WORKER_TIMEOUT } from '../infra/constructs/sweep-fanout.ts';
import type { SimControl } from '../sim/control.ts';
import { InstantClock } from '../testkit/limiter-clock.ts';
import { createSweepQueue } from '../testkit/sweep-queue.ts';
import { totalCalls } from './calls.ts';
import { round } from './stats.ts';
import { converge, startWorld, type World } from './world.ts';

export interface FleetScale {
  readonly bindings: number;
  readonly instancesPerBinding: number;
}

export const FLEET_SCALES: readonly FleetScale[] = [
  { bindings: 100, instancesPerBinding: 10 },
  { bindings: 1000, instancesPerBinding: 10 },
];
export const QUICK_FLEET_SCALES: readonly FleetScale[] = [{ bindings: 100, instancesPerBinding: 10 }];

/**
 * Public list prices, US East (N. Virginia), free tiers not deducted (README, Performance, names the pages and
 * the date): Lambda on Arm per GB-second and per request, SQS standard per request, DynamoDB on-demand per
 * read and write request unit.
 */
export const PRICES_USD = {
  lambdaGbSecondArm: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6,
  dynamodbRead: 0.125 / 1e6,
  dynamodbWrite: 0.625 / 1e6,
} as const;

export const MINUTES_PER_MONTH = 30 * 24 * 60;
const WORKER_MEMORY_GB = 0.5;
const SCHEDULER_MEMORY_GB = 0.25;
/**
 * Lambda polls a queue with five concurrent long polls (20 s each) while it is idle, and keeps them when a
 * maximum concurrency is set (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
 */
const IDLE_RECEIVES_PER_MINUTE = 5 * 3;

export interface FleetFigure {
  readonly bindings: number;
  readonly instancesPerBinding: number;
  /** The interval the scheduler reports: every binding once in this many minutes. */
  readonly intervalMinutes: number;
  readonly simulatedMinutes: number;
  readonly workers: number;
  /** Time until every binding had been swept once in the run. */
  readonly sweptAllWithinS: number;
  /** The longest any binding went unswept in the run (t = 0: every binding freshly swept). */
  readonly worstStalenessS: number;
  readonly elbCallsPerMinute: number;
  /** ELB describe calls a second over the run, of the account's 10 a second. */
  readonly elbDescribeShareOfBucket: number;
  /** What the controller may use of it: apiShare × sweepFraction. */
  readonly sweepShareOfBucket: number;
  /**
   * ELB and EC2 requests the simulator refused as AWS throttles them (its per-account-and-region token buckets,
   * on for the run), retried or not; plus bindings whose sweep still failed on throttling.
   */
  readonly throttlingErrors: number;
  /** Of those, the bindings whose sweep failed on throttling after the SDK's retries. */
  readonly throttledSweeps: number;
  /** The longest worker invocation (limiter waits; AWS answers at once here). */
  readonly maxInvocationS: number;
  /** The scheduler's longest run (wall time against the simulator). */
  readonly schedulerMaxMs: number;
  readonly sweepsRun: number;
  /** The bindings come from one discovery policy over the load balancers' tags, none from `bindings`. */
  readonly discoveredByTags: true;
  /** The scheduler's Resource Groups Tagging API calls a minute (a bucket of their own, not ELB's). */
  readonly taggingCallsPerMinute: number;
  readonly lambdaInvocationsPerMonth: number;
  readonly lambdaGbSecondsPerMonth: number;
  readonly dynamodbReadsPerMonth: number;
  readonly dynamodbWritesPerMonth: number;
  readonly sqsRequestsPerMonth: number;
  readonly costPerMonthUsd: number;
}

export async function measureFleet(scale: FleetScale): Promise<FleetFigure> {
  const world = await startWorld({
    bindings: scale.bindings,
    instancesPerBinding: scale.instancesPerBinding,
    healthCheck: true,
  });
  try {
    await converge(world, world.deps({ apiShare: 1 }, { limiterClock: new InstantClock() }));
    return await runFleet(world, scale, await discoveredByTags(world));
  } finally {
    await world.stop();
  }
}

/** The fleet's guard tag, in the discovery policy of `discoveredByTags`. */
const FLEET_TAG = { Key: 'alb-warden:guard', Value: 'true' } as const;

/**
 * The same fleet declared by tags: every load balancer carries the guard tag, its target group, its binding's
 * name and instance selector, and the configuration holds one discovery policy and no binding. The scheduler
 * finds the bindings with the tagging API; the workers read the set it records.
 */
async function discoveredByTags(world: World): Promise<WardenConfig> {
  const document = JSON.parse(world.configJson) as WardenConfigInput;
  const bindings = document.bindings ?? [];
  const [first] = bindings;
  if (!first) throw new Error('the fleet world has no binding');
  for (const binding of bindings) {
    const selector = Object.entries(binding.instanceSelector.tags).map(([key, value]) => `${key}=${value}`);
    await world.clients.elbv2.send(
      new AddTagsCommand({
        ResourceArns: [binding.loadBalancerArn],
        Tags: [
          FLEET_TAG,
          { Key: DISCOVERY_TAG.targetGroup, Value: binding.targetGroupArn },
          { Key: DISCOVERY_TAG.bindingName, Value: binding.name },
          { Key: DISCOVERY_TAG.instanceSelector, Value: selector.join(',') },
        ],
      }),
    );
  }
  return parseConfig({
    ...document,
    bindings: [],
    discovery: [
      {
        name: 'fleet',
        selector: { tags: { [FLEET_TAG.Key]: FLEET_TAG.Value } },
        defaults: { https: first.https, healthCheck: first.healthCheck },
      },
    ],
  });
}

async function runFleet(world: World, scale: FleetScale, config: WardenConfig): Promise<FleetFigure> {
  const { control } = world;
  const limits = config.limits;
  const env = world.lambdaEnv;
  const aws = {
    endpoint: world.simulator.endpoint,
    region: world.simulator.region,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  };
  const sqs = new SQSClient(aws);
  try {
    const { schedulerDeps, slots, run: runHub } = await startSweeps(sqs, control, config, aws);

    const intervalMinutes = sweepIntervalMinutes(scale.bindings, limits);
    const simulatedMinutes = Math.max(10, intervalMinutes + 2);
    const end = simulatedMinutes * 60_000;

    const lastSwept = new Map(world.config.bindings.map((binding) => [binding.name, 0]));
    const sweptOnce = new Set<string>();
    let sweptAllAt: number | undefined;
    let worstGap = 0;
    let longest = 0;
    let busyMs = 0;
    let sweepsRun = 0;
    let throttling = 0;

    // The set recorded once before the run, as a running deployment has it: its first writes are not a month's.
    await discoverForSweep(schedulerDeps);
    await control.resetCalls();
    // AWS's own buckets, shared by every caller of the account and region: the share is held or it is not.
    if (!(await control.throttling({ enabled: true, reset: true })).enabled)
      throw new Error('the simulator did not turn its ELB throttling on');
    const run = await runHub({
      end,
      afterTurn: (slot, { result }, start) => {
        const finished = slot.clock.now();
        const duration = finished - start;
        busyMs += duration;
        longest = Math.max(longest, duration);
        for (const binding of result.bindings) {
          if (binding.error?.code && /Throttl|RequestLimitExceeded/.test(binding.error.code)) throttling += 1;
          if (binding.status !== 'ok') continue;
          sweepsRun += 1;
          worstGap = Math.max(worstGap, finished - (lastSwept.get(binding.binding) ?? 0));
          lastSwept.set(binding.binding, finished);
          sweptOnce.add(binding.binding);
          if (sweptOnce.size === world.config.bindings.length) sweptAllAt ??= finished;
        }
        return duration;
      },
    });
    for (const last of lastSwept.values()) worstGap = Math.max(worstGap, end - last);

    const calls = await control.calls();
    const refused = (await control.throttlingState()).throttled;
    await control.throttling({ enabled: false });
    const refusedCalls = Object.values(refused)
      .flatMap((actions) => Object.values(actions))
      .reduce((sum, count) => sum + count, 0);
    const minutes = simulatedMinutes;
    const elbCalls = totalCalls(calls, 'elbv2');
    const describes = Object.entries(calls.elbv2 ?? {})
      .filter(([action]) => action.startsWith('Describe'))
      .reduce((sum, [, count]) => sum + count, 0);
    const monthly = monthlyUse({ minutes, calls, run, workerBusyMs: busyMs });
    return {
      bindings: scale.bindings,
      instancesPerBinding: scale.instancesPerBinding,
      intervalMinutes,
      simulatedMinutes,
      workers: slots.length,
      sweptAllWithinS: sweptAllAt === undefined ? Number.NaN : round(sweptAllAt / 1000),
      worstStalenessS: round(worstGap / 1000),
      elbCallsPerMinute: round(elbCalls / minutes),
      elbDescribeShareOfBucket: round(describes / (minutes * 60) / ELB_BUCKETS.describe.refillPerSecond),
      sweepShareOfBucket: round(limits.apiShare * limits.sweepFraction),
      throttlingErrors: refusedCalls,
      throttledSweeps: throttling,
      maxInvocationS: round(longest / 1000),
      schedulerMaxMs: round(run.schedulerMaxMs),
      sweepsRun,
      discoveredByTags: true,
      taggingCallsPerMinute: round(
        Object.values((calls as Record<string, Record<string, number> | undefined>).tagging ?? {}).reduce(
          (sum, count) => sum + count,
          0,
        ) / minutes,
      ),
      lambdaInvocationsPerMonth: Math.round(monthly.lambdaInvocations),
      lambdaGbSecondsPerMonth: Math.round(monthly.lambdaGbSeconds),
      dynamodbReadsPerMonth: Math.round(monthly.dynamodbReads),
      dynamodbWritesPerMonth: Math.round(monthly.dynamodbWrites),
      sqsRequestsPerMonth: Math.round(monthly.sqsRequests),
      costPerMonthUsd: round(monthly.usd.lambda + monthly.usd.sqs + monthly.usd.dynamodb),
    };
  } finally {
    sqs.destroy();
  }
}

/** The sweep queue as the Warden stack deploys it: visibility 6 × the worker's timeout, 3 receives to the DLQ. */
function deployedSweepQueue(sqs: SQSClient) {
  return createSweepQueue(sqs, {
    visibilityTimeoutSeconds: 6 * SWEEP_WORKER_TIMEOUT.toSeconds(),
    maxReceiveCount: 3,
  });
}

/** The run's time: t = 0 is the next minute boundary on the simulator's clock; `advanceTo(t)` moves it on. */
async function runClock(control: SimControl) {
  let simNow = Date.parse((await control.clock(0)).now);
  const base = Math.ceil(simNow / 60_000) * 60_000;
  const advanceTo = async (t: number) => {
    if (base + t > simNow) simNow = Date.parse((await control.clock(base + t - simNow)).now);
  };
  await advanceTo(0);
  return { base, now: () => simNow, advanceTo };
}

/** What a run drives besides the hub: when it ends, what each worker turn costs, what else happens meanwhile. */
type DeploymentPlan = Omit<
  Parameters<typeof runDeployment>[0],
  'sqs' | 'queueUrl' | 'slots' | 'advanceTo' | 'schedule'
>;

/**
 * The hub as deployed, on the simulator: the sweep queue, the run's clock, the scheduler and the worker
 * slots, and `run`, which drives them (runDeployment) with the scheduler queueing each minute's bindings.
 */
export async function startSweeps(
  sqs: SQSClient,
  control: SimControl,
  config: WardenConfig,
  aws: AwsClientOptions,
) {
  const queue = await deployedSweepQueue(sqs);
  const { base, now, advanceTo } = await runClock(control);
  const schedulerDeps = createDeps(config, { telemetry: silentTelemetry, aws, now });
  const sweepQueue = awsSweepQueue(queue.queueUrl, aws);
  const slots = workerSlots(config, aws, base);
  return {
    base,
    advanceTo,
    schedulerDeps,
    slots,
    run: (plan: DeploymentPlan) =>
      runDeployment({
        ...plan,
        sqs,
        queueUrl: queue.queueUrl,
        slots,
        advanceTo,
        schedule: (t) => scheduleSweeps(schedulerDeps, sweepQueue, { at: base + t }),
      }),
  };
}

/** Deps whose rate limiter and own clock run on `clock`; `base` is its zero on the simulator's clock. */
export function clockedDeps(
  config: WardenConfig,
  aws: AwsClientOptions,
  clock: InstantClock,
  base: number,
  apiShare: number,
): Deps {
  return createDeps(config, {
    telemetry: silentTelemetry,
    aws,
    apiShare,
    limiterClock: clock,
    now: () => base + clock.now(),
  });
}

/** The worker slots: the event source mapping's maximum concurrency, each with a worker's share. */
function workerSlots(config: WardenConfig, aws: AwsClientOptions, base: number): WorkerSlot[] {
  return Array.from({ length: config.limits.sweepWorkers }, (_, index) => {
    const clock = new InstantClock();
    return {
      index,
      clock,
      deps: clockedDeps(config, aws, clock, base, ENVIRONMENT_SHARE['sweep-worker'](config.limits)),
      freeAt: 0,
    };
  });
}

/** One warm sweep-worker execution environment: its own deps (limiters, member credentials) and clock. */
export interface WorkerSlot {
  readonly index: number;
  readonly clock: InstantClock;
  readonly deps: Deps;
  freeAt: number;
}

/**
 * A slot's turn, as the event source mapping runs it: one ReceiveMessage batch, the real worker on the slot's
 * clock from `start`, and the messages it did not fail deleted. Undefined when the queue was empty.
 */
async function workerTurn(
  sqs: SQSClient,
  queueUrl: string,
  slot: WorkerSlot,
  start: number,
  invocation: number,
): Promise<{ result: WorkerResult; messages: number; wallMs: number } | undefined> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: SWEEP_BATCH_SIZE }),
  );
  if (Messages.length === 0) return undefined;
  slot.clock.startAt(start);
  const started = performance.now();
  const result = await sweepWorker(
    slot.deps,
    Messages.map((message) => ({
      id: message.MessageId ?? '',
      bindings: parseBody(message.Body ?? '') ?? [],
    })),
    {
      holder: `slot-${slot.index}-${invocation}`,
      leaseMs: SWEEP_WORKER_TIMEOUT.toMilliseconds() + 30_000,
    },
  );
  const wallMs = performance.now() - started;
  const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const message of Messages) {
    if (failed.has(message.MessageId ?? '')) continue;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
  return { result, messages: Messages.length, wallMs };
}

export interface DeploymentRun {
  readonly invocations: number;
  readonly messages: number;
  readonly schedules: number;
  /** The scheduler's wall time against the simulator, in all and its longest run. */
  readonly schedulerMs: number;
  readonly schedulerMaxMs: number;
}

type Turn = NonNullable<Awaited<ReturnType<typeof workerTurn>>>;

/**
 * The deployment on the simulated clock from 0 to `end`: every minute the real scheduler queues the bindings
 * due, and the slots take turns as soon as they are free (the simulator's clock moved to each start first).
 * `interject` runs what else is due by a time (a person's change) before anything later; `atMinute` runs at
 * each minute boundary after the first, the last at `end`.
 */
async function runDeployment(run: {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly slots: readonly WorkerSlot[];
  readonly end: number;
  readonly advanceTo: (t: number) => Promise<void>;
  readonly schedule: (t: number) => Promise<unknown>;
  /** After a worker invocation: how long it kept its slot busy. */
  readonly afterTurn: (slot: WorkerSlot, turn: Turn, start: number) => number;
  readonly atMinute?: (t: number) => Promise<void>;
  /** Runs something due by `t`, if there is: true when it did. */
  readonly interject?: (t: number) => Promise<boolean>;
}): Promise<DeploymentRun> {
  let nextTick = 0;
  let invocations = 0;
  let messages = 0;
  let schedules = 0;
  let schedulerMs = 0;
  let schedulerMaxMs = 0;
  for (;;) {
    const slot = run.slots.reduce((a, b) => (b.freeAt < a.freeAt ? b : a));
    if (await run.interject?.(Math.min(nextTick, slot.freeAt))) continue;
    if (nextTick <= slot.freeAt) {
      if (nextTick > 0) await run.atMinute?.(nextTick);
      if (nextTick >= run.end) break;
      await run.advanceTo(nextTick);
      const started = performance.now();
      await run.schedule(nextTick);
      const wall = performance.now() - started;
      schedulerMaxMs = Math.max(schedulerMaxMs, wall);
      schedulerMs += wall;
      schedules += 1;
      nextTick += 60_000;
      continue;
    }
    const start = slot.freeAt;
    await run.advanceTo(start);
    const turn = await workerTurn(run.sqs, run.queueUrl, slot, start, invocations);
    if (!turn) {
      slot.freeAt = nextTick;
      continue;
    }
    invocations += 1;
    messages += turn.messages;
    slot.freeAt = start + run.afterTurn(slot, turn, start);
  }
  return { invocations, messages, schedules, schedulerMs, schedulerMaxMs };
}

export interface MonthlyUse {
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
  readonly dynamodbReads: number;
  readonly dynamodbWrites: number;
  readonly sqsRequests: number;
  readonly usd: { readonly lambda: number; readonly sqs: number; readonly dynamodb: number };
}

/**
 * A run's use of the hub's Lambda, SQS and DynamoDB scaled to a month, and its price: the workers' busy time
 * at their memory, the scheduler's every minute, `other` functions' invocations and GB-seconds (the guard's);
 * SendMessageBatch calls, a receive and a delete per message and the mapping's idle polls; one request unit
 * per Query and per write.
 */
export function monthlyUse(use: {
  readonly minutes: number;
  readonly calls: Readonly<Record<string, Readonly<Record<string, number>> | undefined>>;
  readonly run: DeploymentRun;
  readonly workerBusyMs: number;
  readonly other?: { readonly invocations: number; readonly gbSeconds: number };
}): MonthlyUse {
  const monthly = (count: number) => (count * MINUTES_PER_MONTH) / use.minutes;
  const { run, calls } = use;
  const dynamodb = calls.dynamodb ?? {};
  const dynamodbReads = monthly((dynamodb.Query ?? 0) + (dynamodb.GetItem ?? 0));
  const dynamodbWrites = monthly(
    (dynamodb.PutItem ?? 0) +
      (dynamodb.UpdateItem ?? 0) +
      (dynamodb.DeleteItem ?? 0) +
      (dynamodb.BatchWriteItem ?? 0),
  );
  const sqsRequests =
    monthly((calls.sqs?.SendMessageBatch ?? 0) + 2 * run.messages) +
    MINUTES_PER_MONTH * IDLE_RECEIVES_PER_MINUTE;
  const lambdaGbSeconds =
    monthly(use.workerBusyMs / 1000) * WORKER_MEMORY_GB +
    MINUTES_PER_MONTH * (run.schedulerMs / run.schedules / 1000) * SCHEDULER_MEMORY_GB +
    monthly(use.other?.gbSeconds ?? 0);
  const lambdaInvocations = monthly(run.invocations + (use.other?.invocations ?? 0)) + MINUTES_PER_MONTH;
  return {
    lambdaInvocations,
    lambdaGbSeconds,
    dynamodbReads,
    dynamodbWrites,
    sqsRequests,
    usd: {
      lambda: lambdaGbSeconds * PRICES_USD.lambdaGbSecondArm + lambdaInvocations * PRICES_USD.lambdaRequest,
      sqs: sqsRequests * PRICES_USD.sqsRequest,
      dynamodb: dynamodbReads * PRICES_USD.dynamodbRead + dynamodbWrites * PRICES_USD.dynamodbWrite,
    },
  };
}
