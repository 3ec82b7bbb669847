/**
 * The events each function handles in the bench, made by doing in the simulated account what causes them
 * (launching an instance, a person changing a listener) and taking the event the simulator records.
 */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SimEvent } from '../sim/control.ts';
import { launchInstances } from '../sim/seed.ts';
import { type BindingWorld, personArn, type World } from './world.ts';

/** EventBridge's scheduled event, as the sweep's schedule rule sends it. */
export function scheduledEvent(world: World): SimEvent {
  const { account, region } = world.simulator;
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/AlbWarden-SweepSchedule`],
    detail: {},
  };
}

async function awaitEvent(
  world: World,
  matches: (event: SimEvent) => boolean,
  what: string,
): Promise<SimEvent> {
  // The simulator applies state changes when it is next asked anything; reading events asks.
  for (let attempt = 0; attempt < 50; attempt++) {
    const event = (await world.newEvents()).find(matches);
    if (event) return event;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the simulator recorded no ${what} event`);
}

const stateChange = (instanceId: string, state: string) => (event: SimEvent) =>
  event['detail-type'] === 'EC2 Instance State-change Notification' &&
  event.detail['instance-id'] === instanceId &&
  event.detail.state === state;

/** Launches one instance the binding selects; returns its `running` event. */
export async function launchEvent(
  world: World,
  binding: BindingWorld,
): Promise<{ id: string; event: SimEvent }> {
  const [id = ''] = await launchInstances(world.clients, {
    count: 1,
    subnetId: binding.instanceSubnetId,
    tags: binding.selector,
  });
  return { id, event: await awaitEvent(world, stateChange(id, 'running'), `running for ${id}`) };
}

/** Terminates an instance; returns its `terminated` event. */
export async function terminateEvent(world: World, instanceId: string): Promise<SimEvent> {
  await world.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  return awaitEvent(world, stateChange(instanceId, 'terminated'), `terminated for ${instanceId}`);
}

const REDIRECT = {
  Protocol: 'HTTPS',
  Port: '443',
  Host: '#{host}',
  Path: '/#{path}',
  Query: '#{query}',
  StatusCode: 'HTTP_301',
} as const;

/** A person sets the binding's HTTP listener's redirect (a 302 is drift); returns the CloudTrail event. */
async function personSetsRedirect(
  world: World,
  binding: BindingWorld,
  statusCode: string,
): Promise<SimEvent> {
  const change = world.person.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: binding.topology.httpListenerArn,
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { ...REDIRECT, StatusCode: statusCode as 'HTTP_301' } },
      ],
    }),
  );
  await change.catch(() => undefined);
  return awaitEvent(
    world,
    (event) =>
      event['detail-type'] === 'AWS API Call via CloudTrail' &&
      event.detail.eventName === 'ModifyListener' &&
      (event.detail.userIdentity as { arn?: string } | undefined)?.arn === personArn(world) &&
      JSON.stringify(event.detail.requestParameters ?? {}).includes(binding.topology.httpListenerArn),
    'ModifyListener',
  );
}

/** A person turns the binding's 301 redirect into a 302: drift the guard repairs. */
export function driftEvent(world: World, binding: BindingWorld): Promise<SimEvent> {
  return personSetsRedirect(world, binding, 'HTTP_302');
}

/** A person sets the redirect the binding wants anyway: the guard finds the listeners in sync. */
export function inSyncEvent(world: World, binding: BindingWorld): Promise<SimEvent> {
  return personSetsRedirect(world, binding, 'HTTP_301');
}

/** A person's change that AWS refused (AccessDenied): CloudTrail records it with `errorCode`. */
export async function deniedEvent(world: World, binding: BindingWorld): Promise<SimEvent> {
  await world.control.faults({ service: 'elbv2', action: 'ModifyListener', error: 'AccessDenied', count: 1 });
  const event = await personSetsRedirect(world, binding, 'HTTP_302');
  if (!event.detail.errorCode) throw new Error('the refused change carries no errorCode');
  return event;
}
