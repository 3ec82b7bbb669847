/**
 * What every Lambda handler shares: Powertools Logger (JSON, the EventBridge event id as correlation id) and
 * Metrics (EMF) through middy, configuration loaded and validated once per cold start, events parsed at the
 * edge. Handlers are built by a factory that takes their dependencies, so tests inject their own.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import { loadConfig, type WardenConfig } from '../config.ts';
import { createDeps } from '../deps.ts';
import { type ParsedEvent, parseEvent } from '../domain/events.ts';
import { BINDING_DIMENSION, METRIC, METRICS_NAMESPACE, type MetricName, SERVICE_NAME } from '../telemetry.ts';
import type { Deps, Telemetry } from '../use-cases/context.ts';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Published once per binding with a `binding` dimension, apart from the invocation's metrics. */
  readonly bindingMetrics: Metrics;
}

export function createObservability(functionName: string): Observability {
  const logger = new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
    persistentKeys: { function: functionName },
  });
  // Made at load, as the invocation's: Powertools picks its console when a Metrics is made.
  return { logger, metrics: newMetrics(), bindingMetrics: newMetrics() };
}

function newMetrics(): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
  });
}

export function telemetryOf({ logger, metrics, bindingMetrics }: Observability): Telemetry {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, attributes?: Record<string, unknown>) =>
      attributes ? logger[level](message, attributes) : logger[level](message);
  return {
    log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    count(metric: MetricName, value = 1) {
      metrics.addMetric(
        metric,
        metric === METRIC.sweepDuration ? MetricUnit.Milliseconds : MetricUnit.Count,
        value,
      );
    },
    // One EMF line per binding: its own dimension set, published at once, apart from the invocation's.
    perBinding(binding, figures) {
      bindingMetrics.addDimension(BINDING_DIMENSION, binding);
      for (const [name, value] of Object.entries(figures))
        bindingMetrics.addMetric(name, MetricUnit.Count, value);
      bindingMetrics.publishStoredMetrics();
    },
  };
}

/**
 * Real dependencies, built on first use and kept for the life of the execution environment. `apiShare` picks
 * the function's part of `limits.apiShare` (domain/sweep-schedule.ts). @default the whole share
 */
export function lazyDeps(
  observability: Observability,
  apiShare?: (limits: WardenConfig['limits']) => number,
): () => Deps {
  let deps: Deps | undefined;
  return () => {
    if (deps) return deps;
    // A bad configuration throws here, naming the field, on every invocation: never half-configured.
    const config = loadConfig();
    deps = createDeps(config, {
      telemetry: telemetryOf(observability),
      ...(apiShare ? { apiShare: apiShare(config.limits) } : {}),
    });
    return deps;
  };
}

/** The EventBridge event id becomes the correlation id of every log line of the invocation. */
function correlationId(logger: Logger): MiddlewareObj<unknown> {
  return {
    before: (request) => {
      const id = (request.event as { id?: unknown } | null)?.id;
      if (typeof id === 'string') logger.setCorrelationId(id.slice(0, 128));
    },
  };
}

/**
 * Wraps a use-case: parse at the edge; an event the function does not handle is logged and ignored (never
 * a crash, never an AWS call); a handled one goes to `run`.
 */
export function eventHandler<T extends ParsedEvent['type'], R>(
  functionName: string,
  accepts: readonly T[],
  observability: Observability,
  deps: () => Deps,
  run: (deps: Deps, event: Extract<ParsedEvent, { type: T }>) => Promise<R>,
) {
  const { logger, metrics } = observability;
  return middy(async (raw: unknown): Promise<R | { ignored: string }> => {
    const event = parseEvent(raw);
    if (!(accepts as readonly string[]).includes(event.type)) {
      const reason =
        event.type === 'ignored' ? event.reason : `${functionName} does not handle ${event.type} events`;
      logger.warn('event ignored', { reason });
      metrics.addMetric(METRIC.eventsIgnored, MetricUnit.Count, 1);
      return { ignored: reason };
    }
    metrics.addMetric(METRIC.eventsHandled, MetricUnit.Count, 1);
    const result = await run(deps(), event as Extract<ParsedEvent, { type: T }>);
    logger.info('invocation result', { result });
    return result;
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(correlationId(logger))
    .use(logMetrics(metrics, { throwOnEmptyMetrics: false }));
}
