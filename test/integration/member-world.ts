/**
 * A hub and member accounts on the simulator, as the member stack leaves them: each member joined to the
 * organization with the seed topology, the role the hub assumes (trust: the organization, an external id for
 * some) and the rules forwarding its EC2 and CloudTrail events to the hub's bus.
 */
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  EventBridgeClient,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { WardenConfigInput } from '../../functions/config.ts';
import { defaultMemberRoleName } from '../../functions/domain/accounts.ts';
import { apiCallPattern, INSTANCE_STATE_PATTERN } from '../../infra/event-patterns.ts';
import type { SimControl } from '../../sim/control.ts';
import { buildSeedTopology, createAlertResources, type SeedTopology } from '../../sim/seed.ts';
import { seedMember } from '../../sim/seed-member.ts';
import { type AwsClients, createClients, SIM_SECRET } from '../../testkit/world.ts';
import { KEYS, startWorld, type World } from './harness.ts';

export const ORG = 'o-a1b2c3d4e5';
export const EXTERNAL_ID = 'hub-7f3a';
export const HUB_ACCOUNT = '123456789012';
const HUB_CONTROLLER = `arn:aws:sts::${HUB_ACCOUNT}:assumed-role/AlbWarden-ControllerRole/alb-warden-guard`;
export const HUB_ROLE = `arn:aws:iam::${HUB_ACCOUNT}:role/AlbWarden-ControllerRole`;

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

export const roleArnOf = (member: Member) =>
  `arn:aws:iam::${member.account}:role/${defaultMemberRoleName(member.region)}`;
export const signedBy = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: SIM_SECRET });

/** The member role, trusted by the hub's function roles of the organization (and the external id, if any). */
export async function deployRole({ member, iam }: { member: Member; iam: IAMClient }): Promise<void> {
  await iam.send(
    new CreateRoleCommand({
      RoleName: defaultMemberRoleName(member.region),
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${HUB_ACCOUNT}:root` },
            Action: 'sts:AssumeRole',
            Condition: {
              ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${HUB_ACCOUNT}:role/AlbWarden-*` },
              StringEquals: {
                'aws:PrincipalOrgID': ORG,
                ...(member.externalId ? { 'sts:ExternalId': member.externalId } : {}),
              },
            },
          },
        ],
      }),
      MaxSessionDuration: 3600,
    }),
  );
}

/** What the member stack holds: the role the hub assumes, and rules forwarding to the hub's bus. */
async function deployMember(world: World, control: SimControl, member: Member, hubBus: string) {
  const { topology: seed } = await seedMember(
    { endpoint: world.endpoint, control },
    {
      account: member.account,
      region: member.region,
      organizationId: ORG,
      adminAccessKeyId: member.adminKey,
    },
  );
  const clients = createClients(world.endpoint, member.region, member.adminKey);
  const iam = new IAMClient({
    endpoint: world.endpoint,
    region: 'us-east-1',
    credentials: signedBy(member.adminKey),
  });
  await deployRole({ member, iam });
  const events = new EventBridgeClient({
    endpoint: world.endpoint,
    region: member.region,
    credentials: signedBy(member.adminKey),
  });
  const rules = {
    'alb-warden-instance-state': INSTANCE_STATE_PATTERN,
    'alb-warden-api-calls': apiCallPattern([roleArnOf(member)]),
  };
  for (const [name, pattern] of Object.entries(rules)) {
    await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
    await events.send(
      new PutTargetsCommand({
        Rule: name,
        Targets: [{ Id: 'hub', Arn: hubBus, RoleArn: `arn:aws:iam::${member.account}:role/forwarder` }],
      }),
    );
  }
  return { member, clients, seed, iam };
}

export type Deployed = Awaited<ReturnType<typeof deployMember>>;

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
  await control.identity(KEYS.controller, HUB_CONTROLLER);
  const hubSeed = await buildSeedTopology(world.clients);
  const { topicArn } = await createAlertResources(world.clients);
  await new EventBridgeClient({
    endpoint: world.endpoint,
    region,
    credentials: signedBy(KEYS.setup),
  }).send(
    new PutPermissionCommand({
      StatementId: 'AlbWardenMembers',
      Action: 'events:PutEvents',
      Principal: '*',
      Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: ORG },
    }),
  );
  const hubBus = `arn:aws:events:${region}:${HUB_ACCOUNT}:event-bus/default`;
  const members: Deployed[] = [];
  for (const member of memberList) members.push(await deployMember(world, control, member, hubBus));
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
