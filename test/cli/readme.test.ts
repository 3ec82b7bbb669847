/**
 * The README's CLI section, run as a newcomer runs it: `npm run sim -- --seed` in one process, its export lines
 * in a fresh shell's environment, then every line of the README's CLI code block through bash, in order and
 * unchanged. A line's expected exit code is 0 unless its comment says `# exit N`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const README = readFileSync(`${ROOT}README.md`, 'utf8');
const EXPORTED = [
  'AWS_ENDPOINT_URL',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'WARDEN_CONFIG_FILE',
];

/** The code block of the README's CLI section, one command a line. */
function cliLines(): string[] {
  const section = /\n## CLI: `alb-warden`\n([\s\S]*?)\n## /.exec(README)?.[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').filter((line) => line.trim() !== '');
}

let sim: ChildProcess;
let exports: string[] = [];

beforeAll(async () => {
  // Its own process group, so the test can stop npm and the simulator under it together, as Ctrl-C does.
  sim = spawn('npm', ['run', '-s', 'sim', '--', '--seed', '--port', '0'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  sim.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  exports = await new Promise<string[]>((resolve, reject) => {
    let stdout = '';
    sim.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const lines = stdout.split('\n').filter(Boolean);
      if (lines.some((line) => line.startsWith('export WARDEN_CONFIG_FILE='))) resolve(lines);
    });
    sim.on('close', (code) => reject(new Error(`npm run sim -- --seed exited ${code}: ${stderr}`)));
  });
});

afterAll(async () => {
  if (sim.exitCode !== null || !sim.pid) return;
  const closed = new Promise((resolve) => sim.once('close', resolve));
  process.kill(-sim.pid, 'SIGINT');
  await closed;
});

/** The environment of a new shell where the export lines were pasted. */
function shellEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  for (const line of exports) {
    const [, key, value] = /^export ([A-Z_]+)=(.*)$/.exec(line) ?? [];
    if (key && value !== undefined) env[key] = value.replace(/^'(.*)'$/, '$1');
  }
  return env;
}

describe('npm run sim -- --seed', () => {
  it('prints one export line per variable the CLI needs, and nothing else on stdout', () => {
    expect(exports.map((line) => /^export ([A-Z_]+)=\S+$/.exec(line)?.[1])).toEqual(EXPORTED);
    expect(existsSync(shellEnv().WARDEN_CONFIG_FILE ?? '')).toBe(true);
  });
});

describe("the README's CLI section", () => {
  const lines = cliLines();

  it('is a block of alb-warden commands', () => {
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(line).toMatch(/^npm run -s cli -- /);
  });

  it('runs verbatim, line by line, against the seeded simulator with the printed exports', () => {
    const env = shellEnv();
    const runs = lines.map((line) => {
      const run = spawnSync('bash', ['-c', line], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
      return { line, expected: Number(/# exit (\d)/.exec(line)?.[1] ?? '0'), ...run };
    });

    for (const run of runs) {
      expect({ line: run.line, code: run.status, stderr: run.stderr }).toEqual({
        line: run.line,
        code: run.expected,
        stderr: '',
      });
      expect(run.stdout.trim(), run.line).not.toBe('');
    }
    // What the story shows: the unregistered instance is reported, the off binding comes out of jq, reconcile
    // registers it, and the second status is all well.
    const status = runs.filter((run) => /cli -- status\s*(#|$)/.test(run.line));
    expect(status.map((run) => run.status)).toEqual([1, 0]);
    expect(status[0]?.stdout).toMatch(/missing +i-[0-9a-f]+:8080 \(running, matching, not registered\)/);
    const jq = runs.find((run) => run.line.includes('| jq'));
    expect(JSON.parse(jq?.stdout ?? '')).toMatchObject({ binding: 'web', ok: false });
  }, 120_000);
});
