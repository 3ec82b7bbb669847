/**
 * Co-owners on the simulator: an EC2 Auto Scaling group with the bound target group attached (lifecycle
 * hooks, Standby, scale-in, a warm pool), CodeDeploy taking a target out for a deployment, and a Spot interruption
 * warning. The controller's own ELB writes are read from CloudTrail, where the simulator records them.
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeWarmPoolCommand,
  EnterStandbyCommand,
  PutLifecycleHookCommand,
  PutWarmPoolCommand,
  SetDesiredCapacityCommand,
  type WarmPoolState,
} from '@aws-sdk/client-auto-scaling';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseEvent } from '../../functions/domain/events.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import type { SimEvent } from '../../sim/control.ts';
import { launchInstances } from '../../sim/seed.ts';
import { continueLifecycle, createWebGroup, groupMembers } from '../support/autoscaling.ts';
import { fixture } from '../support/fixtures.ts';
import { simulatorOnly } from './harness.ts';
import { startWarden, type Warden } from './warden.ts';

const GROUP = 'web-asg';
const CODEDEPLOY_KEY = 'AKIACODEDEPLOY000001';

let warden: Warden;
let autoscaling: AutoScalingClient;
let cursor: number;
beforeEach(async () => {
  warden = await startWarden();
  autoscaling = new AutoScalingClient({
    endpoint: warden.world.endpoint,
    region: warden.seed.region,
    credentials: { accessKeyId: 'AKIAWARDENHARNESS001', secretAccessKey: 'simulator-secret' },
  });
  cursor = (await control().events(0)).cursor;
});
afterEach(async () => {
  autoscaling.destroy();
  await warden.stop();
});

function control() {
  if (!warden.world.control) throw new Error('needs the simulator');
  return warden.world.control;
}

/** Every RegisterTargets / DeregisterTargets the controller made since the test began, as `name id`. */
async function controllerTargetWrites(): Promise<string[]> {
  const { events } = await control().events(cursor);
  return events
    .filter((event: SimEvent) => event['detail-type'] === 'AWS API Call via CloudTrail')
    .map((event) => event.detail as Record<string, unknown>)
    .filter((detail) => ['RegisterTargets', 'DeregisterTargets'].includes(String(detail.eventName)))
    .filter((detail) =>
      String((detail.userIdentity as { arn?: string }).arn).includes('AlbWarden-ControllerRole'),
    )
    .map((detail) => {
      const targets = (detail.requestParameters as { targets: { id: string }[] }).targets;
      return `${detail.eventName} ${targets.map((target) => target.id).join(',')}`;
    });
}

async function registered(): Promise<string[]> {
  const output = await warden.world.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: warden.seed.targetGroupArn }),
  );
  return (output.TargetHealthDescriptions ?? [])
    .filter((description) => description.TargetHealth?.State !== 'draining')
    .map((description) => description.Target?.Id ?? '')
    .sort();
}

const members = () => groupMembers(autoscaling, GROUP);

/** A group carrying the selector's tag on its instances, with the bound target group attached. */
async function createGroup(desired: number): Promise<void> {
  await createWebGroup(autoscaling, {
    name: GROUP,
    desired,
    subnetIds: warden.seed.subnetIds,
    targetGroupArns: [warden.seed.targetGroupArn],
  });
  await control().clock(0);
}

/** Events delivered, then a sweep: the controller sees everything the group did. */
async function controllerRuns(): Promise<void> {
  await warden.pump();
  await warden.sweep();
  await warden.pump();
}

/** One web instance outside any group, registered by the controller; events read from here on. */
async function registeredWebInstance(): Promise<string> {
  const [id = ''] = await launchInstances(warden.world.clients, {
    count: 1,
    subnetId: warden.seed.subnetIds[0],
    tags: { Role: 'web' },
  });
  await controllerRuns();
  cursor = (await control().events(0)).cursor;
  return id;
}

simulatorOnly('an Auto Scaling group with the bound target group attached', () => {
  it('leaves a launch in Pending:Wait unregistered until the group puts it in service', async () => {
    await createGroup(0);
    await autoscaling.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: GROUP,
        LifecycleHookName: 'warm-up',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      }),
    );
    await autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 1 }),
    );
    await control().clock(0);
    const [waiting] = await members();

    await controllerRuns();
    const whileWaiting = await registered();
    const result = await warden.sweep();
    await continueLifecycle(autoscaling, GROUP, 'warm-up', waiting?.id);
    await controllerRuns();

    expect(waiting?.state).toBe('Pending:Wait');
    expect(whileWaiting).toEqual([]);
    expect(result.bindings[0]?.registration?.coOwned).toEqual({ count: 1, groups: [GROUP] });
    expect(await registered()).toEqual([waiting?.id]);
    expect(await controllerTargetWrites()).toEqual([]);
  });

  it('does not put a Standby instance back, nor one scale-in is draining and holding in Terminating:Wait', async () => {
    await createGroup(3);
    await autoscaling.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: GROUP,
        LifecycleHookName: 'drain-logs',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        HeartbeatTimeout: 600,
      }),
    );
    await controllerRuns();
    const [standing] = await members();

    await autoscaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: GROUP,
        InstanceIds: [standing?.id ?? ''],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    await autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 1 }),
    );
    await control().clock(0);
    await controllerRuns();
    await control().clock(300_000);
    await controllerRuns();
    const states = (await members()).map((member) => member.state).sort();

    expect(states).toEqual(['InService', 'Standby', 'Terminating:Wait']);
    expect(await registered()).toHaveLength(1);
    expect(await controllerTargetWrites()).toEqual([]);
  });

  it('does not deregister the instances of a group the sweep finds terminated', async () => {
    await createGroup(2);
    await controllerRuns();
    const ids = (await members()).map((member) => member.id);

    await autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 0 }),
    );
    await control().clock(0);
    await controllerRuns();
    await control().clock(300_000);
    await controllerRuns();

    expect(ids).toHaveLength(2);
    expect(await controllerTargetWrites()).toEqual([]);
  });
});

simulatorOnly('deregistrations by an AWS service for a deployment', () => {
  it("holds a target CodeDeploy's BlockTraffic took out, until CodeDeploy's AllowTraffic puts it back", async () => {
    const { account } = warden.seed;
    await control().identity(
      CODEDEPLOY_KEY,
      `arn:aws:sts::${account}:assumed-role/CodeDeployServiceRole/CodeDeploy-d-ABCDEF123`,
      { invokedBy: 'codedeploy.amazonaws.com' },
    );
    const codedeploy = warden.world.clients.clientsAs(CODEDEPLOY_KEY);
    const id = await registeredWebInstance();
    const target = { TargetGroupArn: warden.seed.targetGroupArn, Targets: [{ Id: id, Port: 8080 }] };

    await codedeploy.elbv2.send(new DeregisterTargetsCommand(target));
    await controllerRuns();
    await control().clock(600_000);
    await controllerRuns();
    const duringDeployment = await registered();
    await codedeploy.elbv2.send(new RegisterTargetsCommand(target));
    await controllerRuns();
    const records = await warden.deps.state.load('web');

    expect(duringDeployment).toEqual([]);
    expect(await registered()).toEqual([id]);
    expect(await controllerTargetWrites()).toEqual([]);
    expect(records.filter((record) => record.key.startsWith('hold#') && !record.deleted)).toEqual([]);
  });

  it("registers a person's deregistration again at once, and says so", async () => {
    const id = await registeredWebInstance();

    await warden.person.elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: warden.seed.targetGroupArn,
        Targets: [{ Id: id, Port: 8080 }],
      }),
    );
    await warden.pump();

    expect(await controllerTargetWrites()).toEqual([`RegisterTargets ${id}`]);
  });
});

simulatorOnly('a Spot interruption warning', () => {
  it('deregisters the instance at the warning, and no sweep registers it again', async () => {
    const id = await registeredWebInstance();
    const warning = parseEvent({
      ...(fixture('ec2-spot-interruption-warning.json') as Record<string, unknown>),
      detail: { 'instance-id': id, 'instance-action': 'terminate' },
    });
    if (warning.type !== 'spot-interruption') throw new Error(`parsed as ${warning.type}`);

    await handleInstanceState(warden.deps, warning);
    await controllerRuns();

    expect(await registered()).toEqual([]);
    expect(await controllerTargetWrites()).toEqual([`DeregisterTargets ${id}`]);
  });
});

simulatorOnly('the warm pool of an Auto Scaling group with the bound target group attached', () => {
  /** A group of one and a warm pool of two kept `poolState`, settled; the warm instances' ids. */
  async function withWarmPool(poolState: WarmPoolState): Promise<string[]> {
    await createGroup(1);
    await autoscaling.send(
      new PutWarmPoolCommand({
        AutoScalingGroupName: GROUP,
        PoolState: poolState,
        MinSize: 2,
        MaxGroupPreparedCapacity: 3,
      }),
    );
    for (let step = 0; step < 3; step++) await control().clock(0);
    const { Instances = [] } = await autoscaling.send(
      new DescribeWarmPoolCommand({ AutoScalingGroupName: GROUP }),
    );
    return Instances.map((instance) => instance.InstanceId ?? '');
  }

  it.each(['Stopped', 'Running'] as const)(
    'never registers, deregisters or reports a warm instance kept %s, though it carries the selector’s tags',
    async (poolState) => {
      const warm = await withWarmPool(poolState);

      const results = [...(await warden.pump()), await warden.sweep(), ...(await warden.pump())];
      const [member] = await members();
      const registrations = results.flatMap((result) =>
        result.bindings.flatMap((binding) => (binding.registration ? [binding.registration] : [])),
      );

      expect(warm).toHaveLength(2);
      expect(await registered()).toEqual([member?.id]);
      expect(await controllerTargetWrites()).toEqual([]);
      expect(registrations.length).toBeGreaterThan(0);
      for (const registration of registrations) {
        expect(registration).toMatchObject({ register: [], deregister: [], foreign: [], rejected: [] });
      }
      // Known as the group's, not merely skipped for their state: the member and both warm instances.
      expect(registrations.at(-1)?.coOwned).toEqual({ count: 3, groups: [GROUP] });
      expect(await warden.alerts()).toEqual([]);
    },
  );

  it('registers nothing while a warm instance runs behind a launch hook, in the pool or moving in: Auto Scaling registers it', async () => {
    await autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: GROUP,
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 0,
        LaunchTemplate: { LaunchTemplateName: 'web', Version: '$Latest' },
        VPCZoneIdentifier: warden.seed.subnetIds.join(','),
        TargetGroupARNs: [warden.seed.targetGroupArn],
        Tags: [{ Key: 'Role', Value: 'web', PropagateAtLaunch: true }],
        LifecycleHookSpecificationList: [
          { LifecycleHookName: 'warm-up', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
        ],
      }),
    );
    await autoscaling.send(new PutWarmPoolCommand({ AutoScalingGroupName: GROUP }));
    const proceed = async (id: string) => {
      await continueLifecycle(autoscaling, GROUP, 'warm-up', id);
      for (let step = 0; step < 3; step++) await control().clock(0);
    };
    for (let step = 0; step < 3; step++) await control().clock(0);
    const [warming] =
      (await autoscaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: GROUP }))).Instances ?? [];
    const id = warming?.InstanceId ?? '';

    await controllerRuns();
    const whileWarming = await registered();
    await proceed(id);
    await controllerRuns();
    await autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 1 }),
    );
    for (let step = 0; step < 3; step++) await control().clock(0);
    const [moving] = await members();
    await controllerRuns();
    const whileMoving = await registered();
    await proceed(id);
    await controllerRuns();

    expect(warming?.LifecycleState).toBe('Warmed:Pending:Wait');
    expect(whileWarming).toEqual([]);
    expect(moving).toEqual({ id, state: 'Pending:Wait' });
    expect(whileMoving).toEqual([]);
    expect(await members()).toEqual([{ id, state: 'InService' }]);
    expect(await registered()).toEqual([id]);
    expect(await controllerTargetWrites()).toEqual([]);
    expect(await warden.alerts()).toEqual([]);
  });
});
