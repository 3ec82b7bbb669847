/**
 * What the member stack (infra/alb-warden-member.ts) leaves in a member account and region, made through
 * ordinary SDK calls on the simulator with the member administrator's key: the role the hub assumes, and the
 * two rules that forward the member's EC2 and CloudTrail events to the hub's bus, with the very patterns the
 * hub deploys. Shared by the hub's tests and the demo's fleet scene.
 */
import {
  EventBridgeClient,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { defaultMemberRoleName } from '../functions/domain/accounts.ts';
import { apiCallPattern, INSTANCE_STATE_PATTERN } from '../infra/event-patterns.ts';
import { SIM_SECRET } from './world.ts';

export interface MemberStackOptions {
  readonly account: string;
  readonly region: string;
  /** The member administrator's access key, which deploys the stack. */
  readonly adminAccessKeyId: string;
  readonly hubAccount: string;
  readonly hubRegion: string;
  readonly organizationId: string;
  /** `sts:ExternalId` the role's trust requires. @default none */
  readonly externalId?: string | undefined;
  /** The roles of the hub account the member role trusts (`hubRoleArns`). @default the hub's `AlbWarden-*` roles */
  readonly trustedRoleArns?: readonly string[] | undefined;
}

export function memberRoleArn(member: Pick<MemberStackOptions, 'account' | 'region'>): string {
  return `arn:aws:iam::${member.account}:role/${defaultMemberRoleName(member.region)}`;
}

/** IAM is global: the member's IAM client signs for us-east-1, whatever the member's region. */
export function memberIam(endpoint: string, member: Pick<MemberStackOptions, 'adminAccessKeyId'>): IAMClient {
  return new IAMClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: member.adminAccessKeyId, secretAccessKey: SIM_SECRET },
  });
}

/** The member role, trusted by the hub's roles in the organization (and the external id, if any). */
export async function createMemberRole(iam: IAMClient, member: MemberStackOptions): Promise<void> {
  await iam.send(
    new CreateRoleCommand({
      RoleName: defaultMemberRoleName(member.region),
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${member.hubAccount}:root` },
            Action: 'sts:AssumeRole',
            Condition: {
              ArnLike: {
                'aws:PrincipalArn': member.trustedRoleArns ?? [
                  `arn:aws:iam::${member.hubAccount}:role/AlbWarden-*`,
                ],
              },
              StringEquals: {
                'aws:PrincipalOrgID': member.organizationId,
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

/** The member stack: its role, and rules forwarding its instance and API-call events to the hub's bus. */
export async function deployMemberStack(endpoint: string, member: MemberStackOptions): Promise<IAMClient> {
  const iam = memberIam(endpoint, member);
  await createMemberRole(iam, member);
  const events = new EventBridgeClient({
    endpoint,
    region: member.region,
    credentials: { accessKeyId: member.adminAccessKeyId, secretAccessKey: SIM_SECRET },
  });
  try {
    const hubBus = `arn:aws:events:${member.hubRegion}:${member.hubAccount}:event-bus/default`;
    const rules = {
      'alb-warden-instance-state': INSTANCE_STATE_PATTERN,
      'alb-warden-api-calls': apiCallPattern([memberRoleArn(member)]),
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
  } finally {
    events.destroy();
  }
  return iam;
}

/** The hub's bus accepts the events of every account in the organization. */
export async function openHubBus(
  endpoint: string,
  hub: { readonly region: string; readonly accessKeyId: string; readonly organizationId: string },
): Promise<void> {
  const events = new EventBridgeClient({
    endpoint,
    region: hub.region,
    credentials: { accessKeyId: hub.accessKeyId, secretAccessKey: SIM_SECRET },
  });
  try {
    await events.send(
      new PutPermissionCommand({
        StatementId: 'AlbWardenMembers',
        Action: 'events:PutEvents',
        Principal: '*',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: hub.organizationId },
      }),
    );
  } finally {
    events.destroy();
  }
}
