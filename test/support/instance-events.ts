/** EC2 events for the register function, as `parseEvent` makes them from what EventBridge delivers. */
import { type ParsedEvent, parseEvent } from '../../functions/domain/events.ts';
import type { InstanceState } from '../../functions/domain/model.ts';
import { ACCOUNT, REGION } from './builders.ts';
import { fixture } from './fixtures.ts';

/** An `EC2 Instance State-change Notification` for the seed's account and region. */
export function stateEvent(
  instanceId: string,
  state: InstanceState,
): Extract<ParsedEvent, { type: 'instance-state' }> {
  return {
    type: 'instance-state',
    id: `evt-${instanceId}-${state}`,
    instanceId,
    state,
    account: ACCOUNT,
    region: REGION,
  };
}

/** The recorded Spot interruption warning, for `instanceId`. */
export function spotWarning(instanceId: string): Extract<ParsedEvent, { type: 'spot-interruption' }> {
  const parsed = parseEvent({
    ...(fixture('ec2-spot-interruption-warning.json') as Record<string, unknown>),
    detail: { 'instance-id': instanceId, 'instance-action': 'terminate' },
  });
  if (parsed.type !== 'spot-interruption') throw new Error(`parsed as ${parsed.type}`);
  return parsed;
}
