/**
 * CloudTrail as EventBridge receives it: "best effort" delivery, so events come late, duplicated, out of
 * order or never (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-delivery-level.html),
 * and the userIdentity of the roles and services that made the calls
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
 */
import { DeregisterTargetsCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SimEvent } from '../../sim/control.ts';
import { buildSeedTopology, launchInstances, type SeedTopology } from '../../sim/seed.ts';
import { useSim } from './support.ts';

const sim = useSim();
let seed: SeedTopology;

beforeEach(async () => {
  seed = await buildSeedTopology(sim.clients);
});

const redirect302 = () =>
  sim.clients.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: seed.httpListenerArn,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_302' } }],
    }),
  );

async function newEvents(cursor: number): Promise<SimEvent[]> {
  return (await sim.control.events(cursor)).events;
}

const names = (events: readonly SimEvent[]) => events.map((event) => event.detail.eventName);

describe('CloudTrail delivery', () => {
  it('releases a delayed event once the clock passes its eventTime plus the delay, with the call time', async () => {
    await sim.control.cloudTrail({ eventName: 'ModifyListener', delayMs: 90_000 });
    const { cursor } = await sim.control.events();

    await redirect302();
    const before = await newEvents(cursor);
    const pending = await sim.control.cloudTrailState();
    await sim.control.clock(89_000);
    const almost = await newEvents(cursor);
    await sim.control.clock(1_000);
    const [event] = await newEvents(cursor);

    expect(before).toEqual([]);
    expect(pending.pending.map((entry) => entry.eventName)).toEqual(['ModifyListener']);
    expect(almost).toEqual([]);
    expect(event?.detail.eventName).toBe('ModifyListener');
    const eventTime = Date.parse(String(event?.detail.eventTime));
    expect(Date.parse(pending.pending[0]?.releaseAt ?? '') - eventTime).toBeGreaterThanOrEqual(89_000);
    expect(event?.time).toBe(event?.detail.eventTime);
  });

  it('delivers out of order when a later call is delayed less', async () => {
    await sim.control.cloudTrail({ eventName: 'ModifyListener', delayMs: 60_000, count: 1 });
    const { cursor } = await sim.control.events();

    await redirect302();
    await sim.clients.elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: seed.targetGroupArn,
        Targets: [{ Id: 'i-0aaaaaaaaaaaaaaa1' }],
      }),
    );
    await sim.control.clock(60_000);

    expect(names(await newEvents(cursor))).toEqual(['DeregisterTargets', 'ModifyListener']);
  });

  it('drops the next N events of a name and delivers the ones after', async () => {
    await sim.control.cloudTrail({ eventName: 'ModifyListener', drop: true, count: 1 });
    const { cursor } = await sim.control.events();

    await redirect302();
    await redirect302();

    expect(names(await newEvents(cursor))).toEqual(['ModifyListener']);
    expect((await sim.control.cloudTrailState()).dropped).toBe(1);
  });

  it('duplicates an event: same CloudTrail eventID, distinct EventBridge ids', async () => {
    await sim.control.cloudTrail({ duplicates: 1, count: 1 });
    const { cursor } = await sim.control.events();

    await redirect302();
    const [first, second, ...rest] = await newEvents(cursor);

    expect(rest).toEqual([]);
    expect(second?.detail.eventID).toBe(first?.detail.eventID);
    expect(second?.id).not.toBe(first?.id);
  });

  it('delays every event with a rule that names none, until cleared', async () => {
    await sim.control.cloudTrail({ delayMs: 300_000 });
    const { cursor } = await sim.control.events();
    await redirect302();
    const delayed = await newEvents(cursor);

    await sim.control.cloudTrail({ clear: true });
    await redirect302();

    expect(delayed).toEqual([]);
    expect(names(await newEvents(cursor))).toEqual(['ModifyListener']);
    expect((await sim.control.cloudTrailState()).pending).toHaveLength(1);
  });

  it('leaves EC2 state-change notifications alone', async () => {
    await sim.control.cloudTrail({ drop: true });
    const { cursor } = await sim.control.events();

    await launchInstances(sim.clients, { count: 1, subnetId: seed.subnetIds[0] });

    const types = new Set((await newEvents(cursor)).map((e) => e['detail-type']));
    expect([...types]).toEqual(['EC2 Instance State-change Notification']);
  });

  it('refuses a rule with a bad field, naming it', async () => {
    await expect(sim.control.cloudTrail({ delayMs: -1 })).rejects.toThrow(
      /delayMs must be a non-negative number/,
    );
    await expect(sim.control.cloudTrail({ eventName: 'modify listener' })).rejects.toThrow(/eventName/);
  });
});

describe('identities with IAM paths and AWS services', () => {
  async function modifiedAs(accessKeyId: string): Promise<SimEvent['detail']> {
    const { cursor } = await sim.control.events();
    await sim.clientsAs(accessKeyId).elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: seed.targetGroupArn,
        Targets: [{ Id: 'i-0aaaaaaaaaaaaaaa1' }],
      }),
    );
    const [event] = await newEvents(cursor);
    return event?.detail ?? {};
  }

  it('plays CodeDeploy: its service role session, invokedBy and the service as source and agent', async () => {
    await sim.control.identity(
      'ASIACODEDEPLOY000001',
      'arn:aws:sts::123456789012:assumed-role/CodeDeployServiceRole/CodeDeploy-i-0aaaaaaaaaaaaaaa1',
      { invokedBy: 'codedeploy.amazonaws.com' },
    );

    const detail = await modifiedAs('ASIACODEDEPLOY000001');

    expect(detail.userIdentity).toMatchObject({
      type: 'AssumedRole',
      arn: 'arn:aws:sts::123456789012:assumed-role/CodeDeployServiceRole/CodeDeploy-i-0aaaaaaaaaaaaaaa1',
      invokedBy: 'codedeploy.amazonaws.com',
      sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/CodeDeployServiceRole' } },
    });
    expect(detail.sourceIPAddress).toBe('codedeploy.amazonaws.com');
    expect(detail.userAgent).toBe('codedeploy.amazonaws.com');
  });

  it("keeps a service-linked role's path in the session issuer ARN, not in the STS ARN", async () => {
    await sim.control.identity(
      'ASIABEANSTALK0000001',
      'arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForElasticBeanstalk/ElasticBeanstalk',
      {
        rolePath: '/aws-service-role/elasticbeanstalk.amazonaws.com/',
        invokedBy: 'elasticbeanstalk.amazonaws.com',
      },
    );

    const detail = await modifiedAs('ASIABEANSTALK0000001');

    expect(detail.userIdentity).toMatchObject({
      arn: 'arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForElasticBeanstalk/ElasticBeanstalk',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: 'arn:aws:iam::123456789012:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk',
          userName: 'AWSServiceRoleForElasticBeanstalk',
        },
      },
    });
  });

  it('plays an IAM Identity Center user: aws-reserved path, the person at their own address', async () => {
    await sim.control.identity(
      'ASIASSOPERSON0000001',
      'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jiwoo.kim@example.com',
      { rolePath: '/aws-reserved/sso.amazonaws.com/ap-northeast-2/' },
    );

    const detail = await modifiedAs('ASIASSOPERSON0000001');

    expect(detail.userIdentity).not.toHaveProperty('invokedBy');
    expect(detail.sourceIPAddress).toBe('127.0.0.1');
    expect(
      (detail.userIdentity as { sessionContext: { sessionIssuer: { arn: string } } }).sessionContext
        .sessionIssuer.arn,
    ).toBe(
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-2/AWSReservedSSO_AdministratorAccess_0123456789abcdef',
    );
  });

  it('refuses a path that does not end with a slash, or on a user', async () => {
    await expect(
      sim.control.identity('ASIAX', 'arn:aws:sts::123456789012:assumed-role/R/s', {
        rolePath: '/aws-service-role',
      }),
    ).rejects.toThrow(/rolePath must be an IAM path/);
    await expect(
      sim.control.identity('ASIAX', 'arn:aws:iam::123456789012:user/alice', { rolePath: '/team/' }),
    ).rejects.toThrow(/assumed-role arn only/);
  });
});
