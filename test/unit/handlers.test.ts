/**
 * The handlers' wiring: middy, Powertools logs (JSON, the EventBridge event id as correlation id) and EMF
 * metrics around one use-case call, with dependencies injected.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGuardHandler } from '../../functions/handlers/guard.ts';
import { createObservability, telemetryOf } from '../../functions/handlers/runtime.ts';
import { createSweepHandler } from '../../functions/handlers/sweep.ts';
import { BINDING_METRIC, METRIC } from '../../functions/telemetry.ts';
import { forwardTo, httpListener, seedConfig } from '../support/builders.ts';
import { FakeWorld, fakeDeps } from '../support/fake-world.ts';
import { fixture } from '../support/fixtures.ts';

let lines: string[];
beforeEach(() => {
  lines = [];
  // Powertools writes JSON log lines (warnings and errors to stderr) and EMF documents to stdout.
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => vi.restoreAllMocks());

const json = () =>
  lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

function wired() {
  const world = new FakeWorld();
  const observability = createObservability('guard');
  const { deps } = fakeDeps(world, seedConfig());
  const real = { ...deps, telemetry: telemetryOf(observability) };
  return { world, observability, deps: () => real };
}

describe('the guard handler', () => {
  it('repairs and logs every line of the invocation with the event id as correlation id', async () => {
    const { world, observability, deps } = wired();
    world.listeners[0] = httpListener([forwardTo()]);
    const event = fixture('cloudtrail-modify-listener-http-to-forward.json');
    const result = await createGuardHandler(observability, deps)(event, {} as never);
    expect(result).toMatchObject({
      function: 'guard',
      bindings: [{ binding: 'web', listeners: { outcome: 'repaired' } }],
    });
    const logs = json().filter((line) => 'level' in line);
    expect(logs.map((line) => line.message)).toEqual(
      expect.arrayContaining([
        'event accepted',
        'listener drift',
        'repairing',
        'repaired',
        'alert sent',
        'invocation result',
      ]),
    );
    expect(new Set(logs.map((line) => line.correlation_id))).toEqual(new Set([event.id]));
  });

  it('publishes the repair as EMF metrics in the AlbWarden namespace', async () => {
    const { world, observability, deps } = wired();
    world.listeners[0] = httpListener([forwardTo()]);
    await createGuardHandler(observability, deps)(
      fixture('cloudtrail-modify-listener-http-to-forward.json'),
      {} as never,
    );
    const emf = json().find((line) => '_aws' in line) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
    };
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe('AlbWarden');
    expect(emf).toMatchObject({
      [METRIC.driftDetected]: 1,
      [METRIC.driftRepaired]: 1,
      [METRIC.alertsSent]: 1,
      service: 'alb-warden',
    });
  });

  it('logs and ignores an event of another kind, with no AWS call and no error', async () => {
    const { world, observability, deps } = wired();
    const result = await createGuardHandler(observability, deps)(
      fixture('ec2-instance-running.json'),
      {} as never,
    );
    expect(result).toEqual({ ignored: 'guard does not handle instance-state events' });
    expect(world.calls).toEqual([]);
    expect(json().find((line) => line.message === 'event ignored')).toMatchObject({ level: 'WARN' });
  });
});

describe('the sweep handler', () => {
  it('reports the sweep duration as a metric in milliseconds', async () => {
    const world = new FakeWorld();
    const observability = createObservability('sweep');
    const { deps } = fakeDeps(world, seedConfig());
    const real = { ...deps, telemetry: telemetryOf(observability) };
    await createSweepHandler(observability, () => real)(fixture('scheduled-sweep.json'), {} as never);
    // The invocation's own metrics line: the per-binding lines carry a `binding` dimension besides.
    const emf = json().find((line) => '_aws' in line && !('binding' in line)) as {
      _aws: { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] };
    };
    const metrics = emf._aws.CloudWatchMetrics[0]?.Metrics ?? [];
    expect(metrics).toContainEqual({ Name: METRIC.sweepDuration, Unit: 'Milliseconds' });
  });

  it('publishes one metrics line per binding with a binding dimension: its unhealthy targets, repairs only when made', async () => {
    const world = new FakeWorld();
    const observability = createObservability('sweep');
    const { deps } = fakeDeps(world, seedConfig());
    const real = { ...deps, telemetry: telemetryOf(observability) };
    await createSweepHandler(observability, () => real)(fixture('scheduled-sweep.json'), {} as never);
    const lines = json().filter((line) => '_aws' in line && 'binding' in line) as {
      _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
      binding: string;
      [metric: string]: unknown;
    }[];

    expect(lines.map((line) => line.binding)).toEqual(seedConfig().bindings.map((binding) => binding.name));
    const [line] = lines;
    expect(line?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'binding']]);
    expect(typeof line?.[BINDING_METRIC.unhealthyTargets]).toBe('number');
    expect(line?.[BINDING_METRIC.repairs]).toBeUndefined();
  });
});
