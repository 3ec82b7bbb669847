/**
 * Discovery by tag costs a sweep a few calls of the tagging API, none of the ELB describe budget; the
 * ELB-only alternative grows by one call per 20 load balancers and target groups.
 */
import { describe, expect, it } from 'vitest';
import { measureDiscovery } from '../../bench/discovery.ts';

describe('discovery calls, counted on the simulator', () => {
  it.each([
    // [load balancers, GetResources calls, DescribeLoadBalancers + DescribeTags calls]
    [10, 2, 1 + 1 + 1],
    [100, 2, 1 + 5 + 5],
    [1000, 20, 3 + 50 + 50],
  ])(
    '%i load balancers: %i GetResources calls, against %i ELB describe calls',
    async (count, tagging, elb) => {
      const figure = await measureDiscovery(count);

      expect(figure.discovered).toBe(count);
      expect(figure.taggingCalls).toBe(tagging);
      expect(figure.elbAlternativeCalls).toBe(elb);
    },
    120_000,
  );
});
