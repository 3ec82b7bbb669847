/**
 * Is the event pipeline (CloudTrail → EventBridge → guard) working? Drift that only the sweep found is
 * counted; an event that arrives late for it forgives it; when such drift repeats, the on-call is warned.
 */
import { eventPipelineAlert } from '../domain/alert-kinds.ts';
import type { Binding } from '../domain/settings.ts';
import { decode, expiresIn, KEY, withUnreported } from '../domain/state.ts';
import { MINUTE } from '../domain/time.ts';
import { errorText } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import type { Deps } from './context.ts';
import type { Notifier } from './notify.ts';

/** An event this much later than the sweep's repair of its change is the usual delivery delay, not a gap. */
export const EVENT_DELAY_MS = 5 * MINUTE;

/** Drift only the sweep saw: counted, and when it repeats, the event pipeline is suspect. */
export async function countUnreported(deps: Deps, state: BindingState): Promise<void> {
  const now = deps.now();
  deps.telemetry.count(METRIC.unreportedDrift);
  await state.save(
    KEY.pipeline,
    withUnreported(decode.pipeline(state.data(KEY.pipeline)), now),
    expiresIn(now, 2),
  );
}

/**
 * An event that finds its change already repaired lost a race to the sweep: the sweep's repair was reported
 * after all, so it must not count against the event pipeline.
 */
export async function forgiveUnreported(deps: Deps, state: BindingState): Promise<void> {
  const now = deps.now();
  const pipeline = decode.pipeline(state.data(KEY.pipeline));
  const latest = pipeline.unreported.at(-1);
  if (latest === undefined || now - latest > EVENT_DELAY_MS) return;
  await state
    .save(KEY.pipeline, { unreported: pipeline.unreported.slice(0, -1) }, expiresIn(now, 2))
    .catch((error: unknown) =>
      deps.telemetry.log.warn('could not update the event pipeline count', { error: errorText(error) }),
    );
}

/**
 * Warns, once a day at most, when drift that no event reported keeps being repaired by the sweep. A repair
 * counts once it is older than an event's usual delay: an event that arrives late forgives it first.
 */
export async function checkEventPipeline(
  deps: Deps,
  binding: Binding,
  state: BindingState,
  notifier: Notifier,
): Promise<void> {
  const now = deps.now();
  const matured = decode
    .pipeline(state.data(KEY.pipeline))
    .unreported.filter((time) => now - time > EVENT_DELAY_MS);
  if (matured.length < deps.config.eventPipeline.warnAfterUnreportedDrifts) return;
  await notifier.notice(
    'pipeline',
    'suspect',
    eventPipelineAlert({ binding, now, mode: deps.config.mode, unreportedDrifts: matured.length }),
    { remindEveryMinutes: 24 * 60 },
  );
}
