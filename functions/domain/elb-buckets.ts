/** The ELB API's throttling buckets, which the rate limiter, the share and the sweep schedule all count in. */
export type ElbBucket = 'describe' | 'registration' | 'write';

/**
 * The account's ELBv2 buckets per account and region ("Request throttling for the ELB API",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html).
 */
export const ELB_BUCKETS: Readonly<
  Record<ElbBucket, { readonly capacity: number; readonly refillPerSecond: number }>
> = {
  describe: { capacity: 40, refillPerSecond: 10 },
  registration: { capacity: 20, refillPerSecond: 4 },
  write: { capacity: 20, refillPerSecond: 3 },
};
