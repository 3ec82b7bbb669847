/**
 * `npm run demo` as a user runs it: a child process, its stdout and exit code. The `--json` document lists
 * every step with ok: true; the human output carries no function logs unless --verbose asks for them.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../demo/main.ts', import.meta.url));
const STEPS = [
  'launch',
  'http-forward',
  'foreign-rule',
  'unhealthy',
  'recovered',
  'stopped',
  'quiet-sweep',
  'doctor',
  'fleet',
];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function demo(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
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

interface Document {
  schema: string;
  ok: boolean;
  mode: string;
  steps: {
    id: string;
    ok: boolean;
    title: string;
    entries: { at: string; source: string }[];
    checks: { ok: boolean }[];
  }[];
  summary: { ok: boolean; steps: { total: number; reached: number } };
  doctor?: { ok: boolean; checks: Record<string, unknown>[] };
  drill?: Record<string, unknown> | null;
}

describe('demo/main.ts', () => {
  it('--json prints one document listing every step with ok: true, and exits 0', async () => {
    const run = await demo(['--json']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as Document;
    expect(document.schema).toBe('alb-warden.demo/v1');
    expect(document.ok).toBe(true);
    expect(document.mode).toBe('enforce');
    expect(document.steps.map((step) => step.id)).toEqual(STEPS);
    for (const step of document.steps) {
      expect(step.ok).toBe(true);
      expect(step.checks.length).toBeGreaterThan(0);
      expect(step.checks.every((check) => check.ok)).toBe(true);
      for (const entry of step.entries) expect(Date.parse(entry.at)).not.toBeNaN();
    }
    expect(document.summary.steps).toEqual({ total: 9, reached: 9, failed: [] });
    // Progress while it runs, on stderr so stdout stays one document.
    expect(run.stderr.trim().split('\n')).toHaveLength(9);
    // The last scene's findings, in the shapes `alb-warden doctor --json` and `--drill --json` print.
    expect(document.doctor?.ok).toBe(true);
    expect(
      document.doctor?.checks.map((check) => Object.keys(check).filter((key) => key !== 'binding')),
    ).toEqual(document.doctor?.checks.map(() => ['check', 'ok', 'detail', 'fix']));
    expect(document.drill).toEqual({
      binding: 'web',
      detectedBy: 'event',
      repairSeconds: expect.any(Number),
      alertReceived: true,
      restoredByDrill: false,
    });
  }, 60_000);

  it('--dry-run --json says dry-run and still reaches every (dry-run) expectation', async () => {
    const run = await demo(['--dry-run', '--json']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as Document;
    expect(document.mode).toBe('dry-run');
    expect(document.steps.map((step) => [step.id, step.ok])).toEqual(STEPS.map((id) => [id, true]));
    // A dry-run controller repairs nothing: the drill does not start.
    expect(document.doctor?.ok).toBe(true);
    expect(document.drill).toBeNull();
  }, 60_000);

  it('prints a timeline with the alert as the on-call reads it, and no function logs', async () => {
    // A stray configuration or profile in the environment must not leak into the demo's controller.
    const run = await demo([], { WARDEN_CONFIG_FILE: '/nonexistent.json', AWS_PROFILE: 'nonexistent' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}guard {7}ModifyListener by jiwoo\.kim/m);
    expect(run.stdout).toContain('Subject: [WARNING] web: 1 target unhealthy in web-8080');
    expect(run.stdout).toContain('✓ every step reached its expected state');
    expect(run.stdout).not.toContain('"level"');
    expect(run.stdout).not.toContain('CloudWatchMetrics');
    expect(run.stderr).toBe('');
  }, 60_000);

  it.each([[[]], [['--dry-run']]])(
    '%j reads as the on-call would want it: 120 columns, plain verbs, alerts counted per sweep',
    async (args) => {
      const run = await demo(args);
      expect(run.code).toBe(0);

      const long = run.stdout.split('\n').filter((line) => [...line].length > 120);
      expect(long).toEqual([]);
      for (const wording of ['would: ', '(0 min)', 'a likely cause', 'repaired HTTP listener:'])
        expect(run.stdout).not.toContain(wording);
      expect(run.stdout).toContain('TargetUnhealthy alerts sent by sweeps 1, 2, 3: 0, 1, 0');
      expect(run.stdout).toContain('TargetRecovered alerts sent by sweeps 1, 2: 1, 0');
      const subjects = [...run.stdout.matchAll(/alert {7}(\[WARNING\] web: .*drift.*)/g)].map((m) => m[1]);
      expect(subjects).toHaveLength(2);
      expect(subjects[0]).not.toBe(subjects[1]);
      if (args.includes('--dry-run')) {
        expect(run.stdout).toMatch(
          // Web's two drifts, its unhealthy and recovered targets, and one drift per member.
          /\d+ of them writes: alerts published 6, alert state \d+ \(no ELB or EC2 write: dry-run\)/,
        );
        expect(run.stdout).toContain('would change the HTTP listener on port 80 so that it redirects 301 to');
      }
    },
    60_000,
  );

  it("--verbose lets the functions' JSON logs and EMF metrics through, on stderr", async () => {
    const run = await demo(['--verbose']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('"message": "invocation result"');
    expect(run.stderr).toContain('"CloudWatchMetrics"');
    expect(run.stdout).not.toContain('CloudWatchMetrics');
  }, 60_000);

  it('--help explains the options and exits 0', async () => {
    const run = await demo(['--help']);
    expect(run.code).toBe(0);
    for (const option of ['--dry-run', '--json', '--speed N', '--verbose'])
      expect(run.stdout).toContain(option);
  });

  it.each([
    [['--speed', 'fast'], /--speed must be a positive number/],
    [['--speed', '0'], /--speed must be a positive number/],
    [['--colour'], /Unknown option '--colour'/],
    [['story'], /Unexpected argument 'story'/],
  ])('%j is a usage error: exit 2', async (args, message) => {
    const run = await demo(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });
});
