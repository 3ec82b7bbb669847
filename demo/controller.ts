/**
 * The real controller, as Lambda runs it: the `handler` exported by functions/handlers/{register,guard,sweep}.ts,
 * configured only through the environment it reads in AWS (WARDEN_CONFIG, the SDK's standard settings), and
 * fed by a stand-in for EventBridge that applies the deployed rules' patterns to the events the simulator
 * records (testkit/events.ts). Every invocation's AWS calls are counted from the simulator's counter.
 */

import { Console } from 'node:console';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { WardenConfigInput } from '../functions/config.ts';
import type { Scope } from '../functions/domain/accounts.ts';
import type { CallCounts, SimControl, SimEvent } from '../sim/control.ts';
import { type Dropped, EventFeed } from '../testkit/events.ts';
import { KEYS, SECRET, type Stage } from './stage.ts';

export type FunctionName = 'register' | 'guard' | 'sweep';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface Invocation {
  readonly function: FunctionName;
  readonly event: SimEvent;
  /** What the handler returned (its per-binding summary), or undefined when it threw. */
  readonly result: unknown;
  readonly error?: string | undefined;
  /** The AWS calls this invocation made, by service and action. */
  readonly calls: CallCounts;
}

export type { Dropped } from '../testkit/events.ts';

export interface Delivery {
  readonly invocations: Invocation[];
  readonly dropped: Dropped[];
}

export interface ControllerOptions {
  /** Show the functions' JSON logs and EMF metrics (on stderr, so stdout stays the demo's own output). */
  readonly verbose: boolean;
}

/** The environment variables the demo sets for the functions; everything else that could redirect them is unset. */
const OWNED_ENV = [
  'WARDEN_CONFIG',
  'WARDEN_CONFIG_FILE',
  'WARDEN_MODE',
  'WARDEN_ALERT_TOPIC_ARN',
  'WARDEN_ALERT_STATE_TABLE',
  'WARDEN_CONTROLLER_ROLE_ARNS',
  'AWS_ENDPOINT_URL',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
] as const;

/** Thrown when the real handlers were already loaded in this process for another world. */
export class DemoAlreadyRanError extends Error {
  override readonly name = 'DemoAlreadyRanError';
}

let loaded = false;

export class Controller {
  readonly #stage: Stage;
  readonly #verbose: boolean;
  #handlers: Readonly<Record<FunctionName, Handler>>;
  /** The member accounts and regions of the deployment, whose calls count as the functions' too. */
  #members: readonly SimControl[] = [];
  readonly #restore: () => void;
  readonly #feed: EventFeed;
  readonly invocations: Invocation[] = [];
  readonly dropped: Dropped[] = [];

  private constructor(
    stage: Stage,
    handlers: Readonly<Record<FunctionName, Handler>>,
    restore: () => void,
    feed: EventFeed,
    verbose: boolean,
  ) {
    this.#stage = stage;
    this.#verbose = verbose;
    this.#handlers = handlers;
    this.#restore = restore;
    this.#feed = feed;
  }

  /**
   * Sets the functions' environment and imports their entry files. Like a Lambda execution environment, a
   * process loads them once: their configuration and clients are built on first use and kept.
   */
  static async load(stage: Stage, options: ControllerOptions): Promise<Controller> {
    if (loaded)
      throw new DemoAlreadyRanError(
        'the demo runs once per process: the real handlers keep their configuration and clients for the life of the process, as in a Lambda execution environment',
      );
    loaded = true;
    const saved = new Map<string, string | undefined>(OWNED_ENV.map((name) => [name, process.env[name]]));
    for (const name of OWNED_ENV) delete process.env[name];
    for (const name of Object.keys(process.env))
      if (name.startsWith('AWS_ENDPOINT_URL_')) {
        saved.set(name, process.env[name]);
        delete process.env[name];
      }
    const { endpoint, region } = stage.simulator;
    Object.assign(process.env, {
      WARDEN_CONFIG: JSON.stringify(stage.config),
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: KEYS.controller,
      AWS_SECRET_ACCESS_KEY: SECRET,
      ...(options.verbose
        ? // Dev mode sends Powertools' output through the console it finds at load: one on stderr.
          { POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'INFO' }
        : { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' }),
    });
    const restore = () => {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
    const globalConsole = globalThis.console;
    try {
      if (options.verbose)
        globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
      const [register, guard, sweep] = await Promise.all([
        import('../functions/handlers/register.ts'),
        import('../functions/handlers/guard.ts'),
        import('../functions/handlers/sweep.ts'),
      ]);
      const feed = await EventFeed.open(stage.simulator.control);
      return new Controller(
        stage,
        {
          register: register.handler as unknown as Handler,
          guard: guard.handler as unknown as Handler,
          sweep: sweep.handler as unknown as Handler,
        },
        restore,
        feed,
        options.verbose,
      );
    } catch (error) {
      restore();
      throw error;
    } finally {
      globalThis.console = globalConsole;
    }
  }

  /** The calls counted in every account and region the functions act in (the simulator counts per world). */
  async #calls(): Promise<CallCounts> {
    let total = await this.#stage.simulator.control.calls();
    for (const world of this.#members) total = addCalls(total, await world.calls());
    return total;
  }

  /**
   * A new deployment with `config`, as `cdk deploy` of a changed configuration makes it: fresh execution
   * environments, built by the entry files' own factories, that load the new WARDEN_CONFIG on first use.
   */
  async redeploy(config: WardenConfigInput, members: readonly Scope[] = []): Promise<void> {
    process.env.WARDEN_CONFIG = JSON.stringify(config);
    this.#members = members.map(({ account, region }) =>
      this.#stage.simulator.control.in({ account, region }),
    );
    const [register, guard, sweep, runtime, { eventShare }, { sweepQueueFromEnv }] = await Promise.all([
      import('../functions/handlers/register.ts'),
      import('../functions/handlers/guard.ts'),
      import('../functions/handlers/sweep.ts'),
      import('../functions/handlers/runtime.ts'),
      import('../functions/domain/sweep-schedule.ts'),
      import('../functions/queue-deps.ts'),
    ]);
    const globalConsole = globalThis.console;
    try {
      if (this.#verbose) globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
      const observability = (name: FunctionName) => runtime.createObservability(name);
      const [r, g, s] = [observability('register'), observability('guard'), observability('sweep')];
      this.#handlers = {
        register: register.createRegisterHandler(r, runtime.lazyDeps(r, eventShare)) as unknown as Handler,
        guard: guard.createGuardHandler(g, runtime.lazyDeps(g, eventShare)) as unknown as Handler,
        sweep: sweep.createSweepHandler(s, runtime.lazyDeps(s), sweepQueueFromEnv()) as unknown as Handler,
      };
    } finally {
      globalThis.console = globalConsole;
    }
  }

  /** Gives the process its environment back; the functions keep the clients they built. */
  restoreEnvironment(): void {
    this.#restore();
  }

  /**
   * Delivers every event recorded since the last delivery to the function its rule targets, until the world
   * is quiet (the functions' own calls are recorded too, and dropped by the guard's rule).
   */
  async deliver(): Promise<Delivery> {
    const { delivered, dropped } = await this.#feed.deliver(this.#stage.controllerRoleArn, (target, event) =>
      this.invoke(target, event),
    );
    this.dropped.push(...dropped);
    return { invocations: delivered, dropped };
  }

  /** The schedule rule's tick: a Scheduled Event to the sweep function, then whatever it caused. */
  async sweep(): Promise<{ invocation: Invocation; delivery: Delivery }> {
    const { account, region } = this.#stage.simulator;
    const event: SimEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account,
      time: `${new Date().toISOString().slice(0, 19)}Z`,
      region,
      resources: [`arn:aws:events:${region}:${account}:rule/AlbWarden-SweepSchedule`],
      detail: {},
    };
    const invocation = await this.invoke('sweep', event);
    return { invocation, delivery: await this.deliver() };
  }

  async invoke(name: FunctionName, event: SimEvent): Promise<Invocation> {
    const { control, account, region } = this.#stage.simulator;
    const before = await this.#calls();
    let result: unknown;
    let error: string | undefined;
    try {
      result = await this.#handlers[name](event, lambdaContext(name, account, region));
    } catch (thrown) {
      // EventBridge would retry; the demo reports it and lets the checks decide.
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    }
    const invocation: Invocation = {
      function: name,
      event,
      result,
      error,
      calls: diff(before, await this.#calls()),
    };
    // What Lambda itself records for every invocation (AWS/Lambda metrics, read by `alb-warden doctor`).
    const dimensions = { FunctionName: lambdaFunctionName(name) };
    const timestamp = new Date().toISOString();
    await control.metrics([
      { namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions, timestamp },
      ...(error ? [{ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions, timestamp }] : []),
    ]);
    this.invocations.push(invocation);
    return invocation;
  }
}

/** The deployed function's name (the stack's `…FunctionName` outputs). */
function lambdaFunctionName(name: FunctionName): string {
  return `AlbWarden-${name[0]?.toUpperCase()}${name.slice(1)}`;
}

function lambdaContext(name: FunctionName, account: string, region: string): Context {
  const functionName = lambdaFunctionName(name);
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]demo`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function diff(before: CallCounts, after: CallCounts): CallCounts {
  const result = {} as Record<string, Record<string, number>>;
  for (const [service, actions] of Object.entries(after)) {
    const previous = (before as Record<string, Record<string, number>>)[service] ?? {};
    const changed: Record<string, number> = {};
    for (const [action, count] of Object.entries(actions)) {
      const delta = count - (previous[action] ?? 0);
      if (delta > 0) changed[action] = delta;
    }
    result[service] = changed;
  }
  return result as CallCounts;
}

export function addCalls(total: CallCounts, more: CallCounts): CallCounts {
  const result = structuredClone(total) as Record<string, Record<string, number>>;
  for (const [service, actions] of Object.entries(more)) {
    const into = result[service] ?? {};
    result[service] = into;
    for (const [action, count] of Object.entries(actions)) into[action] = (into[action] ?? 0) + count;
  }
  return result as CallCounts;
}

/**
 * Writes: what a sweep with nothing to do must not make. Reads are Describe*, List*, Get*, Query, Scan;
 * AssumeRole (a member's credentials) changes nothing either.
 */
export function isMutating(action: string): boolean {
  return !/^(Describe|List|Get|Query|Scan|BatchGet|AssumeRole$)/.test(action);
}

export function countCalls(calls: CallCounts, filter: (action: string) => boolean = () => true): number {
  return Object.values(calls).reduce(
    (sum, actions) =>
      sum + Object.entries(actions).reduce((inner, [action, n]) => inner + (filter(action) ? n : 0), 0),
    0,
  );
}
