/**
 * `alb-warden status` against the simulator: a read-only report per binding, exit 0 when all is well and 1
 * when a listener drifted, a target is unhealthy or a matching instance is missing.
 */
import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchInstances } from '../../sim/seed.ts';
import { type CliWorld, startCliWorld, writesBetween } from './support.ts';

interface Status {
  ok: boolean;
  sweep: { intervalMinutes: number; bindings: number; workers: number; workerShare: number };
  bindings: {
    binding: string;
    ok: boolean;
    listeners: { inSync: boolean; drift: string[]; blocked: string[]; wouldRepair: string[] };
    targets: {
      registered: number;
      healthy: number;
      unhealthy: { target: string; state: string; reason?: string; description?: string }[];
      missing: string[];
      foreign: string[];
    };
    alertState: {
      alerting: string[];
      noHealthyTargets: boolean;
      paused?: { by: string; until: string; reason?: string };
      suspended: string[];
      parkedAlerts: number;
    };
    error?: string;
  }[];
}

let w: CliWorld;
let web: string[];
beforeEach(async () => {
  w = await startCliWorld();
  web = await w.launchWeb(2);
});
afterEach(() => w.stop());

describe('alb-warden status', () => {
  it('exits 0 and says OK when listeners, targets and alert state are all well', async () => {
    const run = await w.cli(['status']);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        'sweep: every binding once every 1 minute (1 binding, 2 workers)',
        'OK     web',
        '     listeners    in sync',
        '     targets      2 registered, 2 healthy, 0 unhealthy',
        '     alert state  quiet',
        '',
      ].join('\n'),
    );
    expect(run.stderr).toBe('');
  });

  it('--json reports every field of a healthy binding', async () => {
    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(0);
    const status = run.json<Status>();
    expect(status.ok).toBe(true);
    // The test world runs at apiShare 1: each of the 2 workers gets half of the sweep's half.
    expect(status.sweep).toEqual({ intervalMinutes: 1, bindings: 1, workers: 2, workerShare: 0.25 });
    expect(status.bindings).toHaveLength(1);
    const [binding] = status.bindings;
    expect(binding?.binding).toBe('web');
    expect(binding?.ok).toBe(true);
    expect(binding?.listeners).toEqual({
      inSync: true,
      decision: 'in-sync',
      drift: [],
      blocked: [],
      wouldRepair: [],
    });
    expect(binding?.targets).toEqual({ registered: 2, healthy: 2, unhealthy: [], missing: [], foreign: [] });
    expect(binding?.alertState).toEqual({
      alerting: [],
      noHealthyTargets: false,
      suspended: [],
      parkedAlerts: 0,
    });
    expect(binding?.error).toBeUndefined();
  });

  it('exits 1 with the diff when the HTTP listener drifted, and changes nothing', async () => {
    await w.breakRedirect();
    const before = await w.calls();

    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(1);
    const [binding] = run.json<Status>().bindings;
    expect(binding?.ok).toBe(false);
    expect(binding?.listeners.inSync).toBe(false);
    expect(binding?.listeners.drift).toEqual([
      'port 80 forwards to web-8080 instead of redirecting to HTTPS (301 to HTTPS:443)',
    ]);
    expect(binding?.listeners.wouldRepair).toEqual(['modify-listener http']);
    expect(writesBetween(before, await w.calls())).toEqual([]);
    expect(await w.httpAction()).toBe('forward');
  });

  it('prints the drift in the human report', async () => {
    await w.breakRedirect();

    const run = await w.cli(['status']);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('NOT OK web');
    expect(run.stdout).toContain(
      '     listeners    drift: port 80 forwards to web-8080 instead of redirecting to HTTPS (301 to HTTPS:443)',
    );
  });

  it('exits 1 and names an unhealthy target with its reason and description', async () => {
    const [sick = ''] = web;
    await w.warden.world.control?.targetHealth({
      targetGroupArn: w.warden.seed.targetGroupArn,
      targetId: sick,
      state: 'unhealthy',
      reasonCode: 'Target.ResponseCodeMismatch',
      description: 'Health checks failed with these codes: [500]',
    });

    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(1);
    const [binding] = run.json<Status>().bindings;
    expect(binding?.listeners.inSync).toBe(true);
    expect(binding?.targets.registered).toBe(2);
    expect(binding?.targets.healthy).toBe(1);
    expect(binding?.targets.unhealthy).toEqual([
      {
        target: `${sick}:8080`,
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [500]',
      },
    ]);
    const human = await w.cli(['status']);
    expect(human.stdout).toContain(
      `${sick}:8080 unhealthy Target.ResponseCodeMismatch Health checks failed with these codes: [500]`,
    );
  });

  it('shows the targets being alerted on once the sweeps have alerted', async () => {
    const [sick = ''] = web;
    await w.warden.world.control?.targetHealth({
      targetGroupArn: w.warden.seed.targetGroupArn,
      targetId: sick,
      state: 'unhealthy',
    });
    await w.warden.sweep();
    await w.warden.sweep();

    const run = await w.cli(['status', '--json']);

    expect(run.json<Status>().bindings[0]?.alertState.alerting).toEqual([`${sick}:8080`]);
    expect((await w.cli(['status'])).stdout).toContain(`alert state  alerting on ${sick}:8080`);
  });

  it('exits 1 and lists a running matching instance that is not registered', async () => {
    const [late = ''] = await launchInstances(w.warden.world.clients, {
      count: 1,
      subnetId: w.warden.seed.subnetIds[1],
      tags: { Role: 'web' },
    });

    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(1);
    expect(run.json<Status>().bindings[0]?.targets.missing).toEqual([`${late}:8080`]);
    expect((await w.cli(['status'])).stdout).toContain(
      `     missing      ${late}:8080 (running, matching, not registered)`,
    );
  });

  it('reports a target registered by hand without counting it as wrong', async () => {
    const [batch = ''] = await launchInstances(w.warden.world.clients, {
      count: 1,
      subnetId: w.warden.seed.subnetIds[0],
      tags: { Role: 'batch' },
    });
    await w.warden.person.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: w.warden.seed.targetGroupArn,
        Targets: [{ Id: batch, Port: 8080 }],
      }),
    );

    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(0);
    expect(run.json<Status>().bindings[0]?.targets.foreign).toEqual([`${batch}:8080`]);
    expect((await w.cli(['status'])).stdout).toContain(`     by hand      ${batch}:8080 (left alone)`);
  });

  it('exits 1 when someone deregistered every target: both are missing', async () => {
    await w.warden.person.elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: w.warden.seed.targetGroupArn,
        Targets: web.map((Id) => ({ Id, Port: 8080 })),
      }),
    );

    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(1);
    expect(run.json<Status>().bindings[0]?.targets.missing.sort()).toEqual(
      web.map((id) => `${id}:8080`).sort(),
    );
  });

  it('says "no healthy targets" once the sweeps have raised that condition', async () => {
    for (const targetId of web)
      await w.warden.world.control?.targetHealth({
        targetGroupArn: w.warden.seed.targetGroupArn,
        targetId,
        state: 'unhealthy',
      });
    await w.warden.sweep();
    await w.warden.sweep();

    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(1);
    expect(run.json<Status>().bindings[0]?.alertState.noHealthyTargets).toBe(true);
    expect((await w.cli(['status'])).stdout).toContain('no healthy targets');
  });

  it('exits 1 and reports the error of a binding AWS refuses to describe', async () => {
    await w.warden.world.control?.faults({
      service: 'elbv2',
      action: 'DescribeListeners',
      error: 'AccessDenied',
      count: 10,
    });

    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(1);
    const [binding] = run.json<Status>().bindings;
    expect(binding?.ok).toBe(false);
    expect(binding?.error).toMatch(/AccessDenied/);
    expect((await w.cli(['status'])).stdout).toMatch(/ {5}error {8}.*AccessDenied/);
  });

  it('reads the configuration from WARDEN_CONFIG when no --config is given', async () => {
    const run = await w.cli(['status'], { env: { WARDEN_CONFIG: JSON.stringify(w.warden.config) } });

    expect(run.code).toBe(0);
  });

  it('--binding limits the report to one binding; an unknown name is a usage error', async () => {
    expect((await w.cli(['status', '--binding', 'web', '--json'])).json<Status>().bindings).toHaveLength(1);

    const run = await w.cli(['status', '--binding', 'api']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('alb-warden: no binding named "api" (bindings: web)\n');
  });

  it('colours its output on a terminal only, and never with NO_COLOR', async () => {
    await w.breakRedirect();

    expect((await w.cli(['status'], { tty: true })).stdout).toContain('\u001b[31mNOT OK\u001b[0m web');
    expect((await w.cli(['status'], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
    expect((await w.cli(['status'])).stdout).not.toContain('\u001b[');
  });
});
