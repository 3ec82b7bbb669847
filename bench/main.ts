/**
 * `npm run bench`: what the controller costs in time to heal, AWS API budget and Lambda resources, measured
 * on the bundled simulator, each figure beside its baseline. Prints a table; `--json` prints one JSON object
 * (progress goes to stderr); `--quick` runs smaller (5 cold starts, no 10,000-instance scales).
 *
 *   npm run bench                   # the full run, a few minutes
 *   npm run bench -- --json         # the same figures as one JSON object
 *   npm run bench -- --quick        # a shorter run (fewer runs and scales)
 *   npm run bench -- --only sweeps  # some figures: bundles, cold-start, events, sweeps, concurrency, discovery,
 *                                   # time-to-heal, fleet, accounts
 *   npm run bench -- --save f.json  # the table, and the JSON of the same run in f.json
 *   npm run bench -- --runs 5       # cold starts (and event paths) measured 5 times
 *   npm run bench -- --api-share 1  # event paths with the controller's whole ELB API budget
 */

import { writeFile } from 'node:fs/promises';
import { arch, availableParallelism, cpus, platform } from 'node:os';
import { parseArgs } from 'node:util';
import { ACCOUNTS_SCALE, type AccountsFigure, measureAccounts, QUICK_ACCOUNTS_SCALE } from './accounts.ts';
import { type ApiBudget, apiBudget } from './api-budget.ts';
import { EVENT_BUDGETS } from './budgets.ts';
import { type Bundles, buildBundles, bundleSize, FUNCTION_NAMES, heaviestPackages } from './bundles.ts';
import { unflatCalls } from './calls.ts';
import { type ColdStart, measureColdStarts } from './cold-start.ts';
import { type ConcurrencyFigure, measureConcurrency } from './concurrency.ts';
import { DISCOVERY_SCALES, type DiscoveryFigure, measureDiscovery } from './discovery.ts';
import { type EventFigures, measureEvents } from './events-figures.ts';
import { FLEET_SCALES, type FleetFigure, measureFleet, QUICK_FLEET_SCALES } from './fleet.ts';
import { type GuardLoading, guardLoading } from './lazy-loading.ts';
import { render } from './report.ts';
import {
  measureSweep,
  NAIVE_MODEL,
  PEAK_RSS_MB_BEFORE_STREAMING,
  QUICK_SCALES,
  SCALES,
  SWEEP_MEMORY_MB,
  type SweepFigure,
} from './sweeps.ts';
import { measureTimeToHeal, type TimeToHeal } from './time-to-heal.ts';
import { converge, startWorld } from './world.ts';

const FIGURES = [
  'bundles',
  'cold-start',
  'events',
  'sweeps',
  'concurrency',
  'discovery',
  'time-to-heal',
  'fleet',
  'accounts',
] as const;
type Figure = (typeof FIGURES)[number];

export interface BenchReport {
  readonly machine: { nproc: number; cpu: string; node: string; platform: string };
  readonly quick: boolean;
  bundles?: Record<string, ReturnType<typeof bundleSize> & { heaviest: ReturnType<typeof heaviestPackages> }>;
  coldStart?: Record<string, ColdStart>;
  guardLoading?: GuardLoading;
  repair?: EventFigures['repair'] & { latencyMs: number; budget: typeof EVENT_BUDGETS.repair };
  register?: EventFigures['register'] & { latencyMs: number; budget: typeof EVENT_BUDGETS.register };
  deregister?: EventFigures['deregister'] & { latencyMs: number };
  sweeps?: SweepFigure[];
  naiveModel?: string;
  memory?: {
    peakRssMb: number;
    bindings: number;
    instances: number;
    baselinePeakRssMb: number;
    /** The same sweep before DescribeInstances and DescribeTargetHealth were read as they stream. */
    beforeStreamingPeakRssMb: number;
    lambdaMemoryMb: number;
  };
  apiBudget?: ApiBudget;
  concurrency?: ConcurrencyFigure;
  discovery?: DiscoveryFigure[];
  /** Drift the sweep finds before any event: minutes to repair or accept, on the simulated clock. */
  timeToHeal?: TimeToHeal;
  fleet?: FleetFigure[];
  /** A hub with member accounts × regions × bindings: a simulated hour of sweeps and forwarded drifts. */
  accounts?: AccountsFigure;
}

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

const USAGE = `Usage: npm run bench -- [--json] [--quick] [--only FIGURES] [--runs N] [--api-share S] [--save FILE]

  --json          print one JSON object on stdout instead of the table (progress goes to stderr)
  --quick         smaller run: 5 cold starts, no 10,000-instance scales, a 100-binding fleet only, 5 member accounts
  --only FIGURES  comma-separated: ${FIGURES.join(', ')}
  --runs N        cold starts (and event paths) measured N times (default 20, 5 with --quick)
  --api-share S   the controller's limits.apiShare for the event paths (default the configuration's, 0.25)
  --save FILE     also write the JSON of the same run to FILE`;

class UsageError extends Error {}

async function main(): Promise<void> {
  let values: {
    json?: boolean;
    quick?: boolean;
    runs?: string;
    'api-share'?: string;
    only?: string;
    save?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        runs: { type: 'string' },
        'api-share': { type: 'string' },
        only: { type: 'string' },
        save: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const quick = values.quick ?? false;
  const only = new Set((values.only ?? FIGURES.join(',')).split(',').map((name) => name.trim()));
  for (const name of only) {
    if (!(FIGURES as readonly string[]).includes(name))
      throw new UsageError(`--only: unknown figure "${name}"; known: ${FIGURES.join(', ')}`);
  }
  const wanted = (figure: Figure) => only.has(figure);
  const runs = Number(values.runs ?? (quick ? 5 : 20));
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError(`--runs must be a whole number of at least 1, got "${values.runs}"`);
  const apiShare = values['api-share'] === undefined ? undefined : Number(values['api-share']);
  if (apiShare !== undefined && !(apiShare > 0 && apiShare <= 1))
    throw new UsageError(`--api-share must be a number above 0 and at most 1, got "${values['api-share']}"`);

  const report: BenchReport = {
    machine: {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${platform()} ${arch()}`,
    },
    quick,
  };

  let bundles: Bundles | undefined;
  try {
    if (wanted('bundles') || wanted('cold-start') || wanted('sweeps')) {
      progress('building the bundles with esbuild.config.mjs');
      bundles = await buildBundles();
      report.bundles = Object.fromEntries(
        FUNCTION_NAMES.map((name) => {
          const bundle = bundles?.functions[name];
          if (!bundle) throw new Error(`no bundle for ${name}`);
          return [name, { ...bundleSize(bundle), heaviest: heaviestPackages(bundle.meta) }];
        }),
      );
    }
    if (wanted('cold-start') && bundles) {
      progress(`cold starts: ${runs} fresh processes per function and variant`);
      const world = await startWorld({
        bindings: 1,
        instancesPerBinding: 10,
        healthCheck: true,
        // Every guard run repairs the same listener: the circuit breaker must not stop the runs.
        config: { circuitBreaker: { maxRepairs: 100 } },
      });
      try {
        await converge(world, world.deps());
        report.coldStart = await measureColdStarts(world, bundles, runs);
        progress('guard: which SDK clients each path loads');
        report.guardLoading = await guardLoading(bundles.functions.guard, world);
      } finally {
        await world.stop();
      }
    }
    let events: EventFigures | undefined;
    if (wanted('events')) {
      progress('event paths: repair, register, deregister with 20 ms per AWS call');
      const world = await startWorld({
        bindings: 1,
        instancesPerBinding: 10,
        healthCheck: true,
        config: {
          circuitBreaker: { maxRepairs: 100 },
          ...(apiShare === undefined ? {} : { limits: { apiShare } }),
        },
      });
      try {
        await converge(world, world.deps());
        events = await measureEvents(world, values.runs ? runs : quick ? 3 : 5);
      } finally {
        await world.stop();
      }
      report.repair = { ...events.repair, latencyMs: events.latencyMs, budget: EVENT_BUDGETS.repair };
      report.register = { ...events.register, latencyMs: events.latencyMs, budget: EVENT_BUDGETS.register };
      report.deregister = { ...events.deregister, latencyMs: events.latencyMs };
    }
    if (wanted('sweeps')) {
      report.sweeps = [];
      report.naiveModel = NAIVE_MODEL;
      for (const scale of quick ? QUICK_SCALES : SCALES) {
        progress(`sweep at ${scale.bindings}×${scale.instances.toLocaleString('en-US')}`);
        report.sweeps.push(await measureSweep(scale, bundles));
      }
      const own = report.sweeps.filter((figure) => figure.ownProcess);
      const largest = own.at(-1);
      const smallest = own[0];
      if (largest?.ownProcess && smallest?.ownProcess) {
        report.memory = {
          peakRssMb: largest.ownProcess.peakRssMb,
          bindings: largest.bindings,
          instances: largest.instances,
          baselinePeakRssMb: smallest.ownProcess.peakRssMb,
          beforeStreamingPeakRssMb: PEAK_RSS_MB_BEFORE_STREAMING,
          lambdaMemoryMb: SWEEP_MEMORY_MB,
        };
      }
    }
    if (wanted('concurrency')) {
      progress('concurrency: 10 bindings, 20 ms per AWS call');
      report.concurrency = await measureConcurrency();
    }
    if (wanted('discovery')) {
      report.discovery = [];
      for (const count of quick ? DISCOVERY_SCALES.slice(0, 2) : DISCOVERY_SCALES) {
        progress(`discovery: ${count} tagged load balancers`);
        report.discovery.push(await measureDiscovery(count));
      }
    }
    if (wanted('time-to-heal')) {
      progress('time to heal on the sweep path: grace and event history lookup, simulated clock');
      report.timeToHeal = await measureTimeToHeal();
    }
    if (wanted('fleet')) {
      report.fleet = [];
      for (const scale of quick ? QUICK_FLEET_SCALES : FLEET_SCALES) {
        progress(`fleet: ${scale.bindings} bindings × ${scale.instancesPerBinding} on scheduler and workers`);
        report.fleet.push(await measureFleet(scale));
      }
    }
    if (wanted('accounts')) {
      const scale = quick ? QUICK_ACCOUNTS_SCALE : ACCOUNTS_SCALE;
      progress(
        `accounts: a hub with ${scale.accounts} accounts × ${scale.regions} regions × ${scale.bindingsPerRegion} bindings, a simulated hour`,
      );
      report.accounts = await measureAccounts(scale, progress);
    }
    const tenBindings = report.sweeps?.find((figure) => figure.bindings === 10);
    const sweepCalls = tenBindings ? unflatCalls(tenBindings.calls) : report.concurrency?.sweepCalls;
    if (events && sweepCalls) {
      report.apiBudget = apiBudget(
        {
          sweep: sweepCalls,
          register: events.register.calls,
          deregister: events.deregister.calls,
          repair: events.repair.calls,
        },
        events.apiShare,
      );
    }
  } finally {
    await bundles?.remove();
  }

  if (values.save) await writeFile(values.save, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${render(report)}\n`);
}

await main().catch((error: unknown) => {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
  process.exitCode = 2;
});
