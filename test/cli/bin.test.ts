/**
 * The real executable, `node functions/cli/bin.ts`, in a child process against the simulator through
 * AWS_ENDPOINT_URL and ordinary credentials in the environment, as an on-call engineer would run it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, OPERATOR_KEY, startCliWorld } from './support.ts';

const BIN = fileURLToPath(new URL('../../functions/cli/bin.ts', import.meta.url));

let w: CliWorld;
beforeAll(async () => {
  w = await startCliWorld();
  await w.launchWeb(2);
});
afterAll(() => w.stop());

function albWarden(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // Only what an on-call engineer's shell would carry: credentials, region, endpoint, configuration.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ENDPOINT_URL: w.warden.world.endpoint,
        AWS_REGION: w.warden.seed.region,
        AWS_ACCESS_KEY_ID: OPERATOR_KEY,
        AWS_SECRET_ACCESS_KEY: 'simulator-secret',
        AWS_MAX_ATTEMPTS: '2',
        WARDEN_CONFIG_FILE: w.configFile,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('node functions/cli/bin.ts', () => {
  it('status exits 0 on a healthy world, with the configuration from WARDEN_CONFIG_FILE', async () => {
    const run = await albWarden(['status', '--json']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout) as {
      ok: boolean;
      bindings: { binding: string; targets: object }[];
    };
    expect(status.ok).toBe(true);
    expect(status.bindings[0]?.binding).toBe('web');
    expect(status.bindings[0]?.targets).toMatchObject({ registered: 2, healthy: 2 });
  });

  it('status exits 1 after someone broke the redirect; reconcile repairs it; status exits 0 again', async () => {
    await w.breakRedirect();

    const drifted = await albWarden(['status']);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toContain('NOT OK web');

    const reconciled = await albWarden(['reconcile']);
    expect(reconciled.code).toBe(0);
    expect(reconciled.stdout).toContain('repaired: port 80 forwards to web-8080');
    expect(await w.httpAction()).toBe('redirect');

    expect((await albWarden(['status'])).code).toBe(0);
  });

  it('validate exits 2 on a file that is not a configuration', async () => {
    const run = await albWarden(['validate', '--config', BIN]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not valid JSON');
  });

  it('exits 1 with the AWS error when the endpoint cannot be reached', async () => {
    const stopped = await startCliWorld();
    const endpoint = stopped.warden.world.endpoint;
    await stopped.stop();
    const run = await albWarden(['status'], { AWS_ENDPOINT_URL: endpoint, AWS_MAX_ATTEMPTS: '1' });

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('NOT OK web');
    expect(run.stdout).toMatch(/ {5}error {8}\S/);
  });
});
