/**
 * Figure 3 (sweep at scale) and figure 4 (memory). For each scale a world of B bindings with N instances
 * each (every binding its own selector, load balancer and target group, with a health check to enforce) is
 * swept until converged; then one more sweep is measured: its AWS calls from the simulator's counter, its
 * mutating calls (0 when converged), the naive implementation's calls, the CPU time of planning, and its
 * wall time (the simulator shares this process). At the scales asked, the same sweep also runs as the
 * shipped bundle in a fresh process of its own, for its peak RSS and CPU time.
 */

import { pathToFileURL } from 'node:url';
import { sweep } from '../functions/use-cases/sweep.ts';
import { NAIVE_MODEL, naiveSweepCalls, sweepReadBudget } from './budgets.ts';
import type { Bundles } from './bundles.ts';
import { type CallCounts, flatCalls, mutatingCalls, totalCalls } from './calls.ts';
import { runChild } from './child.ts';
import { scheduledEvent } from './events.ts';
import { refill, simulatedWaitMs } from './limits.ts';
import { planningCpuMs } from './planning.ts';
import { stateSize } from './state-size.ts';
import { round } from './stats.ts';
import { converge, startWorld, type World } from './world.ts';

export interface Scale {
  readonly bindings: number;
  readonly instances: number;
  /** Run the sweep in its own process too (peak RSS, CPU). */
  readonly ownProcess?: boolean;
}

export interface OwnProcessSweep {
  /** Peak RSS of the process: import, a cold sweep, then a warm one. */
  readonly peakRssMb: number;
  readonly rssAfterImportMb: number;
  /** The warm (second) sweep. */
  readonly wallMs: number;
  readonly cpuMs: number;
}

export interface SweepFigure {
  readonly bindings: number;
  /** Instances per binding (each binding selects its own). */
  readonly instances: number;
  readonly totalInstances: number;
  readonly apiCalls: number;
  readonly elbCalls: number;
  readonly ec2Calls: number;
  readonly mutatingCalls: number;
  /** The most reads the budget allows at this scale. */
  readonly budgetApiCalls: number;
  readonly naiveApiCalls: number;
  /** Planning: the pure domain functions on the observed data. */
  readonly cpuMs: number;
  readonly wallMs: number;
  /** What the ELB rate limiter alone adds at the default share, from full buckets (simulated clock). */
  readonly limiterWaitMs: number;
  readonly calls: Record<string, number>;
  /** The first sweep, registering the whole fleet. */
  readonly initial: { readonly apiCalls: number; readonly mutatingCalls: number; readonly wallMs: number };
  readonly sweepsToConverge: number;
  /** The binding's alert-state partition and how many 1 MB Query pages it takes at AWS. */
  readonly state: { readonly items: number; readonly bytes: number; readonly queryPagesAtAws: number };
  readonly ownProcess?: OwnProcessSweep;
}

export const SCALES: readonly Scale[] = [
  { bindings: 1, instances: 10, ownProcess: true },
  { bindings: 1, instances: 1000 },
  { bindings: 10, instances: 1000 },
  { bindings: 1, instances: 10_000, ownProcess: true },
];

export const QUICK_SCALES: readonly Scale[] = [
  { bindings: 1, instances: 10, ownProcess: true },
  { bindings: 1, instances: 1000, ownProcess: true },
];

/** The sweep function's memory (infra/alb-warden.ts). */
export const SWEEP_MEMORY_MB = 512;

/**
 * The 1×10,000 sweep's peak when the SDK parsed every DescribeInstances page and the DescribeTargetHealth
 * answer whole, measured as below (own VmHWM, the same heap limit, two runs: 275 and 279 MB): the "before"
 * of the memory figure. Without the heap limit the same runs peaked at 307-311 MB, and 201-204 MB since.
 */
export const PEAK_RSS_MB_BEFORE_STREAMING = 277;

async function sweepInOwnProcess(world: World, bundles: Bundles): Promise<OwnProcessSweep> {
  const report = await runChild({
    module: pathToFileURL(bundles.functions.sweep.entry).href,
    events: [scheduledEvent(world), scheduledEvent(world)],
    env: {
      ...world.lambdaEnv,
      // Lambda's runtime gives Node a heap limit from the function's memory; without one, Node sizes its
      // young generation for this machine's memory (it scales with the limit since Node 20), not a
      // 512 MB function's.
      NODE_OPTIONS: `--max-old-space-size=${Math.floor(SWEEP_MEMORY_MB * 0.9)}`,
    },
  });
  const warm = report.invocations[1];
  return {
    peakRssMb: round(report.peakRssMb),
    rssAfterImportMb: round(report.rssAfterImportMb),
    wallMs: round(warm?.wallMs ?? Number.NaN),
    cpuMs: round(warm?.cpuMs ?? Number.NaN),
  };
}

export async function measureSweep(scale: Scale, bundles: Bundles | undefined): Promise<SweepFigure> {
  const world = await startWorld({
    bindings: scale.bindings,
    instancesPerBinding: scale.instances,
    healthCheck: true,
  });
  try {
    const deps = world.deps();
    const convergence = await converge(world, deps);
    await refill(world.lastCalls(), deps.config.limits.apiShare);
    const { calls, wallMs } = await world.counted(() => sweep(deps));
    const budget = sweepReadBudget(deps.config, () => scale.instances);
    const cpuMs = await planningCpuMs(world.deps({ apiShare: 1 }));
    const [first] = world.bindings;
    const state = await stateSize(world, first?.name ?? '');
    const ownProcess = scale.ownProcess && bundles ? await sweepInOwnProcess(world, bundles) : undefined;
    return {
      bindings: scale.bindings,
      instances: scale.instances,
      totalInstances: scale.bindings * scale.instances,
      apiCalls: totalCalls(calls),
      elbCalls: totalCalls(calls, 'elbv2'),
      ec2Calls: totalCalls(calls, 'ec2'),
      mutatingCalls: mutatingCalls(calls),
      budgetApiCalls: budget.total,
      naiveApiCalls: naiveSweepCalls(scale.bindings, scale.instances, true),
      cpuMs: round(cpuMs),
      wallMs: round(wallMs),
      limiterWaitMs: round(await simulatedWaitMs(calls, deps.config.limits.apiShare)),
      calls: flatCalls(calls),
      initial: summary(convergence.initial),
      sweepsToConverge: convergence.sweeps,
      state,
      ...(ownProcess ? { ownProcess } : {}),
    };
  } finally {
    await world.stop();
  }
}

function summary(run: { calls: CallCounts; wallMs: number }) {
  return {
    apiCalls: totalCalls(run.calls),
    mutatingCalls: mutatingCalls(run.calls),
    wallMs: round(run.wallMs),
  };
}

export { NAIVE_MODEL };
