/**
 * Once per test run, before any test file: the Lambda bundles, so every test reads the same dist/; and a
 * temporary directory of the run's own. CDK synthesizes into a new `cdk.out*` under the temporary directory
 * for every App without an outdir and never removes it; the test workers inherit TMPDIR,
 * so all they leave goes with the run: removed at the end, and by the next run when a run was cut short.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundles } from './infra/support/bundles.ts';

const PREFIX = 'alb-warden-test-';

export default async function setup(): Promise<() => void> {
  const base = tmpdir();
  removeAbandoned(base);
  const runDir = mkdtempSync(join(base, `${PREFIX}${process.pid}-`));
  process.env.TMPDIR = runDir;
  await buildBundles();
  return () => {
    process.env.TMPDIR = base;
    rmSync(runDir, { recursive: true, force: true });
  };
}

/** The directories of runs whose process is gone (interrupted, or killed before their teardown). */
function removeAbandoned(base: string): void {
  for (const name of readdirSync(base)) {
    const pid = Number(name.slice(PREFIX.length).split('-')[0]);
    if (!name.startsWith(PREFIX) || !Number.isInteger(pid) || alive(pid)) continue;
    rmSync(join(base, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
