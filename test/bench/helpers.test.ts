/** The bench's own arithmetic: budgets, the naive model, call counts and the API budget. */
import { describe, expect, it } from 'vitest';
import { apiBudget } from '../../bench/api-budget.ts';
import { naiveSweepCalls, sweepReadBudget } from '../../bench/budgets.ts';
import { flatCalls, isMutating, mutatingCalls, totalCalls, unflatCalls } from '../../bench/calls.ts';
import { refillMs, simulatedWaitMs } from '../../bench/limits.ts';
import { itemBytes } from '../../bench/state-size.ts';
import { median } from '../../bench/stats.ts';
import { table } from '../../bench/table.ts';
import { parseConfig } from '../../functions/config.ts';
import type { CallCounts } from '../../sim/control.ts';

const counts = (elbv2: Record<string, number>, rest: Partial<CallCounts> = {}): CallCounts => ({
  ec2: {},
  sns: {},
  dynamodb: {},
  autoscaling: {},
  ...rest,
  elbv2,
});

function config(bindings: { tags: Record<string, string>; healthCheck?: boolean }[]) {
  return parseConfig({
    alerts: {
      topicArn: 'arn:aws:sns:ap-northeast-2:123456789012:alerts',
      stateTable: 'alb-warden-alert-state',
    },
    bindings: bindings.map((binding, index) => ({
      name: `b${index}`,
      loadBalancerArn: `arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/lb${index}/${String(index).padStart(16, '0')}`,
      targetGroupArn: `arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/tg${index}/${String(index).padStart(16, '0')}`,
      instanceSelector: { tags: binding.tags },
      ...(binding.healthCheck ? { healthCheck: { path: '/', matcher: '404' } } : {}),
    })),
  });
}

describe('the converged sweep budget', () => {
  it('counts per binding, per distinct selector page, and one DescribeTargetGroups per 20 health checks', () => {
    const budget = sweepReadBudget(
      config([
        { tags: { Role: 'web' }, healthCheck: true },
        { tags: { Role: 'web' } },
        { tags: { Role: 'api' } },
      ]),
      (selector) => (selector.Role === 'web' ? 2500 : 10),
    );

    expect(budget.byAction).toEqual({
      'elbv2:DescribeTargetHealth': 3,
      'elbv2:DescribeListeners': 3,
      'elbv2:DescribeRules': 3,
      'elbv2:DescribeTargetGroups': 1,
      'ec2:DescribeInstances': 4,
      'dynamodb:Query': 3,
    });
    expect(budget.total).toBe(17);
  });

  it('compares with a naive controller that reads per instance', () => {
    expect(naiveSweepCalls(1, 10, false)).toBe(32);
    expect(naiveSweepCalls(10, 1000, true)).toBe(30_030);
  });
});

describe('call counts', () => {
  it('tells reads from writes across services', () => {
    const calls = counts(
      { DescribeListeners: 2, ModifyListener: 1 },
      { dynamodb: { Query: 1, PutItem: 1, BatchWriteItem: 2 }, sns: { Publish: 1 } },
    );

    expect(isMutating('DescribeTargetHealth')).toBe(false);
    expect(totalCalls(calls)).toBe(8);
    expect(totalCalls(calls, 'elbv2')).toBe(3);
    expect(mutatingCalls(calls)).toBe(5);
    expect(unflatCalls(flatCalls(calls))).toEqual(calls);
  });
});

describe('the rate limiter arithmetic', () => {
  it('replays a burst through the limiter on a simulated clock', async () => {
    // 31 describe calls at a quarter share: 10 at once, then 2.5 a second.
    expect(await simulatedWaitMs(counts({ DescribeListeners: 31 }), 0.25)).toBeCloseTo(8400);
    expect(await simulatedWaitMs(counts({ DescribeListeners: 31 }), 1)).toBe(0);
  });

  it('knows how long a bucket takes to give back what was spent', () => {
    expect(refillMs(counts({ DescribeRules: 5, RegisterTargets: 2 }), 0.25)).toBeCloseTo(2000);
  });

  it('puts a minute of calls against the account buckets', () => {
    const sweep = counts(
      { DescribeListeners: 10, DescribeRules: 10, DescribeTargetHealth: 10 },
      { ec2: { DescribeInstances: 10 } },
    );
    const register = counts({ RegisterTargets: 1 }, { ec2: { DescribeInstances: 1 } });
    const none = counts({});

    const budget = apiBudget({ sweep, register, deregister: none, repair: none }, 0.25, {
      sweeps: 1,
      launches: 6,
      terminations: 0,
      repairs: 0,
    });

    expect(budget.elbCallsPerMinute).toBe(36);
    expect(budget.ec2CallsPerMinute).toBe(16);
    expect(budget.buckets.describe).toEqual({
      callsPerMinute: 30,
      accountShare: 0.05,
      ofControllerShare: 0.2,
    });
    expect(budget.buckets.registration.accountShare).toBe(0.025);
  });
});

describe('the report', () => {
  it('sizes DynamoDB items as DynamoDB counts them', () => {
    expect(itemBytes({ pk: { S: 'binding#web' }, version: { N: '12' } })).toBe(2 + 11 + 7 + 2);
  });

  it('takes medians and lays out tables', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(table(['name', 'ms'], [['a', 1234]])).toBe('  name     ms\n  ----  -----\n  a     1,234');
  });
});
