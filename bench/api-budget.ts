/**
 * The API budget: ELB and EC2 calls per minute at the 10-binding scale, for a typical minute (the sweep the
 * schedule runs every minute, plus events), and the share of each of the account's ELB throttling buckets
 * they use. Per-path costs are the measured call counts; only the mix is assumed, and printed.
 */
import { ELB_BUCKETS, type ElbBucket } from '../functions/adapters/rate-limit.ts';
import { type CallCounts, sumCalls, totalCalls } from './calls.ts';
import { BUCKETS, bucketCalls } from './limits.ts';
import { round } from './stats.ts';

/**
 * A typical minute for 10 bindings of 1,000 instances: the scheduled sweep (rate(1 minute), the Warden
 * stack's default), an Auto Scaling fleet replacing 3 % of its 10,000 instances an hour (5 launches and 5
 * terminations a minute), and one listener changed by hand a day.
 */
export const TYPICAL_MINUTE: Mix = { sweeps: 1, launches: 5, terminations: 5, repairs: 1 / (24 * 60) };

/** How many of each path run in a minute. */
export interface Mix {
  readonly sweeps: number;
  readonly launches: number;
  readonly terminations: number;
  readonly repairs: number;
}

/** EC2's default bucket for DescribeInstances (non-mutating): 100 tokens, 20 a second (EC2 API reference). */
export const EC2_DESCRIBE_REFILL_PER_SECOND = 20;

export interface PathCosts {
  readonly sweep: CallCounts;
  readonly register: CallCounts;
  readonly deregister: CallCounts;
  readonly repair: CallCounts;
}

export interface BucketUse {
  readonly callsPerMinute: number;
  /** Of the account's bucket (its refill rate). */
  readonly accountShare: number;
  /** Of the share the controller's rate limiter allows itself. */
  readonly ofControllerShare: number;
}

export interface ApiBudget {
  readonly elbCallsPerMinute: number;
  readonly ec2CallsPerMinute: number;
  readonly dynamodbCallsPerMinute: number;
  readonly snsCallsPerMinute: number;
  readonly buckets: Readonly<Record<ElbBucket, BucketUse>>;
  readonly ec2DescribeShare: number;
  readonly mix: Mix;
  readonly apiShare: number;
}

export function apiBudget(costs: PathCosts, apiShare: number, mix: Mix = TYPICAL_MINUTE): ApiBudget {
  const minute = sumCalls([
    { calls: costs.sweep, times: mix.sweeps },
    { calls: costs.register, times: mix.launches },
    { calls: costs.deregister, times: mix.terminations },
    { calls: costs.repair, times: mix.repairs },
  ]);
  const perBucket = bucketCalls(minute);
  const buckets = Object.fromEntries(
    BUCKETS.map((bucket): [ElbBucket, BucketUse] => {
      const accountShare = perBucket[bucket] / (ELB_BUCKETS[bucket].refillPerSecond * 60);
      return [
        bucket,
        {
          callsPerMinute: round(perBucket[bucket]),
          accountShare: round(accountShare),
          ofControllerShare: round(accountShare / apiShare),
        },
      ];
    }),
  ) as Record<ElbBucket, BucketUse>;
  return {
    elbCallsPerMinute: round(totalCalls(minute, 'elbv2')),
    ec2CallsPerMinute: round(totalCalls(minute, 'ec2')),
    dynamodbCallsPerMinute: round(totalCalls(minute, 'dynamodb')),
    snsCallsPerMinute: round(totalCalls(minute, 'sns')),
    buckets,
    ec2DescribeShare: round((minute.ec2.DescribeInstances ?? 0) / (EC2_DESCRIBE_REFILL_PER_SECOND * 60)),
    mix,
    apiShare,
  };
}
