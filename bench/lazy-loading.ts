/**
 * Which AWS SDK clients a function loads on a path: the shipped bundle runs one event in a fresh process
 * with Node's module hooks recording every file it loads; the bundle's metafile says which SDK client's code
 * each chunk carries. Also what importing the bundle loads before any event (its static import graph).
 */
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Bundle, type ClientName, clientsIn, staticClosure } from './bundles.ts';
import { runChild } from './child.ts';
import { deniedEvent, driftEvent, inSyncEvent } from './events.ts';
import type { World } from './world.ts';

export interface PathLoad {
  readonly clients: readonly ClientName[];
  /** Bundle files loaded (index.mjs and chunks). */
  readonly files: number;
  readonly result: unknown;
}

export async function clientsLoadedBy(bundle: Bundle, world: World, event: unknown): Promise<PathLoad> {
  const report = await runChild({
    module: pathToFileURL(bundle.entry).href,
    events: [event],
    env: world.lambdaEnv,
    traceModules: true,
  });
  const files = report.loaded
    .filter((url) => url.startsWith('file:'))
    .map((url) => relative(bundle.dir, fileURLToPath(url)))
    .filter((file) => !file.startsWith('..'));
  return {
    clients: [...clientsIn(bundle.meta, files)].sort(),
    files: files.length,
    result: report.invocations[0]?.result,
  };
}

/** SDK clients whose code importing the bundle loads, before it handles anything. */
export function clientsLoadedAtImport(bundle: Bundle): ClientName[] {
  return [...clientsIn(bundle.meta, staticClosure(bundle.meta, 'index.mjs'))].sort();
}

export interface GuardLoading {
  readonly atImport: readonly ClientName[];
  /** A failed API call (errorCode set): ignored without an AWS call. */
  readonly ignored: readonly ClientName[];
  /** A listener change that left it as desired: observed, nothing to repair. */
  readonly inSync: readonly ClientName[];
  /** A redirect turned into a 302: repaired and alerted. */
  readonly repair: readonly ClientName[];
}

export async function guardLoading(bundle: Bundle, world: World): Promise<GuardLoading> {
  const [binding] = world.bindings;
  if (!binding) throw new Error('the world needs a binding');
  return {
    atImport: clientsLoadedAtImport(bundle),
    ignored: (await clientsLoadedBy(bundle, world, await deniedEvent(world, binding))).clients,
    inSync: (await clientsLoadedBy(bundle, world, await inSyncEvent(world, binding))).clients,
    repair: (await clientsLoadedBy(bundle, world, await driftEvent(world, binding))).clients,
  };
}
