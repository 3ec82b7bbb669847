/**
 * An Auto Scaling group's warm pool: instances launched ahead of need, kept stopped (or running) beside the
 * group, tagged as the group's, outside its target groups until a scale-out moves them in.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/warm-pool-instance-lifecycle.html
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DeleteWarmPoolCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
  PutLifecycleHookCommand,
  PutWarmPoolCommand,
  type PutWarmPoolCommandInput,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimEvent } from '../../sim/control.ts';
import { buildSeedTopology, type SeedTopology } from '../../sim/seed.ts';
import { continueLifecycle, createWebGroup, groupMembers } from '../support/autoscaling.ts';
import { awsError, useSim } from './support.ts';

const sim = useSim();
let seed: SeedTopology;
let autoscaling: AutoScalingClient;

const GROUP = 'web-asg';

beforeAll(() => {
  autoscaling = new AutoScalingClient({
    endpoint: sim.endpoint,
    region: 'ap-northeast-2',
    credentials: { accessKeyId: 'AKIAASGTEST000000001', secretAccessKey: 'simulator-secret' },
  });
});
afterAll(() => autoscaling.destroy());
beforeEach(async () => {
  seed = await buildSeedTopology(sim.clients);
});

/** A group of `desired` InService instances (MaxSize 4) with the seed's target group attached, and a warm pool. */
async function groupWithWarmPool(
  desired: number,
  pool: Omit<PutWarmPoolCommandInput, 'AutoScalingGroupName'> = {},
): Promise<void> {
  await createWebGroup(autoscaling, {
    name: GROUP,
    desired,
    subnetIds: seed.subnetIds,
    targetGroupArns: [seed.targetGroupArn],
  });
  await autoscaling.send(new PutWarmPoolCommand({ AutoScalingGroupName: GROUP, ...pool }));
  await settle();
}

/** Lets launches, stops and starts (instant in the simulator's default settings) take effect. */
async function settle(): Promise<void> {
  for (let step = 0; step < 3; step++) await sim.control.clock(0);
}

async function warmPool() {
  return autoscaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: GROUP }));
}

async function warmInstances(): Promise<{ id: string; state: string }[]> {
  return ((await warmPool()).Instances ?? []).map((i) => ({
    id: i.InstanceId ?? '',
    state: i.LifecycleState ?? '',
  }));
}

const groupInstances = () => groupMembers(autoscaling, GROUP);

async function ec2(ids: readonly string[]) {
  const described = await sim.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [...ids] }));
  return described.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
}

async function registered(): Promise<string[]> {
  const result = await sim.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: seed.targetGroupArn }),
  );
  return (result.TargetHealthDescriptions ?? []).map((d) => d.Target?.Id ?? '').sort();
}

async function elbCalls(cursor: number): Promise<SimEvent[]> {
  return (await sim.control.events(cursor)).events.filter(
    (e) =>
      e['detail-type'] === 'AWS API Call via CloudTrail' &&
      (e.detail as { eventSource?: string }).eventSource === 'elasticloadbalancing.amazonaws.com',
  );
}

describe('a warm pool', () => {
  it('keeps MaxSize less the desired capacity stopped beside the group, by default', async () => {
    await groupWithWarmPool(1);

    const pool = await warmPool();
    const warm = await warmInstances();
    const [group] =
      (await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] })))
        .AutoScalingGroups ?? [];

    expect(pool.WarmPoolConfiguration).toEqual({
      MinSize: 0,
      PoolState: 'Stopped',
      InstanceReusePolicy: { ReuseOnScaleIn: false },
    });
    expect(warm.map((i) => i.state)).toEqual(['Warmed:Stopped', 'Warmed:Stopped', 'Warmed:Stopped']);
    expect((await ec2(warm.map((i) => i.id))).map((i) => i.State?.Name)).toEqual([
      'stopped',
      'stopped',
      'stopped',
    ]);
    expect((await groupInstances()).map((i) => i.state)).toEqual(['InService']);
    expect(group?.WarmPoolSize).toBe(3);
  });

  it('launches its instances with the group’s tags, as every instance the group launches', async () => {
    await groupWithWarmPool(0, { MinSize: 1, MaxGroupPreparedCapacity: 1 });

    const [instance] = await ec2((await warmInstances()).map((i) => i.id));

    expect(instance?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'aws:autoscaling:groupName', Value: GROUP },
        { Key: 'Role', Value: 'web' },
      ]),
    );
  });

  it('keeps them running with PoolState Running, and still out of the target group', async () => {
    const { cursor } = await sim.control.events();
    await groupWithWarmPool(1, { PoolState: 'Running' });

    const warm = await warmInstances();

    expect(warm.map((i) => i.state)).toEqual(['Warmed:Running', 'Warmed:Running', 'Warmed:Running']);
    expect((await ec2(warm.map((i) => i.id))).map((i) => i.State?.Name)).toEqual([
      'running',
      'running',
      'running',
    ]);
    const [member] = await groupInstances();
    expect(await registered()).toEqual([member?.id]);
    expect(
      (await elbCalls(cursor)).map((e) => (e.detail as { requestParameters: unknown }).requestParameters),
    ).toEqual([{ targetGroupArn: seed.targetGroupArn, targets: [{ id: member?.id }] }]);
  });

  it('pauses a warm launch in Warmed:Pending:Wait behind a launch hook', async () => {
    await autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: GROUP,
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 0,
        LaunchTemplate: { LaunchTemplateName: 'web' },
        VPCZoneIdentifier: seed.subnetIds[0],
        TargetGroupARNs: [seed.targetGroupArn],
        LifecycleHookSpecificationList: [
          { LifecycleHookName: 'warm-up', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
        ],
      }),
    );
    await autoscaling.send(new PutWarmPoolCommand({ AutoScalingGroupName: GROUP }));
    await settle();
    const [waiting] = await warmInstances();

    await continueLifecycle(autoscaling, GROUP, 'warm-up', waiting?.id);
    await settle();

    expect(waiting?.state).toBe('Warmed:Pending:Wait');
    expect(await warmInstances()).toEqual([{ id: waiting?.id, state: 'Warmed:Stopped' }]);
    expect(await registered()).toEqual([]);
  });
});

describe('a scale-out', () => {
  it('moves a warm instance into the group, starts it, and registers it only when it enters InService', async () => {
    await groupWithWarmPool(1, { MinSize: 1, MaxGroupPreparedCapacity: 2 });
    // Instances take a second to start, so the move can be seen half-way.
    await sim.control.settings({ delays: { instanceTransitionMs: 1000 } });
    const [warm] = await warmInstances();
    const [first] = await groupInstances();
    const { cursor } = await sim.control.events();

    await autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 2 }),
    );
    const starting = (await groupInstances()).find((i) => i.id === warm?.id);
    const registeredWhileStarting = await registered();
    for (let second = 0; second < 3; second++) await sim.control.clock(1000);

    expect(starting?.state).toBe('Pending');
    expect(registeredWhileStarting).toEqual([first?.id]);
    expect((await groupInstances()).find((i) => i.id === warm?.id)?.state).toBe('InService');
    expect((await ec2([warm?.id ?? ''])).map((i) => i.State?.Name)).toEqual(['running']);
    expect(await registered()).toEqual([first?.id, warm?.id].sort());
    expect((await elbCalls(cursor)).map((e) => e.detail)).toEqual([
      expect.objectContaining({
        eventName: 'RegisterTargets',
        requestParameters: { targetGroupArn: seed.targetGroupArn, targets: [{ id: warm?.id }] },
        userIdentity: expect.objectContaining({ invokedBy: 'autoscaling.amazonaws.com' }),
      }),
    ]);
    // MinSize 1 refills the pool with a new instance.
    const refill = await warmInstances();
    expect(refill).toHaveLength(1);
    expect(refill[0]?.id).not.toBe(warm?.id);
    expect(refill[0]?.state).toBe('Warmed:Stopped');
  });

  it('passes a moving instance through Pending:Wait behind a launch hook, unregistered', async () => {
    await groupWithWarmPool(0, { MinSize: 1 });
    await autoscaling.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: GROUP,
        LifecycleHookName: 'warm-up',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      }),
    );
    const [warm] = await warmInstances();

    await autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 1 }),
    );
    await settle();

    expect(await groupInstances()).toEqual([{ id: warm?.id, state: 'Pending:Wait' }]);
    expect(await registered()).toEqual([]);
  });
});

describe('deleting a warm pool', () => {
  it('terminates its instances and reports PendingDelete until they are gone', async () => {
    await groupWithWarmPool(1, { MinSize: 1, MaxGroupPreparedCapacity: 1 });
    await sim.control.settings({ delays: { instanceTransitionMs: 1000 } });
    const [warm] = await warmInstances();

    await autoscaling.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: GROUP }));
    const pending = await warmPool();
    await sim.control.clock(1000);

    expect(pending.WarmPoolConfiguration?.Status).toBe('PendingDelete');
    expect(pending.Instances?.map((i) => i.LifecycleState)).toEqual(['Warmed:Terminating']);
    expect((await ec2([warm?.id ?? ''])).map((i) => i.State?.Name)).toEqual(['terminated']);
    expect((await warmPool()).WarmPoolConfiguration).toBeUndefined();
    expect((await groupInstances()).map((i) => i.state)).toEqual(['InService']);
  });

  it('is gone at once with ForceDelete', async () => {
    await groupWithWarmPool(0, { MinSize: 2 });

    await autoscaling.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: GROUP, ForceDelete: true }));

    expect(await warmPool()).toMatchObject({ Instances: [] });
    expect((await warmPool()).WarmPoolConfiguration).toBeUndefined();
  });
});

describe('PutWarmPool and DeleteWarmPool refuse', () => {
  it('an unknown pool state, a group that does not exist, and a group without a warm pool', async () => {
    await groupWithWarmPool(0, { MinSize: 0, MaxGroupPreparedCapacity: 0 });

    const badState = await awsError(
      autoscaling.send(new PutWarmPoolCommand({ AutoScalingGroupName: GROUP, PoolState: 'Frozen' as never })),
    );
    const noGroup = await awsError(
      autoscaling.send(new PutWarmPoolCommand({ AutoScalingGroupName: 'nope' })),
    );
    await autoscaling.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: GROUP, ForceDelete: true }));
    const noPool = await awsError(
      autoscaling.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: GROUP })),
    );

    expect(badState).toMatchObject({ code: 'ValidationError', message: expect.stringContaining("'Frozen'") });
    expect(noGroup).toMatchObject({
      code: 'ValidationError',
      message: expect.stringContaining("'nope' not found"),
    });
    expect(noPool).toMatchObject({ code: 'ValidationError', message: expect.stringContaining(GROUP) });
  });
});
