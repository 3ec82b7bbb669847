/**
 * `cdk synth` as a user runs it: the CDK CLI with cdk.json, no AWS credentials and no lookups.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBundles, ROOT } from './support/bundles.ts';
import { CDK_JSON } from './support/synth.ts';

const outdir = mkdtempSync(join(tmpdir(), 'alb-warden-synth-'));

/**
 * The environment without credentials or profiles (whatever needs AWS fails instead of reaching it), and with
 * every synth-time validation on, as a user runs it.
 */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(AWS_|CDK_DEFAULT_|CDK_VALIDATION$)/.test(key)),
  );
  return {
    ...env,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    WARDEN_SKIP_BUILD: '1',
  };
}

function cdk(...args: string[]) {
  return spawnSync('npx', ['cdk', ...args, '--no-notices', '--output', outdir], {
    cwd: ROOT,
    env: offlineEnv(),
    encoding: 'utf8',
    timeout: 90_000,
  });
}

beforeAll(async () => {
  await ensureBundles();
}, 60_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('cdk synth with cdk.json', () => {
  it('runs the app through node with its TypeScript entry point, after the Node version check', () => {
    expect(CDK_JSON.app).toBe('node --import ./scripts/require-node.mjs infra/app.ts');
  });

  it('synthesizes both stacks offline, with no credentials and nothing left to look up', () => {
    const contextFile = join(ROOT, 'cdk.context.json');
    const hadContextFile = existsSync(contextFile);

    const result = cdk('synth', '--quiet', '-c', 'deployEdge=true', '-c', 'createTrail=true');

    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
      missing?: unknown[];
      artifacts: Record<string, { type: string; environment?: string }>;
    };
    expect(manifest.missing ?? []).toEqual([]);
    expect(manifest.artifacts.AlbWarden?.environment).toBe('aws://123456789012/ap-northeast-2');
    expect(manifest.artifacts.AlbWardenEdge?.environment).toBe('aws://123456789012/ap-northeast-2');
    expect(existsSync(join(outdir, 'AlbWarden.template.json'))).toBe(true);
    expect(existsSync(join(outdir, 'AlbWardenEdge.template.json'))).toBe(true);
    expect(existsSync(contextFile)).toBe(hadContextFile);
  }, 90_000);

  it('fails with the context key named when a value is wrong', () => {
    const result = cdk('synth', '--quiet', '-c', 'sweepSchedule=every minute');

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('context "sweepSchedule" must be an EventBridge schedule expression');
  }, 90_000);
});
