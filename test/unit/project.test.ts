/** The project's promises about itself: the README's commands are the ones CI runs, and the toolchain is pinned. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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

describe('the toolchain', () => {
  const pkg = JSON.parse(read('package.json'));
  const tsconfig = JSON.parse(read('tsconfig.json'));

  it('needs Node.js 24 and runs every check in npm test', () => {
    expect(pkg.engines.node).toBe('>=24');
    expect(pkg.scripts.test).toBe('npm run typecheck && npm run lint && vitest run');
    expect(pkg.scripts.lint).toContain('--error-on-warnings');
  });

  it('is TypeScript strict with unchecked index access caught', () => {
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, noUncheckedIndexedAccess: true });
  });

  it('bootstraps Node 24 in CI when the machine has an older one', () => {
    expect(read('.ci/run')).toMatch(/npm install --prefix \.ci\/\.node[^\n]*node@24/);
  });
});
