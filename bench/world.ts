/**
 * A simulated AWS account to measure the controller in: the bundled simulator (in this process), one seed
 * topology (VPC, ALB with its HTTP→HTTPS redirect and HTTPS forward, target group) per binding, and
 * `instancesPerBinding` running instances tagged for each binding. The controller is the real one: its
 * configuration, its AWS adapters and rate limiter, pointed at the simulator.
 */
import { CreateSubnetCommand } from '@aws-sdk/client-ec2';
import { type Clock, ELB_BUCKETS } from '../functions/adapters/rate-limit.ts';
import { parseConfig, type WardenConfig, type WardenConfigInput } from '../functions/config.ts';
import { type Deps, silentTelemetry } from '../functions/use-cases/context.ts';
import { sweep } from '../functions/use-cases/sweep.ts';
import type { SimEvent } from '../sim/control.ts';
import type { SimControl, Simulator } from '../sim/index.ts';
import { buildSeedTopology, createAlertResources, launchInstances, type SeedTopology } from '../sim/seed.ts';
import { EventFeed } from '../testkit/events.ts';
import {
  type AwsClients,
  openWorld,
  principals,
  SIM_SECRET,
  type World as SimulatedWorld,
} from '../testkit/world.ts';
import { type CallCounts, mutatingCalls, totalCalls } from './calls.ts';
import { sleep } from './stats.ts';

export const KEYS = {
  controller: 'AKIAWARDENCONTROLLER',
  person: 'AKIAJIWOOKIMADMIN001',
  setup: 'AKIAWARDENHARNESS001',
} as const;
export const STATE_TABLE = 'alb-warden-alert-state';
/** RunInstances per call: a launch of 10,000 goes out in ten. */
const LAUNCH_BATCH = 1000;

export interface DepsOptions {
  readonly limiterClock?: Clock | undefined;
  readonly now?: (() => number) | undefined;
  readonly retries?: 'sdk' | 'zero-delay' | undefined;
}

export interface WorldOptions {
  readonly bindings: number;
  readonly instancesPerBinding: number;
  /** Give every binding a health check to enforce (one shared DescribeTargetGroups per sweep). */
  readonly healthCheck?: boolean;
  /**
   * Every binding selects the same tags (their own instances told apart by VPC), so the sweep shares one
   * DescribeInstances query between them. By default each binding has a selector of its own.
   */
  readonly sharedSelector?: boolean;
  /** Overrides of the controller's configuration (`limits`, `circuitBreaker` …). */
  readonly config?: Partial<WardenConfigInput>;
}

/** The configuration's binding for a seeded topology and its instances' selector. */
export function bindingOf(binding: Pick<BindingWorld, 'name' | 'topology' | 'selector'>) {
  return {
    name: binding.name,
    loadBalancerArn: binding.topology.loadBalancerArn,
    targetGroupArn: binding.topology.targetGroupArn,
    instanceSelector: { tags: { ...binding.selector } },
    https: { certificateArn: binding.topology.certificateArn },
  };
}

export interface BindingWorld {
  readonly name: string;
  readonly topology: SeedTopology;
  readonly selector: Readonly<Record<string, string>>;
  readonly instanceSubnetId: string;
  readonly instanceIds: readonly string[];
}

export interface World {
  readonly simulator: Simulator;
  readonly control: SimControl;
  readonly clients: AwsClients;
  /** Clients of a person (an administrator's role session), whose changes the guard reverts. */
  readonly person: AwsClients;
  readonly bindings: readonly BindingWorld[];
  readonly config: WardenConfig;
  /** The configuration document, as WARDEN_CONFIG carries it to a Lambda function. */
  readonly configJson: string;
  /** The environment a Lambda function of the controller gets, pointed at the simulator. */
  readonly lambdaEnv: Readonly<Record<string, string>>;
  /**
   * Fresh controller dependencies (fresh clients and rate limiter), optionally with other limits, the rate
   * limiter on another clock, the controller's own clock (`now`) elsewhere, and retries without their backoff
   * where a test counts what AWS refuses rather than how long the retries take (the SDK's, as deployed, by
   * default).
   */
  deps(limits?: Partial<WardenConfig['limits']>, options?: DepsOptions): Deps;
  /**
   * Fresh dependencies made warm as a second invocation finds them (modules loaded, clients connected),
   * with full rate limiter buckets, as a sweep a minute after the last one finds them.
   */
  warmDeps(limits?: Partial<WardenConfig['limits']>): Promise<Deps>;
  /** Resets the simulator's call counter, runs `work`, and returns what it called. */
  counted<T>(work: () => Promise<T>): Promise<{ result: T; calls: CallCounts; wallMs: number }>;
  /** What the last `counted` run called. */
  lastCalls(): CallCounts;
  /** Events recorded since the last call (a cursor kept per world). */
  newEvents(): Promise<SimEvent[]>;
  stop(): Promise<void>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const world = await openWorld({
    keys: KEYS,
    // A quota increase, as an account with a 10,000-instance target group would have asked for.
    simulatorOptions: { quota: { targetsPerTargetGroup: Math.max(1000, options.instancesPerBinding) } },
  });
  try {
    return await populate(world, options);
  } catch (error) {
    await world.stop();
    throw error;
  }
}

async function populate(world: SimulatedWorld, options: WorldOptions): Promise<World> {
  const { simulator, control, clients, person, controllerRoleArn } = world;
  const bindings: BindingWorld[] = [];
  for (let index = 0; index < options.bindings; index++) {
    const topology = await buildSeedTopology(clients, {
      loadBalancerName: `web-alb-${index}`,
      targetGroupName: `web-8080-${index}`,
    });
    // The seed's /24 subnets hold 250 instances; a fleet of thousands gets a /18 in the first zone.
    const subnet = await clients.ec2.send(
      new CreateSubnetCommand({
        VpcId: topology.vpcId,
        CidrBlock: '10.0.64.0/18',
        AvailabilityZone: topology.availabilityZones[0],
      }),
    );
    const instanceSubnetId = subnet.Subnet?.SubnetId ?? '';
    const selector = { Role: options.sharedSelector ? 'web' : `web-${index}` };
    const instanceIds: string[] = [];
    for (let launched = 0; launched < options.instancesPerBinding; launched += LAUNCH_BATCH) {
      const count = Math.min(LAUNCH_BATCH, options.instancesPerBinding - launched);
      instanceIds.push(
        ...(await launchInstances(clients, { count, subnetId: instanceSubnetId, tags: selector })),
      );
    }
    bindings.push({ name: `web-${index}`, topology, selector, instanceSubnetId, instanceIds });
  }

  const topic = await createAlertResources(clients, {
    topicName: 'alb-warden-alerts',
    tableName: STATE_TABLE,
  });

  const document: WardenConfigInput = {
    controllerRoleArns: [controllerRoleArn],
    alerts: { topicArn: topic.topicArn, stateTable: STATE_TABLE },
    ...options.config,
    bindings: bindings.map((binding) => ({
      ...bindingOf(binding),
      // The seed's health check: its application answers 404 on "/".
      ...(options.healthCheck ? { healthCheck: { path: '/', matcher: '404' } } : {}),
    })),
  };
  const config = parseConfig(document);
  const feed = await EventFeed.open(control);
  let last: CallCounts = await control.calls();
  const makeDeps = (
    limits: Partial<WardenConfig['limits']> = {},
    { limiterClock, now, retries = 'sdk' }: DepsOptions = {},
  ): Deps => {
    const limited =
      Object.keys(limits).length === 0
        ? config
        : parseConfig({ ...document, limits: { ...document.limits, ...limits } });
    // The SDK's own retries unless asked otherwise, as deployed: the bench measures what ships.
    return world.deps(limited, {
      telemetry: silentTelemetry,
      retries,
      ...(limiterClock ? { limiterClock } : {}),
      ...(now ? { now } : {}),
    });
  };

  return {
    simulator,
    control,
    clients,
    person,
    bindings,
    config,
    configJson: JSON.stringify(document),
    lambdaEnv: {
      WARDEN_CONFIG: JSON.stringify(document),
      AWS_ENDPOINT_URL: simulator.endpoint,
      AWS_REGION: simulator.region,
      AWS_ACCESS_KEY_ID: KEYS.controller,
      AWS_SECRET_ACCESS_KEY: SIM_SECRET,
    },
    deps: makeDeps,
    async warmDeps(limits = {}) {
      const deps = makeDeps(limits);
      const [first] = bindings;
      await deps.instances.findByTags({ 'alb-warden:bench': 'warm-up' });
      await deps.state.load('bench-warm-up');
      await deps.elb.describeTargetGroups([first?.topology.targetGroupArn ?? '']);
      // One describe token spent: wait until it is back.
      await sleep(1000 / (ELB_BUCKETS.describe.refillPerSecond * deps.config.limits.apiShare) + 50);
      return deps;
    },
    async counted(work) {
      await control.resetCalls();
      const started = performance.now();
      const result = await work();
      const wallMs = performance.now() - started;
      last = await control.calls();
      return { result, calls: last, wallMs };
    },
    lastCalls: () => last,
    newEvents: () => feed.take(),
    stop: () => world.stop(),
  };
}

/** The role session the person's changes carry in CloudTrail. */
export function personArn(world: Pick<World, 'simulator'>): string {
  return principals(world.simulator.account).personArn;
}

export interface Convergence {
  /** The first sweep, from a fleet nobody registered yet. */
  readonly initial: { readonly calls: CallCounts; readonly wallMs: number };
  /** Sweeps it took until one made no mutating call (the last of them is converged). */
  readonly sweeps: number;
}

/** Sweeps until a sweep makes no mutating call; fails loudly if that never happens. */
const SWEEP_INTERVAL_MS = 60_000;

export async function converge(world: World, deps: Deps, maxSweeps = 5): Promise<Convergence> {
  let initial: Convergence['initial'] | undefined;
  for (let sweeps = 1; sweeps <= maxSweeps; sweeps++) {
    // Sweeps run once a minute: by the next one, new targets have passed their initial health check.
    if (sweeps > 1) await world.control.clock(SWEEP_INTERVAL_MS);
    const { calls, wallMs } = await world.counted(() => sweep(deps));
    initial ??= { calls, wallMs };
    if (mutatingCalls(calls) === 0) return { initial, sweeps };
  }
  throw new Error(
    `the world did not converge in ${maxSweeps} sweeps (${totalCalls((await world.counted(() => sweep(deps))).calls)} calls in the last)`,
  );
}
