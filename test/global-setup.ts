/**
 * Once per test run, before any test file: the Lambda bundles, so every test reads the same dist/; and a
 * temporary directory of the run's own, removed at the end. CDK synthesizes into a new `cdk.out*` under the
 * temporary directory for every App without an outdir and never removes it; the test files share workers,
 * which inherit TMPDIR, so everything they leave behind goes with the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundles } from './infra/support/bundles.ts';

export default async function setup(): Promise<() => void> {
  const runDir = mkdtempSync(join(tmpdir(), 'alb-warden-test-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = runDir;
  await buildBundles();
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(runDir, { recursive: true, force: true });
  };
}
