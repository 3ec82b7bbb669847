/**
 * The converged sweep's budget: no mutating call, and no more reads than, per binding, one
 * DescribeTargetHealth, one DescribeListeners, one DescribeRules (its HTTP listener) and one alert-state
 * Query, plus one DescribeInstances per 1,000 matching instances per distinct selector, plus one
 * DescribeTargetGroups per sweep (per 20 bindings) when bindings enforce a health check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sweepReadBudget } from '../../bench/budgets.ts';
import { mutatingCalls, totalCalls } from '../../bench/calls.ts';
import type { WorldOptions } from '../../bench/world.ts';
import { byAction, type Converged, convergedSweepCalls, convergedWorld } from './support.ts';

let converged: Converged | undefined;
afterEach(async () => {
  await converged?.world.stop();
  converged = undefined;
});

async function assertWithinBudget(options: WorldOptions, matchingPerSelector: number) {
  // Prepare
  converged = await convergedWorld(options);

  // Act
  const calls = await convergedSweepCalls(converged);

  // Assess
  const budget = sweepReadBudget(converged.deps.config, () => matchingPerSelector);
  expect(mutatingCalls(calls)).toBe(0);
  for (const [action, count] of Object.entries(byAction(calls))) {
    expect.soft(count, action).toBeLessThanOrEqual(budget.byAction[action] ?? 0);
  }
  expect(totalCalls(calls)).toBeLessThanOrEqual(budget.total);
  return calls;
}

describe('a converged sweep', () => {
  it('makes no mutating call and reads within budget, without a health check', async () => {
    const calls = await assertWithinBudget({ bindings: 1, instancesPerBinding: 10 }, 10);
    expect(byAction(calls)).not.toHaveProperty('elbv2:DescribeTargetGroups');
  });

  it('adds one DescribeTargetGroups for a binding that enforces a health check', async () => {
    const calls = await assertWithinBudget({ bindings: 1, instancesPerBinding: 10, healthCheck: true }, 10);
    expect(byAction(calls)['elbv2:DescribeTargetGroups']).toBe(1);
  });

  it('batches the health-checked target groups of several bindings into one DescribeTargetGroups', async () => {
    const calls = await assertWithinBudget({ bindings: 3, instancesPerBinding: 5, healthCheck: true }, 5);
    expect(byAction(calls)['elbv2:DescribeTargetGroups']).toBe(1);
    expect(byAction(calls)['dynamodb:Query']).toBe(3);
  });

  it('pages DescribeInstances at 1,000 instances: one call per page, not per instance', async () => {
    const calls = await assertWithinBudget({ bindings: 1, instancesPerBinding: 1500 }, 1500);
    expect(byAction(calls)['ec2:DescribeInstances']).toBe(2);
  }, 60_000);

  it('shares one DescribeInstances query between bindings with the same selector', async () => {
    const calls = await assertWithinBudget({ bindings: 3, instancesPerBinding: 5, sharedSelector: true }, 15);
    expect(byAction(calls)['ec2:DescribeInstances']).toBe(1);
  });

  it('is reached by the second sweep from a fleet nobody registered (the first sweep converges)', async () => {
    converged = await convergedWorld({ bindings: 2, instancesPerBinding: 20, healthCheck: true });
    expect(converged.sweeps).toBe(2);
  });
});
