/**
 * The controller's call budgets as numbers (the tests assert them, the bench prints them beside the figures), and
 * the naive implementation the sweep is compared to.
 */
import { API_LIMITS } from '../functions/adapters/batches.ts';
import type { WardenConfig } from '../functions/config.ts';
import { EVENT_CALLS } from '../functions/domain/api-share.ts';
import { selectorKey } from '../functions/domain/registration.ts';

export const EVENT_BUDGETS = {
  // The most ELB calls one event makes is what the event functions' cap is sized by (domain/api-share.ts).
  repair: { elbCalls: EVENT_CALLS, apiCalls: 7 },
  register: { apiCalls: 3 },
} as const;

/** DescribeTargetGroups takes 20 ARNs a call (the ELB adapter's batch). */
const GROUPS_PER_CALL = 20;

/**
 * The most reads a converged sweep may make: per binding one DescribeTargetHealth, one DescribeListeners,
 * one DescribeRules (its HTTP listener) and one alert-state Query; per distinct selector one DescribeInstances
 * per 1,000 matching instances; one DescribeTargetGroups per 20 bindings that enforce a health check.
 */
export function sweepReadBudget(
  config: WardenConfig,
  matchingInstances: (selector: Readonly<Record<string, string>>) => number,
): { total: number; byAction: Record<string, number> } {
  const bindings = config.bindings.length;
  const selectors = new Map(
    config.bindings.map((binding) => [
      selectorKey(binding.instanceSelector.tags),
      binding.instanceSelector.tags,
    ]),
  );
  const describeInstances = [...selectors.values()].reduce(
    (sum, selector) =>
      sum + Math.max(1, Math.ceil(matchingInstances(selector) / API_LIMITS.ec2InstancesPage)),
    0,
  );
  const healthChecked = config.bindings.filter((binding) => binding.healthCheck).length;
  const byAction = {
    'elbv2:DescribeTargetHealth': bindings,
    'elbv2:DescribeListeners': bindings,
    'elbv2:DescribeRules': bindings,
    'elbv2:DescribeTargetGroups': Math.ceil(healthChecked / GROUPS_PER_CALL),
    'ec2:DescribeInstances': describeInstances,
    'dynamodb:Query': bindings,
  };
  return { total: Object.values(byAction).reduce((a, b) => a + b, 0), byAction };
}

/**
 * What a naive controller would call per sweep: per binding one DescribeListeners and one DescribeRules
 * (and one DescribeTargetGroups when it enforces a health check), and per instance one DescribeInstances
 * (that instance), one DescribeTargetHealth (that target) and one GetItem (that target's alert state).
 */
export const NAIVE_MODEL =
  'per binding: DescribeListeners + DescribeRules (+ DescribeTargetGroups with a health check); ' +
  'per instance: DescribeInstances + DescribeTargetHealth + alert-state GetItem';

export function naiveSweepCalls(bindings: number, instancesPerBinding: number, healthCheck: boolean): number {
  return bindings * (2 + (healthCheck ? 1 : 0) + 3 * instancesPerBinding);
}
