/**
 * The Lambda bundles the stacks deploy, built once per test run by esbuild.config.mjs (the one source of
 * bundling), or reused when dist/ already has them. Test files run in parallel workers, so the first to get
 * the lock builds and the others wait for it.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DIST = join(ROOT, 'dist');
const FUNCTIONS = ['register', 'guard', 'sweep'] as const;
const LOCK = join(ROOT, 'dist', '.infra-tests-building');

const built = () => FUNCTIONS.every((name) => existsSync(join(DIST, name, 'index.mjs')));

interface Bundler {
  build(options?: { quiet?: boolean }): Promise<unknown>;
}

export async function ensureBundles(): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (!built() || existsSync(LOCK)) {
    if (!built() && takeLock()) {
      try {
        const bundler: Bundler = await import(new URL('../../../esbuild.config.mjs', import.meta.url).href);
        await bundler.build({ quiet: true });
      } catch (cause) {
        throw new Error(
          'cannot build the Lambda bundles with esbuild.config.mjs (functions/handlers/*.ts); the infra tests ' +
            'deploy what `npm run build` produces',
          { cause },
        );
      } finally {
        rmSync(LOCK, { recursive: true, force: true });
      }
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for another worker to build ${DIST} (a stale ${LOCK} may be left over: remove it)`,
      );
    }
    await sleep(100);
  }
  if (!built()) throw new Error(`the build finished but ${DIST}/<function>/index.mjs is missing`);
  return DIST;
}

function takeLock(): boolean {
  mkdirSync(DIST, { recursive: true });
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    return false;
  }
}
