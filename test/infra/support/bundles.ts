/**
 * The Lambda bundles the stacks deploy: dist/<fn>/index.mjs, built by esbuild.config.mjs (the one source of
 * bundling) once per test run, before any test file starts (test/global-setup.ts), unless dist/ is newer
 * than everything it is built from. Every test that needs what ships reads it from there.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DIST = join(ROOT, 'dist');
const FUNCTIONS = ['register', 'guard', 'sweep'] as const;

interface Bundler {
  build(options?: { quiet?: boolean }): Promise<unknown>;
}

/** Builds dist/ with esbuild.config.mjs, as `npm run build` does, unless it is up to date. */
export async function buildBundles(): Promise<void> {
  if (upToDate()) return;
  try {
    const bundler: Bundler = await import(new URL('../../../esbuild.config.mjs', import.meta.url).href);
    await bundler.build({ quiet: true });
  } catch (cause) {
    throw new Error(
      'cannot build the Lambda bundles with esbuild.config.mjs (functions/handlers/*.ts); the tests run ' +
        'what `npm run build` produces',
      { cause },
    );
  }
}

/** dist/, checked to hold every function's bundle. */
export async function ensureBundles(): Promise<string> {
  const missing = FUNCTIONS.filter((name) => !existsSync(join(DIST, name, 'index.mjs')));
  if (missing.length > 0)
    throw new Error(
      `${DIST}/{${missing.join(',')}}/index.mjs missing: the test run's global setup (test/global-setup.ts) ` +
        'builds them; run the tests through vitest.config.ts, or `npm run build` first',
    );
  return DIST;
}

/** Every bundle is newer than every file it is built from (the functions, the build script, the lockfile). */
function upToDate(): boolean {
  const built = FUNCTIONS.map((name) => join(DIST, name, 'index.mjs'));
  if (!built.every((file) => existsSync(file))) return false;
  const oldest = Math.min(...built.map((file) => statSync(file).mtimeMs));
  const sources = [
    ...filesUnder(join(ROOT, 'functions')),
    join(ROOT, 'esbuild.config.mjs'),
    join(ROOT, 'package-lock.json'),
  ];
  return sources.every((file) => statSync(file).mtimeMs < oldest);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
