/**
 * Discovery by tag on the simulator: the configuration holds a policy and no binding; tagging the seed load
 * balancer makes the next sweep guard it, untagging makes the controller let go, with nothing deleted.
 */
import {
  AddTagsCommand,
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DISCOVERY_TAG } from '../../functions/domain/discovery.ts';
import { launchInstances } from '../../sim/seed.ts';
import { simulatorOnly } from './harness.ts';
import { startWarden, type Warden } from './warden.ts';

let warden: Warden;
beforeEach(async () => {
  warden = await startWarden({
    bindings: [],
    discovery: [
      {
        name: 'fleet',
        selector: { tags: { 'alb-warden:guard': 'true' } },
        defaults: { instanceSelector: { tags: { Role: 'web' } } },
      },
    ],
  });
});
afterEach(() => warden.stop());

const tag = (tags: Record<string, string>) =>
  warden.person.elbv2.send(
    new AddTagsCommand({
      ResourceArns: [warden.seed.loadBalancerArn],
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );

const guardIt = () =>
  tag({ 'alb-warden:guard': 'true', [DISCOVERY_TAG.targetGroup]: warden.seed.targetGroupArn });

async function targets(): Promise<string[]> {
  const output = await warden.world.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: warden.seed.targetGroupArn }),
  );
  return (output.TargetHealthDescriptions ?? []).map((description) => description.Target?.Id ?? '').sort();
}

async function breakRedirect(): Promise<void> {
  const listeners = await warden.world.clients.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: warden.seed.loadBalancerArn }),
  );
  const http = listeners.Listeners?.find((listener) => listener.Port === 80);
  await warden.person.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: http?.ListenerArn,
      DefaultActions: [
        { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain' } },
      ],
    }),
  );
}

/** GetResources calls so far: the tagging API is counted once called (beyond the always-listed services). */
async function taggingCalls(): Promise<number> {
  const calls = (await warden.world.control?.calls()) as Record<string, Record<string, number>> | undefined;
  return calls?.tagging?.GetResources ?? 0;
}

async function stateQueries(): Promise<number> {
  return (await warden.world.control?.calls())?.dynamodb.Query ?? 0;
}

async function httpAction(): Promise<string | undefined> {
  const listeners = await warden.world.clients.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: warden.seed.loadBalancerArn }),
  );
  return listeners.Listeners?.find((listener) => listener.Port === 80)?.DefaultActions?.[0]?.Type;
}

simulatorOnly('a tagged load balancer is guarded from the next sweep, with no redeploy', () => {
  it('guards nothing before the tag, registers and repairs after it, and lets go when untagged', async () => {
    const ids = await launchInstances(warden.world.clients, {
      count: 2,
      subnetId: warden.seed.subnetIds[0],
      tags: { Role: 'web' },
    });

    const before = await warden.sweep();
    await guardIt();
    const tagged = await warden.sweep();
    const registered = await targets();
    await breakRedirect();
    const repaired = await warden.sweep();
    const actionAfterRepair = await httpAction();
    await warden.person.elbv2.send(
      new RemoveTagsCommand({ ResourceArns: [warden.seed.loadBalancerArn], TagKeys: ['alb-warden:guard'] }),
    );
    const untagged = await warden.sweep();
    await breakRedirect();
    await warden.sweep();

    expect(before.bindings).toEqual([]);
    expect(before.discovery).toEqual({ discovered: [], problems: [], shadowed: [] });
    expect(tagged.bindings.map((binding) => binding.binding)).toEqual(['web-alb']);
    expect(tagged.discovery?.discovered).toEqual([
      {
        binding: 'web-alb',
        policy: 'fleet',
        loadBalancerArn: warden.seed.loadBalancerArn,
        account: '123456789012',
        region: warden.seed.loadBalancerArn.split(':')[3],
      },
    ]);
    expect(registered).toEqual([...ids].sort());
    expect(repaired.bindings[0]?.listeners?.outcome).toBe('repaired');
    expect(actionAfterRepair).toBe('redirect');
    expect(untagged.bindings).toEqual([]);
    // Let go means left alone: the targets stay registered, the drift made since stays.
    expect(await targets()).toEqual([...ids].sort());
    expect(await httpAction()).toBe('fixed-response');
  });

  it('event handlers find a discovered binding from the set the sweep recorded, one Query a minute', async () => {
    await guardIt();
    await warden.sweep();
    await warden.pump(); // the tagging call's own event
    const before = await taggingCalls();

    await breakRedirect();
    const queriesBefore = await stateQueries();
    const [guarded] = await warden.pump();
    const firstEventQueries = (await stateQueries()) - queriesBefore;
    const after = await taggingCalls();
    await breakRedirect();
    const queriesBetween = await stateQueries();
    const [again] = await warden.pump();
    const secondEventQueries = (await stateQueries()) - queriesBetween;

    expect(guarded?.bindings.map((binding) => binding.binding)).toEqual(['web-alb']);
    expect(guarded?.bindings[0]?.listeners?.outcome).toBe('repaired');
    expect(again?.bindings[0]?.listeners?.outcome).toBe('repaired');
    expect(await httpAction()).toBe('redirect');
    // The guard read the recorded set from the state table; it never asked the tagging API.
    expect(after).toBe(before);
    expect(before).toBeGreaterThan(0);
    // The recorded set costs the first event of the minute one Query; the next one reads it from memory.
    expect(firstEventQueries - secondEventQueries).toBe(1);
  });
});

simulatorOnly('tags that make no binding', () => {
  it('alert once per load balancer, not every sweep, and are settled when fixed', async () => {
    await tag({
      'alb-warden:guard': 'true',
      [DISCOVERY_TAG.targetGroup]: warden.seed.targetGroupArn,
      [DISCOVERY_TAG.targetPort]: 'http',
    });

    const first = await warden.sweep();
    await warden.sweep();
    const alertsWhileBroken = await warden.alerts();
    await tag({ [DISCOVERY_TAG.targetPort]: '8080' });
    const fixed = await warden.sweep();
    await tag({ [DISCOVERY_TAG.targetPort]: 'http' });
    await warden.sweep();
    const alertsAfter = await warden.alerts();

    expect(first.bindings).toEqual([]);
    expect(first.discovery?.problems).toEqual([
      {
        loadBalancerArn: warden.seed.loadBalancerArn,
        policies: ['fleet'],
        tag: DISCOVERY_TAG.targetPort,
        message: `${DISCOVERY_TAG.targetPort} must be a port number, got "http"`,
      },
    ]);
    expect(alertsWhileBroken.map((alert) => alert.kind)).toEqual(['DiscoveryProblem']);
    expect(alertsWhileBroken[0]?.subject).toBe('[WARNING] web-alb: tags cannot make a binding: not guarded');
    expect(alertsWhileBroken[0]?.text).toContain(warden.seed.loadBalancerArn);
    expect(fixed.bindings.map((binding) => binding.binding)).toEqual(['web-alb']);
    // Settled when fixed: the same problem coming back is news again.
    expect(alertsAfter.filter((alert) => alert.kind === 'DiscoveryProblem')).toHaveLength(2);
  });
});
