/** The AWS actions the controller calls, read from the adapters' SDK commands: one list, from the code. */
import { readdirSync, readFileSync } from 'node:fs';
import { MEMBER_ONLY_ADAPTERS } from '../../../functions/cli/doctor/controller-calls.ts';
import type { SimService } from '../../../sim/control.ts';
import { SERVICES } from '../../../sim/faults.ts';

/** The services the controller calls: the simulator's always-counted ones, the tagging API and CloudTrail. */
export type ControllerService = SimService | 'tagging' | 'cloudtrail';

const ADAPTERS = new URL('../../../functions/adapters/', import.meta.url).pathname;
const SERVICE_OF_ADAPTER: Readonly<Record<string, ControllerService>> = {
  'ec2.ts': 'ec2',
  'elbv2.ts': 'elbv2',
  'sns.ts': 'sns',
  'dynamodb-state.ts': 'dynamodb',
  'autoscaling.ts': 'autoscaling',
  'tagging.ts': 'tagging',
  'cloudtrail.ts': 'cloudtrail',
};

/**
 * The scheduler's queue adapter is not part of a sweep: a failed send fails that minute's schedule run and
 * the next minute's run queues its own bindings (test/integration/sweep-fanout.test.ts). Adapters only a hub
 * with members calls are not either: the single-account world these suites build never assumes a member
 * role (test/unit/adapters/accounts.test.ts and test/integration/hub.test.ts cover them).
 */
const NOT_IN_A_SWEEP = new Set(['sqs-queue.ts', ...MEMBER_ONLY_ADAPTERS]);

/** `service:Action` for every `new XxxCommand(` in the adapters a sweep uses. */
export function actionsTheAdaptersCall(): string[] {
  const actions = new Set<string>();
  for (const file of readdirSync(ADAPTERS)) {
    if (NOT_IN_A_SWEEP.has(file)) continue;
    const text = readFileSync(`${ADAPTERS}${file}`, 'utf8');
    for (const [, action] of text.matchAll(/new (\w+)Command\(/g)) {
      const service = SERVICE_OF_ADAPTER[file];
      if (!service)
        throw new Error(`${file} sends ${action}Command, but this suite does not know its service`);
      actions.add(`${service}:${action}`);
    }
  }
  return [...actions].sort();
}

/** The actions among them that change something (everything but reads). */
export function writesTheAdaptersCall(): (readonly [SimService, string])[] {
  // The tagging API and CloudTrail are only read (GetResources, LookupEvents): every write is of a service the
  // simulator always counts.
  return actionsTheAdaptersCall()
    .map((key) => key.split(':') as [ControllerService, string])
    .filter(([, action]) => !/^(Describe|Query|Get|List|Lookup)/.test(action))
    .map(([service, action]) => {
      if (!(SERVICES as readonly string[]).includes(service))
        throw new Error(`${service}:${action} is a write of a service this suite does not fault yet`);
      return [service as SimService, action] as const;
    });
}
