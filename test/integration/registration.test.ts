/**
 * Registration on the simulator: real SDK clients, real wire, events as the simulator records them.
 * Call counts come from the simulator's counter (GET /_sim/calls).
 */

import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseEvent } from '../../functions/domain/events.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { CallCounts } from '../../sim/control.ts';
import { launchInstances } from '../../sim/seed.ts';
import { simulatorOnly } from './harness.ts';
import { startWarden, type Warden } from './warden.ts';

const MUTATING = [
  'RegisterTargets',
  'DeregisterTargets',
  'ModifyListener',
  'CreateListener',
  'DeleteRule',
  'ModifyTargetGroup',
];

/** Skipped against another endpoint (WARDEN_IT_ENDPOINT): they read the simulator's EC2 events and call counter (GET /_sim/events, /_sim/calls). */

let warden: Warden;
beforeEach(async () => {
  warden = await startWarden();
});
afterEach(() => warden.stop());

async function registered(): Promise<string[]> {
  const output = await warden.world.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: warden.seed.targetGroupArn }),
  );
  return (output.TargetHealthDescriptions ?? [])
    .filter((description) => description.TargetHealth?.State !== 'draining')
    .map((description) => `${description.Target?.Id}:${description.Target?.Port}`)
    .sort();
}

async function calls(): Promise<CallCounts> {
  const control = warden.world.control;
  if (!control) throw new Error('needs the simulator');
  return control.calls();
}

const total = (counts: CallCounts) =>
  Object.values(counts).reduce((sum, service) => sum + Object.values(service).reduce((a, b) => a + b, 0), 0);
const mutating = (counts: CallCounts) =>
  MUTATING.reduce((sum, action) => sum + (counts.elbv2[action] ?? 0), 0);

const launch = (count: number, tags: Record<string, string> = { Role: 'web' }) =>
  launchInstances(warden.world.clients, { count, subnetId: warden.seed.subnetIds[0], tags });

simulatorOnly('registration through events', () => {
  it('registers instances that launch with the selector tags, without anyone asking', async () => {
    const ids = await launch(3);
    await warden.pump();
    expect(await registered()).toEqual(ids.map((id) => `${id}:8080`).sort());
  });

  it('uses at most 3 AWS calls for an event-triggered registration', async () => {
    const [id] = await launch(1);
    const { events } = await (warden.world.control?.events(0) ?? Promise.resolve({ events: [] }));
    const running = events
      .map(parseEvent)
      .find(
        (event) => event.type === 'instance-state' && event.instanceId === id && event.state === 'running',
      );
    if (running?.type !== 'instance-state') throw new Error('no running event recorded');
    await warden.world.control?.resetCalls();
    await handleInstanceState(warden.deps, running);
    expect(total(await calls())).toBeLessThanOrEqual(3);
    expect(await registered()).toEqual([`${id}:8080`]);
  });

  it('deregisters a stopped instance, and registers it again when it starts', async () => {
    const [id = ''] = await launch(1);
    await warden.pump();
    await warden.world.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await warden.pump();
    expect(await registered()).toEqual([]);
    // A start is a new launch (LaunchTime moves), so its running event registers again, no sweep needed.
    await warden.world.clients.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await warden.pump();
    expect(await registered()).toEqual([`${id}:8080`]);
  });

  it('makes zero mutating calls when the same events are delivered twice', async () => {
    await launch(2);
    const { events } = (await warden.world.control?.events(0)) ?? { events: [] };
    await warden.pump();
    await warden.world.control?.resetCalls();
    for (const raw of events) {
      const event = parseEvent(raw);
      if (event.type === 'instance-state') await handleInstanceState(warden.deps, event);
    }
    expect(mutating(await calls())).toBe(0);
  });

  it('registers nothing on a late running event for an instance terminated since', async () => {
    const [id = ''] = await launch(1);
    const { events } = (await warden.world.control?.events(0)) ?? { events: [] };
    await warden.world.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    const running = events
      .map(parseEvent)
      .find((event) => event.type === 'instance-state' && event.state === 'running');
    if (running?.type !== 'instance-state') throw new Error('no running event');
    await handleInstanceState(warden.deps, running);
    expect(await registered()).toEqual([]);
  });

  it('ignores matching instances in another VPC, without alerting', async () => {
    const { ec2 } = warden.world.clients;
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    const subnet = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc?.VpcId,
        CidrBlock: '10.1.1.0/24',
        AvailabilityZone: `${warden.seed.region}a`,
      }),
    );
    await launchInstances(warden.world.clients, {
      count: 1,
      subnetId: subnet.Subnet?.SubnetId ?? '',
      tags: { Role: 'web' },
    });
    const results = await warden.pump();
    await warden.sweep();
    expect(await registered()).toEqual([]);
    expect(results.flatMap((result) => result.bindings.map((binding) => binding.status))).toEqual(['ok']);
    expect(await warden.alerts()).toEqual([]);
  });
});

simulatorOnly('registration through sweeps', () => {
  it('converges from a mixed state in one sweep; the second makes zero mutating calls', async () => {
    const running = await launch(4);
    const [stopped = '', terminated = ''] = await launch(2);
    const api = await launch(1, { Role: 'api' });
    const unrelated = await launch(1, { Role: 'legacy' });
    // Registered by hand before anything else: one that will stop, one that never matched.
    await warden.world.clients.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: warden.seed.targetGroupArn,
        Targets: [
          { Id: stopped, Port: 8080 },
          { Id: unrelated[0], Port: 8080 },
        ],
      }),
    );
    await warden.world.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    await warden.world.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated] }));
    const first = await warden.sweep();
    expect(first.bindings[0]?.registration?.foreign).toEqual([`${unrelated[0]}:8080`]);
    expect(await registered()).toEqual([...running, unrelated[0]].map((id) => `${id}:8080`).sort());
    expect(api).toHaveLength(1);
    await warden.world.control?.resetCalls();
    await warden.sweep();
    expect(mutating(await calls())).toBe(0);
  });

  it('deregisters an owned instance whose tags stopped matching, and leaves hand-added ones', async () => {
    const ids = await launch(3);
    await warden.sweep();
    await warden.world.clients.ec2.send(
      new CreateTagsCommand({ Resources: [ids[0] ?? ''], Tags: [{ Key: 'Role', Value: 'retired' }] }),
    );
    const result = await warden.sweep();
    expect(result.bindings[0]?.registration?.deregister).toEqual([`${ids[0]}:8080 (no-longer-matches)`]);
  });

  it('deregisters nothing and alerts once when a selector typo matches nothing', async () => {
    await launch(3);
    await warden.sweep();
    const typo = {
      ...warden.deps,
      config: {
        ...warden.config,
        bindings: [{ ...warden.config.bindings[0], instanceSelector: { tags: { Role: 'wbe' } } }],
      },
    } as typeof warden.deps;
    await sweep(typo);
    await sweep(typo);
    expect(await registered()).toHaveLength(3);
    const alerts = await warden.alerts();
    expect(alerts.map((alert) => alert.kind)).toEqual(['RegistrationFailed']);
    expect(alerts[0]?.text).toContain('no instance carries the tags Role=wbe');
  });

  it('sweeps 1,000 matching instances with a handful of calls, not one per instance', async () => {
    // A /24 holds 251 instances (AWS reserves 5 addresses): a /20 for a thousand.
    const subnet = await warden.world.clients.ec2.send(
      new CreateSubnetCommand({
        VpcId: warden.seed.vpcId,
        CidrBlock: '10.0.16.0/20',
        AvailabilityZone: `${warden.seed.region}a`,
      }),
    );
    await launchInstances(warden.world.clients, {
      count: 1000,
      subnetId: subnet.Subnet?.SubnetId ?? '',
      tags: { Role: 'web' },
    });
    await warden.world.control?.resetCalls();
    await warden.sweep();
    const first = await calls();
    expect(first.ec2.DescribeInstances).toBe(1);
    expect(first.elbv2.RegisterTargets).toBe(5);
    expect(first.elbv2.DescribeTargetHealth).toBe(1);
    expect(total(first)).toBeLessThan(100);
    // The next scheduled sweep, a minute later: the new targets have passed their initial health check.
    await warden.world.control?.clock(60_000);
    await warden.world.control?.resetCalls();
    await warden.sweep();
    const second = await calls();
    expect(mutating(second)).toBe(0);
    // Per binding: target health, listeners, rules, state Query; one instance query; one group read for the health check.
    expect(second).toMatchObject({
      ec2: { DescribeInstances: 1 },
      elbv2: { DescribeTargetHealth: 1, DescribeListeners: 1, DescribeRules: 1, DescribeTargetGroups: 1 },
      dynamodb: { Query: 1 },
    });
    expect(total(second)).toBe(6);
  });
});
