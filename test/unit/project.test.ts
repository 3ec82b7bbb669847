/** The project's promises about itself: the README's commands are the ones CI runs, and the toolchain is pinned. */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestSpecification } from 'vitest/node';
import { actionsTheAdaptersCall } from '../reliability/support/actions.ts';
import SlowSuitesFirst, { suiteRank } from '../sequencer.ts';

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

describe('the README quick start', () => {
  const readme = read('README.md');
  const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const lines = quickStart
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);

  it('is exactly two command lines: one runs the demo, one runs every test', () => {
    expect(lines).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
  });

  it('is what CI runs', () => {
    const ci = read('.ci/run');
    expect(ci).toContain(`\n${lines[1]}\n`);
  });
});

describe("the README's figures that the code decides", () => {
  const readme = read('README.md');

  it('counts the AWS actions the adapters call', () => {
    const claimed = /Throttling on each of the (\d+) AWS actions the adapters call/.exec(readme)?.[1];
    expect(Number(claimed)).toBe(actionsTheAdaptersCall().length);
  });

  it('names the port the standalone simulator listens on', () => {
    const main = read('sim/main.ts');
    const port = /port: \{ type: 'string', default: '(\d+)' \}/.exec(main)?.[1];
    expect(port).toBe('4590');
    const docs = `${readme}${read('sim/README.md')}`;
    const ports = [...docs.matchAll(/--port (\d+)|AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:(\d+)/g)];
    for (const [text, flag, url] of ports) expect(['0', port], text).toContain(flag ?? url);
    expect(read('sim/README.md')).toContain(`| 0 in-process, ${port} standalone |`);
  });

  it('lists every context key the CDK app reads in the deploy steps', () => {
    const context = read('infra/context.ts');
    const keys = [...context.matchAll(/^ \* \| `(\w+)`/gm)].map((match) => match[1]);
    expect(keys.length).toBeGreaterThanOrEqual(8);
    const deploy = /## Deploy\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    for (const key of keys) expect(deploy, key).toMatch(new RegExp(`\`${key}[\`=]`));
  });

  it("shows --json through npm with -s, so npm's banner stays off stdout", () => {
    expect(readme.match(/npm run (?!-s )[\w:]+ -- [^`\n]*--json/g) ?? []).toEqual([]);
  });

  it('documents every npm script', () => {
    const scripts = Object.keys(JSON.parse(read('package.json')).scripts as Record<string, string>);
    for (const script of scripts.filter((name) => !['format', 'typecheck', 'lint', 'cdk'].includes(name)))
      expect(readme, script).toMatch(new RegExp(`npm (run (-s )?)?${script.replace(':', '\\:')}\\b`));
  });
});

describe('the toolchain', () => {
  const pkg = JSON.parse(read('package.json'));
  const tsconfig = JSON.parse(read('tsconfig.json'));

  it('needs Node.js 24 and runs every check in npm test', () => {
    expect(pkg.engines.node).toBe('>=24');
    expect(pkg.scripts.test).toBe('node ./scripts/test.mjs');
    expect(pkg.scripts.typecheck).toMatch(/^tsc --noEmit\b/);
    expect(pkg.scripts.lint).toContain('--error-on-warnings');
  });

  it('leaves npm\'s own output as npm prints it (no json=true: npm ci says "added N packages")', () => {
    expect(read('.npmrc')).not.toMatch(/^\s*json\s*=/m);
  });

  it('is TypeScript strict with unchecked index access caught', () => {
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, noUncheckedIndexedAccess: true });
  });

  it('brings its own Node 24 as a devDependency, and CI takes no other path to it', () => {
    expect(pkg.devDependencies.node).toMatch(/^\^24\./);
    expect(read('.ci/run')).not.toMatch(/npm install|\.ci\/\.node|nvm /);
  });

  it('checks the Node version before every script that starts TypeScript', () => {
    const typescript = Object.entries(pkg.scripts as Record<string, string>).filter(([, line]) =>
      /\bnode [^&]*\.ts\b/.test(line),
    );
    expect(typescript.map(([name]) => name).sort()).toEqual(['bench', 'demo', 'member-template', 'sim']);
    for (const [, line] of typescript) expect(line).toMatch(/^node --import \.\/scripts\/require-node\.mjs /);
    expect(JSON.parse(read('cdk.json')).app).toMatch(/^node --import \.\/scripts\/require-node\.mjs /);
    // In a clone, `npm run cli` checks first, then loads the TypeScript CLI; the package's executable is the
    // prebuilt plain-JavaScript CLI, which needs no type stripping.
    expect(pkg.bin['alb-warden']).toBe('dist/cli/index.mjs');
    expect(pkg.scripts.cli).toBe('node scripts/alb-warden.mjs');
    const shim = read('scripts/alb-warden.mjs');
    expect(shim.indexOf("import './require-node.mjs';")).toBeGreaterThan(0);
    expect(shim.indexOf("import './require-node.mjs';")).toBeLessThan(shim.indexOf('functions/cli/bin.ts'));
  });
});

describe('scripts/test.mjs (npm test)', () => {
  /**
   * The runner with `npm` and `vitest` replaced by stubs on the PATH: each records its arguments and exits
   * with the code the test gives it (`npm run -s typecheck` and `npm run -s lint` are the npm stub).
   */
  function runTests(codes: { typecheck: number; lint: number; vitest: number }, args: string[] = []) {
    const dir = mkdtempSync(join(tmpdir(), 'alb-warden-test-runner-'));
    try {
      mkdirSync(join(dir, 'scripts'));
      mkdirSync(join(dir, 'bin'));
      for (const file of ['test.mjs', 'require-node.mjs']) {
        copyFileSync(`${root}scripts/${file}`, join(dir, 'scripts', file));
      }
      copyFileSync(`${root}package.json`, join(dir, 'package.json'));
      const stub = (name: string, code: string) =>
        writeFileSync(
          join(dir, 'bin', name),
          `#!/bin/sh\necho "${name} $*" >> "${dir}/calls"\necho "${name} said $*"\n${code}\n`,
          { mode: 0o755 },
        );
      stub('npm', `case "$3" in typecheck) exit ${codes.typecheck};; lint) exit ${codes.lint};; esac`);
      stub('vitest', `echo "cache $NODE_COMPILE_CACHE" >> "${dir}/cache"\nexit ${codes.vitest}`);
      const run = spawnSync(process.execPath, ['scripts/test.mjs', ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}` },
      });
      const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').sort();
      const cache = readFileSync(join(dir, 'cache'), 'utf8').trim();
      const inProject = join(realpathSync(dir), 'node_modules', '.cache', 'alb-warden', 'compile-cache');
      return { status: run.status, stdout: run.stdout, calls, cache, inProject };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('runs the typecheck, Biome and vitest, and passes its arguments to vitest', () => {
    const run = runTests({ typecheck: 0, lint: 0, vitest: 0 }, ['test/unit']);

    expect(run.status).toBe(0);
    // One thread for the typecheck: the test workers keep the cores busy.
    expect(run.calls).toEqual([
      'npm run -s lint',
      'npm run -s typecheck -- --singleThreaded',
      'vitest run test/unit',
    ]);
    expect(run.stdout).toContain('npm run typecheck: passed\nnpm said run -s typecheck -- --singleThreaded');
    expect(run.stdout).toContain('npm run lint: passed\nnpm said run -s lint');
  });

  it("gives vitest and the processes it starts one compile cache, in the project's node_modules", () => {
    const run = runTests({ typecheck: 0, lint: 0, vitest: 0 });

    expect(run.cache).toBe(`cache ${run.inProject}`);
  });

  it.each([
    ['the typecheck', { typecheck: 2, lint: 0, vitest: 0 }, 'npm run typecheck: failed (exit 2)'],
    ['Biome', { typecheck: 0, lint: 1, vitest: 0 }, 'npm run lint: failed (exit 1)'],
    ['a test', { typecheck: 0, lint: 0, vitest: 1 }, 'npm run lint: passed'],
  ])('fails when %s fails, after all three ran', (_, codes, line) => {
    const run = runTests(codes);

    expect(run.status).toBe(1);
    expect(run.calls).toHaveLength(3);
    expect(run.stdout).toContain(line);
  });
});

describe('scripts/require-node.mjs', () => {
  it('stops an older Node at once with one line naming the Node needed and how to get it', () => {
    // Prepare: the check next to a package.json that asks for a Node newer than this one.
    const dir = mkdtempSync(join(tmpdir(), 'alb-warden-node-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(`${root}scripts/require-node.mjs`, join(dir, 'scripts/require-node.mjs'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ engines: { node: '>=99' } }));
    writeFileSync(join(dir, 'main.js'), 'console.log("ran")');
    try {
      // Act
      const run = spawnSync(process.execPath, ['--import', './scripts/require-node.mjs', 'main.js'], {
        cwd: dir,
        encoding: 'utf8',
      });

      // Assess
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([
        `alb-warden needs Node.js 99 or newer, this is ${process.version}: run \`npm ci\` (without ` +
          '--ignore-scripts: it installs Node 99 into node_modules/.bin, which npm scripts use), or install Node 99 ' +
          'from https://nodejs.org',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets the supported Node through untouched', () => {
    const run = spawnSync(process.execPath, ['--import', './scripts/require-node.mjs', '-p', '6 * 7'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect([run.status, run.stdout.trim(), run.stderr]).toEqual([0, '42', '']);
  });
});

describe('test/sequencer.ts (the order of the test files)', () => {
  it('puts the suites that start processes, synthesize or run properties first, the unit tests last', () => {
    const files = ['unit/config', 'sim/ec2', 'reliability/safety', 'infra/synth', 'bench/main', 'other/x'];
    const ranked = [...files].sort(
      (a, b) => suiteRank(`${root}test/${a}.test.ts`) - suiteRank(`${root}test/${b}.test.ts`),
    );

    expect(ranked).toEqual([
      'reliability/safety',
      'bench/main',
      'infra/synth',
      'sim/ec2',
      'unit/config',
      'other/x',
    ]);
  });

  /** Test specifications of real files, in two projects as vitest.config.ts has them, and the last run's timings. */
  function sequence(durations: Record<string, number> = {}) {
    const project = (name: string, isolate: boolean) => ({
      name,
      config: { isolate, sequence: { groupOrder: 0 } },
    });
    const shared = project('shared', false);
    const files = ['unit/config', 'sim/ec2', 'reliability/safety', 'infra/synth', 'bench/main'];
    const specs = [
      ...files.map((file) => ({ moduleId: `${root}test/${file}.test.ts`, project: shared })),
      { moduleId: `${root}test/demo/cli.test.ts`, project: project('demo', true) },
    ];
    const nameOf = (moduleId: string) => moduleId.slice(`${root}test/`.length, -'.test.ts'.length);
    const ctx = {
      cache: {
        getTestSpecificationResult: (spec: { moduleId: string }) => {
          const duration = durations[nameOf(spec.moduleId)];
          return duration === undefined ? undefined : { duration, failed: false };
        },
      },
    };
    const sequencer = new SlowSuitesFirst(ctx as unknown as ConstructorParameters<typeof SlowSuitesFirst>[0]);
    return async () =>
      (await sequencer.sort(specs as unknown as TestSpecification[])).map((spec) => nameOf(spec.moduleId));
  }

  it('orders a run without timings by suite, the demo project first as Vitest runs it', async () => {
    expect(await sequence()()).toEqual([
      'demo/cli',
      'reliability/safety',
      'bench/main',
      'infra/synth',
      'sim/ec2',
      'unit/config',
    ]);
  });

  it("keeps Vitest's order, the slowest first, when every file has a timing", async () => {
    const timed = {
      'unit/config': 9,
      'sim/ec2': 8,
      'reliability/safety': 1,
      'infra/synth': 2,
      'bench/main': 3,
    };

    expect(await sequence({ ...timed, 'demo/cli': 5 })()).toEqual([
      'demo/cli',
      'unit/config',
      'sim/ec2',
      'bench/main',
      'infra/synth',
      'reliability/safety',
    ]);
  });
});
