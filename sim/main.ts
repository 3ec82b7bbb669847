/**
 * The simulator as its own process: `npm run sim -- [--seed] [--port 4590]`. Exports for a shell go to stdout
 * (one `export KEY=VALUE` a line), everything else to stderr; it serves until SIGINT/SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from './index.ts';
import { exportLines, ONCALL_SECRET_ACCESS_KEY, type SeededWorld, seedWorld } from './seed-world.ts';

const USAGE = `Usage: npm run sim -- [--seed] [--config-file FILE] [--port N] [--host HOST] [--account ID] [--region REGION]

A stateful local AWS (EC2, ELBv2, SNS, DynamoDB) on the real wire protocols. Prints the lines to paste into
another shell (export KEY=VALUE, on stdout) and serves until Ctrl-C.

Options:
  --seed              build a world for the alb-warden CLI: the seed topology (ALB web-alb, HTTPS:443 forwarding
                      to target group web-8080, HTTP:80 redirecting), the alert topic and state table, three
                      running Role=web instances (two registered), and a configuration file that binds them
  --config-file FILE  where --seed writes the configuration (default: a new temporary directory, removed on exit)
  --port N            listening port, 0 for any free one (default 4590)
  --host HOST         listening address (default 127.0.0.1)
  --account ID        account in ARNs and events (default 123456789012)
  --region REGION     region in ARNs and events (default ap-northeast-2)
  -h, --help          this text

Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 could not start, 2 usage error.`;

const OPTIONS = {
  seed: { type: 'boolean', default: false },
  'config-file': { type: 'string' },
  port: { type: 'string', default: '4590' },
  host: { type: 'string' },
  account: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function usageError(message: string): never {
  process.stderr.write(`sim: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ options: OPTIONS, strict: true }));
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    usageError(`--port must be an integer between 0 and 65535, got ${values.port}`);
  }
  if (values['config-file'] !== undefined && !values.seed) usageError('--config-file goes with --seed');

  let simulator: Awaited<ReturnType<typeof startSimulator>>;
  try {
    simulator = await startSimulator({
      port,
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(values.account === undefined ? {} : { account: values.account }),
      ...(values.region === undefined ? {} : { region: values.region }),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `sim: port ${port} is in use (another simulator?): stop it, or pass --port N (0 picks a free port)\n`
        : `sim: cannot start: ${(error as Error).message}\n`,
    );
    process.exit(1);
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(
    `AWS simulator listening on ${simulator.endpoint} (account ${simulator.account}, region ${simulator.region})`,
  );

  const scratch =
    values.seed && values['config-file'] === undefined
      ? mkdtempSync(join(tmpdir(), 'alb-warden-sim-'))
      : undefined;
  let env: Record<string, string> = {
    AWS_ENDPOINT_URL: simulator.endpoint,
    AWS_REGION: simulator.region,
    // Any key signs a request the simulator accepts; the SDK only needs one to be set.
    AWS_ACCESS_KEY_ID: 'AKIASIMULATORLOCAL01',
    AWS_SECRET_ACCESS_KEY: ONCALL_SECRET_ACCESS_KEY,
  };
  if (values.seed) {
    const world = await seedWorld(simulator, values['config-file'] ?? join(scratch ?? '', 'warden.json'));
    describeWorld(world, say);
    env = { ...world.env };
  }
  say('Paste these lines into another shell (Ctrl-C here stops the simulator):');
  process.stdout.write(`${exportLines(env).join('\n')}\n`);

  const shutdown = (signal: string) => {
    say(`${signal}: stopping the simulator`);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    simulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`sim: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

function describeWorld(world: SeededWorld, say: (line: string) => void): void {
  const lb = world.seed.loadBalancerArn.split('/').slice(-2).join('/');
  say(`seeded: ALB ${lb}: HTTPS:443 forwards to web-8080, HTTP:80 redirects 301 to HTTPS:443`);
  say(`        target group web-8080 (HTTP:8080): ${world.registered.join(', ')} registered`);
  say(
    `        ${world.unregistered.join(', ')} runs tagged Role=web but is not registered: \`status\` reports it`,
  );
  say(`        alert topic ${world.topicArn.split(':').at(-1)}, state table ${world.tableName}`);
  say(`configuration (binding "web"): ${world.configFile}`);
  say('your access key acts as arn:aws:sts::…:assumed-role/AdministratorAccess/oncall');
}

await main();
