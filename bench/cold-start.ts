/**
 * Figure 1b: cold start per function. Each run is a fresh Node process that imports the function and
 * handles one event against the simulator in this process: the bundle as it ships (dist/<fn>/index.mjs)
 * and, as the baseline, the same handler from source (functions/handlers/<fn>.ts, packages from
 * node_modules, types stripped by Node). `node -e 0` is timed beside them: Node's own start and exit.
 * Runs are interleaved so a noisy neighbour slows all variants alike; medians are reported.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Bundles, FUNCTION_NAMES, type FunctionName, ROOT } from './bundles.ts';
import { type ChildReport, runBareNode, runChild } from './child.ts';
import { driftEvent, launchEvent, scheduledEvent } from './events.ts';
import { median, round } from './stats.ts';
import type { World } from './world.ts';

export interface ColdStart {
  /** Process start to exit, importing the bundle and handling one event (median). */
  readonly medianMs: number;
  /** The same from source with node_modules (median). */
  readonly unbundledMs: number;
  /** `node -e 0` (median). */
  readonly nodeMs: number;
  /** Importing the module (median): the Lambda init phase. */
  readonly importMs: number;
  readonly unbundledImportMs: number;
  /** Handling the first event (median): the first invocation, with its lazy imports and new connections. */
  readonly handleMs: number;
  readonly unbundledHandleMs: number;
  readonly runs: number;
}

type Variant = 'bundled' | 'unbundled';

function moduleOf(bundles: Bundles, name: FunctionName, variant: Variant): string {
  return variant === 'bundled'
    ? pathToFileURL(bundles.functions[name].entry).href
    : pathToFileURL(join(ROOT, 'functions', 'handlers', `${name}.ts`)).href;
}

/** An event that makes the function do its real work: register a new instance, repair a drift, sweep. */
async function eventFor(world: World, name: FunctionName): Promise<unknown> {
  const [binding] = world.bindings;
  if (!binding) throw new Error('the cold-start world needs a binding');
  if (name === 'register') return (await launchEvent(world, binding)).event;
  if (name === 'guard') return driftEvent(world, binding);
  return scheduledEvent(world);
}

/** The handler did the work the figure is about, not something cheaper (an ignored event, say). */
function checkOutcome(name: FunctionName, report: ChildReport): void {
  const result = report.invocations[0]?.result as
    | {
        ignored?: string;
        bindings?: {
          status?: string;
          listeners?: { outcome?: string };
          registration?: { register?: string[] };
        }[];
      }
    | undefined;
  const [binding] = result?.bindings ?? [];
  const ok =
    name === 'register'
      ? binding?.registration?.register?.length === 1
      : name === 'guard'
        ? binding?.listeners?.outcome === 'repaired'
        : binding !== undefined && binding.status !== 'failed';
  if (!ok || result?.ignored)
    throw new Error(`${name} did not do its work in the child: ${JSON.stringify(result)}`);
}

export async function measureColdStarts(
  world: World,
  bundles: Bundles,
  runs: number,
): Promise<Record<FunctionName, ColdStart>> {
  const bare: number[] = [];
  const reports = new Map<string, ChildReport[]>();
  for (let run = 0; run < runs; run++) {
    bare.push(await runBareNode());
    for (const name of FUNCTION_NAMES) {
      const variants: Variant[] = run % 2 === 0 ? ['bundled', 'unbundled'] : ['unbundled', 'bundled'];
      for (const variant of variants) {
        const report = await runChild({
          module: moduleOf(bundles, name, variant),
          events: [await eventFor(world, name)],
          env: world.lambdaEnv,
        });
        checkOutcome(name, report);
        const key = `${name}:${variant}`;
        reports.set(key, [...(reports.get(key) ?? []), report]);
      }
    }
  }
  const of = (name: FunctionName, variant: Variant) => reports.get(`${name}:${variant}`) ?? [];
  const figure = (name: FunctionName): ColdStart => ({
    medianMs: round(median(of(name, 'bundled').map((report) => report.processMs))),
    unbundledMs: round(median(of(name, 'unbundled').map((report) => report.processMs))),
    nodeMs: round(median(bare)),
    importMs: round(median(of(name, 'bundled').map((report) => report.importMs))),
    unbundledImportMs: round(median(of(name, 'unbundled').map((report) => report.importMs))),
    handleMs: round(median(of(name, 'bundled').map((report) => report.invocations[0]?.wallMs ?? Number.NaN))),
    unbundledHandleMs: round(
      median(of(name, 'unbundled').map((report) => report.invocations[0]?.wallMs ?? Number.NaN)),
    ),
    runs,
  });
  return { register: figure('register'), guard: figure('guard'), sweep: figure('sweep') };
}
