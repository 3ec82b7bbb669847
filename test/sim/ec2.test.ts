import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  type Instance,
  paginateDescribeInstances,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { launchInstances } from '../../sim/seed.ts';
import { awsError, network, useSim } from './support.ts';

const sim = useSim();
let vpcId: string;
let subnetIds: [string, string];

beforeEach(async () => {
  ({ vpcId, subnetIds } = await network(sim.clients));
});

async function describeAll(
  input: ConstructorParameters<typeof DescribeInstancesCommand>[0] = {},
): Promise<Instance[]> {
  const result = await sim.clients.ec2.send(new DescribeInstancesCommand(input));
  return (result.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
}

describe('VPCs, subnets and security groups', () => {
  it('creates a VPC pending with a default security group that instances get when none is named', async () => {
    const [instanceId = ''] = await launchInstances(sim.clients, { count: 1, subnetId: subnetIds[0] });

    const [instance] = await describeAll({ InstanceIds: [instanceId] });

    expect(instance?.SecurityGroups).toEqual([
      { GroupId: expect.stringMatching(/^sg-/), GroupName: 'default' },
    ]);
    expect(instance?.VpcId).toBe(vpcId);
  });

  it('places a subnet in its availability zone and hands out addresses from its range', async () => {
    const [first = '', second = ''] = await launchInstances(sim.clients, {
      count: 2,
      subnetId: subnetIds[1],
    });

    const instances = await describeAll({ InstanceIds: [first, second] });

    expect(instances.map((i) => [i.Placement?.AvailabilityZone, i.PrivateIpAddress])).toEqual([
      ['ap-northeast-2c', '10.0.2.4'],
      ['ap-northeast-2c', '10.0.2.5'],
    ]);
  });

  it('rejects a subnet outside its VPC, an overlapping one and an unknown VPC with EC2 error codes', async () => {
    const outside = await awsError(
      sim.clients.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '192.168.0.0/24' })),
    );
    const overlapping = await awsError(
      sim.clients.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.128/25' })),
    );
    const unknownVpc = await awsError(
      sim.clients.ec2.send(
        new CreateSubnetCommand({ VpcId: 'vpc-0000000000000000a', CidrBlock: '10.0.9.0/24' }),
      ),
    );

    expect(outside).toMatchObject({
      code: 'InvalidSubnet.Range',
      message: "The CIDR '192.168.0.0/24' is invalid.",
    });
    expect(overlapping.code).toBe('InvalidSubnet.Conflict');
    expect(unknownVpc).toMatchObject({
      code: 'InvalidVpcID.NotFound',
      message: "The vpc ID 'vpc-0000000000000000a' does not exist",
      status: 400,
    });
  });

  it('creates a security group once per name and VPC', async () => {
    const input = { GroupName: 'web', Description: 'web servers', VpcId: vpcId };
    const created = await sim.clients.ec2.send(new CreateSecurityGroupCommand(input));

    const again = await awsError(sim.clients.ec2.send(new CreateSecurityGroupCommand(input)));

    expect(created.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(again).toMatchObject({
      code: 'InvalidGroup.Duplicate',
      message: `The security group 'web' already exists for VPC '${vpcId}'`,
    });
  });
});

describe('RunInstances', () => {
  it('returns instances pending, tagged, in the subnet, and running from the next call on', async () => {
    const launched = await sim.clients.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.micro',
        MinCount: 2,
        MaxCount: 2,
        SubnetId: subnetIds[0],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Role', Value: 'web' }] }],
      }),
    );

    const described = await describeAll({ InstanceIds: launched.Instances?.map((i) => i.InstanceId ?? '') });

    expect(launched.Instances?.map((i) => i.State)).toEqual([
      { Code: 0, Name: 'pending' },
      { Code: 0, Name: 'pending' },
    ]);
    expect(launched.Instances?.[0]).toMatchObject({
      InstanceType: 't3.micro',
      SubnetId: subnetIds[0],
      VpcId: vpcId,
      Tags: [{ Key: 'Role', Value: 'web' }],
    });
    expect(described.map((i) => i.State?.Name)).toEqual(['running', 'running']);
  });

  it('is idempotent per client token, as the SDK relies on when it retries', async () => {
    const input = {
      ImageId: 'ami-1',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetIds[0],
      ClientToken: 'same-token',
    };
    const first = await sim.clients.ec2.send(new RunInstancesCommand(input));

    const second = await sim.clients.ec2.send(new RunInstancesCommand(input));

    expect(second.ReservationId).toBe(first.ReservationId);
    expect(await describeAll()).toHaveLength(1);
  });

  it('needs a subnet because the account has no default VPC', async () => {
    const error = await awsError(
      sim.clients.ec2.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1 })),
    );

    expect(error).toMatchObject({ code: 'VPCIdNotSpecified', message: 'No default VPC for this user' });
  });
});

describe('DescribeInstances', () => {
  it('pages 12 instances five at a time with NextToken', async () => {
    await launchInstances(sim.clients, { count: 12, subnetId: subnetIds[0] });

    const pages: number[] = [];
    for await (const page of paginateDescribeInstances({ client: sim.clients.ec2 }, { MaxResults: 5 })) {
      pages.push((page.Reservations ?? []).flatMap((r) => r.Instances ?? []).length);
    }

    expect(pages).toEqual([5, 5, 2]);
  });

  it('filters by instance-id, tag:KEY, tag-key, instance-state-name and vpc-id, with wildcards', async () => {
    const [web = ''] = await launchInstances(sim.clients, {
      count: 1,
      subnetId: subnetIds[0],
      tags: { Role: 'web' },
    });
    const [worker = ''] = await launchInstances(sim.clients, {
      count: 1,
      subnetId: subnetIds[1],
      tags: { Role: 'worker' },
    });
    const [untagged = ''] = await launchInstances(sim.clients, { count: 1, subnetId: subnetIds[0] });
    await sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [worker] }));
    const other = await sim.clients.ec2.send(new CreateVpcCommand({ CidrBlock: '172.16.0.0/16' }));
    const ids = async (Name: string, Values: string[]) =>
      (await describeAll({ Filters: [{ Name, Values }] })).map((i) => i.InstanceId);

    expect(await ids('instance-id', [web, untagged])).toEqual([web, untagged]);
    expect(await ids('tag:Role', ['web'])).toEqual([web]);
    expect(await ids('tag:Role', ['w*'])).toEqual([web, worker]);
    expect(await ids('tag-key', ['Role'])).toEqual([web, worker]);
    expect(await ids('instance-state-name', ['stopped'])).toEqual([worker]);
    expect(await ids('vpc-id', [vpcId])).toEqual([web, worker, untagged]);
    expect(await ids('vpc-id', [other.Vpc?.VpcId ?? ''])).toEqual([]);
  });

  it('combines several filters with AND', async () => {
    const [web = ''] = await launchInstances(sim.clients, {
      count: 1,
      subnetId: subnetIds[0],
      tags: { Role: 'web' },
    });
    const [stopped = ''] = await launchInstances(sim.clients, {
      count: 1,
      subnetId: subnetIds[0],
      tags: { Role: 'web' },
    });
    await sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }));

    const running = await describeAll({
      Filters: [
        { Name: 'tag:Role', Values: ['web'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    });

    expect(running.map((i) => i.InstanceId)).toEqual([web]);
  });

  it('answers unknown, malformed and badly combined requests with EC2 error codes', async () => {
    const [known = ''] = await launchInstances(sim.clients, { count: 1, subnetId: subnetIds[0] });

    const unknown = await awsError(
      describeAll({ InstanceIds: [known, 'i-0aaaaaaaaaaaaaaaa', 'i-0bbbbbbbbbbbbbbbb'] }),
    );
    const malformed = await awsError(describeAll({ InstanceIds: ['web-1'] }));
    const combined = await awsError(describeAll({ InstanceIds: [known], MaxResults: 5 }));
    const badFilter = await awsError(describeAll({ Filters: [{ Name: 'flavour', Values: ['x'] }] }));
    const tooSmall = await awsError(describeAll({ MaxResults: 3 }));

    expect(unknown).toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance IDs 'i-0aaaaaaaaaaaaaaaa, i-0bbbbbbbbbbbbbbbb' do not exist",
      status: 400,
    });
    expect(malformed).toMatchObject({
      code: 'InvalidInstanceID.Malformed',
      message: 'Invalid id: "web-1" (expecting "i-...")',
    });
    expect(combined).toMatchObject({
      code: 'InvalidParameterCombination',
      message: 'The parameter instancesSet cannot be used with the parameter maxResults',
    });
    expect(badFilter).toMatchObject({
      code: 'InvalidParameterValue',
      message: "The filter 'flavour' is invalid",
    });
    expect(tooSmall.code).toBe('InvalidParameterValue');
  });
});

describe('instance state transitions', () => {
  it('stops through stopping and starts again through pending, with the timing set by the transition delay', async () => {
    await sim.control.settings({ delays: { instanceTransitionMs: 30_000 } });
    const [id = ''] = await launchInstances(sim.clients, { count: 1, subnetId: subnetIds[0] });
    const state = async () => (await describeAll({ InstanceIds: [id] }))[0]?.State?.Name;

    expect(await state()).toBe('pending');
    await sim.control.clock(30_000);
    expect(await state()).toBe('running');

    const stop = await sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances).toEqual([
      {
        InstanceId: id,
        CurrentState: { Code: 64, Name: 'stopping' },
        PreviousState: { Code: 16, Name: 'running' },
      },
    ]);
    await sim.control.clock(30_000);
    const stopped = (await describeAll({ InstanceIds: [id] }))[0];
    expect(stopped?.State?.Name).toBe('stopped');
    expect(stopped?.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
    expect(stopped?.StateTransitionReason).toMatch(/^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);

    const start = await sim.clients.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(start.StartingInstances?.[0]?.CurrentState?.Name).toBe('pending');
    await sim.control.clock(30_000);
    expect(await state()).toBe('running');
  });

  it('moves LaunchTime to the last start, as EC2 does ("the time that the instance was last launched")', async () => {
    const [id = ''] = await launchInstances(sim.clients, { count: 1, subnetId: subnetIds[0] });
    const launched = async () => (await describeAll({ InstanceIds: [id] }))[0]?.LaunchTime?.getTime();
    const first = await launched();
    await sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await sim.control.clock(60_000);
    expect(await launched()).toBe(first);
    await sim.clients.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(await launched()).toBeGreaterThanOrEqual((first ?? 0) + 60_000);
  });

  it('terminates through shutting-down and keeps the instance visible for an hour, without its network', async () => {
    const [id = ''] = await launchInstances(sim.clients, { count: 1, subnetId: subnetIds[0] });

    const terminate = await sim.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    const terminated = (await describeAll({ InstanceIds: [id] }))[0];
    await sim.control.clock(59 * 60 * 1000);
    const stillThere = await describeAll({ InstanceIds: [id] });
    await sim.control.clock(60 * 1000);
    const gone = await awsError(describeAll({ InstanceIds: [id] }));

    expect(terminate.TerminatingInstances?.[0]?.CurrentState?.Name).toBe('shutting-down');
    expect(terminated?.State).toEqual({ Code: 48, Name: 'terminated' });
    expect(terminated?.VpcId).toBeUndefined();
    expect(terminated?.PrivateIpAddress).toBeUndefined();
    expect(stillThere).toHaveLength(1);
    expect(gone.code).toBe('InvalidInstanceID.NotFound');
  });

  it('refuses to start an instance that is shutting down and to stop a terminated one', async () => {
    const [id = ''] = await launchInstances(sim.clients, { count: 1, subnetId: subnetIds[0] });
    await sim.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));

    const start = await awsError(sim.clients.ec2.send(new StartInstancesCommand({ InstanceIds: [id] })));
    const stop = await awsError(sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] })));

    expect(start).toMatchObject({
      code: 'IncorrectInstanceState',
      message: `The instance '${id}' is not in a state from which it can be started.`,
    });
    expect(stop.message).toBe(`The instance '${id}' is not in a state from which it can be stopped.`);
  });
});

describe('tags', () => {
  it('adds, replaces and deletes tags, deleting by value only when the value matches', async () => {
    const [id = ''] = await launchInstances(sim.clients, {
      count: 1,
      subnetId: subnetIds[0],
      tags: { Role: 'web' },
    });

    await sim.clients.ec2.send(
      new CreateTagsCommand({
        Resources: [id, vpcId],
        Tags: [
          { Key: 'Role', Value: 'api' },
          { Key: 'Team', Value: 'edge' },
          { Key: 'Tier', Value: '1' },
        ],
      }),
    );
    await sim.clients.ec2.send(
      new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'Team' }, { Key: 'Tier', Value: 'not-1' }] }),
    );

    expect((await describeAll({ InstanceIds: [id] }))[0]?.Tags).toEqual([
      { Key: 'Role', Value: 'api' },
      { Key: 'Tier', Value: '1' },
    ]);
  });

  it('round-trips hostile tag values through the XML response unchanged', async () => {
    const hostile = `<script>alert("x")</script> & 'quotes' ]]> \r\n\ttab  ${'\u2028'} 한국어 🚀 `;
    const hostileKey = `k<&>"'`;
    const [id = ''] = await launchInstances(sim.clients, {
      count: 1,
      subnetId: subnetIds[0],
      tags: { [hostileKey]: hostile },
    });

    const [instance] = await describeAll({ Filters: [{ Name: 'tag-value', Values: [hostile] }] });

    expect(instance?.InstanceId).toBe(id);
    expect(instance?.Tags).toEqual([{ Key: hostileKey, Value: hostile }]);
  });

  it('rejects tags on unknown resources and reserved aws: keys', async () => {
    const unknown = await awsError(
      sim.clients.ec2.send(
        new CreateTagsCommand({ Resources: ['i-0ccccccccccccccc1'], Tags: [{ Key: 'a', Value: 'b' }] }),
      ),
    );
    const reserved = await awsError(
      sim.clients.ec2.send(
        new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'aws:owner', Value: 'me' }] }),
      ),
    );

    expect(unknown.code).toBe('InvalidInstanceID.NotFound');
    expect(reserved).toMatchObject({
      code: 'InvalidParameterValue',
      message: "Tag keys starting with 'aws:' are reserved for internal use",
    });
  });
});
