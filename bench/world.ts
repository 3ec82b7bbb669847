/**
 * A simulated AWS account to measure the controller in: the bundled simulator (in this process), one seed
 * topology (VPC, ALB with its HTTP→HTTPS redirect and HTTPS forward, target group) per binding, and
 * `instancesPerBinding` running instances tagged for each binding. The controller is the real one: its
 * configuration, its AWS adapters and rate limiter, pointed at the simulator.
 */
import { CreateSubnetCommand } from '@aws-sdk/client-ec2';
import { ELB_BUCKETS } from '../functions/adapters/rate-limit.ts';
import { parseConfig, type WardenConfig, type WardenConfigInput } from '../functions/config.ts';
import { createDeps } from '../functions/deps.ts';
import { type Deps, silentTelemetry } from '../functions/use-cases/context.ts';
import { sweep } from '../functions/use-cases/sweep.ts';
import { type SimControl, type Simulator, startSimulator } from '../sim/index.ts';
import { buildSeedTopology, createAlertResources, launchInstances, type SeedTopology } from '../sim/seed.ts';
import { type AwsClients, createClients } from '../test/integration/harness.ts';
import { type CallCounts, mutatingCalls, totalCalls } from './calls.ts';
import { sleep } from './stats.ts';

export const CONTROLLER_KEY = 'AKIAWARDENCONTROLLER';
export const PERSON_KEY = 'AKIAJIWOOKIMADMIN001';
const SECRET = 'simulator-secret';
const STATE_TABLE = 'alb-warden-alert-state';
/** RunInstances per call: a launch of 10,000 goes out in ten. */
const LAUNCH_BATCH = 1000;

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
  /** Fresh controller dependencies (fresh clients and rate limiter), optionally with other limits. */
  deps(limits?: Partial<WardenConfig['limits']>): Deps;
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
  newEvents(): Promise<Awaited<ReturnType<SimControl['events']>>['events']>;
  stop(): Promise<void>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const simulator = await startSimulator({
    // A quota increase, as an account with a 10,000-instance target group would have asked for.
    quota: { targetsPerTargetGroup: Math.max(1000, options.instancesPerBinding) },
  });
  try {
    return await populate(simulator, options);
  } catch (error) {
    await simulator.stop();
    throw error;
  }
}

async function populate(simulator: Simulator, options: WorldOptions): Promise<World> {
  const { control, region, account } = simulator;
  const clients = createClients(simulator.endpoint, region);
  const person = createClients(simulator.endpoint, region, PERSON_KEY);
  const controllerRoleArn = `arn:aws:iam::${account}:role/AlbWarden-ControllerRole`;
  await control.identity(
    CONTROLLER_KEY,
    `arn:aws:sts::${account}:assumed-role/AlbWarden-ControllerRole/alb-warden`,
  );
  await control.identity(PERSON_KEY, personArn({ simulator }));

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
      name: binding.name,
      loadBalancerArn: binding.topology.loadBalancerArn,
      targetGroupArn: binding.topology.targetGroupArn,
      instanceSelector: { tags: { ...binding.selector } },
      https: { certificateArn: binding.topology.certificateArn },
      // The seed's health check: its application answers 404 on "/".
      ...(options.healthCheck ? { healthCheck: { path: '/', matcher: '404' } } : {}),
    })),
  };
  const config = parseConfig(document);
  const aws = {
    endpoint: simulator.endpoint,
    region,
    credentials: { accessKeyId: CONTROLLER_KEY, secretAccessKey: SECRET },
  };
  let cursor = (await control.events(0)).cursor;
  let last: CallCounts = await control.calls();
  const makeDeps = (limits: Partial<WardenConfig['limits']> = {}): Deps => {
    const limited =
      Object.keys(limits).length === 0
        ? config
        : parseConfig({ ...document, limits: { ...document.limits, ...limits } });
    return createDeps(limited, { telemetry: silentTelemetry, aws });
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
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: CONTROLLER_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET,
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
    async newEvents() {
      const batch = await control.events(cursor);
      cursor = batch.cursor;
      return batch.events;
    },
    async stop() {
      for (const client of [...Object.values(clients), ...Object.values(person)]) client.destroy();
      await simulator.stop();
    },
  };
}

/** The role session the person's changes carry in CloudTrail. */
export function personArn(world: Pick<World, 'simulator'>): string {
  return `arn:aws:sts::${world.simulator.account}:assumed-role/AdministratorAccess/jiwoo.kim`;
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
