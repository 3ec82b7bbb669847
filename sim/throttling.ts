/**
 * Request-rate throttling as AWS documents it, on the simulator's clock: token buckets per account and
 * region that hold a burst and refill at a steady rate, a request taking one token or being refused.
 * Off unless asked for (`POST /_sim/throttling {"enabled": true}`), so a test sees it only when it wants it.
 *
 * ELBv2 (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html): one
 * bucket per kind of action, shared by every caller of the account and region: describe (non-mutating)
 * 40 tokens refilled at 10 a second, registration (RegisterTargets, DeregisterTargets) 20 at 4, every other
 * write 20 at 3. Services that call ELB on the account's behalf (Auto Scaling) have buckets of their own and
 * spend none of these: their calls never pass through here. A refused call is answered as ELB answers it
 * on the wire: HTTP 400, code `Throttling`, message `Rate exceeded` (the guide calls it ThrottlingException).
 *
 * EC2 (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html): "each API is evaluated
 * individually", one bucket per non-mutating action, 100 tokens refilled at 20 a second (the guide's
 * figures for a non-mutating action); refused with `RequestLimitExceeded` (HTTP 503).
 */
import { AwsError } from './errors.ts';
import type { AnyService } from './faults.ts';

export interface BucketSpec {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export const ELBV2_BUCKETS = {
  describe: { capacity: 40, refillPerSecond: 10 },
  registration: { capacity: 20, refillPerSecond: 4 },
  write: { capacity: 20, refillPerSecond: 3 },
} as const satisfies Record<string, BucketSpec>;

export const EC2_NON_MUTATING_BUCKET: BucketSpec = { capacity: 100, refillPerSecond: 20 };

/** The bucket an ELBv2 action spends from. */
export function elbv2BucketOf(action: string): keyof typeof ELBV2_BUCKETS {
  if (action.startsWith('Describe')) return 'describe';
  if (action === 'RegisterTargets' || action === 'DeregisterTargets') return 'registration';
  return 'write';
}

/** EC2's non-mutating actions, by the prefixes the throttling guide names. */
const EC2_NON_MUTATING = /^(Describe|List|Search|Get)/;

interface Bucket {
  readonly spec: BucketSpec;
  tokens: number;
  at: number;
}

export interface BucketState {
  readonly service: 'elbv2' | 'ec2';
  readonly account: string;
  readonly region: string;
  /** `describe`, `registration` or `write` for ELBv2; the action for EC2. */
  readonly bucket: string;
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly tokens: number;
}

export interface ThrottlingState {
  readonly enabled: boolean;
  /** Refused requests per service and action since the start, the last reset or `{"reset": true}`. */
  readonly throttled: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly buckets: readonly BucketState[];
}

/** A throttling request the simulator cannot honour; the message names the bad field. */
export class ThrottlingConfigError extends Error {
  override readonly name = 'ThrottlingConfigError';
}

export class Throttling {
  #enabled = false;
  #buckets = new Map<string, Bucket & Omit<BucketState, 'capacity' | 'refillPerSecond' | 'tokens'>>();
  #throttled: Record<string, Record<string, number>> = {};

  /** `{enabled: boolean}` turns it on or off; `{reset: true}` fills every bucket and zeroes the count. */
  configure(input: Record<string, unknown>): void {
    const unknown = Object.keys(input).filter((key) => key !== 'enabled' && key !== 'reset');
    if (unknown.length > 0) {
      throw new ThrottlingConfigError(`unknown key(s) ${unknown.join(', ')}; known: enabled, reset`);
    }
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
      throw new ThrottlingConfigError(`enabled must be true or false, got ${JSON.stringify(input.enabled)}`);
    }
    if (input.reset !== undefined && input.reset !== true) {
      throw new ThrottlingConfigError(`reset must be true, got ${JSON.stringify(input.reset)}`);
    }
    if (input.enabled !== undefined) this.#enabled = input.enabled;
    if (input.reset === true) {
      this.#buckets.clear();
      this.#throttled = {};
    }
  }

  /** Takes a token for the call, or throws the error the service answers a throttled call with. */
  admit(service: AnyService, action: string, account: string, region: string, now: number): void {
    if (!this.#enabled) return;
    const target = bucketFor(service, action);
    if (!target) return;
    const key = `${service}\u0000${account}\u0000${region}\u0000${target.name}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = {
        service: service as 'elbv2' | 'ec2',
        account,
        region,
        bucket: target.name,
        spec: target.spec,
        tokens: target.spec.capacity,
        at: now,
      };
      this.#buckets.set(key, bucket);
    }
    refill(bucket, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const counts = this.#throttled[service] ?? {};
    counts[action] = (counts[action] ?? 0) + 1;
    this.#throttled[service] = counts;
    throw service === 'ec2'
      ? new AwsError('RequestLimitExceeded', 'Request limit exceeded.', 503)
      : new AwsError('Throttling', 'Rate exceeded', 400);
  }

  state(now: number): ThrottlingState {
    return {
      enabled: this.#enabled,
      throttled: structuredClone(this.#throttled),
      buckets: [...this.#buckets.values()].map((bucket) => {
        refill(bucket, now);
        return {
          service: bucket.service,
          account: bucket.account,
          region: bucket.region,
          bucket: bucket.bucket,
          capacity: bucket.spec.capacity,
          refillPerSecond: bucket.spec.refillPerSecond,
          tokens: Math.floor(bucket.tokens * 1000) / 1000,
        };
      }),
    };
  }
}

function bucketFor(service: AnyService, action: string): { name: string; spec: BucketSpec } | undefined {
  if (service === 'elbv2') {
    const name = elbv2BucketOf(action);
    return { name, spec: ELBV2_BUCKETS[name] };
  }
  if (service === 'ec2' && EC2_NON_MUTATING.test(action))
    return { name: action, spec: EC2_NON_MUTATING_BUCKET };
  return undefined;
}

function refill(bucket: Bucket, now: number): void {
  const elapsedMs = Math.max(0, now - bucket.at);
  bucket.tokens = Math.min(
    bucket.spec.capacity,
    bucket.tokens + (elapsedMs * bucket.spec.refillPerSecond) / 1000,
  );
  bucket.at = Math.max(bucket.at, now);
}
