/**
 * The controller wired to a world: the seed topology, an alert topic and state table created through AWS
 * calls, the real adapters pointed at the endpoint, and the recorded events delivered to the use-cases as
 * the deployed EventBridge rules route them (testkit/events.ts).
 */
import { ElbV2LoadBalancing } from '../../functions/adapters/elbv2.ts';
import { parseConfig, type WardenConfig, type WardenConfigInput } from '../../functions/config.ts';
import { createDeps } from '../../functions/deps.ts';
import type { Deps } from '../../functions/use-cases/context.ts';
import type { InvocationResult } from '../../functions/use-cases/results.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import {
  buildSeedTopology,
  createAlertResources,
  launchInstances,
  type SeedTopology,
} from '../../sim/seed.ts';
import { EventFeed, useCases } from '../../testkit/events.ts';
import { principals } from '../../testkit/world.ts';
import { recordingTelemetry } from '../support/fake-world.ts';
import { KEYS, startWorld, type World } from './harness.ts';

export const CONTROLLER_KEY = KEYS.controller;
export const PERSON_KEY = KEYS.person;
/** How long the simulator keeps a new target `initial`: registration (5 s) and one 30 s health check interval. */
export const INITIAL_HEALTH_CHECK_MS = 35_000;

export interface Warden {
  readonly world: World;
  readonly seed: SeedTopology;
  readonly config: WardenConfig;
  readonly deps: Deps;
  readonly telemetry: ReturnType<typeof recordingTelemetry>;
  readonly controllerRoleArn: string;
  /** Clients acting as a person (an administrator's role session). */
  readonly person: ReturnType<World['clients']['clientsAs']>;
  /** Feeds every event recorded since the last pump to the handlers; returns their results. */
  pump(): Promise<InvocationResult[]>;
  sweep(): Promise<InvocationResult>;
  /** Subjects of the SNS messages published so far. */
  alerts(): Promise<{ subject: string; kind: string; severity: string; text: string }[]>;
  stop(): Promise<void>;
}

export async function startWarden(
  overrides: Partial<WardenConfigInput> = {},
  binding: Record<string, unknown> = {},
): Promise<Warden> {
  const world = await startWorld();
  const seed = await buildSeedTopology(world.clients);
  const { account } = seed;
  const { controllerRoleArn } = principals(account);
  const { topicArn } = await createAlertResources(world.clients);
  const config = parseConfig({
    // Tests run many sweeps a second; production runs one a minute within the default share.
    limits: { apiShare: 1 },
    controllerRoleArns: [controllerRoleArn],
    alerts: { topicArn, stateTable: 'alb-warden-alert-state' },
    approvedActors: [`arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-*`],
    // Drift found by a sweep is repaired at once here; the wait for a late approved event has its own tests.
    approvalGraceMinutes: 0,
    ...overrides,
    // `bindings: []` for a configuration of discovery policies only.
    bindings: overrides.bindings ?? [
      {
        name: 'web',
        loadBalancerArn: seed.loadBalancerArn,
        targetGroupArn: seed.targetGroupArn,
        instanceSelector: { tags: { Role: 'web' } },
        https: { certificateArn: seed.certificateArn },
        healthCheck: { path: '/', matcher: '404' },
        ...binding,
      },
    ],
  });
  const telemetry = recordingTelemetry();
  const deps = createDeps(config, {
    telemetry,
    aws: world.aws(CONTROLLER_KEY),
  });
  const feed = world.control ? await EventFeed.open(world.control) : undefined;

  return {
    world,
    seed,
    config,
    deps,
    telemetry,
    controllerRoleArn,
    person: world.clients.clientsAs(PERSON_KEY),
    async pump() {
      return feed ? (await feed.deliver(controllerRoleArn, useCases(deps))).delivered : [];
    },
    sweep: () => sweep(deps),
    async alerts() {
      if (!world.control) return [];
      const { messages } = await world.control.sns();
      return messages.map((message) => ({
        subject: message.subject ?? '',
        kind: message.messageAttributes.kind?.Value ?? '',
        severity: message.messageAttributes.severity?.Value ?? '',
        text: (JSON.parse(message.message) as { default: string }).default,
      }));
    },
    stop: () => world.stop(),
  };
}

/**
 * The controller on the simulator's clock, which decides what AWS shows (draining, EC2's lag, TTL deletion)
 * and stamps the events: `advance` moves both. ELB calls skip the controller's rate limiter, which waits in
 * real time: these tests run many sweeps of simulated minutes or days in a row.
 */
export async function onSimulatorTime(warden: Warden): Promise<{
  deps: Deps;
  advance(ms: number): Promise<void>;
}> {
  const control = warden.world.control;
  if (!control) throw new Error('needs the simulator');
  const clock = { now: Date.parse((await control.clock(0)).now) };
  const elb = new ElbV2LoadBalancing(warden.world.clients.clientsAs(CONTROLLER_KEY).elbv2);
  return {
    deps: { ...warden.deps, elb, now: () => clock.now },
    advance: async (ms) => {
      clock.now = Date.parse((await control.clock(ms)).now);
    },
  };
}

/** Launches `count` web instances, registers them and lets them pass their initial health check. */
export async function launchWebFleet(warden: Warden, count: number): Promise<string[]> {
  const ids = await launchInstances(warden.world.clients, {
    count,
    subnetId: warden.seed.subnetIds[0],
    tags: { Role: 'web' },
  });
  await warden.pump();
  await warden.sweep();
  await warden.world.control?.clock(INITIAL_HEALTH_CHECK_MS);
  return ids;
}
