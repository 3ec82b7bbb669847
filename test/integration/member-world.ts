/**
 * A hub and member accounts on the simulator, as the member stack leaves them (testkit/members.ts): each
 * member joined to the organization with the seed topology, the role the hub assumes (trust: the organization,
 * an external id for some) and the rules forwarding its EC2 and CloudTrail events to the hub's bus.
 */
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { WardenConfigInput } from '../../functions/config.ts';
import type { SimControl } from '../../sim/control.ts';
import { buildSeedTopology, createAlertResources, type SeedTopology } from '../../sim/seed.ts';
import { seedMember } from '../../sim/seed-member.ts';
import {
  createMemberRole,
  deployMemberStack,
  type MemberStackOptions,
  openHubBus,
} from '../../testkit/members.ts';
import { type AwsClients, createClients, principals } from '../../testkit/world.ts';
import { EXTERNAL_ID, HUB, ORG } from '../support/organization.ts';
import { KEYS, startWorld, type World } from './harness.ts';

export const HUB_ACCOUNT = HUB.account;
/** The hub's controller role, whose session signs the hub's calls (harness.ts maps the controller key to it). */
export const HUB_ROLE = principals(HUB.account).controllerRoleArn;

export interface Member {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly adminKey: string;
  readonly externalId?: string;
}

/** Two members in two regions, one of them trusting the hub only with an external id. */
export const MEMBERS: readonly Member[] = [
  { name: 'team-a', account: '210987654321', region: 'eu-west-1', adminKey: 'AKIAMEMBERAADMIN0001' },
  {
    name: 'team-b',
    account: '345678901234',
    region: 'us-east-1',
    adminKey: 'AKIAMEMBERBADMIN0001',
    externalId: EXTERNAL_ID,
  },
];

/** A member account: its seed topology, and what the member stack holds (role, rules forwarding to the hub). */
async function deployMember(world: World, control: SimControl, member: Member) {
  const { topology: seed } = await seedMember(
    { endpoint: world.endpoint, control },
    {
      account: member.account,
      region: member.region,
      organizationId: ORG,
      adminAccessKeyId: member.adminKey,
    },
  );
  const stack: MemberStackOptions = {
    account: member.account,
    region: member.region,
    adminAccessKeyId: member.adminKey,
    hubAccount: HUB_ACCOUNT,
    hubRegion: world.clients.region,
    organizationId: ORG,
    externalId: member.externalId,
  };
  const clients = createClients(world.endpoint, member.region, member.adminKey);
  const iam = await deployMemberStack(world.endpoint, stack);
  return { member, clients, seed, iam, stack };
}

export type Deployed = Awaited<ReturnType<typeof deployMember>>;

/** The member role again, as the member stack made it (after a test deleted it). */
export function restoreRole(deployed: Deployed): Promise<void> {
  return createMemberRole(deployed.iam, deployed.stack);
}

export interface HubWorld {
  readonly world: World;
  readonly control: SimControl;
  readonly hubSeed: SeedTopology;
  readonly topicArn: string;
  readonly members: Deployed[];
}

/** The hub's account (seed topology, alert topic, a bus open to the organization) and every member. */
export async function startHubWorld(memberList: readonly Member[] = MEMBERS): Promise<HubWorld> {
  const world = await startWorld();
  if (!world.control) throw new Error('a hub world needs the simulator');
  const control = world.control;
  const region = world.clients.region;
  await control.organization(HUB_ACCOUNT, ORG);
  const hubSeed = await buildSeedTopology(world.clients);
  const { topicArn } = await createAlertResources(world.clients);
  await openHubBus(world.endpoint, { region, accessKeyId: KEYS.setup, organizationId: ORG });
  const members: Deployed[] = [];
  for (const member of memberList) members.push(await deployMember(world, control, member));
  return { world, control, hubSeed, topicArn, members };
}

/**
 * The hub's configuration: each member listed for its region (with its external id), `extra` added to every
 * member entry, and `bindings`.
 */
export function hubConfig(
  topicArn: string,
  bindings: WardenConfigInput['bindings'],
  extra: Omit<NonNullable<WardenConfigInput['members']>[number], 'account' | 'regions'> = {},
): WardenConfigInput {
  return {
    limits: { apiShare: 1 },
    controllerRoleArns: [HUB_ROLE],
    alerts: { topicArn, stateTable: 'alb-warden-alert-state' },
    approvalGraceMinutes: 0,
    members: MEMBERS.map((member) => ({
      account: member.account,
      regions: [member.region],
      ...(member.externalId ? { externalId: member.externalId } : {}),
      ...extra,
    })),
    bindings,
  };
}

/** Someone points the HTTP listener at the target group instead of redirecting. */
export async function driftHttpListener(clients: AwsClients, seed: SeedTopology): Promise<void> {
  await clients.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: seed.httpListenerArn,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
    }),
  );
}

export async function httpAction(clients: AwsClients, seed: SeedTopology) {
  const { Listeners = [] } = await clients.elbv2.send(
    new DescribeListenersCommand({ ListenerArns: [seed.httpListenerArn] }),
  );
  const [action] = Listeners[0]?.DefaultActions ?? [];
  return { type: action?.Type, statusCode: action?.RedirectConfig?.StatusCode };
}

export async function targets(clients: AwsClients, seed: SeedTopology): Promise<string[]> {
  const { TargetHealthDescriptions = [] } = await clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: seed.targetGroupArn }),
  );
  return TargetHealthDescriptions.map((description) => description.Target?.Id ?? '').sort();
}

/** The alerts the hub's topic has published: subject and readable text. */
export async function sentAlerts(control: SimControl) {
  const { messages } = await control.sns();
  return messages.map((message) => ({
    subject: message.subject ?? '',
    text: (JSON.parse(message.message) as { default: string }).default,
  }));
}
