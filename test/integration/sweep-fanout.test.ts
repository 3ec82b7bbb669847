/**
 * The sweep as a scheduler and workers on the simulator: the scheduled handler queues the due bindings on
 * SQS, the event source mapping (testkit/sweep-queue.ts) delivers them to the worker handler in batches, and
 * leases in the state table keep each binding to one worker. The real handlers, adapters and queue; the ELB
 * rate limiter on a clock that does not wait (the schedule, not the waiting, is under test here).
 */
import {
  AddTagsCommand,
  DescribeListenersCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { driftEvent, scheduledEvent } from '../../bench/events.ts';
import { startWorld, type World } from '../../bench/world.ts';
import { parseConfig, type WardenConfig, type WardenConfigInput } from '../../functions/config.ts';
import { createDeps } from '../../functions/deps.ts';
import { DISCOVERY_TAG } from '../../functions/domain/discovery.ts';
import { eventShare, sweepIntervalMinutes, workerShare } from '../../functions/domain/sweep-schedule.ts';
import { createGuardHandler } from '../../functions/handlers/guard.ts';
import { createObservability } from '../../functions/handlers/runtime.ts';
import { createSweepHandler } from '../../functions/handlers/sweep.ts';
import { createSweepWorkerHandler } from '../../functions/handlers/sweep-worker.ts';
import { awsSweepQueue } from '../../functions/queue-deps.ts';
import { silentTelemetry } from '../../functions/use-cases/context.ts';
import type { WorkerResult } from '../../functions/use-cases/sweep-worker.ts';
import { instantClock } from '../../testkit/limiter-clock.ts';
import {
  createSweepQueue,
  EventSourceMapping,
  type SweepQueueResources,
  visibleMessages,
} from '../../testkit/sweep-queue.ts';
import { SIM_SECRET, zeroDelayRetries } from '../../testkit/world.ts';

const BINDINGS = 50;
const WORKER_TIMEOUT_MS = 120_000;

let world: World;
let sqs: SQSClient;
let queue: SweepQueueResources;

beforeAll(async () => {
  world = await startWorld({ bindings: BINDINGS, instancesPerBinding: 1, healthCheck: true });
  sqs = new SQSClient({
    endpoint: world.simulator.endpoint,
    region: world.simulator.region,
    credentials: { accessKeyId: 'AKIAWARDENHARNESS001', secretAccessKey: SIM_SECRET },
  });
  queue = await createSweepQueue(sqs, { visibilityTimeoutSeconds: 720, maxReceiveCount: 3 });
}, 120_000);
afterAll(async () => {
  sqs?.destroy();
  await world?.stop();
});
beforeEach(() => {
  // Powertools writes every log line and metric to stdout: kept out of the test report.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  return () => vi.restoreAllMocks();
});

function controller(config: WardenConfig = world.config) {
  const limits = config.limits;
  const aws = {
    endpoint: world.simulator.endpoint,
    region: world.simulator.region,
    credentials: { accessKeyId: 'AKIAWARDENCONTROLLER', secretAccessKey: SIM_SECRET },
    retryStrategy: zeroDelayRetries,
  };
  const queueClient = awsSweepQueue(queue.queueUrl, aws);
  const deps = (apiShare: number) =>
    createDeps(config, { telemetry: silentTelemetry, aws, apiShare, limiterClock: instantClock() });
  const schedulerDeps = deps(limits.apiShare);
  const workerDeps = deps(workerShare(limits));
  const guardDeps = deps(eventShare(limits));
  const scheduler = createSweepHandler(createObservability('sweep'), () => schedulerDeps, queueClient);
  const worker = createSweepWorkerHandler(createObservability('sweep-worker'), () => workerDeps);
  const guard = createGuardHandler(createObservability('guard'), () => guardDeps);
  const mapping = new EventSourceMapping(
    sqs,
    { url: queue.queueUrl, arn: queue.queueArn },
    world.simulator.region,
    (event, context) => worker(event, context as never),
    { batchSize: 1, maximumConcurrency: limits.sweepWorkers, timeoutMs: WORKER_TIMEOUT_MS },
  );
  return { scheduler, guard, mapping, deps: workerDeps };
}

/** The scheduled event of the `minute`th minute after `start`, and the simulator's clock moved to it. */
async function minuteEvent(start: number, minute: number) {
  const time = new Date(start + minute * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return { ...scheduledEvent(world), time };
}

describe('the sweep on workers', () => {
  it('sweeps every one of 50 bindings exactly once within the interval it reports', async () => {
    const { scheduler, mapping } = controller();
    const start = Math.ceil(Date.now() / 60_000) * 60_000;
    const interval = sweepIntervalMinutes(BINDINGS, world.config.limits);

    const schedules: { intervalMinutes: number; due: string[] }[] = [];
    for (let minute = 0; minute < interval; minute++) {
      schedules.push((await scheduler(await minuteEvent(start, minute), {} as never)) as never);
      await mapping.drain();
      await world.control.clock(60_000);
    }
    const results = mapping.invocations.map((invocation) => invocation.response as WorkerResult);
    const swept = results.flatMap((result) => result.bindings.map((binding) => binding.binding));

    expect(interval).toBe(3);
    expect(schedules.map((schedule) => schedule.intervalMinutes)).toEqual([3, 3, 3]);
    expect(schedules.every((schedule) => schedule.due.length < BINDINGS)).toBe(true);
    expect(swept.toSorted()).toEqual(world.bindings.map((binding) => binding.name).toSorted());
    expect(results.flatMap((result) => result.bindings).every((binding) => binding.status === 'ok')).toBe(
      true,
    );
    expect(results.every((result) => result.batchItemFailures.length === 0)).toBe(true);
    expect(mapping.invocations.every((invocation) => invocation.records.length === 1)).toBe(true);
    expect(await visibleMessages(sqs, queue.queueUrl)).toBe(0);
  }, 120_000);

  it('repairs drift from its event at once while sweeps wait in the queue', async () => {
    const { scheduler, guard, mapping } = controller();
    const [binding] = world.bindings;
    if (!binding) throw new Error('no binding');
    await scheduler(await minuteEvent(Date.now(), 0), {} as never);
    const waiting = await visibleMessages(sqs, queue.queueUrl);

    const repaired = await guard(await driftEvent(world, binding), {} as never);
    const { Listeners } = await world.clients.elbv2.send(
      new DescribeListenersCommand({ ListenerArns: [binding.topology.httpListenerArn] }),
    );
    const stillWaiting = await visibleMessages(sqs, queue.queueUrl);
    await mapping.drain();

    expect(waiting).toBeGreaterThan(0);
    expect(repaired).toMatchObject({
      function: 'guard',
      bindings: [{ binding: binding.name, listeners: { outcome: 'repaired' } }],
    });
    expect(Listeners?.[0]?.DefaultActions?.[0]?.RedirectConfig?.StatusCode).toBe('HTTP_301');
    expect(stillWaiting).toBe(waiting);
  }, 120_000);

  it('delivers a message its worker failed again after the visibility timeout', async () => {
    const { scheduler, mapping } = controller();
    await world.control.faults({
      service: 'elbv2',
      action: 'DescribeTargetHealth',
      error: 'Throttling',
      count: 20,
    });
    const schedule = (await scheduler(await minuteEvent(Date.now(), 0), {} as never)) as unknown as {
      due: string[];
    };

    await mapping.drain();
    const failedOnce = mapping.invocations.filter((invocation) => invocation.failed.length > 0).length;
    const hidden = await visibleMessages(sqs, queue.queueUrl);
    await world.control.clock(721_000);
    const visibleAgain = await visibleMessages(sqs, queue.queueUrl);
    await mapping.drain();

    expect(schedule.due.length).toBeGreaterThan(0);
    expect(failedOnce).toBeGreaterThan(0);
    expect(hidden).toBe(0);
    expect(visibleAgain).toBe(failedOnce);
    expect(await visibleMessages(sqs, queue.queueUrl)).toBe(0);
  }, 120_000);
});

describe('bindings found by tag on workers', () => {
  it('are discovered by the scheduler alone and swept by a worker from the set it recorded', async () => {
    const document = JSON.parse(world.configJson) as WardenConfigInput & {
      bindings: (NonNullable<WardenConfigInput['bindings']>[number] & {
        loadBalancerArn: string;
        targetGroupArn: string;
      })[];
    };
    const [tagged, ...explicit] = document.bindings;
    if (!tagged) throw new Error('no binding');
    const guardTags = [
      { Key: 'alb-warden:guard', Value: 'true' },
      { Key: DISCOVERY_TAG.targetGroup, Value: tagged.targetGroupArn },
      { Key: DISCOVERY_TAG.bindingName, Value: tagged.name },
    ];
    await world.clients.elbv2.send(
      new AddTagsCommand({ ResourceArns: [tagged.loadBalancerArn], Tags: guardTags }),
    );
    const config = parseConfig({
      ...document,
      bindings: explicit,
      discovery: [
        {
          name: 'fleet',
          selector: { tags: { 'alb-warden:guard': 'true' } },
          defaults: { instanceSelector: tagged.instanceSelector, healthCheck: tagged.healthCheck },
        },
      ],
    });
    const { scheduler, mapping } = controller(config);
    const getResources = async () =>
      ((await world.control.calls()) as Record<string, Record<string, number>>).tagging?.GetResources ?? 0;
    const start = Math.ceil(Date.now() / 60_000) * 60_000;
    const interval = sweepIntervalMinutes(BINDINGS, config.limits);

    const discovered: unknown[] = [];
    let byWorkers = 0;
    try {
      for (let minute = 0; minute < interval; minute++) {
        const run = (await scheduler(await minuteEvent(start, minute), {} as never)) as unknown as {
          discovery?: { discovered: unknown[] };
        };
        discovered.push(...(run.discovery?.discovered ?? []));
        const before = await getResources();
        await mapping.drain();
        byWorkers += (await getResources()) - before;
        await world.control.clock(60_000);
      }
    } finally {
      await world.clients.elbv2.send(
        new RemoveTagsCommand({
          ResourceArns: [tagged.loadBalancerArn],
          TagKeys: guardTags.map((tag) => tag.Key),
        }),
      );
    }
    const results = mapping.invocations.map((invocation) => invocation.response as WorkerResult);
    const swept = results.flatMap((result) => result.bindings.map((binding) => binding.binding));

    expect(discovered).toContainEqual({
      binding: tagged.name,
      policy: 'fleet',
      loadBalancerArn: tagged.loadBalancerArn,
      account: '123456789012',
      region: tagged.loadBalancerArn.split(':')[3],
    });
    expect(swept.filter((name) => name === tagged.name)).toEqual([tagged.name]);
    expect(swept.toSorted()).toEqual(document.bindings.map((binding) => binding.name).toSorted());
    expect(results.flatMap((result) => result.skipped)).toEqual([]);
    expect(byWorkers).toBe(0);
  }, 120_000);
});

describe('sweep leases in the state table', () => {
  it('holds one holder at a time, lets the holder retry, hands an expired lease over and keeps it from loads', async () => {
    const { state } = controller().deps;
    const now = Date.now();
    const binding = 'lease-test';

    const first = await state.lease(binding, 'worker-a', now + 150_000, now);
    const rival = await state.lease(binding, 'worker-b', now + 150_000, now + 1000);
    const retried = await state.lease(binding, 'worker-a', now + 150_000, now + 2000);
    const takenOver = await state.lease(binding, 'worker-b', now + 300_000, now + 150_000);
    await state.release(binding, 'worker-a');
    const afterStaleRelease = await state.lease(binding, 'worker-c', now + 300_000, now + 160_000);
    await state.release(binding, 'worker-b');
    const afterRelease = await state.lease(binding, 'worker-c', now + 300_000, now + 160_000);
    const records = await state.load(binding);

    expect([first, rival, retried, takenOver, afterStaleRelease, afterRelease]).toEqual([
      true,
      false,
      true,
      true,
      false,
      true,
    ]);
    expect(records).toEqual([]);
  });
});
