/**
 * The member stack's template, deployed by hand into a simulated member account and region (its role and
 * rules, created through IAM and EventBridge calls as CloudFormation would), with the hub's bus policy: the
 * hub's function role assumes the member role and reads the member's load balancer, and the member's events
 * reach the hub's bus with the member's account and region, the hub's own writes excepted.
 */
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  EventBridgeClient,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AlbWardenMemberStack, memberRoleArn } from '../../infra/alb-warden-member.ts';
import { seedMember } from '../../sim/seed-member.ts';
import { SIM_SECRET } from '../../testkit/world.ts';
import { useSim } from '../sim/support.ts';
import { EXTERNAL_ID, HUB, MEMBER, ORG } from '../support/organization.ts';

const sim = useSim();

const HUB_SWEEP_ROLE = `arn:aws:iam::${HUB.account}:role/AlbWarden-DefaultSweepRole1A2B3C4D-EXAMPLE`;
const HUB_SWEEP_KEY = 'AKIAHUBSWEEPSESSION1';

type Json = Record<string, unknown>;

/** The template's value as CloudFormation resolves it in `account` and `region`. */
function resolve(value: unknown, account: string, region: string, parameters: Json): unknown {
  if (Array.isArray(value)) return value.map((item) => resolve(item, account, region, parameters));
  if (typeof value !== 'object' || value === null) return value;
  const node = value as Json;
  if ('Ref' in node) {
    const pseudo: Json = { 'AWS::AccountId': account, 'AWS::Region': region, 'AWS::Partition': 'aws' };
    const id = String(node.Ref);
    if (id in pseudo) return pseudo[id];
    if (id in parameters) return parameters[id];
    throw new Error(`${id} is not resolved by this test`);
  }
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolve(part, account, region, parameters))).join(separator);
  }
  if ('Fn::GetAtt' in node)
    throw new Error(`Fn::GetAtt ${JSON.stringify(node['Fn::GetAtt'])} is not resolved by this test`);
  return Object.fromEntries(
    Object.entries(node).map(([key, item]) => [key, resolve(item, account, region, parameters)]),
  );
}

/** Creates the template's member role (with its policy) and forwarding rules, as CloudFormation would. */
async function deployMemberTemplate(template: Json, adminKey: string): Promise<void> {
  const resources = template.Resources as Record<string, { Type: string; Properties: Json }>;
  const aws = {
    endpoint: sim.endpoint,
    region: MEMBER.region,
    credentials: { accessKeyId: adminKey, secretAccessKey: SIM_SECRET },
  };
  const iam = new IAMClient(aws);
  const events = new EventBridgeClient(aws);
  const parameters = { HubRoleArns: [HUB_SWEEP_ROLE] };
  const at = (value: unknown) => resolve(value, MEMBER.account, MEMBER.region, parameters) as Json;
  const [roleId, role] =
    Object.entries(resources).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName) ?? [];
  if (!roleId || !role) throw new Error('the member template has no named role');
  const roleName = String(at(role.Properties.RoleName));
  await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify(at(role.Properties.AssumeRolePolicyDocument)),
      MaxSessionDuration: Number(role.Properties.MaxSessionDuration),
    }),
  );
  for (const policy of Object.values(resources).filter(
    (r) =>
      r.Type === 'AWS::IAM::Policy' &&
      JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
  )) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: String(policy.Properties.PolicyName),
        PolicyDocument: JSON.stringify(at(policy.Properties.PolicyDocument)),
      }),
    );
  }
  for (const [id, rule] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule')) {
    await events.send(
      new PutRuleCommand({ Name: id, EventPattern: JSON.stringify(at(rule.Properties.EventPattern)) }),
    );
    const targets = (rule.Properties.Targets as Json[]).map((target) => ({
      Id: String(target.Id),
      Arn: String(at(target.Arn)),
    }));
    await events.send(new PutTargetsCommand({ Rule: id, Targets: targets }));
  }
  iam.destroy();
  events.destroy();
}

async function hubWithMember() {
  await sim.control.organization(HUB.account, ORG);
  await sim.control.identity(
    HUB_SWEEP_KEY,
    HUB_SWEEP_ROLE.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/').concat('/sweep'),
  );
  const member = await seedMember(sim, { ...MEMBER, organizationId: ORG });
  const stack = new AlbWardenMemberStack(new App(), 'AlbWardenMember', {
    hubAccount: HUB.account,
    hubRegion: HUB.region,
    organizationId: ORG,
    externalId: EXTERNAL_ID,
  });
  await deployMemberTemplate(Template.fromStack(stack).toJSON() as Json, member.adminAccessKeyId);
  const hubEvents = new EventBridgeClient({
    endpoint: sim.endpoint,
    region: HUB.region,
    credentials: { accessKeyId: 'AKIAHUBADMIN00000001', secretAccessKey: SIM_SECRET },
  });
  await hubEvents.send(
    new PutPermissionCommand({
      StatementId: 'AlbWardenMembers',
      Action: 'events:PutEvents',
      Principal: '*',
      Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: ORG },
    }),
  );
  hubEvents.destroy();
  return member;
}

async function assumeMemberRole() {
  const sts = new STSClient({
    endpoint: sim.endpoint,
    region: HUB.region,
    credentials: { accessKeyId: HUB_SWEEP_KEY, secretAccessKey: SIM_SECRET },
  });
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: memberRoleArn(MEMBER.account, MEMBER.region),
      RoleSessionName: 'alb-warden-sweep',
      ExternalId: EXTERNAL_ID,
    }),
  );
  sts.destroy();
  return new ElasticLoadBalancingV2Client({
    endpoint: sim.endpoint,
    region: MEMBER.region,
    credentials: {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    },
  });
}

describe('the member stack deployed in a simulated member account', () => {
  it("lets the hub's function role assume the member role and read the member's load balancer", async () => {
    const member = await hubWithMember();

    const elbv2 = await assumeMemberRole();
    const { LoadBalancers } = await elbv2.send(new DescribeLoadBalancersCommand({}));

    expect(LoadBalancers?.map((lb) => lb.LoadBalancerArn)).toEqual([member.topology.loadBalancerArn]);
    expect(member.topology.loadBalancerArn).toContain(`:${MEMBER.region}:${MEMBER.account}:`);
    elbv2.destroy();
  });

  it("forwards the member's instance and listener events to the hub, not the hub's own writes", async () => {
    const member = await hubWithMember();
    const admin = {
      endpoint: sim.endpoint,
      region: MEMBER.region,
      credentials: { accessKeyId: member.adminAccessKeyId, secretAccessKey: SIM_SECRET },
    };
    const ec2 = new EC2Client(admin);
    const adminElb = new ElasticLoadBalancingV2Client(admin);
    const redirect = (statusCode: 'HTTP_301' | 'HTTP_302') =>
      new ModifyListenerCommand({
        ListenerArn: member.topology.httpListenerArn,
        DefaultActions: [
          { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: statusCode } },
        ],
      });
    const { cursor } = await sim.control.events();

    const { Instances } = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: member.topology.subnetIds[0],
      }),
    );
    await adminElb.send(redirect('HTTP_302'));
    const hubElb = await assumeMemberRole();
    await hubElb.send(redirect('HTTP_301'));

    const { events } = await sim.control.events(cursor);
    expect(events.every((event) => event.account === MEMBER.account && event.region === MEMBER.region)).toBe(
      true,
    );
    expect(
      events
        .filter((event) => event.source === 'aws.ec2')
        .map((event) => [event.detail['instance-id'], event.detail.state]),
    ).toEqual([[Instances?.[0]?.InstanceId, 'running']]);
    const calls = events.filter((event) => event.source === 'aws.elasticloadbalancing');
    expect(calls.map((event) => (event.detail.userIdentity as { arn: string }).arn)).toEqual([
      `arn:aws:sts::${MEMBER.account}:assumed-role/Admin/seeder`,
    ]);
    for (const client of [ec2, adminElb, hubElb]) client.destroy();
  });
});
