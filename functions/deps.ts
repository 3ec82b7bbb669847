/**
 * The real dependencies: AWS clients (created once per cold start, adaptive retries, the SDK's standard
 * endpoint settings such as AWS_ENDPOINT_URL honoured) behind the ports. Each adapter and its SDK client is
 * imported on first use, so a path that never calls EC2, Auto Scaling, CloudTrail, SNS, DynamoDB or the tagging
 * API never loads them.
 */
import type { HttpHandler } from '@smithy/core/protocols';
import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  HandlerExecutionContext,
  MetadataBearer,
  Provider,
  RetryStrategyV2,
} from '@smithy/types';
import { type AssumeRole, RoleCredentials } from './adapters/accounts.ts';
import type { Clock } from './adapters/rate-limit.ts';
import type { WardenConfig } from './config.ts';
import { memberAccess, type Scope, scopeKey } from './domain/accounts.ts';
import type * as Ports from './ports.ts';
import type { Deps, ScopedClients, Telemetry } from './use-cases/context.ts';

/** Settings common to every client; unset fields fall back to the SDK's environment and profile chain. */
export interface AwsClientOptions {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly credentials?:
    | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }
    /** A provider the SDK asks again when what it gave expires (a member role's credentials). */
    | (() => Promise<{
        readonly accessKeyId: string;
        readonly secretAccessKey: string;
        readonly sessionToken?: string;
        readonly expiration?: Date;
      }>)
    | undefined;
  readonly maxAttempts?: number | undefined;
  /**
   * Makes a client's retry strategy, given the attempts that client is configured with (its SDK default,
   * AWS_MAX_ATTEMPTS or `maxAttempts`). Tests use it to retry without waiting.
   * @default the SDK's adaptive strategy
   */
  readonly retryStrategy?: ((maxAttempts: Provider<number>) => RetryStrategyV2) | undefined;
  /**
   * How a client sends its requests. Tests that run the simulator in their own process hand requests to it
   * without a socket.
   * @default the SDK's (HTTPS)
   */
  readonly requestHandler?: HttpHandler | undefined;
}

export function clientConfig(options: AwsClientOptions = {}) {
  return {
    // Adaptive: the SDK's retry strategy with client-side rate limiting once AWS starts throttling.
    retryMode: process.env.AWS_RETRY_MODE ?? 'adaptive',
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.requestHandler === undefined ? {} : { requestHandler: options.requestHandler }),
    ...(options.credentials === undefined
      ? {}
      : {
          credentials:
            typeof options.credentials === 'function' ? options.credentials : { ...options.credentials },
        }),
  };
}

/** What createClient hands a client's constructor. */
type ClientSettings = ReturnType<typeof clientConfig> & { retryStrategy?: RetryStrategyV2 };

/** A client built by `make` from the common settings, with the injected retry strategy if there is one. */
export function createClient<T extends { readonly config: { readonly maxAttempts: Provider<number> } }>(
  make: (settings: ClientSettings) => T,
  options: AwsClientOptions = {},
): T {
  if (!options.retryStrategy) return make(clientConfig(options));
  let client: T | undefined;
  // The strategy asks for the attempts only when a call fails, long after the client exists.
  const retryStrategy = options.retryStrategy(async () => (client as T).config.maxAttempts());
  client = make({ ...clientConfig(options), retryStrategy });
  return client;
}

/** Memoizes a loader: the first call starts it, every later call shares the result. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
}

/**
 * A port whose adapter (and SDK client) loads on its first call: each method waits for `load`, then calls
 * the adapter's. `methods` names every method of the port (the compiler checks none is missing).
 */
export function deferred<Port extends object>(
  load: () => Promise<Port>,
  methods: { readonly [Name in keyof Port]-?: true },
): Port {
  const forward = (name: string) => [
    name,
    async (...args: unknown[]) => {
      const port = (await load()) as Record<string, ((...args: unknown[]) => unknown) | undefined>;
      const method = port[name];
      if (!method) throw new TypeError(`the adapter lacks the port's method ${name}`);
      return method.apply(port, args);
    },
  ];
  return Object.fromEntries(Object.keys(methods).map(forward)) as Port;
}

function awsLoadBalancing(options: AwsClientOptions = {}, apiShare = 1, clock?: Clock): Ports.LoadBalancing {
  const load = once(async () => {
    const [{ clientAndAdapter }, { ElbRateLimiter }] = await Promise.all([
      import('./adapters/elbv2.ts'),
      import('./adapters/rate-limit.ts'),
    ]);
    const { Client, Adapter } = clientAndAdapter;
    const client = createClient((settings) => new Client(settings), options);
    const limiter = new ElbRateLimiter(apiShare, clock);
    // After the retry middleware: every attempt, retries included, spends a token, as it does at AWS.
    client.middlewareStack.addRelativeTo(
      (next: FinalizeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
        async (args: FinalizeHandlerArguments<object>) => {
          await limiter.acquire(context.commandName ?? '');
          return next(args);
        },
      { relation: 'after', toMiddleware: 'retryMiddleware', name: 'wardenElbRateLimit' },
    );
    return new Adapter(client);
  });
  return deferred(load, {
    describeTargetHealth: true,
    registerTargets: true,
    deregisterTargets: true,
    describeTargetGroups: true,
    modifyHealthCheck: true,
    deregistrationDelaySeconds: true,
    listListeners: true,
    listRules: true,
    listCertificates: true,
    addCertificates: true,
    createListener: true,
    modifyListener: true,
    deleteRule: true,
  });
}

/**
 * A port served by an adapter over one SDK client, from the adapter's module (imported on the port's first
 * call, with the SDK client it imports): the client made by createClient.
 */
function clientPort<
  Port extends object,
  Client extends { readonly config: { readonly maxAttempts: Provider<number> } },
>(
  load: () => Promise<{
    readonly clientAndAdapter: {
      readonly Client: new (settings: ClientSettings) => Client;
      readonly Adapter: new (client: Client) => Port;
    };
  }>,
  options: AwsClientOptions,
  methods: { readonly [Name in keyof Port]-?: true },
): Port {
  const adapter = once(async () => {
    const { Client, Adapter } = (await load()).clientAndAdapter;
    return new Adapter(createClient((settings) => new Client(settings), options));
  });
  return deferred(adapter, methods);
}

function awsStateStore(table: string, options: AwsClientOptions = {}): Ports.StateStore {
  const load = once(async () => {
    const { Client, Adapter } = (await import('./adapters/dynamodb-state.ts')).clientAndAdapter;
    return new Adapter(
      createClient((settings) => new Client(settings), options),
      table,
    );
  });
  return deferred(load, {
    load: true,
    put: true,
    remove: true,
    putUnlessMarked: true,
    putAll: true,
    removeAll: true,
    lease: true,
    release: true,
  });
}

export interface CreateDepsOptions {
  readonly aws?: AwsClientOptions;
  readonly telemetry: Telemetry;
  readonly now?: () => number;
  readonly state?: Ports.StateStore;
  /** The ELB rate limiter's clock. @default real time */
  readonly limiterClock?: Clock;
  /** The ELB rate limiter's share of each bucket. @default config.limits.apiShare */
  readonly apiShare?: number;
  /** How member roles are assumed. @default STS AssumeRole with the hub's credentials */
  readonly assumeRole?: AssumeRole;
}

/** The methods of the ports the hub's and the members' clients both serve. */
const INSTANCES: { readonly [Name in keyof Ports.Instances]-?: true } = { findByTags: true, describe: true };
const SCALING_GROUPS: { readonly [Name in keyof Ports.ScalingGroups]-?: true } = {
  attachedTargetGroups: true,
};
const TAGGED_RESOURCES: { readonly [Name in keyof Ports.TaggedResources]-?: true } = {
  loadBalancersTagged: true,
  tagsOf: true,
};

export function createDeps(config: WardenConfig, options: CreateDepsOptions): Deps {
  const aws = options.aws ?? {};
  const deps: Deps = {
    config,
    elb: awsLoadBalancing(aws, options.apiShare ?? config.limits.apiShare, options.limiterClock),
    instances: clientPort(() => import('./adapters/ec2.ts'), aws, INSTANCES),
    scaling: clientPort(() => import('./adapters/autoscaling.ts'), aws, SCALING_GROUPS),
    tagging: clientPort(() => import('./adapters/tagging.ts'), aws, TAGGED_RESOURCES),
    history: clientPort(() => import('./adapters/cloudtrail.ts'), aws, { changesTo: true }),
    alerts: clientPort(() => import('./adapters/sns.ts'), aws, { publish: true }),
    state: options.state ?? awsStateStore(config.alerts.stateTable, aws),
    telemetry: options.telemetry,
    now: options.now ?? Date.now,
  };
  return { ...deps, clientsFor: memberClients(config, options, deps.now) };
}

/**
 * A member account and region's ELB, EC2, Auto Scaling and tagging clients, made once: signed for its region
 * with its role's credentials, with an ELB rate limiter of its own (ELB throttles per account and region). State,
 * alerts, telemetry and clock stay the hub's. The credentials are fetched before the clients are handed out,
 * so a role that cannot be assumed fails here, before any of the member's bindings.
 */
function memberClients(
  config: WardenConfig,
  options: CreateDepsOptions,
  now: () => number,
): (scope: Scope) => Promise<ScopedClients | undefined> {
  const made = new Map<string, { clients: ScopedClients; credentials: RoleCredentials }>();
  // STS and its adapter load only when a member is first reached.
  const sts = once(async () => {
    const { Client, Adapter } = (await import('./adapters/sts.ts')).clientAndAdapter;
    return Adapter(createClient((settings) => new Client(settings), options.aws));
  });
  const assumeRole: AssumeRole = options.assumeRole ?? (async (request) => (await sts())(request));
  return async (scope) => {
    let entry = made.get(scopeKey(scope));
    if (!entry) {
      const access = memberAccess(config, scope);
      if (!access) return undefined;
      const credentials = new RoleCredentials(assumeRole, access, now);
      const aws: AwsClientOptions = {
        ...options.aws,
        region: scope.region,
        // The SDK would cache the credentials until their expiry by the wall clock; marked due, it asks
        // RoleCredentials before each request, which answers from its cache and decides on the deps' clock.
        credentials: async () => ({ ...(await credentials.get()), expiration: new Date(0) }),
      };
      entry = {
        credentials,
        clients: {
          // The function's share (a sweep worker's, an event handler's) of each member's own buckets.
          elb: awsLoadBalancing(aws, options.apiShare ?? config.limits.apiShare, options.limiterClock),
          instances: clientPort(() => import('./adapters/ec2.ts'), aws, INSTANCES),
          scaling: clientPort(() => import('./adapters/autoscaling.ts'), aws, SCALING_GROUPS),
          // Discovery in the member: its tagged load balancers, read with its role.
          tagging: clientPort(() => import('./adapters/tagging.ts'), aws, TAGGED_RESOURCES),
        },
      };
      made.set(scopeKey(scope), entry);
    }
    await entry.credentials.get();
    return entry.clients;
  };
}
