/**
 * The Lambda bundles the stacks deploy: dist/<fn>/index.mjs, built by esbuild.config.mjs (the one source of
 * bundling) once per test run, before any test file starts (test/global-setup.ts). Every test that needs
 * what ships reads it from there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DIST = join(ROOT, 'dist');
const FUNCTIONS = ['register', 'guard', 'sweep'] as const;

interface Bundler {
  build(options?: { quiet?: boolean }): Promise<unknown>;
}

/** Builds dist/ with esbuild.config.mjs, as `npm run build` does. */
export async function buildBundles(): Promise<void> {
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
