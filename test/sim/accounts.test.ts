/**
 * Several accounts and regions in one simulator: requests reach the world of the caller's account and the
 * signing region, STS issues credentials for roles whose trust policy allows the caller, and a member's rules
 * forward events to a hub's bus under that bus's resource policy.
 */
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeEventBusCommand,
  EventBridgeClient,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { buildSeedTopology } from '../../sim/seed.ts';
import { type AwsClients, createClients, SIM_SECRET } from '../../testkit/world.ts';
import { EXTERNAL_ID, HUB, MEMBER, ORG } from '../support/organization.ts';
import { awsError, useSim } from './support.ts';

const sim = useSim();

const HUB_KEY = 'AKIAHUBSWEEPSESSION1';
const MEMBER_ADMIN_KEY = 'AKIAMEMBERADMIN00001';

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const keyOf = (accessKeyId: string): Credentials => ({ accessKeyId, secretAccessKey: SIM_SECRET });
const sts = (region: string, credentials: Credentials) =>
  new STSClient({ endpoint: sim.endpoint, region, credentials });
const iam = (credentials: Credentials) =>
  new IAMClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials });
const events = (region: string, credentials: Credentials) =>
  new EventBridgeClient({ endpoint: sim.endpoint, region, credentials });

/** The member's trust policy for the hub's function roles: same organization, the agreed external id. */
const trustPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${HUB.account}:root` },
      Action: 'sts:AssumeRole',
      Condition: {
        ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${HUB.account}:role/AlbWarden-*` },
        StringEquals: { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': EXTERNAL_ID },
      },
    },
  ],
};

/** Both accounts in the organization, the hub's sweep role session, a member administrator and the member role. */
async function organization(): Promise<void> {
  await sim.control.organization(HUB.account, ORG);
  await sim.control.organization(MEMBER.account, ORG);
  await sim.control.identity(HUB_KEY, `arn:aws:sts::${HUB.account}:assumed-role/AlbWarden-SweepRole/sweep`);
  await sim.control
    .in({ account: MEMBER.account })
    .identity(MEMBER_ADMIN_KEY, `arn:aws:sts::${MEMBER.account}:assumed-role/Admin/jiwoo`);
  await iam(keyOf(MEMBER_ADMIN_KEY)).send(
    new CreateRoleCommand({
      RoleName: 'AlbWardenMember',
      AssumeRolePolicyDocument: JSON.stringify(trustPolicy),
      MaxSessionDuration: 7200,
    }),
  );
}

const ROLE_ARN = `arn:aws:iam::${MEMBER.account}:role/AlbWardenMember`;

const assume = (options: { externalId?: string; duration?: number; key?: string; region?: string } = {}) =>
  sts(options.region ?? HUB.region, keyOf(options.key ?? HUB_KEY)).send(
    new AssumeRoleCommand({
      RoleArn: ROLE_ARN,
      RoleSessionName: 'alb-warden-sweep',
      ExternalId: options.externalId ?? EXTERNAL_ID,
      ...(options.duration === undefined ? {} : { DurationSeconds: options.duration }),
    }),
  );

/** An instance in a new VPC of the clients' account and region. */
async function launch(clients: AwsClients, region: string): Promise<string> {
  const vpc = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
  const subnet = await clients.ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.1.1.0/24',
      AvailabilityZone: `${region}a`,
    }),
  );
  const { Instances } = await clients.ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0123456789abcdef0',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnet.Subnet?.SubnetId,
    }),
  );
  return Instances?.[0]?.InstanceId ?? '';
}

describe('accounts and regions', () => {
  it('keeps each account and region apart: an instance launched in one is not seen in another', async () => {
    await sim.control
      .in({ account: MEMBER.account })
      .identity(MEMBER_ADMIN_KEY, `arn:aws:iam::${MEMBER.account}:user/admin`);
    const member = createClients(sim.endpoint, MEMBER.region, MEMBER_ADMIN_KEY);
    const memberHome = createClients(sim.endpoint, HUB.region, MEMBER_ADMIN_KEY);
    const homeOtherRegion = createClients(sim.endpoint, MEMBER.region, 'AKIAANYONEINHOME0001');

    const instanceId = await launch(member, MEMBER.region);

    const instancesIn = async (clients: AwsClients) =>
      (await clients.ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap(
        (reservation) => reservation.Instances?.map((instance) => instance.InstanceId) ?? [],
      );
    expect(await instancesIn(member)).toEqual([instanceId]);
    expect(await instancesIn(memberHome)).toEqual([]);
    expect(await instancesIn(homeOtherRegion)).toEqual([]);
    expect(await instancesIn(sim.clients)).toEqual([]);
    const accounts = await sim.control.accounts();
    expect(accounts.map(({ account, regions }) => ({ account, regions: [...regions].sort() }))).toEqual([
      { account: HUB.account, regions: [HUB.region, MEMBER.region] },
      { account: MEMBER.account, regions: [HUB.region, MEMBER.region] },
    ]);
  });

  it("builds the seed topology in a member's region, with ARNs and events of that account and region", async () => {
    await sim.control
      .in({ account: MEMBER.account })
      .identity(MEMBER_ADMIN_KEY, `arn:aws:iam::${MEMBER.account}:user/admin`);
    const member = createClients(sim.endpoint, MEMBER.region, MEMBER_ADMIN_KEY);
    const control = sim.control.in(MEMBER);

    const seed = await buildSeedTopology(member);
    await member.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: seed.subnetIds[0],
      }),
    );

    expect(seed.loadBalancerArn).toMatch(
      new RegExp(
        `^arn:aws:elasticloadbalancing:${MEMBER.region}:${MEMBER.account}:loadbalancer/app/web-alb/`,
      ),
    );
    const { events: memberEvents } = await control.events();
    expect(memberEvents.length).toBeGreaterThan(0);
    expect(new Set(memberEvents.map((event) => `${event.account}/${event.region}`))).toEqual(
      new Set([`${MEMBER.account}/${MEMBER.region}`]),
    );
    expect((await sim.control.events()).events).toEqual([]);
    const { LoadBalancers } = await sim.clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    expect(LoadBalancers).toEqual([]);
  });

  it('refuses a control selector that names no account or region', async () => {
    await expect(sim.control.in({ account: '1234' }).events()).rejects.toThrow(/account must be 12 digits/);
    await expect(sim.control.in({ region: 'Mars' }).events()).rejects.toThrow(/region must be a region name/);
    await expect(sim.control.organization(MEMBER.account, 'org-1')).rejects.toThrow(
      /organizationId must be o-/,
    );
  });

  it('a reset without a selector forgets the other worlds and the organizations', async () => {
    await sim.control.organization(MEMBER.account, ORG);
    await sim.control.in(MEMBER).events();

    await sim.control.reset();

    expect(await sim.control.accounts()).toEqual([{ account: HUB.account, regions: [HUB.region] }]);
  });
});

describe('STS AssumeRole', () => {
  it("issues temporary credentials that act as the role session in the role's account", async () => {
    await organization();
    const before = Date.now();

    const { Credentials: credentials, AssumedRoleUser } = await assume({ duration: 1800 });

    expect(credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(credentials?.SecretAccessKey).toBeTruthy();
    expect(credentials?.SessionToken).toBeTruthy();
    const expiresIn = (credentials?.Expiration?.getTime() ?? 0) - before;
    expect(expiresIn).toBeGreaterThanOrEqual(1799_000);
    expect(expiresIn).toBeLessThan(1810_000);
    expect(AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${MEMBER.account}:assumed-role/AlbWardenMember/alb-warden-sweep`,
    );
    const session = {
      accessKeyId: credentials?.AccessKeyId ?? '',
      secretAccessKey: credentials?.SecretAccessKey ?? '',
      sessionToken: credentials?.SessionToken ?? '',
    };
    const identity = await sts(MEMBER.region, session).send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: MEMBER.account, Arn: AssumedRoleUser?.Arn });
  });

  it('records the session in CloudTrail as AssumedRole with the role as session issuer', async () => {
    await organization();
    const { Credentials: credentials } = await assume();
    const asMember = createClients(sim.endpoint, MEMBER.region, credentials?.AccessKeyId ?? '', {
      secretAccessKey: credentials?.SecretAccessKey ?? '',
    });
    const seeder = createClients(sim.endpoint, MEMBER.region, MEMBER_ADMIN_KEY);
    const seed = await buildSeedTopology(seeder);
    const { cursor } = await sim.control.in(MEMBER).events();

    await asMember.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: seed.httpListenerArn,
        DefaultActions: [
          {
            Type: 'redirect',
            RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' },
          },
        ],
      }),
    );

    const { events: recorded } = await sim.control.in(MEMBER).events(cursor);
    const call = recorded.find((event) => event.detail.eventName === 'ModifyListener');
    expect(call).toMatchObject({ account: MEMBER.account, region: MEMBER.region });
    expect(call?.detail.userIdentity).toMatchObject({
      type: 'AssumedRole',
      arn: `arn:aws:sts::${MEMBER.account}:assumed-role/AlbWardenMember/alb-warden-sweep`,
      accountId: MEMBER.account,
      accessKeyId: credentials?.AccessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: ROLE_ARN,
          accountId: MEMBER.account,
          userName: 'AlbWardenMember',
        },
      },
    });
  });

  it('answers AccessDenied, as STS does, when the caller is not in the organization', async () => {
    await organization();
    await sim.control.organization(HUB.account, 'o-zzzzzzzzzz');

    const error = await awsError(assume());

    expect(error).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(error.message).toBe(
      `User: arn:aws:sts::${HUB.account}:assumed-role/AlbWarden-SweepRole/sweep is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`,
    );
  });

  it('denies a wrong external id, and a principal the trust policy does not name', async () => {
    await organization();
    await sim.control.identity(
      'AKIAOTHERROLESESSION',
      `arn:aws:sts::${HUB.account}:assumed-role/Deployer/ci`,
    );

    expect((await awsError(assume({ externalId: 'guessed-id' }))).code).toBe('AccessDenied');
    expect((await awsError(assume({ key: 'AKIAOTHERROLESESSION' }))).code).toBe('AccessDenied');
    await expect(assume()).resolves.toBeDefined();
  });

  it('denies a role that was deleted', async () => {
    await organization();
    await assume();
    await iam(keyOf(MEMBER_ADMIN_KEY)).send(new DeleteRoleCommand({ RoleName: 'AlbWardenMember' }));

    expect(await awsError(assume())).toMatchObject({ code: 'AccessDenied', status: 403 });
  });

  it('bounds DurationSeconds: at least 900, at most one hour for a role session, at most MaxSessionDuration', async () => {
    await organization();
    await sim.control.identity('AKIAHUBADMINUSER0001', `arn:aws:iam::${HUB.account}:user/admin`);
    await iam(keyOf(MEMBER_ADMIN_KEY)).send(
      new CreateRoleCommand({
        RoleName: 'Reader',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${HUB.account}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
        MaxSessionDuration: 7200,
      }),
    );
    const asUser = (duration: number) =>
      sts(HUB.region, keyOf('AKIAHUBADMINUSER0001')).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${MEMBER.account}:role/Reader`,
          RoleSessionName: 'admin',
          DurationSeconds: duration,
        }),
      );

    expect((await awsError(assume({ duration: 899 }))).message).toMatch(
      /Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900/,
    );
    expect((await awsError(assume({ duration: 7200 }))).message).toBe(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
    // An IAM user is no role session: up to the role's MaxSessionDuration (7200 here).
    await expect(asUser(7200)).resolves.toBeDefined();
    expect((await awsError(asUser(7201))).message).toBe(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  });

  it('answers ExpiredToken once the credentials have expired', async () => {
    await organization();
    const { Credentials: credentials } = await assume({ duration: 900 });
    const session = {
      accessKeyId: credentials?.AccessKeyId ?? '',
      secretAccessKey: credentials?.SecretAccessKey ?? '',
      sessionToken: credentials?.SessionToken ?? '',
    };
    await expect(sts(MEMBER.region, session).send(new GetCallerIdentityCommand({}))).resolves.toBeDefined();

    await sim.control.clock(900_000);

    expect(await awsError(sts(MEMBER.region, session).send(new GetCallerIdentityCommand({})))).toMatchObject({
      code: 'ExpiredToken',
      status: 403,
    });
  });
});

describe('event forwarding between buses', () => {
  const HUB_BUS = `arn:aws:events:${HUB.region}:${HUB.account}:event-bus/default`;

  /** A member rule forwarding instance state changes to the hub's default bus. */
  async function forwardingRule(): Promise<void> {
    await sim.control
      .in({ account: MEMBER.account })
      .identity(MEMBER_ADMIN_KEY, `arn:aws:iam::${MEMBER.account}:user/admin`);
    const memberEvents = events(MEMBER.region, keyOf(MEMBER_ADMIN_KEY));
    await memberEvents.send(
      new PutRuleCommand({
        Name: 'alb-warden-forward-instance-state',
        EventPattern: JSON.stringify({
          source: ['aws.ec2'],
          'detail-type': ['EC2 Instance State-change Notification'],
        }),
      }),
    );
    await memberEvents.send(
      new PutTargetsCommand({
        Rule: 'alb-warden-forward-instance-state',
        Targets: [{ Id: 'hub', Arn: HUB_BUS, RoleArn: `arn:aws:iam::${MEMBER.account}:role/forwarder` }],
      }),
    );
  }

  const allowOrganization = () =>
    events(HUB.region, keyOf('AKIAHUBADMIN00000001')).send(
      new PutPermissionCommand({
        StatementId: 'AlbWardenMembers',
        Action: 'events:PutEvents',
        Principal: '*',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: ORG },
      }),
    );

  const launchInMember = () =>
    launch(createClients(sim.endpoint, MEMBER.region, MEMBER_ADMIN_KEY), MEMBER.region);

  it("delivers a member's matching events to the hub's bus with the member's account and region", async () => {
    await sim.control.organization(MEMBER.account, ORG);
    await allowOrganization();
    await forwardingRule();

    const instanceId = await launchInMember();

    const { events: atHub } = await sim.control.events();
    expect(atHub.length).toBeGreaterThan(0);
    expect(atHub.every((event) => event.account === MEMBER.account && event.region === MEMBER.region)).toBe(
      true,
    );
    expect(atHub.map((event) => event.detail['instance-id'])).toContain(instanceId);
    const { events: atMember } = await sim.control.in(MEMBER).events();
    expect(atHub.map((event) => event.id)).toEqual(
      atMember.filter((event) => event.source === 'aws.ec2').map((event) => event.id),
    );
    expect((await sim.control.in(MEMBER).forwardings()).every((record) => record.delivered)).toBe(true);
  });

  it("refuses delivery when the hub's bus policy does not allow the sender's organization", async () => {
    await sim.control.organization(MEMBER.account, 'o-zzzzzzzzzz');
    await allowOrganization();
    await forwardingRule();

    await launchInMember();

    expect((await sim.control.events()).events).toEqual([]);
    const [refused] = await sim.control.in(MEMBER).forwardings();
    expect(refused).toMatchObject({
      rule: 'alb-warden-forward-instance-state',
      targetArn: HUB_BUS,
      delivered: false,
      reason: `the resource policy of ${HUB_BUS} does not allow account ${MEMBER.account}`,
    });
  });

  it('refuses delivery to a bus with no resource policy, and describes the policy once set', async () => {
    await sim.control.organization(MEMBER.account, ORG);
    await forwardingRule();
    await launchInMember();
    expect((await sim.control.events()).events).toEqual([]);

    await allowOrganization();

    const bus = await events(HUB.region, keyOf('AKIAHUBADMIN00000001')).send(new DescribeEventBusCommand({}));
    expect(JSON.parse(bus.Policy ?? '{}')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AlbWardenMembers',
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: HUB_BUS,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
        },
      ],
    });
  });

  it('does not forward again what a bus received from another', async () => {
    await sim.control.organization(MEMBER.account, ORG);
    await allowOrganization();
    await forwardingRule();
    // The hub forwards instance events on to a third account: events it received are not sent there.
    const hubEvents = events(HUB.region, keyOf('AKIAHUBADMIN00000001'));
    await hubEvents.send(
      new PutRuleCommand({ Name: 'onward', EventPattern: JSON.stringify({ source: ['aws.ec2'] }) }),
    );
    await hubEvents.send(
      new PutTargetsCommand({
        Rule: 'onward',
        Targets: [{ Id: 'third', Arn: `arn:aws:events:${HUB.region}:333333333333:event-bus/default` }],
      }),
    );

    await launchInMember();

    expect((await sim.control.events()).events.length).toBeGreaterThan(0);
    expect(await sim.control.forwardings()).toEqual([]);
    expect((await sim.control.in({ account: '333333333333' }).events()).events).toEqual([]);
  });
});
