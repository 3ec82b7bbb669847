/**
 * Property, on the simulator: whatever an EC2 Auto Scaling group does to the bound target group (scaling out
 * and in, Standby, lifecycle hooks held or completed, replacing an instance EC2 lost), however CloudTrail
 * delivers the group's ELB calls (late, twice, never), and whenever the controller sweeps, the controller
 * never registers or deregisters a target of the group. An instance outside the group keeps being managed,
 * so the property is not met by a controller that does nothing.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  PutLifecycleHookCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoadBalancing } from '../../functions/ports.ts';
import type { Simulator } from '../../sim/index.ts';
import type { EventFeed } from '../../testkit/events.ts';
import { type DeliveryStep, deliverySteps, runDeliveryStep } from './support/deliveries.ts';
import { count, reportFigures } from './support/figures.ts';
import {
  buildWorld,
  type Controller,
  closeSimulator,
  controller,
  eventCursor,
  launch,
  openSimulator,
  registered,
  SIM_SECRET,
  scalingGroup,
  sharedClock,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 300_000 });
afterAll(() => reportFigures('co-owners.test.ts'));

const RUNS = 25;
const GROUP = 'web-asg';
const GROUP_TAG = 'aws:autoscaling:groupName';

let sim: Simulator;
let autoscaling: AutoScalingClient;
beforeAll(async () => {
  sim = await openSimulator();
  autoscaling = new AutoScalingClient({
    endpoint: sim.endpoint,
    region: sim.region,
    credentials: { accessKeyId: 'AKIARELIABILITYASG01', secretAccessKey: SIM_SECRET },
  });
});
afterAll(async () => {
  autoscaling.destroy();
  await closeSimulator(sim);
});

/** What happens between two looks of the controller. */
type Step =
  | { readonly kind: 'desired'; readonly capacity: number }
  | { readonly kind: 'standby' | 'exit-standby' | 'terminate' | 'ec2-terminate'; readonly pick: number }
  | { readonly kind: 'complete'; readonly pick: number; readonly result: 'CONTINUE' | 'ABANDON' }
  | DeliveryStep;

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('desired' as const), capacity: fc.integer({ min: 0, max: 3 }) }),
  fc.record({
    kind: fc.constantFrom(
      'standby' as const,
      'exit-standby' as const,
      'terminate' as const,
      'ec2-terminate' as const,
    ),
    pick: fc.nat(5),
  }),
  fc.record({
    kind: fc.constant('complete' as const),
    pick: fc.nat(5),
    result: fc.constantFrom('CONTINUE' as const, 'ABANDON' as const),
  }),
  deliverySteps([0, 30_000, 300_000, 3_600_000]),
);

const scenario = fc.record({
  initial: fc.integer({ min: 0, max: 3 }),
  launchHook: fc.boolean(),
  terminationHook: fc.boolean(),
  steps: fc.array(step, { minLength: 1, maxLength: 14 }),
});

async function members(): Promise<{ id: string; state: string }[]> {
  const output = await autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }),
  );
  return (output.AutoScalingGroups?.[0]?.Instances ?? []).map((member) => ({
    id: member.InstanceId ?? '',
    state: member.LifecycleState ?? '',
  }));
}

/** Every instance that ever carried the group's tag (EC2 keeps terminated ones visible for an hour). */
async function groupInstances(world: World): Promise<string[]> {
  const output = await world.clients.ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: [GROUP_TAG] }] }),
  );
  return (output.Reservations ?? []).flatMap((reservation) =>
    (reservation.Instances ?? []).map((instance) => instance.InstanceId ?? ''),
  );
}

/**
 * The controller, with every target it registers or deregisters recorded at its port: CloudTrail could lose
 * the record of a write (the delivery rules drop events), the port cannot.
 */
function recordingController(world: World, now: () => number): { deps: Controller; writes: string[] } {
  const deps = controller(world, { now });
  const writes: string[] = [];
  const record = (targets: readonly { id: string }[]) => writes.push(...targets.map((target) => target.id));
  const elb: LoadBalancing = {
    ...deps.elb,
    registerTargets: (arn, targets) => {
      record(targets);
      return deps.elb.registerTargets(arn, targets);
    },
    deregisterTargets: (arn, targets) => {
      record(targets);
      return deps.elb.deregisterTargets(arn, targets);
    },
  };
  return { deps: { ...deps, elb }, writes };
}

/** Runs one step; an operation the group refuses in its current state (AWS's ValidationError) is a no-op. */
async function run(
  world: World,
  deps: Controller,
  cursor: EventFeed,
  next: Step,
  advance: (ms: number) => Promise<void>,
) {
  const pick = async (pick: number, states: readonly string[]) => {
    const candidates = (await members()).filter((member) => states.includes(member.state));
    return candidates[pick % Math.max(candidates.length, 1)]?.id;
  };
  const refused = (error: unknown) => {
    if ((error as { name?: string }).name !== 'ValidationError') throw error;
  };
  switch (next.kind) {
    case 'desired':
      await autoscaling
        .send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: next.capacity }))
        .catch(refused);
      break;
    case 'standby': {
      const id = await pick(next.pick, ['InService']);
      if (id)
        await autoscaling
          .send(
            new EnterStandbyCommand({
              AutoScalingGroupName: GROUP,
              InstanceIds: [id],
              ShouldDecrementDesiredCapacity: true,
            }),
          )
          .catch(refused);
      break;
    }
    case 'exit-standby': {
      const id = await pick(next.pick, ['Standby']);
      if (id)
        await autoscaling
          .send(new ExitStandbyCommand({ AutoScalingGroupName: GROUP, InstanceIds: [id] }))
          .catch(refused);
      break;
    }
    case 'terminate': {
      const id = await pick(next.pick, ['InService', 'Standby']);
      if (id)
        await autoscaling
          .send(
            new TerminateInstanceInAutoScalingGroupCommand({
              InstanceId: id,
              ShouldDecrementDesiredCapacity: false,
            }),
          )
          .catch(refused);
      break;
    }
    case 'ec2-terminate': {
      const id = await pick(next.pick, ['InService']);
      if (id) await world.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      break;
    }
    case 'complete': {
      const id = await pick(next.pick, ['Pending:Wait', 'Terminating:Wait']);
      const hook =
        (await members()).find((member) => member.id === id)?.state === 'Pending:Wait' ? 'launch' : 'drain';
      if (id)
        await autoscaling
          .send(
            new CompleteLifecycleActionCommand({
              AutoScalingGroupName: GROUP,
              LifecycleHookName: hook,
              InstanceId: id,
              LifecycleActionResult: next.result,
            }),
          )
          .catch(refused);
      break;
    }
    default:
      await runDeliveryStep(world, deps, cursor, next, advance);
  }
}

describe('property: a target of an Auto Scaling group with the target group attached is the group’s', () => {
  it(`the controller never registers or deregisters one, over ${RUNS} interleavings`, async () => {
    count('properties');
    await fc.assert(
      fc.asyncProperty(scenario, async (spec) => {
        count('cases');
        // Prepare: the group, and one instance of the controller's own beside it.
        const world = await buildWorld(sim, {
          config: { safety: { maxDeregisterFraction: 1 }, limits: { apiShare: 1 } },
        });
        const site = world.site('web');
        const cursor = await eventCursor(world);
        await scalingGroup(world, GROUP, {
          targetGroupArn: site.targetGroupArn,
          desired: 0,
          maxSize: 4,
          tags: { Role: 'web' },
        });
        for (const [hook, transition] of [
          ['launch', spec.launchHook && 'autoscaling:EC2_INSTANCE_LAUNCHING'],
          ['drain', spec.terminationHook && 'autoscaling:EC2_INSTANCE_TERMINATING'],
        ] as const) {
          if (transition)
            await autoscaling.send(
              new PutLifecycleHookCommand({
                AutoScalingGroupName: GROUP,
                LifecycleHookName: hook,
                LifecycleTransition: transition,
              }),
            );
        }
        await autoscaling.send(
          new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: spec.initial }),
        );
        await world.control.clock(0);
        const [own = ''] = await launch(world, 1, { Role: 'web' });
        // One clock for the controller and AWS: event times and hold expiries agree with the controller's now.
        const clock = await sharedClock(world);
        const { deps, writes } = recordingController(world, clock.now);

        // Act
        for (const next of spec.steps) await run(world, deps, cursor, next, clock.advance);
        await world.control.cloudTrail({ clear: true });
        await clock.advance(600_000);
        await run(world, deps, cursor, { kind: 'deliver' }, clock.advance);
        await run(world, deps, cursor, { kind: 'sweep' }, clock.advance);

        // Assess
        const group = new Set(await groupInstances(world));
        expect(writes.filter((id) => group.has(id))).toEqual([]);
        expect(writes).toContain(own);
        expect(await registered(world, site.targetGroupArn)).toContain(`${own}:8080`);
      }),
      { numRuns: RUNS },
    );
  });
});
