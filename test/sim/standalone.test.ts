import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { SimControl } from '../../sim/control.ts';
import { buildSeedTopology } from '../../sim/seed.ts';
import { createClients } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';

const MAIN = new URL('../../sim/main.ts', import.meta.url).pathname;

let child: ChildProcess | undefined;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const started of children.splice(0)) if (started.exitCode === null) started.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

interface Started {
  readonly endpoint: string;
  /** What it printed on stdout once ready: the export lines. */
  readonly stdout: string;
}

/** Starts `node sim/main.ts ARGS` and resolves once it has printed its export lines. */
async function startProcess(...args: string[]): Promise<Started> {
  const started = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = started;
  children.push(started);
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    started.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const endpoint = /^export AWS_ENDPOINT_URL=(.+)$/m.exec(stdout)?.[1];
      const last = /^export (WARDEN_CONFIG_FILE|AWS_SECRET_ACCESS_KEY)=.*\n/m.test(stdout);
      if (endpoint && last && (!args.includes('--seed') || stdout.includes('WARDEN_CONFIG_FILE')))
        resolve({ endpoint, stdout });
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    started.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${stderr}`)));
  });
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const started = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = started;
  children.push(started);
  let stdout = '';
  let stderr = '';
  started.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  started.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = await once(started, 'exit');
  return { code: code as number, stdout, stderr };
}

describe('node sim/main.ts', () => {
  it("serves another process's SDK calls on the given port and stops cleanly on SIGTERM", async () => {
    const port = await freePort();

    const { endpoint, stdout } = await startProcess('--port', String(port));
    const clients = createClients(endpoint, 'ap-northeast-2', DEFAULT_ACCESS_KEY_ID);
    const seed = await buildSeedTopology(clients);
    const described = await clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    const calls = await new SimControl(endpoint).calls();
    for (const client of Object.values(clients)) client.destroy();
    child?.kill('SIGTERM');
    const [code] = await once(child as ChildProcess, 'exit');

    expect(endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(stdout.trim().split('\n')).toEqual([
      `export AWS_ENDPOINT_URL=http://127.0.0.1:${port}`,
      'export AWS_REGION=ap-northeast-2',
      'export AWS_ACCESS_KEY_ID=AKIASIMULATORLOCAL01',
      'export AWS_SECRET_ACCESS_KEY=simulator-secret',
    ]);
    expect(described.LoadBalancers?.map((lb) => lb.LoadBalancerArn)).toEqual([seed.loadBalancerArn]);
    expect(calls.elbv2.CreateListener).toBe(2);
    expect(code).toBe(0);
  });

  it('refuses an invalid port with its usage', async () => {
    const started = spawn(process.execPath, [MAIN, '--port', 'eighty'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(started);
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    const [code] = await once(started, 'exit');

    expect(code).toBe(2);
    expect(stderr).toContain('--port must be an integer between 0 and 65535, got eighty');
  });

  it('--help prints every option on stdout and exits 0', async () => {
    const result = await run('--help');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run sim -- \[--seed\]/);
    for (const option of [
      '--seed',
      '--config-file FILE',
      '--port N',
      '--host HOST',
      '--account ID',
      '--region',
    ])
      expect(result.stdout).toContain(option);
  });

  it('answers an unknown option with its usage and exit 2', async () => {
    const result = await run('--sed');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^sim: Unknown option '--sed'[^\n]*\n\nUsage: npm run sim -- /);
  });

  it('says in one line that the port is taken', async () => {
    const { endpoint } = await startProcess('--port', '0');
    const port = new URL(endpoint).port;

    const result = await run('--port', port);

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `sim: port ${port} is in use (another simulator?): stop it, or pass --port N (0 picks a free port)`,
    ]);
  });

  it('--seed writes a configuration of its own world, and removes it on SIGINT', async () => {
    const { stdout } = await startProcess('--seed', '--port', '0');
    const file = /^export WARDEN_CONFIG_FILE=(.+)$/m.exec(stdout)?.[1] ?? '';
    const endpoint = /^export AWS_ENDPOINT_URL=(.+)$/m.exec(stdout)?.[1] ?? '';
    const config = parseConfig(JSON.parse(readFileSync(file, 'utf8')));
    const clients = createClients(endpoint, 'ap-northeast-2', DEFAULT_ACCESS_KEY_ID);
    const { LoadBalancers = [] } = await clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    for (const client of Object.values(clients)) client.destroy();

    expect(config.bindings.map((binding) => binding.loadBalancerArn)).toEqual(
      LoadBalancers.map((lb) => lb.LoadBalancerArn),
    );
    expect(config.alerts.topicArn).toBe('arn:aws:sns:ap-northeast-2:123456789012:alb-warden-alerts');

    child?.kill('SIGINT');
    const [code] = await once(child as ChildProcess, 'exit');
    expect(code).toBe(0);
    expect(existsSync(dirname(file))).toBe(false);
  });
});
