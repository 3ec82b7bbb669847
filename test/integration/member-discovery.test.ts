/**
 * Discovery by tag inside member accounts on the simulator: a hub and two members in two regions, each member
 * with a discovery policy of its own. The scheduler reads each member's tags with the member's role, records
 * what it found per account and region, and a member whose role is broken fails alone while keeping the
 * set it recorded. Workers and event handlers act on the discovered bindings in the member, and the CLI
 * reconciles and reads a member's bindings through its role.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddTagsCommand, RemoveTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.ts';
import { parseConfig } from '../../functions/config.ts';
import { createDeps } from '../../functions/deps.ts';
import { defaultMemberRoleName } from '../../functions/domain/accounts.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import { METRIC } from '../../functions/telemetry.ts';
import { InvocationIncompleteError } from '../../functions/use-cases/binding-run.ts';
import type { Deps } from '../../functions/use-cases/context.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import { inEventScope } from '../../functions/use-cases/members.ts';
import type { InvocationResult } from '../../functions/use-cases/results.ts';
import { type ScheduleResult, scheduleSweeps } from '../../functions/use-cases/schedule.ts';
import { sweepWorker } from '../../functions/use-cases/sweep-worker.ts';
import type { SimControl } from '../../sim/control.ts';
import { buildSeedTopology, launchInstances, type SeedTopology } from '../../sim/seed.ts';
import { EventFeed } from '../../testkit/events.ts';
import { memberRoleArn } from '../../testkit/members.ts';
import type { AwsClients } from '../../testkit/world.ts';
import { recordingTelemetry } from '../support/fake-world.ts';
import { KEYS, simulatorOnly, type World } from './harness.ts';
import {
  type Deployed,
  driftHttpListener,
  HUB_ACCOUNT,
  HUB_ROLE,
  httpAction,
  hubConfig,
  MEMBERS,
  restoreRole,
  sentAlerts,
  startHubWorld,
  targets,
} from './member-world.ts';

const GUARD = { Key: 'alb-warden:guard', Value: 'true' };

let world: World;
let control: SimControl;
let hubSeed: SeedTopology;
let members: [Deployed, Deployed];
let deps: Deps;
let feed: EventFeed;
let dir: string;
let configFile: string;
const clock = { now: 0 };
const queued: string[][] = [];

async function advance(ms: number): Promise<void> {
  clock.now = Date.parse((await control.clock(ms)).now);
}

const depsOptions = () => ({
  now: () => clock.now,
  aws: world.aws(KEYS.controller),
});

/** The load balancer tagged for discovery: selected by the policy, its target group named by a tag. */
async function tagForDiscovery(clients: AwsClients, seed: SeedTopology): Promise<void> {
  await clients.elbv2.send(
    new AddTagsCommand({
      ResourceArns: [seed.loadBalancerArn],
      Tags: [GUARD, { Key: 'alb-warden:target-group', Value: seed.targetGroupArn }],
    }),
  );
}

const schedule = () =>
  scheduleSweeps(deps, {
    send: async (groups) => {
      queued.push(...groups.map((group) => [...group]));
    },
  });

/** The load balancers whose discovered binding a partition of the state table records. */
async function recordedIn(partition: string): Promise<string[]> {
  return (await deps.state.load(partition))
    .filter((record) => record.key.startsWith('found#') && !record.deleted)
    .map((record) => record.key.slice('found#'.length))
    .sort();
}

/** The tagging service is counted once called, like the other services beyond the controller's five. */
const getResourcesCalls = async (where: SimControl) =>
  ((await where.calls()) as Partial<Record<string, Record<string, number>>>).tagging?.GetResources ?? 0;

const alerts = () => sentAlerts(control);
const httpActionType = async (clients: AwsClients, seed: SeedTopology) =>
  (await httpAction(clients, seed)).type;

const partitionOf = ({ member }: Deployed) => `(discovery):${member.account}:${member.region}`;

/** The CLI as an operator runs it, with the controller's credentials. */
async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    [...args, '--config', configFile],
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    },
    { deps: (config, telemetry) => createDeps(config, { telemetry, ...depsOptions() }) },
  );
  return { code, stdout, stderr };
}

/** The member's next `count` GetResources calls (the tag reads of its discovery) fail with `error`. */
const failTagReads = ({ member }: Deployed, error: string, count: number) =>
  control.in({ account: member.account, region: member.region }).faults({
    service: 'tagging',
    action: 'GetResources',
    error,
    count,
  });
/** team-b's load balancer has the same name as team-a's: its derived binding name is suffixed with its id. */
const nameOfB = () => `web-alb-${members[1].seed.loadBalancerArn.split('/').pop()}`;

beforeAll(async () => {
  let topicArn: string;
  let deployed: Deployed[];
  ({ world, control, hubSeed, topicArn, members: deployed } = await startHubWorld());
  members = deployed as [Deployed, Deployed];
  for (const { clients, seed } of members) await tagForDiscovery(clients, seed);
  const input = hubConfig(
    topicArn,
    [
      {
        name: 'hub-web',
        loadBalancerArn: hubSeed.loadBalancerArn,
        targetGroupArn: hubSeed.targetGroupArn,
        instanceSelector: { tags: { Role: 'web' } },
        https: { certificateArn: hubSeed.certificateArn },
      },
    ],
    {
      discovery: [
        {
          name: 'fleet',
          selector: { tags: { [GUARD.Key]: GUARD.Value } },
          defaults: { instanceSelector: { tags: { Role: 'web' } } },
        },
      ],
    },
  );
  dir = mkdtempSync(join(tmpdir(), 'alb-warden-members-'));
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(input));
  await advance(0);
  deps = createDeps(parseConfig(input), { telemetry: recordingTelemetry(), ...depsOptions() });
  feed = await EventFeed.open(control);
}, 60_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await world?.stop();
});

simulatorOnly('discovery inside member accounts', () => {
  it('finds each member’s tagged load balancers with its role, the bindings carrying account and region, recorded per account and region', async () => {
    // Prepare
    const [a, b] = members;
    await control.resetCalls();

    // Act
    const result = await schedule();

    // Assess
    expect(result.discovery?.discovered).toEqual([
      {
        binding: 'web-alb',
        policy: 'fleet',
        loadBalancerArn: a.seed.loadBalancerArn,
        account: a.member.account,
        region: a.member.region,
      },
      {
        binding: nameOfB(),
        policy: 'fleet',
        loadBalancerArn: b.seed.loadBalancerArn,
        account: b.member.account,
        region: b.member.region,
      },
    ]);
    expect(result.discovery?.failed).toBeUndefined();
    expect(queued.flat().sort()).toEqual(['hub-web', nameOfB(), 'web-alb'].sort());
    expect(await recordedIn(partitionOf(a))).toEqual([a.seed.loadBalancerArn]);
    expect(await recordedIn(partitionOf(b))).toEqual([b.seed.loadBalancerArn]);
    // Each member's tags were read in that member (its load balancers, then its target group's tags); the
    // hub has no policy of its own and read none.
    for (const { member } of members)
      expect(await getResourcesCalls(control.in({ account: member.account, region: member.region }))).toBe(2);
    expect(await getResourcesCalls(control)).toBe(0);
  });

  it('a worker sweeps a discovered member binding with the member’s credentials: registers and repairs there', async () => {
    // Prepare
    const [a] = members;
    const launched = await launchInstances(a.clients, {
      count: 1,
      subnetId: a.seed.subnetIds[0],
      tags: { Role: 'web' },
    });
    await driftHttpListener(a.clients, a.seed);
    await control.resetCalls();

    // Act
    const result = await sweepWorker(deps, [{ id: 'm-1', bindings: ['web-alb'] }], {
      holder: 'worker-1',
      leaseMs: 60_000,
    });

    // Assess
    expect(result.bindings.map((binding) => [binding.binding, binding.status])).toEqual([['web-alb', 'ok']]);
    expect(result.batchItemFailures).toEqual([]);
    expect(await targets(a.clients, a.seed)).toEqual(launched);
    expect(await httpActionType(a.clients, a.seed)).toBe('redirect');
    // The hub's own load balancer, of the same name and tags, was left alone.
    expect(await targets(world.clients, hubSeed)).toEqual([]);
    // The missing target and the drift were not looked up in the hub's CloudTrail, which never shows a
    // member's calls.
    const hubCalls = (await control.calls()) as Partial<Record<string, Record<string, number>>>;
    expect(hubCalls.cloudtrail?.LookupEvents ?? 0).toBe(0);
  });

  it('routes a member’s forwarded CloudTrail event to its discovered binding', async () => {
    // Prepare
    const [, b] = members;
    await feed.take();
    await driftHttpListener(b.clients, b.seed);

    // Act
    const guard = inEventScope('guard', handleApiCall);
    const { delivered } = await feed.deliver(HUB_ROLE, async (target, raw) => {
      const event = parseEvent(raw);
      return target === 'guard' && event.type === 'api-call' ? guard(deps, event) : undefined;
    });

    // Assess
    const repaired = (delivered as InvocationResult[]).flatMap((result) =>
      result.bindings.filter((binding) => binding.listeners?.outcome === 'repaired'),
    );
    expect(repaired.map((binding) => binding.binding)).toEqual([nameOfB()]);
    expect(await httpActionType(b.clients, b.seed)).toBe('redirect');
  });

  it('a member whose role is deleted keeps its recorded bindings and fails alone, alerted once by account and role', async () => {
    // Prepare: team-b's role is gone and its sessions have expired; team-a tags a second load balancer.
    const [a, b] = members;
    await b.iam.send(new DeleteRoleCommand({ RoleName: defaultMemberRoleName(b.member.region) }));
    await advance(3_600_000);
    const shop = await buildSeedTopology(a.clients, {
      loadBalancerName: 'shop-alb',
      targetGroupName: 'shop-8080',
    });
    await tagForDiscovery(a.clients, shop);
    const before = (await alerts()).length;
    queued.length = 0;
    const metrics = (deps.telemetry as ReturnType<typeof recordingTelemetry>).metrics;
    const failuresBefore = metrics.get(METRIC.bindingFailures) ?? 0;

    // Act
    const first = await schedule();
    const second = await schedule();

    // Assess
    for (const run of [first, second]) {
      expect(run.discovery?.discovered.map((found) => found.binding)).toEqual(['shop-alb', 'web-alb']);
      expect(run.discovery?.failed).toEqual([
        {
          account: b.member.account,
          region: b.member.region,
          message: expect.stringContaining(`cannot assume ${memberRoleArn(b.member)}`),
        },
      ]);
    }
    // Both runs queued team-b's binding from its recorded set, beside the hub's and team-a's.
    expect([...new Set(queued.flat())].sort()).toEqual(['hub-web', nameOfB(), 'shop-alb', 'web-alb'].sort());
    expect(await recordedIn(partitionOf(b))).toEqual([b.seed.loadBalancerArn]);
    expect(await recordedIn(partitionOf(a))).toEqual([a.seed.loadBalancerArn, shop.loadBalancerArn].sort());
    const sent = (await alerts()).slice(before);
    expect(sent.map((alert) => alert.subject)).toEqual([
      `[CRITICAL] ${b.member.account}/${b.member.region}: cannot assume role ${defaultMemberRoleName(b.member.region)}`,
    ]);
    expect(sent[0]?.text).toContain(nameOfB());
    // The scheduler queued team-b's binding: no binding failed or was skipped (a worker's reach counts those).
    expect(metrics.get(METRIC.bindingFailures) ?? 0).toBe(failuresBefore);
  });

  it('a member whose role cannot read tags keeps its set, with one warning naming account and role, until it can', async () => {
    // Prepare: the role is back, but refused tag:GetResources for two runs.
    const [, b] = members;
    await restoreRole(b);
    await failTagReads(b, 'AccessDeniedException', 2);
    const before = (await alerts()).length;

    // Act
    const refused: ScheduleResult[] = [await schedule(), await schedule()];
    const restored = await schedule();

    // Assess
    for (const run of refused) {
      expect(run.discovery?.failed).toEqual([
        {
          account: b.member.account,
          region: b.member.region,
          message: expect.stringContaining('AccessDenied'),
        },
      ]);
      expect(run.due).toContain(nameOfB());
    }
    expect(restored.discovery?.failed).toBeUndefined();
    expect(restored.discovery?.discovered.map((found) => found.binding)).toContain(nameOfB());
    const sent = (await alerts()).slice(before);
    expect(sent.map((alert) => alert.subject)).toEqual([
      `[WARNING] ${b.member.account}/${b.member.region}: discovery failed with role ${defaultMemberRoleName(b.member.region)}`,
    ]);
    expect(sent[0]?.text).toContain(memberRoleArn(b.member));
  });
});

simulatorOnly('a member throttled past the retries', () => {
  it('keeps its recorded set, queues every binding, then fails the run so it is retried; nothing is alerted', async () => {
    // Prepare: every attempt of one run's first GetResources in team-b is throttled.
    const [, b] = members;
    // The Resource Groups Tagging API's throttling error (GetResources: Errors, ThrottledException).
    await failTagReads(b, 'ThrottledException', 3);
    const before = (await alerts()).length;
    queued.length = 0;

    // Act
    const throttled = await schedule().then(
      () => undefined,
      (error: unknown) => error,
    );
    const queuedWhileThrottled = queued.flat();
    const next = await schedule();

    // Assess
    expect(throttled).toBeInstanceOf(InvocationIncompleteError);
    expect(String(throttled)).toContain('ThrottledException');
    expect(queuedWhileThrottled.sort()).toEqual(['hub-web', nameOfB(), 'shop-alb', 'web-alb'].sort());
    expect(next.discovery?.failed).toBeUndefined();
    expect((await alerts()).slice(before)).toEqual([]);
  });
});

simulatorOnly('alb-warden reconcile and status into members', () => {
  it('reconcile --account previews, then repairs, only that member’s bindings through its role', async () => {
    // Prepare
    const [a, b] = members;
    await driftHttpListener(a.clients, a.seed);
    await driftHttpListener(b.clients, b.seed);

    const inB = control.in({ account: b.member.account, region: b.member.region });
    const tagReadsInB = async () =>
      ((await inB.calls()) as Partial<Record<string, Record<string, number>>>).tagging?.GetResources ?? 0;

    // What finding the bindings reads in team-b: `status` reads them as `reconcile` must, and does no more.
    await inB.resetCalls();
    await cli('status', '--account', a.member.account);
    const findingReadsInB = await tagReadsInB();

    // Act
    await inB.resetCalls();
    const preview = await cli('reconcile', '--account', a.member.account, '--dry-run', '--json');
    const previewReadsInB = await tagReadsInB();
    const afterPreview = await httpActionType(a.clients, a.seed);
    await inB.resetCalls();
    const run = await cli('reconcile', '--account', a.member.account, '--json');
    const runReadsInB = await tagReadsInB();
    // Again, with team-b's tags refused once: a discovery there would alert; finding the bindings only reads.
    await failTagReads(b, 'AccessDeniedException', 1);
    const alertsBefore = (await alerts()).length;
    const again = await cli('reconcile', '--account', a.member.account, '--json');
    const againAlerts = (await alerts()).slice(alertsBefore).map((alert) => alert.subject);

    // Assess
    const bound = (text: string) =>
      (JSON.parse(text) as InvocationResult).bindings.map((binding) => [
        binding.binding,
        binding.listeners?.outcome,
      ]);
    expect(preview.code).toBe(0);
    expect(bound(preview.stdout)).toEqual([
      ['shop-alb', 'in-sync'],
      ['web-alb', 'would-repair'],
    ]);
    expect(afterPreview).toBe('forward');
    expect(run.code).toBe(0);
    expect(bound(run.stdout)).toEqual([
      ['shop-alb', 'in-sync'],
      ['web-alb', 'repaired'],
    ]);
    expect(await httpActionType(a.clients, a.seed)).toBe('redirect');
    // team-b was not touched. Its tags were read to find the bindings, as `status` reads them, and not
    // discovered a second time (a discovery records and alerts) outside the account asked for.
    expect(await httpActionType(b.clients, b.seed)).toBe('forward');
    expect(findingReadsInB).toBeGreaterThan(0);
    expect([previewReadsInB, runReadsInB]).toEqual([findingReadsInB, findingReadsInB]);
    expect(again.code).toBe(0);
    expect(againAlerts.filter((subject) => subject.includes('discovery failed'))).toEqual([]);
  });

  it('status --account reads a member’s bindings through its role', async () => {
    // Prepare
    const [, b] = members;

    // Act
    const run = await cli('status', '--account', b.member.account, '--region', b.member.region, '--json');

    // Assess
    const status = JSON.parse(run.stdout) as {
      bindings: { binding: string; state: string; account: string; region: string }[];
    };
    expect(run.code).toBe(1);
    expect(status.bindings).toEqual([
      expect.objectContaining({
        binding: nameOfB(),
        state: 'repairing',
        account: b.member.account,
        region: b.member.region,
      }),
    ]);
  });

  it('validate --discover lists each member’s bindings, and a member it cannot read (exit 1)', async () => {
    // Prepare
    const [a, b] = members;
    await failTagReads(b, 'AccessDeniedException', 1);
    const before = (await alerts()).length;

    // Act
    const refused = await cli('validate', '--discover');
    const read = await cli('validate', '--discover');

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`  found       web-alb (policy fleet) ${a.seed.loadBalancerArn}`);
    expect(refused.stdout).toMatch(
      new RegExp(
        `failed {6}${b.member.account}/${b.member.region}: .*AccessDenied.* \\(its bindings found before are kept\\)`,
      ),
    );
    expect(read.code).toBe(0);
    expect(read.stdout).toContain(`  found       ${nameOfB()} (policy fleet) ${b.seed.loadBalancerArn}`);
    // An operator's preview alerts no one.
    expect((await alerts()).slice(before)).toEqual([]);
  });

  it('refuses an account or region the configuration does not reach, naming what it does', async () => {
    // Act
    const account = await cli('reconcile', '--account', '999999999999');
    const region = await cli('reconcile', '--account', members[0].member.account, '--region', 'ap-south-1');

    // Assess
    expect(account.code).toBe(2);
    expect(account.stderr).toBe(
      `alb-warden: --account 999999999999 is not configured: it is neither the hub's (${HUB_ACCOUNT}) nor listed in members (configured: ${HUB_ACCOUNT}/${world.clients.region}, ${MEMBERS.map((m) => `${m.account}/${m.region}`).join(', ')})\n`,
    );
    expect(region.code).toBe(2);
    expect(region.stderr).toBe(
      `alb-warden: --region ap-south-1 is not configured for account ${members[0].member.account}: its regions are ${members[0].member.region}\n`,
    );
  });
});

simulatorOnly('a member with no binding', () => {
  it('is alerted again when its role breaks a second time: discovery settles the first alert once the role works', async () => {
    // Prepare: team-b's load balancer no longer carries the guard tag, so no worker reaches team-b.
    const [, b] = members;
    await b.clients.elbv2.send(
      new RemoveTagsCommand({ ResourceArns: [b.seed.loadBalancerArn], TagKeys: [GUARD.Key] }),
    );
    await schedule();
    const breakRole = async () => {
      await b.iam.send(new DeleteRoleCommand({ RoleName: defaultMemberRoleName(b.member.region) }));
      // Past the cached session's renewal (10 minutes before its hour ends), within the alerts' reminder hour.
      await advance(51 * 60_000);
    };
    const before = (await alerts()).length;

    // Act: the role breaks, works again, breaks again.
    await breakRole();
    const broken = await schedule();
    await restoreRole(b);
    const working = await schedule();
    await breakRole();
    await schedule();

    // Assess
    expect(broken.due).not.toContain(nameOfB());
    expect(working.discovery?.failed).toBeUndefined();
    const critical = `[CRITICAL] ${b.member.account}/${b.member.region}: cannot assume role ${defaultMemberRoleName(b.member.region)}`;
    expect((await alerts()).slice(before).map((alert) => alert.subject)).toEqual([critical, critical]);
  });
});
