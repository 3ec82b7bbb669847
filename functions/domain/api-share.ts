/**
 * How `limits.apiShare` of the account's ELB buckets is divided between the functions that call ELB, so that it
 * holds across every concurrent invocation together, not per execution environment.
 *
 * Each function's rate limiter lives in its execution environment, so the share is held by capping how many
 * environments run at once: the sweep workers by the event source mapping's maximum concurrency (W), `register`
 * and `guard` by reserved concurrency (C each). Every environment takes its function's part divided by the cap:
 *
 *   W × apiShare × sweepFraction / W  +  2 × C × apiShare × (1 − sweepFraction) / 2C  =  apiShare
 *
 * An environment's bucket holds max(1, capacity × its share) tokens: a call is never refused for want of a
 * fraction of a token, so every environment may make one call at once. C is derived so that each event
 * environment's part of the smallest bucket holds one event's calls; while each worker's part holds a whole
 * token too (as at the defaults), the bursts together also stay within the share's: 2 × 1.25 + 1.25 + 1.25 =
 * 5 of the 20 registration tokens. Past that (many workers, a small share) the synth warns.
 * The scheduler (`sweep`) makes no ELB call: its role grants none.
 */
import { ELB_BUCKETS, type ElbBucket } from './elb-buckets.ts';
import { eventShare, type ShareLimits, workerShare } from './sweep-schedule.ts';

const BUCKETS = Object.keys(ELB_BUCKETS) as ElbBucket[];
const SMALLEST_CAPACITY = Math.min(...BUCKETS.map((bucket) => ELB_BUCKETS[bucket].capacity));

/** Tokens an environment's bucket holds at `share`: at least one, so its first call is never refused. */
export function burstTokens(capacity: number, share: number): number {
  return Math.max(1, capacity * share);
}

/** The functions whose reserved concurrency caps their environments; they split the event part equally. */
export const EVENT_FUNCTIONS = ['register', 'guard'] as const;
export type EventFunction = (typeof EVENT_FUNCTIONS)[number];

/** The most ELB calls one event makes (a listener repair's; the bench's event budgets). */
export const EVENT_CALLS = 4;

/**
 * Reserved concurrency of each event function: as many environments as can each hold one event's calls in
 * their part of the smallest bucket, and at least one. More would not raise the rate (the part is the same,
 * divided further); it would only make every event wait for its second token. 1 unless the event part is
 * large: at the defaults 20 × 0.125 / 2 / 4 → 1, at apiShare 1 with sweepFraction 0.1, 2.
 */
export function eventConcurrency(limits: ShareLimits): number {
  const part = eventShare(limits) / EVENT_FUNCTIONS.length;
  return Math.max(1, Math.floor((SMALLEST_CAPACITY * part) / EVENT_CALLS + 1e-9));
}

/** What one environment of `register` or `guard` takes of each bucket. */
export function eventEnvironmentShare(limits: ShareLimits): number {
  return eventShare(limits) / EVENT_FUNCTIONS.length / eventConcurrency(limits);
}

/** One ELB-calling function: how many environments run at once, and what each takes. */
export interface ShareAllocation {
  readonly function: EventFunction | 'sweep-worker';
  readonly concurrency: number;
  readonly environmentShare: number;
}

/**
 * What one environment of each ELB-calling function takes of every bucket: the share its handler gives its
 * rate limiter, and the share the synth check multiplies by the function's cap.
 */
export const ENVIRONMENT_SHARE: Readonly<
  Record<ShareAllocation['function'], (limits: ShareLimits) => number>
> = {
  'sweep-worker': workerShare,
  register: eventEnvironmentShare,
  guard: eventEnvironmentShare,
};

/** The allocation the deployment makes from `limits`. */
export function shareAllocations(limits: ShareLimits): ShareAllocation[] {
  const events = EVENT_FUNCTIONS.map((name) => ({
    function: name,
    concurrency: eventConcurrency(limits),
    environmentShare: ENVIRONMENT_SHARE[name](limits),
  }));
  return [
    {
      function: 'sweep-worker',
      concurrency: limits.sweepWorkers,
      environmentShare: ENVIRONMENT_SHARE['sweep-worker'](limits),
    },
    ...events,
  ];
}

/**
 * The rate the share promises, broken: Σ concurrency × environment share > apiShare, in words naming the
 * figures; undefined when it holds.
 */
export function rateViolation(allocations: readonly ShareAllocation[], apiShare: number): string | undefined {
  const rate = allocations.reduce((sum, a) => sum + a.concurrency * a.environmentShare, 0);
  if (rate <= apiShare + 1e-9) return undefined;
  const terms = allocations.map((a) => `${a.function} ${a.concurrency} × ${round(a.environmentShare)}`);
  return (
    `the functions' environments at once take ${round(rate)} of the ELB buckets (${terms.join(' + ')}), ` +
    `more than limits.apiShare ${apiShare}`
  );
}

/**
 * Buckets whose burst the environments together may overdraw: Σ concurrency × the environment's tokens >
 * capacity × apiShare. Only the first second of a burst: the rate still holds.
 */
export function burstExcesses(allocations: readonly ShareAllocation[], apiShare: number): string[] {
  return BUCKETS.flatMap((bucket) => {
    const { capacity } = ELB_BUCKETS[bucket];
    const burst = allocations.reduce(
      (sum, a) => sum + a.concurrency * burstTokens(capacity, a.environmentShare),
      0,
    );
    if (burst <= capacity * apiShare + 1e-9) return [];
    return [
      `the functions' environments at once may spend ${round(burst)} of the ${capacity}-token ${bucket} ` +
        `bucket at once, more than limits.apiShare ${apiShare} of it (${round(capacity * apiShare)}), as each ` +
        'holds at least one token: raise limits.apiShare or lower limits.sweepWorkers',
    ];
  });
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
