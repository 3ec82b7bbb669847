/**
 * A sweep worker: the bindings of a batch of queue messages, each swept exactly as the scheduled sweep sweeps
 * one binding, with the shared selector lookups made once for the batch. A binding is swept only under its
 * lease in the state table, so two workers never sweep it at once; the lease outlives the invocation's
 * timeout a little, and an expired one (a worker that died) is taken over.
 *
 * A message fails (and SQS delivers it again after its visibility timeout) when one of its bindings failed
 * transiently or its lease could not be asked for; a binding another worker holds is not a failure: that
 * worker sweeps it.
 */
import { errorText } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import { type Deps, mapLimit } from './context.ts';
import { withRecordedDiscovery } from './discovery.ts';
import { sweepFleet } from './members.ts';
import type { BindingResult } from './results.ts';

export interface SweepMessage {
  readonly id: string;
  readonly bindings: readonly string[];
}

export interface WorkerOptions {
  /** Who holds the leases (the invocation's request id). */
  readonly holder: string;
  /** How long a lease lasts: a bit more than the invocation has left. */
  readonly leaseMs: number;
}

export interface WorkerResult {
  readonly function: 'sweep-worker';
  readonly bindings: readonly BindingResult[];
  readonly skipped: readonly { readonly binding: string; readonly reason: string }[];
  /** The Lambda response of an SQS batch with ReportBatchItemFailures: the messages to deliver again. */
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

export async function sweepWorker(
  given: Deps,
  messages: readonly SweepMessage[],
  options: WorkerOptions,
): Promise<WorkerResult> {
  // The bindings the scheduler found by tag are the ones it recorded: the worker does not discover again.
  const deps = await withRecordedDiscovery(given);
  const { config, telemetry } = deps;
  const known = new Set(config.bindings.map((binding) => binding.name));
  const skipped: { binding: string; reason: string }[] = [];
  const failed = new Set<string>();
  const messageOf = new Map<string, string>();
  for (const message of messages) {
    for (const name of message.bindings) {
      if (!known.has(name)) skipped.push({ binding: name, reason: 'not in the configuration' });
      else if (!messageOf.has(name)) messageOf.set(name, message.id);
    }
  }
  const now = deps.now();
  const leased: string[] = [];
  await mapLimit([...messageOf], config.limits.concurrentBindings, async ([name, messageId]) => {
    try {
      if (await deps.state.lease(name, options.holder, now + options.leaseMs, now)) leased.push(name);
      else {
        telemetry.count(METRIC.sweepLeaseHeld);
        skipped.push({ binding: name, reason: 'another worker holds its lease' });
      }
    } catch (error) {
      telemetry.log.error('sweep lease not taken', { binding: name, error: errorText(error) });
      failed.add(messageId);
    }
  });
  let results: readonly BindingResult[] = [];
  try {
    if (leased.length > 0) {
      const trigger = { type: 'sweep' } as const;
      const swept = await sweepFleet(deps, {
        bindings: leased,
        trigger,
        throwOnTransient: false,
        discover: false,
      });
      results = swept.bindings;
    }
  } finally {
    await mapLimit(leased, config.limits.concurrentBindings, (name) =>
      deps.state.release(name, options.holder).catch((error: unknown) => {
        // The lease expires on its own a little after the invocation's timeout.
        telemetry.log.warn('sweep lease not released', { binding: name, error: errorText(error) });
      }),
    );
  }
  for (const result of results) {
    if (result.error?.transient || result.error?.alertsRefused) {
      const messageId = messageOf.get(result.binding);
      if (messageId) failed.add(messageId);
    }
  }
  return {
    function: 'sweep-worker',
    bindings: results,
    skipped,
    batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })),
  };
}
