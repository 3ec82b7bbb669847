/**
 * The sweep first, on the simulator: the CloudTrail events are lost, so only the sweep sees the change, and
 * CloudTrail's event history shows the call about 5 minutes after it (the simulator's default, AWS's
 * documented average). The sweep runs every simulated minute.
 */
import {
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DRAINING_HOLDER } from '../../functions/domain/registration.ts';
import type { Deps } from '../../functions/use-cases/context.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { launchInstances } from '../../sim/seed.ts';
import { simulatorOnly } from './harness.ts';
import { onSimulatorTime, startWarden, type Warden } from './warden.ts';

const MINUTE = 60_000;
const CDK_KEY = 'AKIACDKDEPLOYROLE001';
const CODEDEPLOY_KEY = 'AKIACODEDEPLOY000001';

let warden: Warden;
let deps: Deps;
let advance: (ms: number) => Promise<void>;
beforeEach(async () => {
  warden = await startWarden({ approvalGraceMinutes: 10 });
  ({ deps, advance } = await onSimulatorTime(warden));
  await control().cloudTrail({ drop: true });
  const { account } = warden.seed;
  await control().identity(
    CDK_KEY,
    `arn:aws:sts::${account}:assumed-role/cdk-hnb659fds-cfn-exec-role-${account}-ap-northeast-2/AWSCloudFormation`,
  );
  // The topology was made minutes before anything changes it, and a sweep saw it in order since.
  await advance(10 * MINUTE);
  await sweep(deps);
});
afterEach(() => warden.stop());

function control() {
  if (!warden.world.control) throw new Error('needs the simulator');
  return warden.world.control;
}

const redirect302 = {
  DefaultActions: [
    {
      Type: 'redirect' as const,
      RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_302' as const },
    },
  ],
};

/** Sweeps once a simulated minute until one decides; the minute it did and its outcome. */
async function sweepsUntilDecided(): Promise<{ minute: number; outcome: string | undefined }> {
  for (let minute = 1; minute <= 15; minute++) {
    await advance(MINUTE);
    const outcome = (await sweep(deps)).bindings[0]?.listeners?.outcome;
    if (outcome !== 'waiting') return { minute, outcome };
  }
  return { minute: Number.NaN, outcome: 'waiting' };
}

async function statusCode(): Promise<string | undefined> {
  const { Listeners = [] } = await warden.world.clients.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: warden.seed.loadBalancerArn }),
  );
  return Listeners.find((listener) => listener.Port === 80)?.DefaultActions?.[0]?.RedirectConfig?.StatusCode;
}

simulatorOnly('the sweep sees a listener change before its event, which never comes', () => {
  it('accepts an approved actor’s change once event history shows it, and never reverts it', async () => {
    await warden.world.clients
      .clientsAs(CDK_KEY)
      .elbv2.send(new ModifyListenerCommand({ ListenerArn: warden.seed.httpListenerArn, ...redirect302 }));

    const decided = await sweepsUntilDecided();
    for (let minute = 0; minute < 15; minute++) {
      await advance(MINUTE);
      await sweep(deps);
    }

    expect(decided).toEqual({ minute: 5, outcome: 'reported' });
    expect(await statusCode()).toBe('HTTP_302');
    expect((await warden.alerts()).map((alert) => alert.kind)).toEqual(['DriftRepaired']);
  });

  it('repairs a person’s change once event history shows it, before the grace, naming who', async () => {
    await warden.person.elbv2.send(
      new ModifyListenerCommand({ ListenerArn: warden.seed.httpListenerArn, ...redirect302 }),
    );

    const decided = await sweepsUntilDecided();

    expect(decided).toEqual({ minute: 5, outcome: 'repaired' });
    expect(await statusCode()).toBe('HTTP_301');
    const [alert] = await warden.alerts();
    expect(alert?.text).toContain('assumed-role/AdministratorAccess/jiwoo.kim');
  });

  it('waits the grace as before when event history is slower than the grace', async () => {
    await control().eventHistory({ delayMs: 30 * MINUTE });
    await warden.person.elbv2.send(
      new ModifyListenerCommand({ ListenerArn: warden.seed.httpListenerArn, ...redirect302 }),
    );

    expect(await sweepsUntilDecided()).toEqual({ minute: 11, outcome: 'repaired' });
  });
});

simulatorOnly('the sweep sees a deregistration before its event, which never comes', () => {
  async function registeredInstance(): Promise<string> {
    const [id = ''] = await launchInstances(warden.world.clients, {
      count: 1,
      subnetId: warden.seed.subnetIds[0],
      tags: { Role: 'web' },
    });
    await sweep(deps);
    return id;
  }

  async function registered(): Promise<string[]> {
    const output = await warden.world.clients.elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: warden.seed.targetGroupArn }),
    );
    return (output.TargetHealthDescriptions ?? [])
      .filter((description) => description.TargetHealth?.State !== 'draining')
      .map((description) => description.Target?.Id ?? '');
  }

  /** A registered instance whose target CodeDeploy's service role (BlockTraffic) just deregistered. */
  async function takenOutByCodeDeploy(): Promise<string> {
    await control().identity(
      CODEDEPLOY_KEY,
      `arn:aws:sts::${warden.seed.account}:assumed-role/CodeDeployServiceRole/CodeDeploy-d-ABCDEF123`,
      { invokedBy: 'codedeploy.amazonaws.com' },
    );
    const id = await registeredInstance();
    await warden.world.clients.clientsAs(CODEDEPLOY_KEY).elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: warden.seed.targetGroupArn,
        Targets: [{ Id: id, Port: 8080 }],
      }),
    );
    return id;
  }

  it('holds a target CodeDeploy took out, once event history shows the call', async () => {
    const id = await takenOutByCodeDeploy();

    await advance(5 * MINUTE);
    const result = await sweep(deps);
    await advance(30 * MINUTE);
    await sweep(deps);

    expect(result.bindings[0]?.registration?.held).toEqual([`${id}:8080 (codedeploy.amazonaws.com)`]);
    expect(await registered()).toEqual([]);
  });

  /** Sweeps once a simulated minute for `minutes`; the registered targets after each. */
  async function sweepEachMinute(minutes: number): Promise<string[][]> {
    const seen: string[][] = [];
    for (let minute = 1; minute <= minutes; minute++) {
      await advance(MINUTE);
      await sweep(deps);
      seen.push(await registered());
    }
    return seen;
  }

  it('never registers a target CodeDeploy took out while it drains, before its event or event history', async () => {
    const id = await takenOutByCodeDeploy();

    await advance(MINUTE);
    const first = await sweep(deps);
    const later = await sweepEachMinute(20);

    expect(first.bindings[0]?.registration?.held).toEqual([`${id}:8080 (${DRAINING_HOLDER})`]);
    expect(later.every((targets) => targets.length === 0)).toBe(true);
  });

  it('registers a person’s deregistration whose event is lost once its drain ends, not before', async () => {
    await control().eventHistory({ delayMs: 30 * MINUTE });
    const id = await registeredInstance();
    await warden.person.elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: warden.seed.targetGroupArn,
        Targets: [{ Id: id, Port: 8080 }],
      }),
    );

    // The target group's deregistration delay is AWS's default, 300 s: four sweeps see it draining.
    expect(await sweepEachMinute(6)).toEqual([[], [], [], [], [id], [id]]);
  });

  it('registers a person’s deregistration again', async () => {
    const id = await registeredInstance();
    await warden.person.elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: warden.seed.targetGroupArn,
        Targets: [{ Id: id, Port: 8080 }],
      }),
    );

    await advance(5 * MINUTE);
    await sweep(deps);

    expect(await registered()).toEqual([id]);
  });
});
