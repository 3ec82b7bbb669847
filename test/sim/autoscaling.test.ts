/**
 * EC2 Auto Scaling as the target group's co-owner: the group's instances, their lifecycle and the ELB
 * calls the group makes with its service-linked role.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html
 */
import {
  AttachTrafficSourcesCommand,
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLoadBalancerTargetGroupsCommand,
  DescribeTrafficSourcesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  PutLifecycleHookCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimEvent } from '../../sim/control.ts';
import { buildSeedTopology, type SeedTopology } from '../../sim/seed.ts';
import { continueLifecycle, createWebGroup, groupMembers } from '../support/autoscaling.ts';
import { awsError, type SimWorld, startSim } from './support.ts';

let sim: SimWorld;
let seed: SeedTopology;
let autoscaling: AutoScalingClient;

const GROUP = 'web-asg';
const SERVICE_LINKED_ROLE =
  'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling';

beforeAll(async () => {
  sim = await startSim();
  autoscaling = new AutoScalingClient({
    endpoint: sim.endpoint,
    region: 'ap-northeast-2',
    credentials: { accessKeyId: 'AKIAASGTEST000000001', secretAccessKey: 'simulator-secret' },
  });
});
afterAll(async () => {
  autoscaling.destroy();
  await sim.stop();
});
beforeEach(async () => {
  await sim.control.reset();
  seed = await buildSeedTopology(sim.clients);
});

async function createGroup(desired: number, options: { targetGroups?: boolean } = {}): Promise<void> {
  await createWebGroup(autoscaling, {
    name: GROUP,
    desired,
    subnetIds: seed.subnetIds,
    targetGroupArns: options.targetGroups === false ? [] : [seed.targetGroupArn],
  });
}

/** A group of one whose instance launched behind a launch hook (default timeout and result). */
async function launchBehindHook(): Promise<void> {
  await createGroup(0);
  await autoscaling.send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: GROUP,
      LifecycleHookName: 'warm-up',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
    }),
  );
  await autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 1 }));
  await sim.control.clock(0);
}

const members = () => groupMembers(autoscaling, GROUP);

async function targets(): Promise<{ id: string; state: string }[]> {
  const result = await sim.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: seed.targetGroupArn }),
  );
  return (result.TargetHealthDescriptions ?? []).map((d) => ({
    id: d.Target?.Id ?? '',
    state: d.TargetHealth?.State ?? '',
  }));
}

async function elbEvents(cursor: number): Promise<SimEvent[]> {
  return (await sim.control.events(cursor)).events.filter(
    (e) => e['detail-type'] === 'AWS API Call via CloudTrail',
  );
}

describe('launching', () => {
  it('launches to the desired capacity, balanced across zones, tagged with the group name', async () => {
    await createGroup(2, { targetGroups: false });
    await sim.control.clock(0);

    const ids = (await members()).map((m) => m.id);
    const described = await sim.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const instances = described.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];

    expect(ids).toHaveLength(2);
    expect(new Set(instances.map((i) => i.Placement?.AvailabilityZone)).size).toBe(2);
    for (const instance of instances) {
      expect(instance.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'aws:autoscaling:groupName', Value: GROUP },
          { Key: 'Role', Value: 'web' },
        ]),
      );
    }
  });

  it('registers an instance in the attached target group when it enters InService, as the service-linked role', async () => {
    const { cursor } = await sim.control.events();
    await createGroup(1);
    await sim.control.clock(0);

    const [member] = await members();
    const [registration] = await elbEvents(cursor);

    expect(member?.state).toBe('InService');
    expect(await targets()).toEqual([{ id: member?.id, state: 'initial' }]);
    expect(registration?.detail).toMatchObject({
      eventName: 'RegisterTargets',
      sourceIPAddress: 'autoscaling.amazonaws.com',
      userAgent: 'autoscaling.amazonaws.com',
      requestParameters: { targetGroupArn: seed.targetGroupArn, targets: [{ id: member?.id }] },
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling',
        invokedBy: 'autoscaling.amazonaws.com',
        sessionContext: { sessionIssuer: { type: 'Role', arn: SERVICE_LINKED_ROLE } },
      },
    });
  });

  it('holds a launch in Pending:Wait until the hook completes, and only then registers it', async () => {
    await launchBehindHook();
    const waiting = await members();
    const registeredWhileWaiting = await targets();

    await continueLifecycle(autoscaling, GROUP, 'warm-up', waiting[0]?.id);

    expect(waiting.map((m) => m.state)).toEqual(['Pending:Wait']);
    expect(registeredWhileWaiting).toEqual([]);
    expect((await members()).map((m) => m.state)).toEqual(['InService']);
    expect((await targets()).map((t) => t.id)).toEqual([waiting[0]?.id]);
  });

  it('abandons a launch whose hook times out (default ABANDON after 3600 s) and launches another', async () => {
    await launchBehindHook();
    const [first] = await members();

    await sim.control.clock(3_600_000);
    const after = await members();

    expect(after).toHaveLength(1);
    expect(after[0]?.id).not.toBe(first?.id);
    expect(await targets()).toEqual([]);
  });
});

describe('leaving service', () => {
  beforeEach(async () => {
    await sim.clients.elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: seed.targetGroupArn,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '60' }],
      }),
    );
    await createGroup(2);
    await sim.control.clock(0);
  });

  it('deregisters on scale-in while the instance runs, and terminates it once it drained', async () => {
    const { cursor } = await sim.control.events();

    await autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 1 }),
    );
    await sim.control.clock(0);
    const terminating = (await members()).find((m) => m.state === 'Terminating');
    const described = await sim.clients.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [terminating?.id ?? ''] }),
    );
    const stateWhileDraining = described.Reservations?.[0]?.Instances?.[0]?.State?.Name;
    const drainingTarget = (await targets()).find((t) => t.id === terminating?.id);
    await sim.control.clock(60_000);

    expect(stateWhileDraining).toBe('running');
    expect(drainingTarget?.state).toBe('draining');
    expect((await elbEvents(cursor)).map((e) => [e.detail.eventName, e.detail.sourceIPAddress])).toEqual([
      ['DeregisterTargets', 'autoscaling.amazonaws.com'],
    ]);
    expect(await members()).toHaveLength(1);
    expect((await targets()).map((t) => t.id)).not.toContain(terminating?.id);
  });

  it('deregisters before Terminating:Wait, while the instance is still running', async () => {
    await autoscaling.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: GROUP,
        LifecycleHookName: 'drain-logs',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        HeartbeatTimeout: 600,
        DefaultResult: 'CONTINUE',
      }),
    );
    const [victim] = await members();

    await autoscaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim?.id,
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    await sim.control.clock(60_000);
    const waiting = (await members()).find((m) => m.id === victim?.id);
    const instance = await sim.clients.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [victim?.id ?? ''] }),
    );
    await sim.control.clock(600_000);

    expect(waiting?.state).toBe('Terminating:Wait');
    expect(instance.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
    expect((await members()).map((m) => m.id)).not.toContain(victim?.id);
  });

  it('takes a Standby instance out of the target group and puts it back on ExitStandby', async () => {
    const [standing] = await members();

    const entered = await autoscaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: GROUP,
        InstanceIds: [standing?.id ?? ''],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    const entering = (await members()).find((m) => m.id === standing?.id)?.state;
    await sim.control.clock(60_000);
    const standby = (await members()).find((m) => m.id === standing?.id)?.state;
    const targetsInStandby = (await targets()).map((t) => t.id);
    await autoscaling.send(
      new ExitStandbyCommand({ AutoScalingGroupName: GROUP, InstanceIds: [standing?.id ?? ''] }),
    );

    expect(entered.Activities).toHaveLength(1);
    expect(entering).toBe('EnteringStandby');
    expect(standby).toBe('Standby');
    expect(targetsInStandby).not.toContain(standing?.id);
    expect((await targets()).map((t) => t.id)).toContain(standing?.id);
    expect(await members()).toHaveLength(2);
  });

  it('replaces an instance someone terminated through EC2', async () => {
    const [victim] = await members();

    await sim.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [victim?.id ?? ''] }));
    await sim.control.clock(0);
    await sim.control.clock(60_000);

    const now = await members();
    expect(now).toHaveLength(2);
    expect(now.map((m) => m.id)).not.toContain(victim?.id);
  });

  it('reports each instance with DescribeAutoScalingInstances', async () => {
    const result = await autoscaling.send(new DescribeAutoScalingInstancesCommand({}));

    expect(
      result.AutoScalingInstances?.map((i) => [i.AutoScalingGroupName, i.LifecycleState, i.HealthStatus]),
    ).toEqual([
      [GROUP, 'InService', 'HEALTHY'],
      [GROUP, 'InService', 'HEALTHY'],
    ]);
  });
});

describe('attaching target groups', () => {
  it('registers the InService instances when a traffic source is attached, and reports it', async () => {
    await createGroup(1, { targetGroups: false });
    await sim.control.clock(0);

    await autoscaling.send(
      new AttachTrafficSourcesCommand({
        AutoScalingGroupName: GROUP,
        TrafficSources: [{ Identifier: seed.targetGroupArn, Type: 'elbv2' }],
      }),
    );
    const sources = await autoscaling.send(
      new DescribeTrafficSourcesCommand({ AutoScalingGroupName: GROUP }),
    );
    const legacy = await autoscaling.send(
      new DescribeLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: GROUP }),
    );

    expect(await targets()).toHaveLength(1);
    expect(sources.TrafficSources).toEqual([
      { TrafficSource: seed.targetGroupArn, Identifier: seed.targetGroupArn, Type: 'elbv2', State: 'Added' },
    ]);
    expect(legacy.LoadBalancerTargetGroups).toEqual([
      { LoadBalancerTargetGroupARN: seed.targetGroupArn, State: 'Added' },
    ]);
  });

  it('refuses a target group that does not exist, and a desired capacity above the maximum', async () => {
    const missing = await awsError(
      autoscaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: GROUP,
          MinSize: 0,
          MaxSize: 1,
          LaunchTemplate: { LaunchTemplateName: 'web' },
          VPCZoneIdentifier: seed.subnetIds[0],
          TargetGroupARNs: [seed.targetGroupArn.replace(/[0-9a-f]{16}$/, '0000000000000000')],
        }),
      ),
    );
    await createGroup(1);
    const tooMany = await awsError(
      autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 5 })),
    );

    expect(missing).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(tooMany).toMatchObject({
      code: 'ValidationError',
      message: 'New SetDesiredCapacity value 5 is above max value 4 for the AutoScalingGroup.',
    });
  });
});
