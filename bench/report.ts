/** The bench report as text: one section per figure, each beside its baseline and, where one exists, its budget. */
import type { BenchReport } from './main.ts';
import { kib, percent, table } from './table.ts';

const none = (list: readonly string[]) => (list.length === 0 ? 'none' : list.join(', '));
const calls = (flat: Readonly<Record<string, number>>) =>
  Object.entries(flat)
    .map(([action, count]) => `${action.split(':')[1]}${count > 1 ? `×${count}` : ''}`)
    .join(' ');
const scale = (figure: { bindings: number; instances: number }) =>
  `${figure.bindings}×${figure.instances.toLocaleString('en-US')}`;
const within = (value: number, budget: number) => `${value <= budget ? 'ok' : 'OVER'} (≤ ${budget})`;

export function render(report: BenchReport): string {
  const { machine } = report;
  const out: string[] = [
    `alb-warden benchmarks on the simulator: ${machine.nproc} × ${machine.cpu}, Node ${machine.node}, ${machine.platform}${report.quick ? ' (quick run)' : ''}`,
    'Times are medians, reported, never asserted; call counts come from the simulator.',
  ];

  if (report.bundles) {
    out.push('', '1. Bundles (esbuild metafile; dist/<fn>, code splitting)');
    out.push(
      table(
        ['function', 'total KiB', 'index.mjs KiB', 'loaded at import KiB', 'chunks', 'heaviest package'],
        Object.entries(report.bundles).map(([name, bundle]) => [
          name,
          kib(bundle.bytes),
          kib(bundle.indexBytes),
          kib(bundle.staticBytes),
          bundle.chunks,
          `${bundle.heaviest[0]?.package ?? '-'} ${kib(bundle.heaviest[0]?.bytes ?? 0)} KiB`,
        ]),
      ),
    );
  }
  if (report.coldStart) {
    const [first] = Object.values(report.coldStart);
    out.push(
      '',
      `   Cold start: median of ${first?.runs ?? 0} fresh processes, import + one event against the simulator`,
    );
    out.push(
      table(
        [
          'function',
          'bundled ms',
          'unbundled ms',
          'node -e 0 ms',
          'import ms',
          'unbundled import ms',
          '1st event ms',
          'unbundled 1st event ms',
        ],
        Object.entries(report.coldStart).map(([name, cold]) => [
          name,
          cold.medianMs,
          cold.unbundledMs,
          cold.nodeMs,
          cold.importMs,
          cold.unbundledImportMs,
          cold.handleMs,
          cold.unbundledHandleMs,
        ]),
      ),
    );
    out.push(
      '   (register: a new instance registered; guard: a 302 repaired; sweep: a converged 1×10 sweep)',
    );
  }
  if (report.guardLoading) {
    const loading = report.guardLoading;
    out.push(
      '',
      '   Guard: SDK clients loaded (module hooks in a fresh process, chunks mapped by the metafile)',
      table(
        ['path', 'clients loaded'],
        [
          ['import', none(loading.atImport)],
          ['ignored event (failed call)', none(loading.ignored)],
          ['in-sync listener event', none(loading.inSync)],
          ['redirect repair', none(loading.repair)],
        ],
      ),
    );
  }
  if (report.repair && report.register) {
    out.push(
      '',
      `2. Event paths: warm, ${report.repair.latencyMs} ms added to every AWS call, full ELB token buckets`,
    );
    const rows = [
      [
        'guard: repair a 302',
        report.repair.apiCalls,
        report.repair.elbCalls,
        `${within(report.repair.apiCalls, report.repair.budget.apiCalls)}, ELB ${within(report.repair.elbCalls, report.repair.budget.elbCalls)}`,
        report.repair.wallMs,
        calls(flat(report.repair.calls)),
      ],
      [
        'register: instance running',
        report.register.apiCalls,
        report.register.elbCalls,
        within(report.register.apiCalls, report.register.budget.apiCalls),
        report.register.wallMs,
        calls(flat(report.register.calls)),
      ],
    ];
    if (report.deregister) {
      rows.push([
        'register: instance terminated',
        report.deregister.apiCalls,
        report.deregister.elbCalls,
        '-',
        report.deregister.wallMs,
        calls(flat(report.deregister.calls)),
      ]);
    }
    out.push(table(['path', 'AWS calls', 'ELB calls', 'budget', 'wall ms', 'calls'], rows));
  }
  if (report.sweeps) {
    out.push(
      '',
      '3. Sweeps at scale: converged, default limits, health check enforced (B bindings × N instances each)',
    );
    out.push(
      table(
        [
          'B×N',
          'AWS calls',
          'budget',
          'mutating',
          'naive calls',
          'planning CPU ms',
          'wall ms',
          'limiter wait ms',
          'first sweep calls',
          'first sweep mutating',
          'first sweep ms',
          'state Query pages at AWS',
        ],
        report.sweeps.map((figure) => [
          scale(figure),
          figure.apiCalls,
          within(figure.apiCalls, figure.budgetApiCalls),
          figure.mutatingCalls,
          figure.naiveApiCalls,
          figure.cpuMs,
          figure.wallMs,
          figure.limiterWaitMs,
          figure.initial.apiCalls,
          figure.initial.mutatingCalls,
          figure.initial.wallMs,
          `${figure.state.queryPagesAtAws} (${kib(figure.state.bytes)} KiB)`,
        ]),
      ),
    );
    out.push(`   naive model: ${report.naiveModel}`);
    out.push('   wall ms includes the simulator (same process); limiter wait: simulated, from full buckets');
  }
  if (report.sweeps?.some((figure) => figure.ownProcess)) {
    out.push(
      '',
      '4. Memory and CPU: the shipped sweep bundle in its own process (import, a cold sweep, a warm one)',
    );
    out.push(
      table(
        ['B×N', 'peak RSS MB', 'RSS after import MB', 'warm sweep ms', 'warm sweep CPU ms'],
        report.sweeps.flatMap((figure) =>
          figure.ownProcess
            ? [
                [
                  scale(figure),
                  figure.ownProcess.peakRssMb,
                  figure.ownProcess.rssAfterImportMb,
                  figure.ownProcess.wallMs,
                  figure.ownProcess.cpuMs,
                ],
              ]
            : [],
        ),
      ),
    );
    if (report.memory) {
      const { memory } = report;
      out.push(`   the sweep function is deployed with ${memory.lambdaMemoryMb} MB`);
      out.push(
        `   ${memory.bindings}×${memory.instances.toLocaleString('en-US')} peak RSS: ${memory.peakRssMb} MB now, ${memory.beforeStreamingPeakRssMb} MB before pages were read as they stream`,
      );
    }
  }
  if (report.apiBudget) {
    const budget = report.apiBudget;
    const mix = budget.mix;
    out.push(
      '',
      `5. API budget at 10 bindings: a minute of 1 sweep, ${mix.launches} launches, ${mix.terminations} terminations, ${Math.round(mix.repairs * 24 * 60)} repair a day`,
    );
    out.push(
      table(
        [
          'ELB bucket',
          'calls/min',
          'of the account bucket',
          `of the controller's share (${budget.apiShare})`,
        ],
        Object.entries(budget.buckets).map(([bucket, use]) => [
          bucket,
          use.callsPerMinute,
          percent(use.accountShare),
          percent(use.ofControllerShare),
        ]),
      ),
    );
    out.push(
      `   ELB ${budget.elbCallsPerMinute} calls/min, EC2 ${budget.ec2CallsPerMinute} calls/min (${percent(budget.ec2DescribeShare)} of DescribeInstances' 20/s), DynamoDB ${budget.dynamodbCallsPerMinute}, SNS ${budget.snsCallsPerMinute}`,
    );
  }
  if (report.concurrency) {
    const figure = report.concurrency;
    out.push(
      '',
      `6. Concurrency: ${figure.bindings} bindings × ${figure.instancesPerBinding}, ${figure.latencyMs} ms per AWS call; the slowest binding alone: ${figure.slowestBindingMs} ms (median ${figure.medianBindingMs} ms)`,
    );
    out.push(
      table(
        [
          'apiShare',
          'concurrentBindings',
          'wall ms',
          '× slowest binding',
          'bindings in flight',
          'limiter wait ms (simulated)',
        ],
        figure.runs.map((run) => [
          String(run.apiShare),
          run.concurrentBindings,
          run.wallMs,
          run.vsSlowestBinding,
          run.maxBindingsInFlight,
          run.limiterWaitMs,
        ]),
      ),
    );
  }
  if (report.discovery) {
    out.push(
      '',
      '7. Discovery by tag, per sweep: GetResources (the tagging API) beside DescribeLoadBalancers + DescribeTags (20 ARNs a call)',
    );
    out.push(
      table(
        [
          'load balancers',
          'GetResources calls',
          'discovery ms',
          'ELB describe calls instead',
          'ELB budget s (share 0.25)',
        ],
        report.discovery.map((figure) => [
          figure.loadBalancers.toLocaleString('en-US'),
          figure.taggingCalls,
          figure.discoveryMs,
          figure.elbAlternativeCalls,
          figure.elbAlternativeBudgetS,
        ]),
      ),
    );
  }
  if (report.timeToHeal) {
    const figure = report.timeToHeal;
    out.push(
      '',
      `8. Time to heal, drift found by the sweep before any event: a sweep every ${figure.sweepEveryMinutes} min, approvalGraceMinutes ${figure.approvalGraceMinutes}, event history ${figure.historyDelayMinutes} min behind (simulated clock)`,
    );
    out.push(
      table(
        ['case', 'change by', 'outcome', 'minutes', 'LookupEvents calls'],
        figure.cases.map((entry) => [
          entry.case,
          entry.changeBy,
          entry.outcome,
          entry.minutes ?? '-',
          entry.lookups,
        ]),
      ),
    );
  }
  if (report.fleet) {
    out.push(
      '',
      '9. Fleet: scheduler and sweep workers on a simulated clock (apiShare 0.25, sweepFraction 0.5, 2 workers)',
    );
    out.push(
      table(
        [
          'bindings×instances',
          'N min',
          'all swept s',
          'worst staleness s',
          'ELB calls/min',
          'describe share',
          'throttled',
          'max invocation s',
          'GB-s/month',
          'USD/month',
        ],
        report.fleet.map((figure) => [
          `${figure.bindings}×${figure.instancesPerBinding}`,
          figure.intervalMinutes,
          figure.sweptAllWithinS,
          figure.worstStalenessS,
          figure.elbCallsPerMinute,
          `${percent(figure.elbDescribeShareOfBucket)} (≤ ${percent(figure.sweepShareOfBucket)})`,
          figure.throttlingErrors,
          figure.maxInvocationS,
          figure.lambdaGbSecondsPerMonth,
          figure.costPerMonthUsd,
        ]),
      ),
    );
  }
  if (report.accounts) {
    const figure = report.accounts;
    out.push(
      '',
      `10. Many accounts: a hub with ${figure.accounts} accounts × ${figure.regions} regions, ${figure.bindings} bindings, ${figure.simulatedMinutes} simulated minutes, throttling on`,
    );
    out.push(
      table(
        ['figure', 'alb-warden', 'beside'],
        [
          [
            `event path, ours (median of ${figure.drifts} drifts, ${figure.eventPathLatencyPerCallMs} ms per AWS call)`,
            `${figure.eventPathOursMs} ms`,
            `first reach ${figure.eventPathFirstReachMs} ms, cached ${figure.eventPathCachedMs} ms, max ${figure.eventPathOursMaxMs} ms; ${figure.repairsVerified}/${figure.drifts} verified`,
          ],
          [
            'AssumeRole calls per hour',
            figure.assumeRoleCallsPerHour,
            `cache bound ${figure.assumeRoleCallsBound} (${figure.hubEnvironments} environments)`,
          ],
          [
            'most ELB calls a minute in one member',
            figure.maxMemberElbCallsPerMinute,
            `${figure.maxMemberElbBucket} bucket refills ${figure.maxMemberElbBucketRatePerMinute}/min (${figure.maxMemberElbScope})`,
          ],
          [
            'throttling errors / failed binding runs',
            `${figure.throttlingErrors} / ${figure.failedBindingRuns}`,
            '-',
          ],
          ['hub cost per month', `$${figure.hubCostPerMonthUsd}`, costParts(figure.hubCostBreakdownUsd)],
        ],
      ),
    );
  }
  return out.join('\n');
}

const costParts = (parts: Readonly<Record<string, number>>) =>
  Object.entries(parts)
    .map(([name, usd]) => `${name} $${usd}`)
    .join(', ');

function flat(counts: Readonly<Record<string, Readonly<Record<string, number>>>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).flatMap(([service, actions]) =>
      Object.entries(actions).map(([action, count]) => [`${service}:${action}`, count]),
    ),
  );
}
