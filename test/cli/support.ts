/**
 * The CLI against a simulator world: the controller wired by test/integration/warden.ts, its configuration
 * written to a file as an operator would keep it, and `main` run with captured streams and dependencies
 * built against the simulator with an on-call engineer's credentials.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeListenersCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type CliOptions, main } from '../../functions/cli/main.ts';
import type { WardenConfigInput } from '../../functions/config.ts';
import { createDeps } from '../../functions/deps.ts';
import type { CallCounts } from '../../sim/control.ts';
import { launchInstances } from '../../sim/seed.ts';
import { INITIAL_HEALTH_CHECK_MS, startWarden, type Warden } from '../integration/warden.ts';

/** The on-call engineer's access key, mapped to an administrator's role session. */
export const OPERATOR_KEY = 'AKIAONCALLOPERATOR01';
export const OPERATOR_ARN = 'arn:aws:sts::123456789012:assumed-role/AdministratorAccess/oncall';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

export interface CliWorld {
  readonly warden: Warden;
  /** The configuration file the CLI reads (`--config`). */
  readonly configFile: string;
  /** A temporary directory for other files. */
  readonly dir: string;
  /** Runs `alb-warden ARGS`; `--config` is added unless the arguments or `env` carry a configuration. */
  cli(args: readonly string[], options?: RunOptions): Promise<CliRun>;
  /** Launches running Role=web instances, lets the controller register them and waits out their initial health check. */
  launchWeb(count: number): Promise<string[]>;
  /** A person switches the HTTP listener to forward plain HTTP (no event delivered yet). */
  breakRedirect(): Promise<void>;
  httpAction(): Promise<string | undefined>;
  calls(): Promise<CallCounts>;
  stop(): Promise<void>;
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>;
  readonly tty?: boolean;
  /** The CLI's clock (ms since epoch), for pauses. */
  readonly now?: () => number;
  readonly noConfig?: boolean;
}

export async function startCliWorld(
  overrides: Partial<WardenConfigInput> = {},
  binding: Record<string, unknown> = {},
): Promise<CliWorld> {
  const warden = await startWarden(overrides, binding);
  const { world, seed } = warden;
  const control = world.control;
  if (!control) throw new Error('the CLI tests need the simulator');
  await control.identity(OPERATOR_KEY, OPERATOR_ARN);
  const dir = mkdtempSync(join(tmpdir(), 'alb-warden-cli-'));
  const configFile = join(dir, 'warden.json');
  writeFileSync(configFile, JSON.stringify(warden.config, null, 2));
  const aws = world.aws(OPERATOR_KEY);

  return {
    warden,
    configFile,
    dir,
    async cli(args, options = {}) {
      let stdout = '';
      let stderr = '';
      const deps: CliOptions['deps'] = (config, telemetry) =>
        createDeps(config, { telemetry, aws, ...(options.now ? { now: options.now } : {}) });
      const carriesConfig =
        options.noConfig || args.includes('--config') || options.env?.WARDEN_CONFIG !== undefined;
      const argv = carriesConfig || args.includes('--help') ? args : [...args, '--config', configFile];
      const code = await main(
        argv,
        {
          stdout: {
            write: (text: string) => {
              stdout += text;
            },
            isTTY: options.tty,
          },
          stderr: {
            write: (text: string) => {
              stderr += text;
            },
          },
          env: { USER: 'oncall', ...options.env },
        },
        { deps },
      );
      return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
    },
    async launchWeb(count) {
      const ids = await launchInstances(world.clients, {
        count,
        subnetId: seed.subnetIds[0],
        tags: { Role: 'web' },
      });
      await warden.pump();
      await control.clock(INITIAL_HEALTH_CHECK_MS);
      return ids;
    },
    async breakRedirect() {
      await warden.person.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpListenerArn,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
        }),
      );
    },
    async httpAction() {
      const { Listeners = [] } = await world.clients.elbv2.send(
        new DescribeListenersCommand({ LoadBalancerArn: seed.loadBalancerArn }),
      );
      return Listeners.find((listener) => listener.Port === 80)?.DefaultActions?.[0]?.Type;
    },
    calls: () => control.calls(),
    async stop() {
      rmSync(dir, { recursive: true, force: true });
      await warden.stop();
    },
  };
}

const READ = /^(Describe|List|Get|Query|Scan|BatchGet)/;

/** Write calls between two snapshots of the simulator's counter, as `service Action`, for some services. */
export function writesBetween(
  before: CallCounts,
  after: CallCounts,
  services: readonly (keyof CallCounts)[] = ['ec2', 'elbv2', 'sns', 'dynamodb'],
): string[] {
  return services.flatMap((service) =>
    Object.entries(after[service])
      .filter(([action, count]) => !READ.test(action) && count > (before[service][action] ?? 0))
      .map(([action]) => `${service} ${action}`),
  );
}
