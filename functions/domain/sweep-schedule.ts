/**
 * Which bindings a scheduler run hands to the sweep workers, and how the ELB API share is divided.
 *
 * Every binding has a slot, a stable hash of its name modulo the interval N: it is due in the minutes whose
 * number since the epoch has the same remainder, so each binding is swept exactly once every N minutes with
 * no scheduler state. N is the smallest whole number of minutes in which the sweep's part of the ELB describe
 * budget covers every binding:
 *
 *   N = max(1, ⌈bindings × describeCallsPerBinding / (10 describes/s × apiShare × sweepFraction × 60)⌉)
 *
 * The workers run at most `sweepWorkers` (W) at once, each with a rate limiter of apiShare × sweepFraction / W,
 * so together they never use more than apiShare × sweepFraction of the account's buckets; guard and register
 * keep apiShare × (1 − sweepFraction) and never queue behind a sweep.
 */
import { ELB_BUCKETS } from './elb-buckets.ts';
import { hash } from './hash.ts';
import type { LimitSettings } from './settings.ts';

/**
 * ELB describe calls of one converged binding's sweep: DescribeTargetHealth, DescribeListeners and
 * DescribeRules (the bench's sweep budget counts them), plus the shared DescribeTargetGroups, one per message.
 */
export const DESCRIBE_CALLS_PER_BINDING = 3;
/** Bindings per queue message: one worker sweeps them together, sharing one DescribeTargetGroups. */
export const BINDINGS_PER_MESSAGE = 5;

/** The limits that divide the ELB API between the sweep workers and the event functions. */
export type ShareLimits = Pick<LimitSettings, 'apiShare' | 'sweepFraction' | 'sweepWorkers'>;

/** Describe calls per binding, the shared per-message call spread over its bindings. */
export const describeCallsPerBinding = DESCRIBE_CALLS_PER_BINDING + 1 / BINDINGS_PER_MESSAGE;

/** Minutes between two sweeps of the same binding. */
export function sweepIntervalMinutes(bindings: number, limits: ShareLimits): number {
  const perMinute = ELB_BUCKETS.describe.refillPerSecond * limits.apiShare * limits.sweepFraction * 60;
  return Math.max(1, Math.ceil((bindings * describeCallsPerBinding) / perMinute));
}

/** Each worker's rate limiter share: W workers together stay within the sweep's part of apiShare. */
export function workerShare(limits: ShareLimits): number {
  return (limits.apiShare * limits.sweepFraction) / limits.sweepWorkers;
}

/** What guard and register keep of apiShare, together; api-share.ts divides it among their environments. */
export function eventShare(limits: ShareLimits): number {
  return limits.apiShare * (1 - limits.sweepFraction);
}

/** The binding's slot among `interval` minutes. */
export function slotOf(name: string, interval: number): number {
  return Number.parseInt(hash(name), 16) % interval;
}

export interface SweepSchedule {
  readonly intervalMinutes: number;
  /** Minutes since the epoch of the run. */
  readonly minute: number;
  readonly due: readonly string[];
  /** The due bindings, `BINDINGS_PER_MESSAGE` to a message. */
  readonly groups: readonly (readonly string[])[];
}

export function planSchedule(names: readonly string[], limits: ShareLimits, nowMs: number): SweepSchedule {
  const intervalMinutes = sweepIntervalMinutes(names.length, limits);
  const minute = Math.floor(nowMs / 60_000);
  const due = names.filter((name) => slotOf(name, intervalMinutes) === minute % intervalMinutes);
  const groups: string[][] = [];
  for (let start = 0; start < due.length; start += BINDINGS_PER_MESSAGE)
    groups.push(due.slice(start, start + BINDINGS_PER_MESSAGE));
  return { intervalMinutes, minute, due, groups };
}

/** What `alb-warden status` reports of the sweep: how often each binding comes up, and by whom. */
export function sweepSummary(bindings: number, limits: ShareLimits) {
  return {
    intervalMinutes: sweepIntervalMinutes(bindings, limits),
    bindings,
    workers: limits.sweepWorkers,
    workerShare: workerShare(limits),
  };
}
