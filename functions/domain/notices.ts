/**
 * Every topic the controller reports on, and when each is settled. A notice records the last report on a
 * topic so a state left alone is reported once (then only as a reminder); clearing it means the same state,
 * if it comes back, is news again. Each part of a binding's work owns its topics and settles them when it
 * finds that part in order.
 */

/** The independent parts of a binding's work: each settles (or fails) on its own. */
export type Part = 'listeners' | 'health-check' | 'registration' | 'health';

/** What a circuit breaker counts repairs of. */
export type BreakerKey = 'http' | 'https' | 'health-check';

export const BREAKER_KEYS: readonly BreakerKey[] = ['https', 'http', 'health-check'];

export const TOPIC = {
  /** Drift left alone for a reason (approved actor, pause, dry-run, report-only). */
  drift: (part: 'listeners' | 'health-check') => part,
  /** Listener drift that cannot be repaired safely (HTTPS cannot serve, no certificate). */
  blocked: 'listeners:blocked',
  /** A repair that was applied but did not hold when re-read. */
  unverified: (part: 'listeners' | 'health-check') => `${part}:unverified`,
  /** A circuit breaker that stopped repairs. */
  suspended: (key: BreakerKey) => `breaker:${key}`,
  /** Deregistrations withheld by the safety limit, or a selector that matches nothing. */
  withheld: 'registration',
  /** Targets AWS refused to register. */
  rejected: 'registration:rejected',
  /** The instance lookup failed. */
  lookup: 'registration:lookup',
  targetGroupMissing: 'target-group-missing',
  /** A part failed with an error that is not transient. */
  failure: (part: Part | 'state') => `failure:${part}`,
  /** Drift the sweep keeps finding with no event: the event pipeline is suspect. */
  pipeline: 'pipeline',
} as const;

/** Topics a part settles when it finds its resource in order: the states they reported are over. */
export function settledBy(part: Part): string[] {
  switch (part) {
    case 'listeners':
      return [TOPIC.drift(part), TOPIC.blocked, TOPIC.unverified(part), TOPIC.failure(part)];
    case 'health-check':
      return [TOPIC.drift(part), TOPIC.unverified(part), TOPIC.failure(part), TOPIC.targetGroupMissing];
    case 'registration':
      return [TOPIC.withheld, TOPIC.lookup, TOPIC.failure(part)];
    case 'health':
      return [TOPIC.failure(part)];
  }
}

/** Topics an operator's `resume` clears along with the repair log: every suspension of the binding. */
export const SUSPENSION_TOPICS: readonly string[] = BREAKER_KEYS.map(TOPIC.suspended);
