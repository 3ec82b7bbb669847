import { DeleteRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig, type WardenConfigInput } from '../../functions/config.ts';
import { createDeps } from '../../functions/deps.ts';
import { defaultMemberRoleName } from '../../functions/domain/accounts.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import type { Deps } from '../../functions/use-cases/context.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import { inEventScope, sweepFleet } from '../../functions/use-cases/members.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import type { InvocationResult } from '../../functions/use-cases/results.ts';
import { bindingStatuses } from '../../functions/use-cases/status.ts';
import type { SimControl } from '../../sim/control.ts';
import { launchInstances, type SeedTopology } from '../../sim/seed.ts';
import { EventFeed } from '../../testkit/events.ts';
import { memberRoleArn } from '../../testkit/members.ts';
import { createClients } from '../../testkit/world.ts';
import { mutatingCalls } from '../demo/support.ts';
import { recordingTelemetry } from '../support/fake-world.ts';
import { KEYS, simulatorOnly, type World } from './harness.ts';
import {
  type Deployed,
  driftHttpListener,
  HUB_ROLE,
  httpAction,
  hubConfig,
  MEMBERS,
  restoreRole,
  sentAlerts,
  startHubWorld,
  targets,
} from './member-world.ts';

let world: World;
let control: SimControl;
let hubSeed: SeedTopology;
let members: Deployed[];
let deps: Deps;
let feed: EventFeed;
let configInput: WardenConfigInput;
const clock = { now: 0 };

/** Delivers the events at the hub's bus to the guard and register use-cases, scoped as their handlers are. */
async function pump(): Promise<InvocationResult[]> {
  const guard = inEventScope('guard', handleApiCall);
  const register = inEventScope('register', handleInstanceState);
  const { delivered } = await feed.deliver(HUB_ROLE, async (target, raw) => {
    const event = parseEvent(raw);
    if (target === 'register' && (event.type === 'instance-state' || event.type === 'spot-interruption'))
      return register(deps, event);
    if (target === 'guard' && event.type === 'api-call') return guard(deps, event);
    return undefined;
  });
  return delivered;
}

/** STS is counted once called, like the other services beyond the controller's five. */
const assumeRoleCalls = async () =>
  ((await control.calls()) as Partial<Record<string, Record<string, number>>>).sts?.AssumeRole ?? 0;

async function advance(ms: number): Promise<void> {
  clock.now = Date.parse((await control.clock(ms)).now);
}

const alerts = () => sentAlerts(control);

beforeAll(async () => {
  let topicArn: string;
  ({ world, control, hubSeed, topicArn, members } = await startHubWorld());
  const binding = (name: string, seed: SeedTopology) => ({
    name,
    loadBalancerArn: seed.loadBalancerArn,
    targetGroupArn: seed.targetGroupArn,
    instanceSelector: { tags: { Role: 'web' } },
    https: { certificateArn: seed.certificateArn },
  });
  configInput = hubConfig(topicArn, [
    binding('hub-web', hubSeed),
    ...members.map(({ member, seed }) => binding(member.name, seed)),
  ]);
  const config = parseConfig(configInput);
  await advance(0);
  deps = createDeps(config, {
    telemetry: recordingTelemetry(),
    now: () => clock.now,
    aws: world.aws(KEYS.controller),
  });
  await control.resetCalls();
  feed = await EventFeed.open(control);
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

simulatorOnly('a hub with two member accounts in two regions', () => {
  it("registers each member's new instance from its forwarded EC2 event, in that member only", async () => {
    // Act
    const launched = [];
    for (const { clients, seed } of members)
      launched.push(
        await launchInstances(clients, { count: 1, subnetId: seed.subnetIds[0], tags: { Role: 'web' } }),
      );
    const results = await pump();

    // Assess
    const registered = results.flatMap((result) =>
      result.bindings.filter((binding) => (binding.registration?.register.length ?? 0) > 0),
    );
    expect(registered.map((binding) => [binding.binding, binding.registration?.register])).toEqual([
      ['team-a', launched[0]],
      ['team-b', launched[1]],
    ]);
    // Alike tags, alike names: every event reached only its own account's binding.
    expect(
      results
        .flatMap((result) => result.bindings.map((binding) => binding.binding))
        .filter((name) => name === 'hub-web'),
    ).toEqual([]);
    for (const [index, { clients, seed }] of members.entries())
      expect(await targets(clients, seed)).toEqual(launched[index]);
    expect(await targets(world.clients, hubSeed)).toEqual([]);
    expect(await assumeRoleCalls()).toBe(2);
  });

  it('repairs a listener drift in each member from its forwarded CloudTrail event, with cached credentials', async () => {
    // Prepare
    for (const { member, seed } of members)
      await driftHttpListener(createClients(world.endpoint, member.region, member.adminKey), seed);
    const before = (await alerts()).length;

    // Act
    const results = await pump();

    // Assess
    const repaired = results.flatMap((result) =>
      result.bindings
        .filter((binding) => binding.listeners?.outcome === 'repaired')
        .map((binding) => binding.binding),
    );
    expect(repaired).toEqual(['team-a', 'team-b']);
    for (const { clients, seed } of members)
      expect(await httpAction(clients, seed)).toEqual({ type: 'redirect', statusCode: 'HTTP_301' });
    // One alert stream at the hub; each alert says plainly which account and region it is about.
    const sent = (await alerts()).slice(before);
    expect(sent.map((alert) => alert.subject.split(': ')[0])).toEqual(
      MEMBERS.map((member) => `[WARNING] ${member.name} (${member.account}/${member.region})`),
    );
    expect(sent.map((alert) => alert.text.split('\n')[0])).toEqual(
      MEMBERS.map(
        (member) =>
          `WARNING · DriftRepaired · binding ${member.name} · account ${member.account}, ${member.region}`,
      ),
    );
    expect(await assumeRoleCalls()).toBe(2);
  });

  it("reads each member's binding for status through its role, with the hub's own as they are", async () => {
    // Prepare
    const [a] = members as [Deployed];
    await driftHttpListener(a.clients, a.seed);
    await feed.take(); // status reads; no event reaches the guard here
    const before = await control.calls();

    // Act
    const statuses = await bindingStatuses(deps);

    // Assess
    expect(statuses.map((status) => [status.binding, status.error, status.listeners.inSync])).toEqual([
      ['hub-web', undefined, true],
      ['team-a', undefined, false],
      ['team-b', undefined, true],
    ]);
    expect(statuses[1]?.listeners.drift).toEqual([
      expect.stringMatching(/^port 80 forwards to web-8080 instead of redirecting/),
    ]);
    // Read-only (AssumeRole, once a member if its role was not assumed yet, changes nothing).
    const writes = mutatingCalls(before, await control.calls());
    expect(writes.filter((call) => !call.startsWith('sts AssumeRole'))).toEqual([]);
    await sweepFleet(deps);
    expect(await httpAction(a.clients, a.seed)).toEqual({ type: 'redirect', statusCode: 'HTTP_301' });
  });

  it("spends each member's own ELB budget: one member's calls never wait on another's", async () => {
    // Prepare: a share of two describe tokens, on a clock that never refills them.
    const slept: string[] = [];
    let caller = '';
    const limited = createDeps(parseConfig({ ...configInput, limits: { apiShare: 0.05 } }), {
      telemetry: recordingTelemetry(),
      now: () => clock.now,
      limiterClock: {
        now: () => 0,
        sleep: async () => {
          slept.push(caller);
        },
      },
      aws: world.aws(KEYS.controller),
    });
    const [a, b] = members as [Deployed, Deployed];
    const clientsOf = async ({ member }: Deployed) =>
      (await limited.clientsFor?.({ account: member.account, region: member.region }))?.elb;
    const [elbA, elbB] = [await clientsOf(a), await clientsOf(b)];

    // Act
    caller = 'team-a';
    for (let call = 0; call < 3; call++) await elbA?.listListeners(a.seed.loadBalancerArn);
    caller = 'team-b';
    for (let call = 0; call < 2; call++) await elbB?.listListeners(b.seed.loadBalancerArn);
    caller = 'hub';
    for (let call = 0; call < 2; call++) await limited.elb.listListeners(hubSeed.loadBalancerArn);

    // Assess: only team-a's third call waited.
    expect(slept).toEqual(['team-a']);
  });

  it("gives a member's limiter the calling function's share, not the whole apiShare", async () => {
    // Prepare: apiShare 0.05 is two describe tokens; a sweep worker's share of 0.025 is one.
    let waited = 0;
    const worker = createDeps(parseConfig({ ...configInput, limits: { apiShare: 0.05 } }), {
      telemetry: recordingTelemetry(),
      now: () => clock.now,
      apiShare: 0.025,
      limiterClock: {
        now: () => 0,
        sleep: async () => {
          waited += 1;
        },
      },
      aws: world.aws(KEYS.controller),
    });
    const [a] = members as [Deployed];
    const elb = (await worker.clientsFor?.({ account: a.member.account, region: a.member.region }))?.elb;

    // Act
    await elb?.listListeners(a.seed.loadBalancerArn);
    const afterOne = waited;
    await elb?.listListeners(a.seed.loadBalancerArn);

    // Assess: the second call waited for a token the worker's share did not have.
    expect([afterOne, waited]).toEqual([0, 1]);
  });

  it('sweeps every member and the hub; a deleted member role fails that member alone, alerted once', async () => {
    // Prepare: team-b's role is gone, and the sessions issued before have expired.
    const [a, b] = members as [Deployed, Deployed];
    await b.iam.send(new DeleteRoleCommand({ RoleName: defaultMemberRoleName(b.member.region) }));
    await advance(3_600_000);
    await driftHttpListener(createClients(world.endpoint, a.member.region, a.member.adminKey), a.seed);
    await feed.take(); // the sweep finds the drift itself
    await control.resetCalls();
    const before = (await alerts()).length;

    // Act
    const first = await sweepFleet(deps);
    const second = await sweepFleet(deps);

    // Assess
    const status = (result: InvocationResult) =>
      result.bindings.map((binding) => [binding.binding, binding.status, binding.error?.code]);
    expect(status(first)).toEqual([
      ['hub-web', 'ok', undefined],
      ['team-a', 'ok', undefined],
      ['team-b', 'failed', 'AccessDenied'],
    ]);
    expect(status(second)).toEqual(status(first));
    expect(first.bindings.find((binding) => binding.binding === 'team-a')?.listeners?.outcome).toBe(
      'repaired',
    );
    expect(await httpAction(a.clients, a.seed)).toEqual({ type: 'redirect', statusCode: 'HTTP_301' });
    const sent = (await alerts()).slice(before);
    const roleAlerts = sent.filter((alert) => alert.subject.includes(b.member.account));
    expect(roleAlerts).toHaveLength(1);
    expect(roleAlerts[0]?.subject).toBe(
      `[CRITICAL] ${b.member.account}/${b.member.region}: cannot assume role ${defaultMemberRoleName(b.member.region)}`,
    );
    expect(roleAlerts[0]?.text).toContain(memberRoleArn(b.member));
    expect(roleAlerts[0]?.text).toContain('team-b');
    // team-a: one refresh for both sweeps; team-b: one refused attempt a sweep.
    expect(await assumeRoleCalls()).toBe(3);
  });

  it('settles the alert once the role is back: the same failure later is news again', async () => {
    // Prepare
    const [, b] = members as [Deployed, Deployed];
    await restoreRole(b);
    const before = (await alerts()).length;

    // Act
    const restored = await sweepFleet(deps);
    await b.iam.send(new DeleteRoleCommand({ RoleName: defaultMemberRoleName(b.member.region) }));
    // Within the hour since the first alert (no reminder due), and past the point where the hub renews.
    await advance(51 * 60_000);
    const brokenAgain = await sweepFleet(deps);

    // Assess
    expect(restored.bindings.map((binding) => binding.status)).toEqual(['ok', 'ok', 'ok']);
    expect(brokenAgain.bindings.find((binding) => binding.binding === 'team-b')?.status).toBe('failed');
    const sent = (await alerts()).slice(before).filter((alert) => alert.subject.includes(b.member.account));
    expect(sent).toHaveLength(1);
  });
});
