/**
 * CloudWatch metrics: datapoints kept as they arrive and aggregated per query by GetMetricData (periods
 * counted back from EndTime, newest first by default). AWS's own namespaces (`AWS/Lambda`) are written only
 * by AWS: PutMetricData refuses them, the control API records them.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 */
import { AwsError } from '../errors.ts';
import type { Call } from './context.ts';
import { type JsonBody, objectList, optionalString, requiredString, timestamp } from './json-input.ts';

export interface Datapoint {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly at: number;
  readonly value: number;
}

type Handler = (body: JsonBody, call: Call) => JsonBody;

export class CloudWatchService {
  readonly #datapoints: Datapoint[] = [];

  readonly handlers: Readonly<Record<string, Handler>> = {
    PutMetricData: (body, call) => this.#putMetricData(body, call.now),
    GetMetricData: (body) => this.#getMetricData(body),
  };

  /** A datapoint as AWS itself writes it (Lambda's Invocations and Errors). */
  record(datapoint: Datapoint): void {
    this.#datapoints.push(datapoint);
  }

  #putMetricData(body: JsonBody, now: number): JsonBody {
    const namespace = requiredString(body, 'Namespace', 'MissingParameter');
    if (namespace.startsWith('AWS/'))
      throw new AwsError(
        'InvalidParameterValue',
        `The value ${namespace} for parameter Namespace is invalid.`,
      );
    for (const datum of objectList(body, 'MetricData')) {
      this.record({
        namespace,
        metricName: requiredString(datum, 'MetricName', 'MissingParameter'),
        dimensions: dimensionsOf(datum),
        at: timestamp(datum, 'Timestamp') ?? now,
        value: typeof datum.Value === 'number' ? datum.Value : 0,
      });
    }
    return {};
  }

  #getMetricData(body: JsonBody): JsonBody {
    const start = timestamp(body, 'StartTime');
    const end = timestamp(body, 'EndTime');
    if (start === undefined || end === undefined)
      throw new AwsError('MissingParameter', 'The parameters StartTime and EndTime are required.');
    if (start >= end)
      throw new AwsError(
        'InvalidParameterValue',
        'The parameter StartTime must be less than the parameter EndTime.',
      );
    const ascending = optionalString(body, 'ScanBy') === 'TimestampAscending';
    const results = objectList(body, 'MetricDataQueries')
      .filter((query) => query.ReturnData !== false)
      .map((query) => {
        const id = requiredString(query, 'Id', 'MissingParameter');
        const stat = query.MetricStat as JsonBody | undefined;
        if (!stat)
          throw new AwsError(
            'InvalidParameterValue',
            `The query ${id} needs a MetricStat (expressions are not simulated).`,
          );
        const metric = (stat.Metric ?? {}) as JsonBody;
        const period = typeof stat.Period === 'number' ? stat.Period * 1000 : 60_000;
        const statistic = requiredString(stat, 'Stat', 'MissingParameter');
        const wanted = dimensionsOf(metric);
        const matching = this.#datapoints.filter(
          (point) =>
            point.namespace === metric.Namespace &&
            point.metricName === metric.MetricName &&
            sameDimensions(point.dimensions, wanted) &&
            point.at >= start &&
            point.at < end,
        );
        const buckets = new Map<number, number[]>();
        for (const point of matching) {
          const bucket = start + Math.floor((point.at - start) / period) * period;
          buckets.set(bucket, [...(buckets.get(bucket) ?? []), point.value]);
        }
        const times = [...buckets.keys()].sort((a, b) => (ascending ? a - b : b - a));
        return {
          Id: id,
          Label: String(metric.MetricName ?? id),
          Timestamps: times.map((time) => time / 1000),
          Values: times.map((time) => aggregate(buckets.get(time) ?? [], statistic)),
          StatusCode: 'Complete',
        };
      });
    return { MetricDataResults: results, Messages: [] };
  }
}

function dimensionsOf(body: JsonBody): Record<string, string> {
  return Object.fromEntries(
    objectList(body, 'Dimensions').map((dimension) => [String(dimension.Name), String(dimension.Value)]),
  );
}

/** A metric is identified by all its dimensions: a query must name exactly the datapoint's dimensions. */
function sameDimensions(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html */
function aggregate(values: readonly number[], statistic: string): number {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = values.reduce((total, value) => total + value, 0);
  switch (statistic) {
    case 'Sum':
      return sum;
    case 'SampleCount':
      return values.length;
    case 'Average':
      return sum / values.length;
    case 'Minimum':
      return sorted[0] ?? 0;
    case 'Maximum':
      return sorted.at(-1) ?? 0;
  }
  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(statistic);
  if (!percentile)
    throw new AwsError('InvalidParameterValue', `The statistic ${statistic} is not supported.`);
  const rank = Math.ceil((Number(percentile[1]) / 100) * sorted.length) - 1;
  return sorted[Math.max(0, rank)] ?? 0;
}
