import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { SimControl } from '../../sim/control.ts';
import { buildSeedTopology } from '../../sim/seed.ts';
import { createClients } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';

const MAIN = new URL('../../sim/main.ts', import.meta.url).pathname;

let child: ChildProcess | undefined;

afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Starts `node sim/main.ts --port N` and resolves with the endpoint it prints. */
async function startProcess(port: number): Promise<string> {
  const started = spawn(process.execPath, [MAIN, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let output = '';
  return new Promise((resolve, reject) => {
    started.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (endpoint) resolve(endpoint);
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    started.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${output}`)));
  });
}

describe('node sim/main.ts', () => {
  it("serves another process's SDK calls on the given port and stops cleanly on SIGTERM", async () => {
    const port = await freePort();

    const endpoint = await startProcess(port);
    const clients = createClients(endpoint, 'ap-northeast-2', DEFAULT_ACCESS_KEY_ID);
    const seed = await buildSeedTopology(clients);
    const described = await clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    const calls = await new SimControl(endpoint).calls();
    for (const client of Object.values(clients)) client.destroy();
    child?.kill('SIGTERM');
    const [code] = await once(child as ChildProcess, 'exit');

    expect(endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(described.LoadBalancers?.map((lb) => lb.LoadBalancerArn)).toEqual([seed.loadBalancerArn]);
    expect(calls.elbv2.CreateListener).toBe(2);
    expect(code).toBe(0);
  });

  it('refuses an invalid port with its usage', async () => {
    const started = spawn(process.execPath, [MAIN, '--port', 'eighty'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    const [code] = await once(started, 'exit');

    expect(code).toBe(2);
    expect(stderr).toContain('--port must be an integer between 0 and 65535, got eighty');
  });
});
