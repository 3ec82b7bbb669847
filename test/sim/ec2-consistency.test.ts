/**
 * EC2's eventual consistency, injected: "if you run a command to modify or describe the resource that you
 * just created, its ID might not have propagated throughout the system, and you will get an error
 * responding that the resource does not exist" (InvalidInstanceID.NotFound).
 * https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { launchInstances } from '../../sim/seed.ts';
import { awsError, network, useSim } from './support.ts';

const sim = useSim();
let subnetId: string;

beforeEach(async () => {
  subnetId = (await network(sim.clients)).subnetIds[0];
});

const byId = (id: string) => sim.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
const listed = async () =>
  (
    await sim.clients.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Role', Values: ['web'] }] }),
    )
  ).Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId) ?? [];

describe('a just-launched instance', () => {
  it('is NotFound by id for the configured number of calls, then found', async () => {
    await sim.control.settings({ consistency: { newInstanceHiddenCalls: 2 } });
    const [id = ''] = await launchInstances(sim.clients, { count: 1, subnetId, tags: { Role: 'web' } });

    const first = await awsError(byId(id));
    const second = await awsError(byId(id));
    const third = await byId(id);

    for (const error of [first, second]) {
      expect(error).toMatchObject({
        code: 'InvalidInstanceID.NotFound',
        message: `The instance ID '${id}' does not exist`,
      });
    }
    expect(third.Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe(id);
  });

  it('is absent from filtered lists for the configured simulated time', async () => {
    await sim.control.settings({ consistency: { newInstanceHiddenMs: 10_000 } });
    const [id = ''] = await launchInstances(sim.clients, { count: 1, subnetId, tags: { Role: 'web' } });

    const during = await listed();
    await sim.control.clock(10_000);

    expect(during).toEqual([]);
    expect(await listed()).toEqual([id]);
  });

  it('is visible at once by default, and instances launched before the setting stay visible', async () => {
    const [before = ''] = await launchInstances(sim.clients, { count: 1, subnetId, tags: { Role: 'web' } });
    await sim.control.settings({ consistency: { newInstanceHiddenCalls: 5 } });

    expect(await listed()).toEqual([before]);
  });
});
