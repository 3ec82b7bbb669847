/** Timings and quotas the simulator applies, and the virtual clock they are measured on. */

export interface Delays {
  /** pending → running, stopping → stopped, shutting-down → terminated. AWS: seconds to minutes. */
  readonly instanceTransitionMs: number;
  /** How long a terminated instance stays visible in DescribeInstances (AWS: about an hour). */
  readonly terminatedVisibleMs: number;
  /**
   * How long a newly registered target reports `initial` with `Elb.RegistrationInProgress`, before its
   * initial health check (one HealthCheckIntervalSeconds) begins. AWS documents no figure for it.
   */
  readonly targetRegistrationMs: number;
  /**
   * How long after its TTL an item is deleted. AWS: "DynamoDB typically deletes expired items within two
   * days of expiration" (API_UpdateTimeToLive); the default is those two days.
   */
  readonly ttlDeletionMs: number;
}

/**
 * EC2's eventual consistency as an injected fault: a just-launched instance is missing from
 * DescribeInstances for this many calls and this long
 * (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
 */
export interface Consistency {
  /** DescribeInstances calls that would have shown a new instance but do not. */
  readonly newInstanceHiddenCalls: number;
  /** Simulated time after launch during which DescribeInstances does not show it. */
  readonly newInstanceHiddenMs: number;
}

export interface Quotas {
  /** Targets per target group; AWS's default quota is 1000 (Application Load Balancer quotas page). */
  readonly targetsPerTargetGroup: number;
}

export interface SimSettings {
  readonly delays: Delays;
  readonly quota: Quotas;
  readonly consistency: Consistency;
}

export interface SettingsInput {
  readonly delays?: Partial<Delays>;
  readonly quota?: Partial<Quotas>;
  readonly consistency?: Partial<Consistency>;
}

export const DEFAULT_SETTINGS: SimSettings = {
  delays: {
    instanceTransitionMs: 0,
    terminatedVisibleMs: 60 * 60 * 1000,
    targetRegistrationMs: 5_000,
    ttlDeletionMs: 2 * 24 * 60 * 60 * 1000,
  },
  quota: { targetsPerTargetGroup: 1000 },
  consistency: { newInstanceHiddenCalls: 0, newInstanceHiddenMs: 0 },
};

/** Thrown for settings that name an unknown key or carry a value that is not a non-negative number. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Applies `input` over `base`, rejecting unknown keys and bad values with a message that names them. */
export function mergeSettings(base: SimSettings, input: unknown): SimSettings {
  const body = asRecord(input, 'settings');
  rejectUnknown(body, ['delays', 'quota', 'consistency'], 'settings');
  return {
    delays: mergeNumbers(base.delays, body.delays, 'delays'),
    quota: mergeNumbers(base.quota, body.quota, 'quota'),
    consistency: mergeNumbers(base.consistency, body.consistency, 'consistency'),
  };
}

function mergeNumbers<T extends object>(base: T, input: unknown, field: string): T {
  if (input === undefined) return base;
  const values = asRecord(input, field);
  rejectUnknown(values, Object.keys(base), field);
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new SettingsError(`${field}.${key} must be a non-negative number, got ${JSON.stringify(value)}`);
    }
    merged[key] = value;
  }
  return merged as T;
}

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SettingsError(`${field} must be an object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

function rejectUnknown(value: Record<string, unknown>, known: readonly string[], field: string): void {
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new SettingsError(`${field} has unknown key(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  }
}

/**
 * Wall-clock time plus an offset the control API can advance, so delays can be tested without sleeping.
 * Time-based state changes are applied lazily from this clock at the start of every request.
 */
export class Clock {
  #offsetMs = 0;

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  advance(ms: number): void {
    this.#offsetMs += ms;
  }
}
