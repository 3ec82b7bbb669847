/**
 * `alb-warden validate`, configuration errors of every command, usage errors and `--help`. None of these
 * needs AWS: the dependency factory throws if anything asks for it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'alb-warden-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = JSON.parse(
  readFileSync(new URL('../../examples/seed.config.json', import.meta.url), 'utf8'),
) as Record<string, unknown> & { bindings: Record<string, unknown>[] };

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function cli(args: readonly string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  let depsAsked = false;
  const code = await main(
    args,
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env,
    },
    {
      deps: () => {
        depsAsked = true;
        throw new Error('this command must not need AWS');
      },
    },
  );
  return { code, stdout, stderr, depsAsked };
}

const good = file('good.json', SEED);
const bad = file('bad.json', {
  ...SEED,
  mode: 'enforcing',
  bindings: [
    {
      ...SEED.bindings[0],
      loadBalancerArn:
        'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/net/web-nlb/50dc6c495c0c9188',
      targetPrt: 8080,
    },
  ],
});

describe('alb-warden validate', () => {
  it('accepts a good file, exits 0 and never touches AWS', async () => {
    const run = await cli(['validate', '--config', good]);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe('valid: 1 binding(s): web (mode enforce)\n');
    expect(run.depsAsked).toBe(false);
  });

  it('--json says valid and lists the bindings', async () => {
    const run = await cli(['validate', '--config', good, '--json']);

    expect(JSON.parse(run.stdout)).toEqual({ valid: true, bindings: ['web'] });
  });

  it('rejects a bad file with every bad field and its value, and exits 2', async () => {
    const run = await cli(['validate', '--config', bad]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('mode');
    expect(run.stderr).toContain('"enforcing"');
    expect(run.stderr).toContain('bindings[0].loadBalancerArn');
    expect(run.stderr).toContain('an Application Load Balancer');
    expect(run.stderr).toContain('bindings[0]');
    expect(run.stderr).toContain('unknown key "targetPrt" (did you mean "targetPort"?)');
  });

  it('--json lists the issues field by field', async () => {
    const run = await cli(['validate', '--config', bad, '--json']);

    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as {
      valid: boolean;
      error: string;
      issues: { field: string; message: string }[];
    };
    expect(report.valid).toBe(false);
    expect(report.error).toEqual(expect.any(String));
    expect(report.issues.map((issue) => issue.field).sort()).toEqual(
      ['bindings[0]', 'bindings[0].loadBalancerArn', 'mode'].sort(),
    );
    const mode = report.issues.find((issue) => issue.field === 'mode');
    expect(mode?.message).toContain('got "enforcing"');
  });

  it('rejects a file that is not JSON', async () => {
    const run = await cli(['validate', '--config', file('broken.json', '{ "mode": ')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not valid JSON');
  });

  it('rejects a file that cannot be read', async () => {
    const run = await cli(['validate', '--config', join(dir, 'missing.json')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot be read');
  });

  it('needs --config, even when the environment carries a configuration', async () => {
    const run = await cli(['validate'], { WARDEN_CONFIG: JSON.stringify(SEED) });

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('alb-warden: validate needs --config FILE\n');
  });
});

describe('configuration errors of the other commands', () => {
  it.each(['status', 'reconcile', 'resume --binding web', 'pause --binding web --for 1h'])(
    '%s with a bad file exits 2 before any AWS call',
    async (command) => {
      const run = await cli([...command.split(' '), '--config', bad]);

      expect(run.code).toBe(2);
      expect(run.stderr).toContain('bindings[0].loadBalancerArn');
      expect(run.depsAsked).toBe(false);
    },
  );

  it('status without any configuration says how to give one', async () => {
    const run = await cli(['status']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'alb-warden: no configuration: pass --config FILE, or set WARDEN_CONFIG_FILE (a path) or WARDEN_CONFIG (inline JSON)\n',
    );
  });

  it('names --config, not the environment, when the file given with --config cannot be read', async () => {
    const run = await cli(['validate', '--config', '/nonexistent/warden.json']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^alb-warden: invalid configuration \(--config \/nonexistent\/warden\.json\):\n {2}- --config: cannot be read: ENOENT/,
    );
    expect(run.stderr).not.toContain('WARDEN_CONFIG_FILE');
  });

  it('status --json with a bad file prints the issues as JSON too', async () => {
    const run = await cli(['status', '--json', '--config', bad]);

    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ valid: false, issues: expect.any(Array) });
  });
});

describe('usage', () => {
  it('with no command prints the usage and exits 2', async () => {
    const run = await cli([]);

    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Usage: alb-warden <command> [options]');
  });

  it.each([['help'], ['--help'], ['-h']])('%s prints the usage and exits 0', async (flag) => {
    const run = await cli([flag]);

    expect(run.code).toBe(0);
    for (const command of ['status', 'reconcile', 'validate', 'pause', 'resume'])
      expect(run.stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'));
    expect(run.stdout).toContain(
      'Exit codes: 0 all well, 1 something is off, 2 usage or configuration error.',
    );
  });

  it.each([
    [
      'status',
      'Usage: alb-warden status [--config FILE] [--binding NAME] [--tag KEY=VALUE]… [--account ID] [--region REGION] [--all] [--json]',
    ],
    [
      'reconcile',
      'Usage: alb-warden reconcile [--config FILE] [--binding NAME] [--account ID] [--region REGION] [--dry-run] [--by NAME] [--json]',
    ],
    ['validate', 'Usage: alb-warden validate --config FILE [--discover] [--json]'],
    [
      'pause',
      'Usage: alb-warden pause --binding NAME --for DURATION [--reason TEXT] [--by NAME] [--config FILE] [--json]',
    ],
    ['resume', 'Usage: alb-warden resume --binding NAME [--config FILE] [--json]'],
  ])(
    '%s --help prints its own usage and exits 0 without reading any configuration',
    async (command, usage) => {
      const run = await cli([command, '--help']);

      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')[0]).toBe(usage);
      expect(run.depsAsked).toBe(false);
    },
  );

  it.each([
    [['deploy'], 'unknown command "deploy"'],
    [['status', '--colour'], 'alb-warden status: unknown option --colour\nUsage: alb-warden status '],
    [['status', '--bindng', 'web'], 'unknown option --bindng (did you mean --binding?)'],
    [['pause', '--dry-run'], 'alb-warden pause: unknown option --dry-run\n'],
    [['status', 'web'], 'unexpected argument "web"'],
    [['status', '--config'], 'alb-warden status: --config needs a value'],
    [['status', '--json=yes'], 'alb-warden status: --json takes no value'],
    [['stats'], 'unknown command "stats" (did you mean status?)'],
  ])('%j is a usage error: exit 2', async (args, message) => {
    const run = await cli(args, { WARDEN_CONFIG: JSON.stringify(SEED) });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it("an unknown option gets one line and the command's own usage, not the parser's text or the global usage", async () => {
    const run = await cli(['status', '--bogus'], { WARDEN_CONFIG: JSON.stringify(SEED) });

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'alb-warden status: unknown option --bogus\nUsage: alb-warden status [--config FILE] [--binding NAME] [--tag KEY=VALUE]… [--account ID] [--region REGION] [--all] [--json]\n',
    );
  });
});
