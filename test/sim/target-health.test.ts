import {
  CreateVpcCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildSeedTopology, launchInstances, type SeedTopology } from '../../sim/seed.ts';
import { awsError, useSim } from './support.ts';

const sim = useSim();
let seed: SeedTopology;

beforeEach(async () => {
  seed = await buildSeedTopology(sim.clients);
});

async function running(count = 1, subnet = 0): Promise<string[]> {
  const ids = await launchInstances(sim.clients, { count, subnetId: seed.subnetIds[subnet] ?? '' });
  await sim.control.clock(0); // any request completes due transitions: pending → running
  return ids;
}

async function setDeregistrationDelay(seconds: string): Promise<void> {
  await sim.clients.elbv2.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: seed.targetGroupArn,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: seconds }],
    }),
  );
}

async function register(ids: readonly string[]): Promise<void> {
  await sim.clients.elbv2.send(
    new RegisterTargetsCommand({
      TargetGroupArn: seed.targetGroupArn,
      Targets: ids.map((Id) => ({ Id, Port: 8080 })),
    }),
  );
}

async function health(targets?: { Id: string; Port?: number }[]): Promise<TargetHealthDescription[]> {
  const result = await sim.clients.elbv2.send(
    new DescribeTargetHealthCommand({
      TargetGroupArn: seed.targetGroupArn,
      ...(targets ? { Targets: targets } : {}),
    }),
  );
  return result.TargetHealthDescriptions ?? [];
}

const states = async () => (await health()).map((d) => d.TargetHealth);

// Registration (the simulator's 5 s default) plus the one passing health check, an interval (30 s) later.
const INITIAL_MS = 5_000 + 30_000;

describe('RegisterTargets', () => {
  it('registers running instances on the target group port, healthy once the initial check passed', async () => {
    const [id = ''] = await running();

    await register([id]);
    await sim.control.clock(INITIAL_MS);
    const [description] = await health();

    expect(description).toEqual({
      Target: { Id: id, Port: 8080 },
      HealthCheckPort: '8080',
      TargetHealth: { State: 'healthy' },
      AdministrativeOverride: {
        State: 'no_override',
        Reason: 'AdministrativeOverride.NoOverride',
        Description: 'No override is currently active on target',
      },
    });
  });

  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html:
  // "After your target is registered, it must pass one health check to be considered healthy."
  it('reports initial while registering, then while the first health check is due, one interval long', async () => {
    await sim.control.settings({ delays: { targetRegistrationMs: 10_000 } });
    await sim.clients.elbv2.send(
      new ModifyTargetGroupCommand({ TargetGroupArn: seed.targetGroupArn, HealthCheckIntervalSeconds: 10 }),
    );
    const [id = ''] = await running();

    await register([id]);
    const registering = await states();
    await sim.control.clock(10_000);
    const checking = await states();
    await sim.control.clock(9_000);
    const stillChecking = await states();
    await sim.control.clock(1_000);
    const after = await states();

    expect(registering).toEqual([
      {
        State: 'initial',
        Reason: 'Elb.RegistrationInProgress',
        Description: 'Target registration is in progress',
      },
    ]);
    const initialChecks = {
      State: 'initial',
      Reason: 'Elb.InitialHealthChecking',
      Description: 'Initial health checks in progress',
    };
    expect(checking).toEqual([initialChecks]);
    expect(stillChecking).toEqual([initialChecks]);
    expect(after).toEqual([{ State: 'healthy' }]);
  });

  it('checks a restarted instance afresh: initial health checking from when it runs again', async () => {
    const [id = ''] = await running();
    await register([id]);
    await sim.control.clock(INITIAL_MS);

    await sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await sim.clients.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await sim.control.clock(0);
    const restarted = await states();
    await sim.control.clock(30_000);

    expect(restarted.map((h) => h?.Reason)).toEqual(['Elb.InitialHealthChecking']);
    expect(await states()).toEqual([{ State: 'healthy' }]);
  });

  it('refuses instances that are not running, naming them as AWS does', async () => {
    const [id = ''] = await running();
    await sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));

    const error = await awsError(register([id]));

    expect(error).toMatchObject({
      name: 'InvalidTargetException',
      code: 'InvalidTarget',
      message: `The following targets are not in a running state and cannot be registered: '${id}'`,
      status: 400,
    });
  });

  it('refuses instances from another VPC', async () => {
    const [id = ''] = await running();
    const other = await sim.clients.ec2.send(new CreateVpcCommand({ CidrBlock: '172.16.0.0/16' }));
    const group = await sim.clients.elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'elsewhere',
        Protocol: 'HTTP',
        Port: 80,
        VpcId: other.Vpc?.VpcId ?? '',
      }),
    );

    const error = await awsError(
      sim.clients.elbv2.send(
        new RegisterTargetsCommand({
          TargetGroupArn: group.TargetGroups?.[0]?.TargetGroupArn ?? '',
          Targets: [{ Id: id }],
        }),
      ),
    );

    expect(error.message).toBe(
      `The following targets are not in the target group VPC '${other.Vpc?.VpcId}': '${id}'`,
    );
  });

  it('enforces the targets-per-target-group quota, which the control API can raise', async () => {
    await sim.control.settings({ quota: { targetsPerTargetGroup: 2 } });
    const ids = await running(3);
    await register(ids.slice(0, 2));

    const error = await awsError(register(ids.slice(2)));
    await sim.control.settings({ quota: { targetsPerTargetGroup: 3 } });
    await register(ids.slice(2));

    expect(error).toMatchObject({ name: 'TooManyTargetsException', code: 'TooManyTargets' });
    expect(await health()).toHaveLength(3);
  });
});

describe('DescribeTargetHealth', () => {
  it("reports a stopped instance's target unused with Target.InvalidState", async () => {
    const [id = ''] = await running();
    await register([id]);

    await sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));

    expect(await states()).toEqual([
      { State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the stopped state' },
    ]);
  });

  // deregistration_delay.timeout_seconds: 300 by default (API_TargetGroupAttribute.html).
  it('drains a deregistered target for the deregistration delay, 300 s by default, then forgets it', async () => {
    const [id = ''] = await running();
    await register([id]);

    await sim.clients.elbv2.send(
      new DeregisterTargetsCommand({ TargetGroupArn: seed.targetGroupArn, Targets: [{ Id: id }] }),
    );
    const draining = await states();
    await sim.control.clock(299_000);
    const stillDraining = await states();
    await sim.control.clock(1_000);

    const drainingState = {
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
      Description: 'Target deregistration is in progress',
    };
    expect(draining).toEqual([drainingState]);
    expect(stillDraining).toEqual([drainingState]);
    expect(await health()).toEqual([]);
  });

  it('drains for the delay in force when deregistration began', async () => {
    const [id = ''] = await running();
    await register([id]);
    await setDeregistrationDelay('10');

    await sim.clients.elbv2.send(
      new DeregisterTargetsCommand({ TargetGroupArn: seed.targetGroupArn, Targets: [{ Id: id }] }),
    );
    await setDeregistrationDelay('3600');
    await sim.control.clock(10_000);

    expect(await health()).toEqual([]);
  });

  it("reports a terminated instance's target in the terminated state until EC2 forgets it and it drained", async () => {
    const [id = ''] = await running();
    await register([id]);

    await sim.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    const terminated = await states();
    // EC2 forgets it after about an hour; ELB then deregisters it, draining for the delay.
    await sim.control.clock(60 * 60 * 1000);
    await sim.control.clock(300_000);

    expect(terminated).toEqual([
      { State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the terminated state' },
    ]);
    expect(await health()).toEqual([]);
  });

  it('answers for targets asked about that are not registered with Target.NotRegistered', async () => {
    const [registered = '', other = ''] = await running(2);
    await register([registered]);
    await sim.control.clock(INITIAL_MS);

    const described = await health([{ Id: registered }, { Id: other, Port: 8080 }]);

    expect(described.map((d) => [d.Target?.Id, d.TargetHealth])).toEqual([
      [registered, { State: 'healthy' }],
      [
        other,
        {
          State: 'unused',
          Reason: 'Target.NotRegistered',
          Description: 'Target is not registered to the target group',
        },
      ],
    ]);
  });

  it('reports targets of a group no listener uses as unused with Target.NotInUse', async () => {
    const [id = ''] = await running();
    await register([id]);

    await sim.clients.elbv2.send(new DeleteListenerCommand({ ListenerArn: seed.httpsListenerArn }));

    expect(await states()).toEqual([
      {
        State: 'unused',
        Reason: 'Target.NotInUse',
        Description: 'Target group is not configured to receive traffic from the load balancer',
      },
    ]);
  });

  it('rejects an unknown target group and an instance that does not exist', async () => {
    const unknownGroup = await awsError(
      sim.clients.elbv2.send(
        new DescribeTargetHealthCommand({
          TargetGroupArn: seed.targetGroupArn.replace(/[0-9a-f]{16}$/, '0000000000000000'),
        }),
      ),
    );
    const unknownTarget = await awsError(health([{ Id: 'i-0ddddddddddddddd1' }]));

    expect(unknownGroup).toMatchObject({
      name: 'TargetGroupNotFoundException',
      message: 'One or more target groups not found',
    });
    expect(unknownTarget.code).toBe('InvalidTarget');
  });
});

describe('target health set through the control API', () => {
  it('makes a target unhealthy with AWS reason defaults, or as given, until healthy clears it', async () => {
    const [a = '', b = ''] = await running(2);
    await register([a, b]);
    await sim.control.clock(INITIAL_MS);

    await sim.control.targetHealth({ targetGroupArn: seed.targetGroupArn, targetId: a, state: 'unhealthy' });
    await sim.control.targetHealth({
      targetGroupArn: seed.targetGroupArn,
      targetId: b,
      state: 'unhealthy',
      reasonCode: 'Target.ResponseCodeMismatch',
      description: 'Health checks failed with these codes: [500]',
    });
    const broken = await states();
    await sim.control.targetHealth({ targetGroupArn: seed.targetGroupArn, targetId: a, state: 'healthy' });
    const partlyRecovered = await states();

    expect(broken).toEqual([
      { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' },
      {
        State: 'unhealthy',
        Reason: 'Target.ResponseCodeMismatch',
        Description: 'Health checks failed with these codes: [500]',
      },
    ]);
    expect(partlyRecovered.map((h) => h?.State)).toEqual(['healthy', 'unhealthy']);
  });
});

describe('target group attributes', () => {
  const attributes = async () =>
    Object.fromEntries(
      (
        (
          await sim.clients.elbv2.send(
            new DescribeTargetGroupAttributesCommand({ TargetGroupArn: seed.targetGroupArn }),
          )
        ).Attributes ?? []
      ).map((a) => [a.Key, a.Value]),
    );

  it("reports AWS's defaults for an instance target group", async () => {
    expect(await attributes()).toMatchObject({
      'deregistration_delay.timeout_seconds': '300',
      'stickiness.enabled': 'false',
      'stickiness.type': 'lb_cookie',
      'stickiness.lb_cookie.duration_seconds': '86400',
      'slow_start.duration_seconds': '0',
      'load_balancing.algorithm.type': 'round_robin',
      'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
    });
  });

  it('changes an attribute and keeps the others', async () => {
    await setDeregistrationDelay('0');

    expect(await attributes()).toMatchObject({
      'deregistration_delay.timeout_seconds': '0',
      'stickiness.enabled': 'false',
    });
  });

  it('refuses a delay outside 0–3600 and an unknown key, changing nothing', async () => {
    const outOfRange = await awsError(setDeregistrationDelay('3601'));
    const unknown = await awsError(
      sim.clients.elbv2.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: seed.targetGroupArn,
          Attributes: [{ Key: 'deregistration_delay.seconds', Value: '1' }],
        }),
      ),
    );

    expect(outOfRange).toMatchObject({ code: 'InvalidConfigurationRequest', status: 400 });
    expect(outOfRange.message).toContain('deregistration_delay.timeout_seconds');
    expect(unknown).toMatchObject({
      code: 'ValidationError',
      message: "Attribute key 'deregistration_delay.seconds' is not recognized",
    });
    expect((await attributes())['deregistration_delay.timeout_seconds']).toBe('300');
  });
});
