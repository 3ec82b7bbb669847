/**
 * AWS call counts as the simulator's counter reports them (service → action → calls), and the few ways the
 * figures and budgets slice them.
 */
import type { CallCounts } from '../sim/control.ts';

export type { CallCounts };

/** Actions that only read: everything else changes something (ELB, EC2, SNS or the state table). */
const READ_ONLY = /^(Describe|List|Get|Query|Scan|BatchGet)/;

export const isMutating = (action: string): boolean => !READ_ONLY.test(action);

export function totalCalls(calls: CallCounts, service?: keyof CallCounts): number {
  const services = service ? [calls[service]] : Object.values(calls);
  return services.reduce((sum, actions) => sum + Object.values(actions).reduce((a, b) => a + b, 0), 0);
}

export function mutatingCalls(calls: CallCounts): number {
  return Object.values(calls).reduce(
    (sum, actions) =>
      sum + Object.entries(actions).reduce((a, [action, count]) => a + (isMutating(action) ? count : 0), 0),
    0,
  );
}

/** `elbv2:DescribeTargetHealth` → calls, for the table and the JSON. */
export function flatCalls(calls: CallCounts): Record<string, number> {
  return Object.fromEntries(
    Object.entries(calls).flatMap(([service, actions]) =>
      Object.entries(actions)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([action, count]) => [`${service}:${action}`, count]),
    ),
  );
}

/** Adds counts, each scaled (a per-minute mix of sweeps and events). */
export function sumCalls(parts: readonly { readonly calls: CallCounts; readonly times: number }[]) {
  const sum: Record<string, Record<string, number>> = {};
  for (const { calls, times } of parts) {
    for (const [service, actions] of Object.entries(calls)) {
      sum[service] ??= {};
      const into = sum[service];
      for (const [action, count] of Object.entries(actions))
        into[action] = (into[action] ?? 0) + count * times;
    }
  }
  return sum as CallCounts;
}

/** The inverse of `flatCalls`. */
export function unflatCalls(flat: Readonly<Record<string, number>>): CallCounts {
  const calls: Record<string, Record<string, number>> = {
    ec2: {},
    elbv2: {},
    sns: {},
    dynamodb: {},
    autoscaling: {},
  };
  for (const [key, count] of Object.entries(flat)) {
    const [service = '', action = ''] = key.split(':');
    calls[service] ??= {};
    const into = calls[service];
    into[action] = (into[action] ?? 0) + count;
  }
  return calls as CallCounts;
}
