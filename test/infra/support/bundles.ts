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

/**
 * The package's own build (package.config.mjs: dist/cdk, the constructs and their declarations), as `npm pack`
 * runs it, unless it is newer than everything it is built from: about 2 s of CPU, for output that changes
 * only with the sources.
 */
export async function buildPackageOutputs(): Promise<void> {
  const built = [join(DIST, 'cdk', 'index.mjs'), join(DIST, 'cdk', 'types', 'infra', 'index.d.ts')];
  if (newerThanSources(built, ['infra', 'functions'], ['package.config.mjs'])) return;
  const packageBuild = (await import(new URL('../../../package.config.mjs', import.meta.url).href)) as {
    buildPackage(): Promise<void>;
  };
  await packageBuild.buildPackage();
}

/** Every bundle is newer than every file it is built from (the functions, the build script, the lockfile). */
function upToDate(): boolean {
  return newerThanSources(
    FUNCTIONS.map((name) => join(DIST, name, 'index.mjs')),
    ['functions'],
  );
}

/**
 * Every output exists and is newer than every file under `dirs`, the `files` named, esbuild.config.mjs and the
 * lockfile (all relative to the repository).
 */
function newerThanSources(outputs: string[], dirs: string[], files: string[] = []): boolean {
  if (!outputs.every((file) => existsSync(file))) return false;
  const oldest = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const sources = [
    ...dirs.flatMap((dir) => filesUnder(join(ROOT, dir))),
    ...[...files, 'esbuild.config.mjs', 'package-lock.json'].map((file) => join(ROOT, file)),
  ];
  return sources.every((file) => statSync(file).mtimeMs < oldest);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
