/**
 * Lambda `sweep-worker`: the sweep queue's event source mapping delivers a batch of messages, each naming a
 * few bindings; the response lists the messages to deliver again (ReportBatchItemFailures,
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). Its rate limiter gets
 * apiShare × sweepFraction / sweepWorkers: the mapping runs at most sweepWorkers of it at once.
 */
import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { ENVIRONMENT_SHARE } from '../domain/api-share.ts';
import { METRIC } from '../telemetry.ts';
import type { Deps } from '../use-cases/context.ts';
import { type SweepMessage, sweepWorker } from '../use-cases/sweep-worker.ts';
import { createObservability, lazyDeps, type Observability } from './runtime.ts';

/** How long a lease outlasts the invocation's remaining time: a dead worker's bindings wait no longer. */
export const LEASE_MARGIN_MS = 30_000;
/** Without a Lambda context (tests, local runs): the worker's timeout as deployed. */
const DEFAULT_REMAINING_MS = 120_000;

interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
}

interface LambdaContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

export function createSweepWorkerHandler(observability: Observability, deps: () => Deps) {
  const { logger, metrics } = observability;
  return middy(async (event: { Records?: readonly SqsRecord[] }, context: LambdaContext = {}) => {
    const messages: SweepMessage[] = [];
    const malformed: { itemIdentifier: string }[] = [];
    for (const record of event.Records ?? []) {
      const bindings = parseBody(record.body);
      if (bindings) messages.push({ id: record.messageId, bindings });
      else {
        // Delivered again until the queue's maxReceiveCount moves it to the DLQ, where it can be read.
        logger.error('sweep message malformed', {
          messageId: record.messageId,
          body: record.body.slice(0, 200),
        });
        malformed.push({ itemIdentifier: record.messageId });
      }
    }
    metrics.addMetric(METRIC.eventsHandled, MetricUnit.Count, messages.length);
    const remaining = context.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS;
    const result = await sweepWorker(deps(), messages, {
      holder: context.awsRequestId ?? randomUUID(),
      leaseMs: remaining + LEASE_MARGIN_MS,
    });
    logger.info('invocation result', { result });
    return { ...result, batchItemFailures: [...malformed, ...result.batchItemFailures] };
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { throwOnEmptyMetrics: false }));
}

/** `{"bindings": ["name", …]}`, as the scheduler sends it; undefined for anything else. */
export function parseBody(body: string): string[] | undefined {
  try {
    const parsed = JSON.parse(body) as { bindings?: unknown };
    const { bindings } = parsed;
    if (Array.isArray(bindings) && bindings.every((name) => typeof name === 'string')) return bindings;
  } catch {
    // not JSON
  }
  return undefined;
}

const observability = createObservability('sweep-worker');
export const handler = createSweepWorkerHandler(
  observability,
  lazyDeps(observability, ENVIRONMENT_SHARE['sweep-worker']),
);
