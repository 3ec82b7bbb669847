/**
 * `alb-warden reconcile`: the sweep run by hand. It fixes drift and registrations and prints the plan;
 * --dry-run prints the same plan and makes no ELB or EC2 write.
 */
import {
  CreateRuleCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InvocationResult } from '../../functions/use-cases/results.ts';
import { launchInstances } from '../../sim/seed.ts';
import { type CliWorld, startCliWorld, writesBetween } from './support.ts';

let w: CliWorld;
let web: string[];
beforeEach(async () => {
  w = await startCliWorld();
  web = await w.launchWeb(2);
});
afterEach(() => w.stop());

async function registered(): Promise<string[]> {
  const { TargetHealthDescriptions = [] } = await w.warden.world.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: w.warden.seed.targetGroupArn }),
  );
  return TargetHealthDescriptions.filter((entry) => entry.TargetHealth?.State !== 'draining')
    .map((entry) => `${entry.Target?.Id}:${entry.Target?.Port}`)
    .sort();
}

async function addForeignRule(): Promise<void> {
  await w.warden.person.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: w.warden.seed.httpListenerArn,
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/admin/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: w.warden.seed.targetGroupArn }],
    }),
  );
}

async function extraRules(): Promise<number> {
  const { Rules = [] } = await w.warden.world.clients.elbv2.send(
    new DescribeRulesCommand({ ListenerArn: w.warden.seed.httpListenerArn }),
  );
  return Rules.filter((rule) => !rule.IsDefault).length;
}

describe('alb-warden reconcile', () => {
  it('repairs a drifted listener, removes a foreign rule, registers a missing instance, and exits 0', async () => {
    await w.breakRedirect();
    await addForeignRule();
    const [late = ''] = await launchInstances(w.warden.world.clients, {
      count: 1,
      subnetId: w.warden.seed.subnetIds[1],
      tags: { Role: 'web' },
    });

    const run = await w.cli(['reconcile']);

    expect(run.code).toBe(0);
    expect(await w.httpAction()).toBe('redirect');
    expect(await extraRules()).toBe(0);
    expect(await registered()).toEqual([...web, late].map((id) => `${id}:8080`).sort());
    expect(run.stdout).toContain('OK   web');
    expect(run.stdout).toMatch(/ {5}listeners {4}repaired: port 80 forwards to web-8080/);
    expect(run.stdout).toContain(
      'changed the HTTP listener on port 80 so that it redirects 301 to HTTPS:443',
    );
    expect(run.stdout).toContain('deleted rule 10 (forwards to web-8080)');
    expect(run.stdout).toContain(`     registration register ${late}:8080`);
    expect(run.stdout).toContain('     alerts sent  DriftRepaired');
  });

  it('--json returns the sweep result, field by field', async () => {
    await w.breakRedirect();

    const run = await w.cli(['reconcile', '--json']);

    expect(run.code).toBe(0);
    const result = run.json<InvocationResult>();
    expect(result.function).toBe('sweep');
    expect(result.mode).toBe('enforce');
    expect(result.bindings).toHaveLength(1);
    const [binding] = result.bindings;
    expect(binding?.binding).toBe('web');
    expect(binding?.status).toBe('ok');
    expect(binding?.listeners).toEqual({
      outcome: 'repaired',
      decision: { kind: 'apply', reason: 'drift found: repairing' },
      drift: ['port 80 forwards to web-8080 instead of redirecting to HTTPS (301 to HTTPS:443)'],
      steps: ['changed the HTTP listener on port 80 so that it redirects 301 to HTTPS:443'],
      blocked: [],
      verified: true,
    });
    expect(binding?.healthCheck).toEqual({
      outcome: 'in-sync',
      decision: { kind: 'in-sync', reason: 'matches the configuration' },
      drift: [],
      steps: [],
      blocked: [],
    });
    expect(binding?.registration).toEqual({
      applied: true,
      decision: { kind: 'in-sync', reason: 'every running matching instance is a target' },
      register: [],
      deregister: [],
      unchanged: 2,
      foreign: [],
      rejected: [],
    });
    expect(binding?.health).toEqual({
      decision: { kind: 'in-sync', reason: 'no target is unhealthy and no alert is due' },
      registered: 2,
      healthy: 2,
      unhealthy: [],
    });
    expect(binding?.alerts).toEqual(['DriftRepaired']);
    expect(binding?.error).toBeUndefined();
  });

  it('a second reconcile finds everything in sync and makes no write at all', async () => {
    await w.breakRedirect();
    await w.cli(['reconcile']);
    const before = await w.calls();

    const run = await w.cli(['reconcile', '--json']);

    expect(run.code).toBe(0);
    expect(run.json<InvocationResult>().bindings[0]?.listeners?.outcome).toBe('in-sync');
    expect(writesBetween(before, await w.calls())).toEqual([]);
  });

  it('--dry-run prints what it would do and makes no ELB or EC2 write', async () => {
    await w.breakRedirect();
    await addForeignRule();
    const [late = ''] = await launchInstances(w.warden.world.clients, {
      count: 1,
      subnetId: w.warden.seed.subnetIds[1],
      tags: { Role: 'web' },
    });
    const before = await w.calls();

    const run = await w.cli(['reconcile', '--dry-run']);

    expect(run.code).toBe(0);
    expect(writesBetween(before, await w.calls(), ['ec2', 'elbv2'])).toEqual([]);
    expect(await w.httpAction()).toBe('forward');
    expect(await extraRules()).toBe(1);
    expect(await registered()).toEqual(web.map((id) => `${id}:8080`).sort());
    expect(run.stdout.split('\n')[0]).toBe(
      'dry-run: nothing is changed; "would" marks what enforce mode does',
    );
    expect(run.stdout).toContain(
      'would change the HTTP listener on port 80 so that it redirects 301 to HTTPS:443',
    );
    expect(run.stdout).toContain('would delete rule 10 (forwards to web-8080)');
    expect(run.stdout).toContain(`     registration would register ${late}:8080`);
  });

  it('--dry-run --json says dry-run and would-repair, with nothing applied', async () => {
    await w.breakRedirect();
    await launchInstances(w.warden.world.clients, {
      count: 1,
      subnetId: w.warden.seed.subnetIds[1],
      tags: { Role: 'web' },
    });

    const run = await w.cli(['reconcile', '--dry-run', '--json']);

    const result = run.json<InvocationResult>();
    expect(result.mode).toBe('dry-run');
    expect(result.bindings[0]?.listeners?.outcome).toBe('would-repair');
    expect(result.bindings[0]?.registration?.applied).toBe(false);
    expect(result.bindings[0]?.registration?.register).toHaveLength(1);
  });

  // A preview must not count as an unhealthy sweep, or the controller's next sweep alerts one sweep early.
  it('--dry-run does not count toward the damping: the next real sweep does not alert yet', async () => {
    const [sick = ''] = web;
    await w.warden.world.control?.targetHealth({
      targetGroupArn: w.warden.seed.targetGroupArn,
      targetId: sick,
      state: 'unhealthy',
    });
    await w.cli(['reconcile', '--dry-run']);

    const first = await w.warden.sweep();

    expect(first.bindings[0]?.alerts).toEqual([]);
  });

  // Not the load balancer, and not the on-call topic or the alert state table either.
  it('--dry-run makes no mutating call of any kind (SNS, DynamoDB included)', async () => {
    await w.breakRedirect();
    const before = await w.calls();

    await w.cli(['reconcile', '--dry-run']);

    expect(writesBetween(before, await w.calls())).toEqual([]);
  });

  it('--dry-run lists the alerts it would send instead of sending them', async () => {
    await w.breakRedirect();

    const run = await w.cli(['reconcile', '--dry-run', '--json']);

    expect(run.json<{ wouldAlert: string[] }>().wouldAlert).toEqual([
      '[WARNING] web: (dry-run) would repair HTTP listener drift: port 80 forwards to web-8080',
    ]);
    expect(await w.warden.alerts()).toEqual([]);
  });

  it('the repair alert of a manual reconcile names the operator, not the schedule', async () => {
    await w.breakRedirect();

    await w.cli(['reconcile', '--by', 'oncall@laptop']);

    const [alert] = await w.warden.alerts();
    expect(alert?.text).not.toContain('found by the scheduled sweep');
    expect(alert?.text).toContain('oncall@laptop');
  });

  it('exits 1 and reports the error when a binding fails', async () => {
    await w.breakRedirect();
    await w.warden.world.control?.faults({
      service: 'elbv2',
      action: 'ModifyListener',
      error: 'AccessDenied',
      count: 10,
    });

    const run = await w.cli(['reconcile', '--json']);

    expect(run.code).toBe(1);
    const [binding] = run.json<InvocationResult>().bindings;
    expect(binding?.status).toBe('failed');
    expect(binding?.error?.message).toMatch(/AccessDenied/);
    expect(binding?.error?.transient).toBe(false);
    const human = await w.cli(['reconcile']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('FAIL web');
    expect(human.stdout).toMatch(/ {5}error {8}.*AccessDenied/);
  });

  it('says a transient failure is worth trying again', async () => {
    await w.warden.world.control?.faults({
      service: 'elbv2',
      action: 'DescribeListeners',
      error: 'ServiceUnavailable',
      count: 50,
    });

    const run = await w.cli(['reconcile']);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('(transient: try again)');
  });

  it('--binding NAME reconciles that binding; an unknown one is a usage error', async () => {
    expect((await w.cli(['reconcile', '--binding', 'web'])).code).toBe(0);

    const run = await w.cli(['reconcile', '--binding', 'api']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no binding named "api"');
  });
});
