/**
 * The controller on the simulator, shared by the tests, the bench and the demo: the bundled simulator (a new
 * one, or a running one reset), the identities that act on it (the controller's role session, a person's
 * administrator session), AWS clients for each, and the controller's real dependencies pointed at it.
 * The topology is built with sim/seed.ts through AWS API calls; ./events.ts delivers the recorded events.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import type { HttpHandler } from '@smithy/core/protocols';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { Provider, RetryStrategyV2 } from '@smithy/types';
import type { WardenConfig } from '../functions/config.ts';
import {
  type AwsClientOptions,
  type CreateDepsOptions,
  createClient,
  createDeps,
} from '../functions/deps.ts';
import type { Deps } from '../functions/use-cases/context.ts';
import type { SimControl } from '../sim/control.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../sim/index.ts';

/** What the simulator's clients sign with; never a real credential. */
export const SIM_SECRET = 'simulator-secret';

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

export interface ClientSettings {
  /** @default SIM_SECRET */
  readonly secretAccessKey?: string;
  /** @default the SDK's */
  readonly maxAttempts?: number;
  /** @default the SDK's: HTTP to the endpoint */
  readonly requestHandler?: HttpHandler;
}

/**
 * Clients that sign as `accessKeyId`, with the SDK's standard retries (the same attempts and the same errors
 * retried) without the backoff between them: a test counts retries instead of waiting them out.
 */
export function createClients(
  endpoint: string,
  region: string,
  accessKeyId: string,
  settings: ClientSettings = {},
): AwsClients {
  const options = simClientOptions(endpoint, region, accessKeyId, settings);
  return {
    ec2: createClient((config) => new EC2Client(config), options),
    elbv2: createClient((config) => new ElasticLoadBalancingV2Client(config), options),
    sns: createClient((config) => new SNSClient(config), options),
    dynamodb: createClient((config) => new DynamoDBClient(config), options),
  };
}

/** How a client signing as `accessKeyId` reaches the simulator: retries without backoff unless `retries` is 'sdk'. */
export function simClientOptions(
  endpoint: string,
  region: string,
  accessKeyId: string,
  settings: ClientSettings = {},
  retries: 'zero-delay' | 'sdk' = 'zero-delay',
): AwsClientOptions {
  return {
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey: settings.secretAccessKey ?? SIM_SECRET },
    maxAttempts: settings.maxAttempts,
    retryStrategy: retries === 'zero-delay' ? zeroDelayRetries : undefined,
    requestHandler: settings.requestHandler,
  };
}

export function destroyClients(clients: AwsClients): void {
  for (const client of Object.values(clients)) client.destroy();
}

/**
 * The SDK's standard retries without the waiting: the same attempts, no backoff. Tests count retries, they
 * do not wait them out.
 */
export function zeroDelayRetries(maxAttempts: Provider<number>): RetryStrategyV2 {
  return new ConfiguredRetryStrategy(maxAttempts, 0);
}

/** Access keys the simulator maps to principals, as CloudTrail shows them. */
export interface Keys {
  readonly controller: string;
  readonly person: string;
  /** The world's own setup and observation calls. */
  readonly setup: string;
}

/** The controller's role, its role session, and a person's administrator session in `account`. */
export function principals(account: string, controllerSession = 'alb-warden') {
  return {
    controllerRoleArn: `arn:aws:iam::${account}:role/AlbWarden-ControllerRole`,
    controllerSessionArn: `arn:aws:sts::${account}:assumed-role/AlbWarden-ControllerRole/${controllerSession}`,
    personArn: `arn:aws:sts::${account}:assumed-role/AdministratorAccess/jiwoo.kim`,
  };
}

/** Maps the controller's and the person's keys to their principals. */
async function mapIdentities(
  control: SimControl,
  account: string,
  keys: Pick<Keys, 'controller' | 'person'>,
  controllerSession: string | undefined,
): Promise<void> {
  const { controllerSessionArn, personArn } = principals(account, controllerSession);
  await control.identity(keys.controller, controllerSessionArn);
  await control.identity(keys.person, personArn);
}

export interface WorldOptions {
  /** A running simulator to use: it is reset first and left running by `stop`. @default a new one */
  readonly simulator?: Simulator;
  /** Options of the new simulator. */
  readonly simulatorOptions?: SimulatorOptions;
  readonly keys: Keys;
  /** @default 'alb-warden' */
  readonly controllerSession?: string;
  /** Settings of every client the world makes (the controller's too). */
  readonly clientSettings?: ClientSettings;
  /**
   * How the world's clients, the controller's and the control API reach the simulator: over HTTP, or handed
   * to it in this process without a socket (sim/in-process.ts).
   * @default 'http'
   */
  readonly transport?: 'http' | 'in-process';
}

export interface World {
  readonly simulator: Simulator;
  readonly control: SimControl;
  readonly endpoint: string;
  readonly account: string;
  readonly region: string;
  readonly keys: Keys;
  readonly controllerRoleArn: string;
  readonly controllerSessionArn: string;
  readonly personArn: string;
  /** Clients signing with the setup key. */
  readonly clients: AwsClients;
  /** Clients of a person: an administrator's role session, whose changes the guard reverts. */
  readonly person: AwsClients;
  /** Clients signing with any other key (destroyed by `stop`). */
  clientsAs(accessKeyId: string): AwsClients;
  /**
   * How a client signing with `accessKeyId` reaches the world as the controller's clients do: the endpoint
   * and region, the world's transport, and retries without backoff unless `retries` is 'sdk' (the SDK's
   * adaptive strategy, as deployed).
   */
  awsAs(accessKeyId: string, options?: { readonly retries?: 'zero-delay' | 'sdk' }): AwsClientOptions;
  /** `awsAs` with the controller's key. */
  controllerAws(options?: { readonly retries?: 'zero-delay' | 'sdk' }): AwsClientOptions;
  /** The controller's dependencies as `createDeps` builds them in Lambda, pointed at the world. */
  deps(
    config: WardenConfig,
    options: Omit<CreateDepsOptions, 'aws'> & { readonly retries?: 'zero-delay' | 'sdk' },
  ): Deps;
  /** Destroys the clients; stops the simulator if the world started it. */
  stop(): Promise<void>;
}

export async function openWorld(options: WorldOptions): Promise<World> {
  const owned = options.simulator === undefined;
  const simulator = options.simulator ?? (await startSimulator(options.simulatorOptions));
  try {
    const inProcess = options.transport === 'in-process';
    const control = inProcess ? simulator.inProcess.control : simulator.control;
    if (!owned) await control.reset();
    const { endpoint, account, region } = simulator;
    const { keys } = options;
    const settings: ClientSettings = {
      ...options.clientSettings,
      ...(inProcess ? { requestHandler: simulator.inProcess.requestHandler } : {}),
    };
    await mapIdentities(control, account, keys, options.controllerSession);
    const made: AwsClients[] = [];
    const clientsAs = (accessKeyId: string) => {
      const clients = createClients(endpoint, region, accessKeyId, settings);
      made.push(clients);
      return clients;
    };
    const awsAs = (accessKeyId: string, options: { readonly retries?: 'zero-delay' | 'sdk' } = {}) =>
      simClientOptions(endpoint, region, accessKeyId, settings, options.retries);
    const controllerAws = (options: { readonly retries?: 'zero-delay' | 'sdk' } = {}) =>
      awsAs(keys.controller, options);
    return {
      simulator,
      control,
      endpoint,
      account,
      region,
      keys,
      ...principals(account, options.controllerSession),
      clients: clientsAs(keys.setup),
      person: clientsAs(keys.person),
      clientsAs,
      awsAs,
      controllerAws,
      deps: (config, { retries, ...rest }) =>
        createDeps(config, { ...rest, aws: controllerAws(retries === undefined ? {} : { retries }) }),
      async stop() {
        for (const clients of made) destroyClients(clients);
        if (owned) await simulator.stop();
      },
    };
  } catch (error) {
    if (owned) await simulator.stop();
    throw error;
  }
}
