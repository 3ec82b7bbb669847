/**
 * The dashboard shows a fleet without a widget per binding: the same widgets for one binding and for fifty,
 * the per-binding views coming from Metrics Insights queries and a search expression over the metrics each
 * sweep publishes with a `binding` dimension.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createObservability, telemetryOf } from '../../functions/handlers/runtime.ts';
import { BINDING_METRIC, METRICS_NAMESPACE } from '../../functions/telemetry.ts';
import { ensureBundles } from './support/bundles.ts';
import { ENV, flaggedApp, siteBindings } from './support/synth.ts';
import { WardenStack } from './support/warden-stack.ts';

interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][] };
}

/** The dashboard's widgets, its body resolved to JSON (the ARN-derived dimensions are plain strings here). */
function widgetsOf(stack: WardenStack): Widget[] {
  const [dashboard] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  if (!dashboard) throw new Error('the stack has no dashboard');
  const body = (dashboard.Properties as { DashboardBody: unknown }).DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
          .join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

let one: Widget[];
let fifty: Widget[];
beforeAll(async () => {
  const bundleDir = await ensureBundles();
  const build = (count: number) =>
    widgetsOf(
      new WardenStack(flaggedApp(), `Fleet${count}`, {
        env: ENV,
        bundleDir,
        config: { bindings: siteBindings(count) },
      }),
    );
  one = build(1);
  fifty = build(50);
});

describe('the fleet dashboard', () => {
  it('has the same widgets, titled the same, for one binding and for fifty', () => {
    expect(fifty.map((widget) => widget.properties.title)).toEqual(
      one.map((widget) => widget.properties.title),
    );
    expect(fifty.length).toBe(one.length);
  });

  it('names no binding in a fifty-binding dashboard: every per-binding view is a query', () => {
    const text = JSON.stringify(fifty);

    expect(text).not.toMatch(/site-\d+/);
  });

  it('ranks the bindings by unhealthy targets and repairs per hour, finds the least swept, and the worst staleness', () => {
    const expressions = fifty.flatMap((widget) =>
      (widget.properties.metrics ?? []).flatMap((metric) =>
        metric.flatMap((part) =>
          typeof part === 'object' && part !== null && 'expression' in part
            ? [(part as { expression: string; period?: number }).expression]
            : [],
        ),
      ),
    );
    const schema = 'FROM SCHEMA(AlbWarden, binding, service) GROUP BY binding';

    expect(expressions).toEqual(
      expect.arrayContaining([
        `SELECT MAX(${BINDING_METRIC.unhealthyTargets}) ${schema} ORDER BY MAX() DESC LIMIT 10`,
        `SELECT SUM(${BINDING_METRIC.repairs}) ${schema} ORDER BY SUM() DESC LIMIT 10`,
        `SELECT COUNT(${BINDING_METRIC.unhealthyTargets}) ${schema} ORDER BY COUNT() ASC LIMIT 10`,
        `MAX(DIFF_TIME(SEARCH('{AlbWarden,binding,service} MetricName="${BINDING_METRIC.unhealthyTargets}"', 'SampleCount', 60)))`,
      ]),
    );
  });

  /**
   * Metrics Insights' SCHEMA matches only metrics with exactly the dimension set it lists, in any order, and
   * FUNCTION is one of AVG, COUNT, MAX, MIN, SUM
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html):
   * a dimension added to the per-binding lines, or one missing, would leave every query empty.
   */
  it('queries exactly the dimension set the per-binding metrics lines carry, in the documented grammar', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      telemetryOf(createObservability('sweep-worker')).perBinding?.('site-0', {
        [BINDING_METRIC.unhealthyTargets]: 0,
      });
    } finally {
      spy.mockRestore();
    }
    const emf = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } });
    const published = emf[0]?._aws.CloudWatchMetrics[0]?.Dimensions[0]?.slice().sort();
    const queries = fifty
      .flatMap((widget) => widget.properties.metrics ?? [])
      .flat()
      .flatMap((part) =>
        typeof part === 'object' && part !== null && 'expression' in part
          ? [(part as { expression: string }).expression]
          : [],
      )
      .filter((expression) => expression.startsWith('SELECT'));
    const grammar =
      /^SELECT (AVG|COUNT|MAX|MIN|SUM)\((\w+)\) FROM SCHEMA\((\w+), ([\w, ]+)\) GROUP BY ([\w, ]+) ORDER BY (\w+)\(\) (ASC|DESC) LIMIT (\d+)$/;

    expect(emf).toHaveLength(1);
    expect(queries).toHaveLength(3);
    for (const query of queries) {
      const [, fn, metric, namespace, schemaKeys = '', groupKeys = '', orderFn] = grammar.exec(query) ?? [];
      expect(fn, query).toBeDefined();
      expect(orderFn).toBe(fn);
      expect(Object.values(BINDING_METRIC)).toContain(metric);
      expect(namespace).toBe(METRICS_NAMESPACE);
      expect(schemaKeys.split(', ').sort()).toEqual(published);
      for (const key of groupKeys.split(', ')) expect(published).toContain(key);
    }
  });
});
