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
import { type Clock, ELB_BUCKETS } from '../functions/adapters/rate-limit.ts';
import { parseConfig, type WardenConfig, type WardenConfigInput } from '../functions/config.ts';
import { createDeps } from '../functions/deps.ts';
import { DISCOVERY_TAG } from '../functions/domain/discovery.ts';
import { sweepIntervalMinutes, workerShare } from '../functions/domain/sweep-schedule.ts';
import { parseBody } from '../functions/handlers/sweep-worker.ts';
import { awsSweepQueue } from '../functions/queue-deps.ts';
import { silentTelemetry } from '../functions/use-cases/context.ts';
import { discoverForSweep } from '../functions/use-cases/discovery.ts';
import { scheduleSweeps } from '../functions/use-cases/schedule.ts';
import { sweepWorker } from '../functions/use-cases/sweep-worker.ts';
import { SWEEP_BATCH_SIZE, SWEEP_WORKER_TIMEOUT } from '../infra/constructs/sweep-fanout.ts';
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
export const WORKER_MEMORY_GB = 0.5;
export const SCHEDULER_MEMORY_GB = 0.25;
/**
 * Lambda polls a queue with five concurrent long polls (20 s each) while it is idle, and keeps them when a
 * maximum concurrency is set (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
 */
export const IDLE_RECEIVES_PER_MINUTE = 5 * 3;

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

/** A worker slot's clock: waiting for a token moves it forward, nothing waits for real. */
export class SlotClock implements Clock {
  #now = 0;
  now(): number {
    return this.#now;
  }
  async sleep(ms: number): Promise<void> {
    this.#now += ms;
  }
  /** Moves to `ms` if that is later (a slot that idled until a message came). */
  startAt(ms: number): void {
    this.#now = Math.max(this.#now, ms);
  }
}

export async function measureFleet(scale: FleetScale): Promise<FleetFigure> {
  const world = await startWorld({
    bindings: scale.bindings,
    instancesPerBinding: scale.instancesPerBinding,
    healthCheck: true,
  });
  try {
    await converge(world, world.deps({ apiShare: 1 }, new SlotClock()));
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
    const queue = await createSweepQueue(sqs, {
      visibilityTimeoutSeconds: 6 * SWEEP_WORKER_TIMEOUT.toSeconds(),
      maxReceiveCount: 3,
    });
    // t = 0 is a minute boundary on the simulator's clock.
    let simNow = Date.parse((await control.clock(0)).now);
    const base = Math.ceil(simNow / 60_000) * 60_000;
    const advanceTo = async (t: number) => {
      if (base + t > simNow) simNow = Date.parse((await control.clock(base + t - simNow)).now);
    };
    await advanceTo(0);

    const intervalMinutes = sweepIntervalMinutes(scale.bindings, limits);
    const simulatedMinutes = Math.max(10, intervalMinutes + 2);
    const end = simulatedMinutes * 60_000;
    const schedulerDeps = createDeps(config, { telemetry: silentTelemetry, aws, now: () => simNow });
    const sweepQueue = awsSweepQueue(queue.queueUrl, aws);
    const slots = Array.from({ length: limits.sweepWorkers }, (_, index) => {
      const clock = new SlotClock();
      const deps = createDeps(config, {
        telemetry: silentTelemetry,
        aws,
        apiShare: workerShare(limits),
        limiterClock: clock,
        now: () => base + clock.now(),
      });
      return { index, clock, deps, freeAt: 0 };
    });

    const lastSwept = new Map(world.config.bindings.map((binding) => [binding.name, 0]));
    const sweptOnce = new Set<string>();
    let sweptAllAt: number | undefined;
    let worstGap = 0;
    let longest = 0;
    let busyMs = 0;
    let invocations = 0;
    let messages = 0;
    let sweepsRun = 0;
    let throttling = 0;
    let schedulerMaxMs = 0;
    let schedulerMs = 0;
    let schedules = 0;

    // The set recorded once before the run, as a running deployment has it: its first writes are not a month's.
    await discoverForSweep(schedulerDeps);
    await control.resetCalls();
    // AWS's own buckets, shared by every caller of the account and region: the share is held or it is not.
    if (!(await control.throttling({ enabled: true, reset: true })).enabled)
      throw new Error('the simulator did not turn its ELB throttling on');
    let nextTick = 0;
    for (;;) {
      const slot = slots.reduce((a, b) => (b.freeAt < a.freeAt ? b : a));
      if (nextTick <= slot.freeAt) {
        if (nextTick >= end) break;
        await advanceTo(nextTick);
        const started = performance.now();
        await scheduleSweeps(schedulerDeps, sweepQueue, { at: base + nextTick });
        const wall = performance.now() - started;
        schedulerMaxMs = Math.max(schedulerMaxMs, wall);
        schedulerMs += wall;
        schedules += 1;
        nextTick += 60_000;
        continue;
      }
      const start = slot.freeAt;
      await advanceTo(start);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.queueUrl,
          MaxNumberOfMessages: SWEEP_BATCH_SIZE,
        }),
      );
      if (Messages.length === 0) {
        slot.freeAt = nextTick;
        continue;
      }
      slot.clock.startAt(start);
      const batch = Messages.map((message) => ({
        id: message.MessageId ?? '',
        bindings: parseBody(message.Body ?? '') ?? [],
      }));
      const result = await sweepWorker(slot.deps, batch, {
        holder: `slot-${slot.index}-${invocations}`,
        leaseMs: SWEEP_WORKER_TIMEOUT.toMilliseconds() + 30_000,
      });
      const finished = slot.clock.now();
      const duration = finished - start;
      invocations += 1;
      messages += Messages.length;
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
      const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
      for (const message of Messages) {
        if (failed.has(message.MessageId ?? '')) continue;
        await sqs.send(
          new DeleteMessageCommand({
            QueueUrl: queue.queueUrl,
            ReceiptHandle: message.ReceiptHandle,
          }),
        );
      }
      slot.freeAt = finished;
    }
    for (const last of lastSwept.values()) worstGap = Math.max(worstGap, end - last);

    const calls = await control.calls();
    const refused = (await control.throttlingState()).throttled;
    await control.throttling({ enabled: false });
    const refusedCalls = Object.values(refused)
      .flatMap((actions) => Object.values(actions))
      .reduce((sum, count) => sum + count, 0);
    const minutes = simulatedMinutes;
    const monthly = (count: number) => (count * MINUTES_PER_MONTH) / minutes;
    const elbCalls = totalCalls(calls, 'elbv2');
    const describes = Object.entries(calls.elbv2 ?? {})
      .filter(([action]) => action.startsWith('Describe'))
      .reduce((sum, [, count]) => sum + count, 0);
    const dynamodb = calls.dynamodb ?? {};
    const reads = (dynamodb.Query ?? 0) + (dynamodb.GetItem ?? 0);
    const writes =
      (dynamodb.PutItem ?? 0) +
      (dynamodb.UpdateItem ?? 0) +
      (dynamodb.DeleteItem ?? 0) +
      (dynamodb.BatchWriteItem ?? 0);
    const sendBatches =
      (calls as Record<string, Record<string, number> | undefined>).sqs?.SendMessageBatch ?? 0;
    const workerGbSeconds = monthly(busyMs / 1000) * WORKER_MEMORY_GB;
    const schedulerGbSeconds = MINUTES_PER_MONTH * (schedulerMs / schedules / 1000) * SCHEDULER_MEMORY_GB;
    const lambdaInvocations = monthly(invocations) + MINUTES_PER_MONTH;
    const sqsRequests = monthly(sendBatches + 2 * messages) + MINUTES_PER_MONTH * IDLE_RECEIVES_PER_MINUTE;
    const lambdaGbSeconds = workerGbSeconds + schedulerGbSeconds;
    const cost =
      lambdaGbSeconds * PRICES_USD.lambdaGbSecondArm +
      lambdaInvocations * PRICES_USD.lambdaRequest +
      sqsRequests * PRICES_USD.sqsRequest +
      monthly(reads) * PRICES_USD.dynamodbRead +
      monthly(writes) * PRICES_USD.dynamodbWrite;
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
      schedulerMaxMs: round(schedulerMaxMs),
      sweepsRun,
      discoveredByTags: true,
      taggingCallsPerMinute: round(
        Object.values((calls as Record<string, Record<string, number> | undefined>).tagging ?? {}).reduce(
          (sum, count) => sum + count,
          0,
        ) / minutes,
      ),
      lambdaInvocationsPerMonth: Math.round(lambdaInvocations),
      lambdaGbSecondsPerMonth: Math.round(lambdaGbSeconds),
      dynamodbReadsPerMonth: Math.round(monthly(reads)),
      dynamodbWritesPerMonth: Math.round(monthly(writes)),
      sqsRequestsPerMonth: Math.round(sqsRequests),
      costPerMonthUsd: round(cost),
    };
  } finally {
    sqs.destroy();
  }
}
