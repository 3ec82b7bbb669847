/**
 * `alb-warden doctor --drill`: a real 301 → 302 drift made with the operator's credentials, timed until the
 * controller (the real guard and sweep, on the simulator) repairs it. The drill's waits advance a fake clock
 * and let the controller run instead of sleeping.
 */
import { writeFileSync } from 'node:fs';
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DoctorWorld, startDoctorWorld } from './doctor-support.ts';

vi.setConfig({ testTimeout: 30_000 });

let world: DoctorWorld;
beforeEach(async () => {
  world = await startDoctorWorld();
  await world.launchWeb(1);
});
afterEach(() => world.stop());

interface DrillDocument {
  readonly binding: string;
  readonly detectedBy: 'event' | 'sweep' | null;
  readonly repairSeconds: number | null;
  readonly alertReceived: boolean;
  readonly restoredByDrill: boolean;
}

/** A wait that advances the doctor's clock and then lets `act` run (the controller, or nothing). */
const waiting =
  (act: () => Promise<unknown>) =>
  async (ms: number): Promise<void> => {
    world.now += ms;
    await act();
  };

async function redirectStatus(): Promise<string | undefined> {
  const { Listeners = [] } = await world.warden.world.clients.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: world.warden.seed.loadBalancerArn }),
  );
  return Listeners.find((listener) => listener.Port === 80)?.DefaultActions?.[0]?.RedirectConfig?.StatusCode;
}

async function subscriptionProtocols(): Promise<string[]> {
  const { Subscriptions = [] } = await world.warden.world.clients.sns.send(
    new ListSubscriptionsByTopicCommand({ TopicArn: world.outputs.AlertTopicArn }),
  );
  return Subscriptions.map((subscription) => subscription.Protocol ?? '');
}

describe('the drill', () => {
  it('times a repair triggered by the CloudTrail event, and receives the alert', async () => {
    const run = await world.doctor(
      ['--drill', 'web', '--json'],
      waiting(() => world.warden.pump()),
    );

    expect(run.code).toBe(0);
    expect(run.json<DrillDocument>()).toEqual({
      binding: 'web',
      detectedBy: 'event',
      repairSeconds: 2,
      alertReceived: true,
      restoredByDrill: false,
    });
    expect(Object.keys(run.json())).toEqual([
      'binding',
      'detectedBy',
      'repairSeconds',
      'alertReceived',
      'restoredByDrill',
    ]);
    expect(await redirectStatus()).toBe('HTTP_301');
    expect(await subscriptionProtocols()).toEqual(['email']);
    expect(run.stderr).toContain("drill: changed web's HTTP:80 redirect from 301 to 302");
    expect(run.stderr).toContain('drill: temporary subscription and queue removed');
  });

  it('says the sweep detected it when the event never reaches the controller', async () => {
    let elapsed = 0;
    const sweepEveryMinute = waiting(async () => {
      elapsed += 2000;
      if (elapsed % 60_000 === 0) await world.warden.sweep();
    });

    const run = await world.doctor(['--drill', 'web', '--json'], sweepEveryMinute);

    expect(run.json<DrillDocument>()).toEqual({
      binding: 'web',
      detectedBy: 'sweep',
      repairSeconds: 60,
      alertReceived: true,
      restoredByDrill: false,
    });
    expect(run.code).toBe(0);
  });

  it('restores the redirect itself when the controller does not repair in time', async () => {
    const run = await world.doctor(
      ['--drill', 'web', '--timeout', '10', '--json'],
      waiting(async () => {}),
    );

    expect(run.code).toBe(1);
    expect(run.json<DrillDocument>()).toEqual({
      binding: 'web',
      detectedBy: null,
      repairSeconds: null,
      alertReceived: false,
      restoredByDrill: true,
    });
    expect(await redirectStatus()).toBe('HTTP_301');
    expect(await subscriptionProtocols()).toEqual(['email']);
  });

  it('prints one line for a person', async () => {
    const run = await world.doctor(
      ['--drill', 'web'],
      waiting(() => world.warden.pump()),
    );

    expect(run.stdout.trim()).toBe(
      '✓ drill web: repaired 2 s after the change, detected by the CloudTrail event; the DriftRepaired alert arrived',
    );
  });

  it('refuses to start when the configuration runs the controller in dry-run', async () => {
    const file = `${world.dir}/dry-run.json`;
    writeFileSync(file, JSON.stringify({ ...world.warden.config, mode: 'dry-run' }));

    const run = await world.doctor(
      ['--drill', 'web', '--config', file],
      waiting(() => world.warden.pump()),
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('dry-run: it reports drift and repairs nothing');
    expect(await redirectStatus()).toBe('HTTP_301');
  });

  it('refuses to start from a listener that is not as desired, and changes nothing', async () => {
    await world.breakRedirect();

    const run = await world.doctor(
      ['--drill', 'web', '--json'],
      waiting(() => world.warden.pump()),
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the drill starts only from the desired state');
    expect(await world.httpAction()).toBe('forward');
    expect(await subscriptionProtocols()).toEqual(['email']);
  });
});
