/**
 * `cdk synth` as a user runs it: the CDK CLI with cdk.json, no AWS credentials and no lookups.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

const BUNDLE_META = join(ROOT, 'dist', 'sweep', 'meta.json');

/**
 * `cdk synth` of both stacks as a user runs it: every validation on, and the app's bundling step too (which
 * must find dist/ up to date), run once for the tests that read it.
 */
let offline:
  | { result: ReturnType<typeof cdk>; hadContextFile: boolean; metaBefore: number; metaAfter: number }
  | undefined;
function offlineSynth() {
  if (offline) return offline;
  const hadContextFile = existsSync(join(ROOT, 'cdk.context.json'));
  const metaBefore = statSync(BUNDLE_META).mtimeMs;
  const result = cdkWith(
    { WARDEN_SKIP_BUILD: undefined },
    'synth',
    '--quiet',
    '-c',
    'deployEdge=true',
    '-c',
    'createTrail=true',
  );
  offline = { result, hadContextFile, metaBefore, metaAfter: statSync(BUNDLE_META).mtimeMs };
  return offline;
}

const CERT = 'arn:aws:acm:ap-northeast-2:123456789012:certificate/3f4e6a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

/** What the app itself wrote to stderr (the CDK CLI adds its own "Subprocess exited" line after it). */
function appLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('alb-warden: '));
}

/** The CDK CLI that `npx cdk` runs (the package's bin), started without npm in front of it. */
const CDK_CLI = join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

function cdk(...args: string[]) {
  return cdkWith({}, ...args);
}

function cdkWith(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [CDK_CLI, ...args, '--no-notices', '--output', outdir], {
    cwd: ROOT,
    env: { ...offlineEnv(), ...env },
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
    expect(CDK_JSON.app).toBe(
      'node --import ./scripts/require-node.mjs --conditions=alb-warden:source infra/app.ts',
    );
  });

  it("resolves the app's `alb-warden/cdk` to the constructs' sources with cdk.json's condition, and to the build without it", () => {
    const resolve = (...flags: string[]) =>
      spawnSync(
        process.execPath,
        [...flags, '--input-type=module', '-e', "console.log(import.meta.resolve('alb-warden/cdk'))"],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: { PATH: process.env.PATH },
        },
      ).stdout.trim();

    expect(resolve('--conditions=alb-warden:source')).toBe(
      pathToFileURL(join(ROOT, 'infra', 'index.ts')).href,
    );
    expect(resolve()).toBe(pathToFileURL(join(ROOT, 'dist', 'cdk', 'index.mjs')).href);
  });

  it('synthesizes both stacks offline, with no credentials and nothing left to look up', () => {
    const { result, hadContextFile } = offlineSynth();

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
    expect(existsSync(join(ROOT, 'cdk.context.json'))).toBe(hadContextFile);
  }, 90_000);

  it('fails with one line naming the context key when a value is wrong, and no stack trace', () => {
    const result = cdk('synth', '--quiet', '-c', 'sweepSchedule=every minute');

    expect(result.status).toBe(1);
    expect(appLines(result.stderr)).toEqual([
      'alb-warden: context "sweepSchedule" must be an EventBridge schedule expression like "rate(1 minute)" or ' +
        '"cron(0/2 * * * ? *)", got "every minute"',
    ]);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }, 90_000);

  it('fails with the bad fields of a bad configuration, and no stack trace', () => {
    const result = cdk('synth', '--quiet', '-c', 'config={"bindings":[]}');

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'alb-warden: invalid configuration (context "config"):\n  - bindings: must list at least one binding',
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }, 90_000);

  it('says an existing VPC needs credentials once, before any lookup, and leaves no cdk.context.json', () => {
    const contextFile = join(ROOT, 'cdk.context.json');
    const hadContextFile = existsSync(contextFile);
    const edge = { vpcId: 'vpc-0123456789abcdef0', certificateArn: CERT };

    const result = cdk('synth', '--quiet', '-c', 'deployEdge=true', '-c', `edge=${JSON.stringify(edge)}`);

    expect(result.status).toBe(1);
    expect(appLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^alb-warden: context "edge\.vpcId" vpc-0123456789abcdef0 must be looked up in your AWS account once .* no AWS credentials were found: configure them/,
      ),
    ]);
    expect(result.stderr).not.toContain('does not match format');
    expect(existsSync(contextFile)).toBe(hadContextFile);
  }, 90_000);

  it('does not rebuild bundles that are newer than their sources', () => {
    const { result, metaBefore, metaAfter } = offlineSynth();

    expect(result.status, result.stderr).toBe(0);
    expect(metaAfter).toBe(metaBefore);
  }, 90_000);
});
