/** The AWS actions the controller calls, read from the adapters' SDK commands: one list, from the code. */
import { readdirSync, readFileSync } from 'node:fs';
import { MEMBER_ONLY_ADAPTERS } from '../../../functions/cli/doctor/controller-calls.ts';
import type { SimService } from '../../../sim/control.ts';

/** The services the controller calls: the simulator's always-counted ones and the tagging API. */
export type ControllerService = SimService | 'tagging';

const ADAPTERS = new URL('../../../functions/adapters/', import.meta.url).pathname;
const SERVICE_OF_ADAPTER: Readonly<Record<string, ControllerService>> = {
  'ec2.ts': 'ec2',
  'elbv2.ts': 'elbv2',
  'sns.ts': 'sns',
  'dynamodb-state.ts': 'dynamodb',
  'autoscaling.ts': 'autoscaling',
  'tagging.ts': 'tagging',
};

/**
 * Adapters only a hub with members calls: the single-account world these suites build never assumes a
 * member role (test/unit/adapters/accounts.test.ts and test/integration/hub.test.ts cover them).
 */
const MEMBER_ONLY = new Set(MEMBER_ONLY_ADAPTERS);

/** `service:Action` for every `new XxxCommand(` in the adapters. */
export function actionsTheAdaptersCall(): string[] {
  const actions = new Set<string>();
  for (const file of readdirSync(ADAPTERS)) {
    if (MEMBER_ONLY.has(file)) continue;
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
  // The tagging API is only read (GetResources): every write is of a service the simulator always counts.
  return actionsTheAdaptersCall()
    .map((key) => key.split(':') as [SimService, string])
    .filter(([, action]) => !/^(Describe|Query|Get|List)/.test(action));
}
