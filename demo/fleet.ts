/**
 * The fleet scene: two member accounts in two regions join the hub. Each gets the seed topology and the member
 * stack (its role, rules forwarding its events to the hub's bus); the hub is redeployed with them. A person in
 * each member breaks the HTTP listener and an instance launches there: the forwarded events reach the hub's
 * functions, which act in the member through its role. One alert stream at the hub names each account and
 * region, and the on-call's `alb-warden status` shows the fleet by account and region.
 */
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { main as cli } from '../functions/cli/main.ts';
import { parseConfig, type WardenConfigInput } from '../functions/config.ts';
import { createDeps } from '../functions/deps.ts';
import { defaultMemberRoleName } from '../functions/domain/accounts.ts';
import type { BindingStatus } from '../functions/use-cases/status.ts';
import { launchInstances, type SeedTopology } from '../sim/seed.ts';
import { seedMember } from '../sim/seed-member.ts';
import { deployMemberStack, memberRoleArn, openHubBus } from '../testkit/members.ts';
import { type AwsClients, createClients, destroyClients } from '../testkit/world.ts';
import { narrateDelivery, shortActor } from './narrate.ts';
import { describeAction, EXPECTED_REDIRECT, Observer } from './observe.ts';
import { KEYS, SECRET, SELECTOR } from './stage.ts';
import { passInitialHealthChecks, type StoryContext } from './story.ts';

export const ORGANIZATION = 'o-a1b2c3d4e5';

interface MemberCast {
  readonly binding: string;
  readonly account: string;
  readonly region: string;
  readonly adminKey: string;
  /** A person of the member's own team, an administrator there. */
  readonly personKey: string;
  readonly personArn: string;
}

export const MEMBERS: readonly MemberCast[] = [
  {
    binding: 'shop-eu',
    account: '111111111111',
    region: 'eu-west-1',
    adminKey: 'AKIAMEMBEREUADMIN001',
    personKey: 'AKIAAMARAOKAFOR00001',
    personArn: 'arn:aws:sts::111111111111:assumed-role/AdministratorAccess/amara.okafor',
  },
  {
    binding: 'shop-us',
    account: '222222222222',
    region: 'us-east-1',
    adminKey: 'AKIAMEMBERUSADMIN001',
    personKey: 'AKIALUCASMEYER000001',
    personArn: 'arn:aws:sts::222222222222:assumed-role/AdministratorAccess/lucas.meyer',
  },
];

/** What the scene leaves for the summary: where the hub acted besides its own account and region. */
export interface FleetFindings {
  members?: readonly { readonly account: string; readonly region: string; readonly roleArn: string }[];
}

interface Member extends MemberCast {
  readonly seed: SeedTopology;
  /** The member person's clients, signed for the member's region. */
  readonly person: AwsClients;
}

const where = (member: Pick<MemberCast, 'account' | 'region'>) => `${member.account}/${member.region}`;

export async function fleetScene(context: StoryContext, findings: FleetFindings): Promise<void> {
  const { stage, controller, timeline } = context;
  const { control, endpoint, account: hubAccount, region: hubRegion } = stage.simulator;
  const observer = new Observer(stage);
  const alertsBefore = (await observer.alerts()).length;
  const members: Member[] = [];
  try {
    await control.organization(hubAccount, ORGANIZATION);
    await openHubBus(endpoint, {
      region: hubRegion,
      accessKeyId: KEYS.observer,
      organizationId: ORGANIZATION,
    });
    for (const cast of MEMBERS) {
      const { account, region } = cast;
      const { topology: seed } = await seedMember(
        { endpoint, control },
        { account, region, organizationId: ORGANIZATION, adminAccessKeyId: cast.adminKey },
        SECRET,
      );
      // The on-call's role is trusted too (`hubRoleArns`), so that `alb-warden status` reads the members.
      const iam = await deployMemberStack(endpoint, {
        account,
        region,
        adminAccessKeyId: cast.adminKey,
        hubAccount,
        hubRegion,
        organizationId: ORGANIZATION,
        trustedRoleArns: [
          `arn:aws:iam::${hubAccount}:role/AlbWarden-*`,
          `arn:aws:iam::${hubAccount}:role/AdministratorAccess`,
        ],
      });
      iam.destroy();
      await control.in({ account }).identity(cast.personKey, cast.personArn);
      members.push({ ...cast, seed, person: createClients(endpoint, region, cast.personKey) });
      timeline.note(
        'setup',
        `member ${where(cast)}: the seed topology, role ${defaultMemberRoleName(region)}, rules forwarding its EC2 and ELB API-call events to the hub's bus`,
      );
    }
    findings.members = members.map(({ account, region }) => ({
      account,
      region,
      roleArn: memberRoleArn({ account, region }),
    }));
    const config = fleetConfig(stage.config, members);
    await controller.redeploy(config, members);
    timeline.note(
      'setup',
      `the hub is redeployed: members ${members.map(where).join(' and ')}, bindings ${members.map((m) => m.binding).join(', ')}`,
    );
    await context.pause();

    const launched = await launchAndBreak(context, members);
    narrateDelivery(timeline, await controller.deliver());
    if (!context.dryRun) await passInitialHealthChecks(context, [...launched.values()]);

    for (const member of members) await checkMember(context, member, launched.get(member.binding) ?? '');
    await checkAlerts(context, members, alertsBefore);
    await statusScene(context, config, members);
  } finally {
    for (const member of members) destroyClients(member.person);
  }
}

/** The hub's configuration with the members and a binding in each. */
function fleetConfig(hub: WardenConfigInput, members: readonly Member[]): WardenConfigInput {
  return {
    ...hub,
    members: members.map(({ account, region }) => ({ account, regions: [region] })),
    bindings: [
      ...(hub.bindings ?? []),
      ...members.map((member) => ({
        name: member.binding,
        loadBalancerArn: member.seed.loadBalancerArn,
        targetGroupArn: member.seed.targetGroupArn,
        instanceSelector: { tags: { ...SELECTOR } },
        https: { certificateArn: member.seed.certificateArn },
      })),
    ],
  };
}

/** In each member: an instance launches, and a person switches HTTP:80 to plain HTTP. */
async function launchAndBreak(
  context: StoryContext,
  members: readonly Member[],
): Promise<Map<string, string>> {
  const { timeline } = context;
  const launched = new Map<string, string>();
  for (const member of members) {
    const [id = ''] = await launchInstances(member.person, {
      count: 1,
      subnetId: member.seed.subnetIds[0],
      tags: { ...SELECTOR, Name: 'shop' },
    });
    launched.set(member.binding, id);
    await member.person.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: member.seed.httpListenerArn,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: member.seed.targetGroupArn }],
      }),
    );
    timeline.note(
      'person',
      `${shortActor(member.personArn)} in ${where(member)}: RunInstances ${id} (Role=web); ModifyListener HTTP:80 → forward (plain HTTP)`,
    );
  }
  await context.pause();
  return launched;
}

/** What AWS says in the member: the redirect back (or left, in dry-run), the new instance registered. */
async function checkMember(context: StoryContext, member: Member, instance: string): Promise<void> {
  const { timeline, dryRun } = context;
  const { Listeners = [] } = await member.person.elbv2.send(
    new DescribeListenersCommand({ ListenerArns: [member.seed.httpListenerArn] }),
  );
  const action = describeAction(Listeners[0]?.DefaultActions);
  timeline.check({
    name: `${member.binding} (${where(member)}) HTTP:80`,
    expected: dryRun ? 'forward to web-8080 (left as it is)' : EXPECTED_REDIRECT,
    observed: action,
    via: "DescribeListeners in the member, with its person's credentials",
    ok: dryRun ? action === 'forward to web-8080' : action === EXPECTED_REDIRECT,
  });
  const { TargetHealthDescriptions = [] } = await member.person.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: member.seed.targetGroupArn }),
  );
  const targets = TargetHealthDescriptions.map(
    (entry) => `${entry.Target?.Id}:${entry.Target?.Port} ${entry.TargetHealth?.State}`,
  );
  const expected = dryRun ? [] : [`${instance}:8080 healthy`];
  timeline.check({
    name: `${member.binding} (${where(member)}) targets`,
    expected: expected.join(', ') || 'none (dry-run)',
    observed: targets.join(', ') || 'none',
    via: 'DescribeTargetHealth in the member',
    ok: targets.length === expected.length && targets.every((target, index) => target === expected[index]),
  });
}

/** The scene's alerts, as the hub's one topic received them: each names its account and region. */
async function checkAlerts(context: StoryContext, members: readonly Member[], before: number): Promise<void> {
  const { stage, timeline, dryRun } = context;
  const fresh = (await new Observer(stage).alerts()).slice(before);
  timeline.note('alert', `the hub's topic received ${fresh.length} alert(s) from the members:`, [
    ...fresh.flatMap((alert) => [`Subject: ${alert.subject}`, `  ${alert.text.split('\n')[0] ?? ''}`]),
  ]);
  const verb = dryRun ? 'would repair' : 'repaired';
  const named = members.map((member) =>
    fresh.some(
      (alert) =>
        alert.kind === 'DriftRepaired' &&
        alert.subject.startsWith(
          `[WARNING] ${member.binding} (${where(member)}): ${dryRun ? '(dry-run) ' : ''}${verb}`,
        ) &&
        alert.text.split('\n')[0]?.includes(` · account ${member.account}, ${member.region}`) === true &&
        alert.text.includes(member.personArn),
    ),
  );
  timeline.check({
    name: 'alerts at the hub',
    expected: `one DriftRepaired (${verb}) per member, naming its account, region and person`,
    observed: `${fresh.length} alert(s): ${fresh.map((alert) => alert.kind).join(', ') || 'none'}; ${named.filter(Boolean).length} of ${members.length} name theirs`,
    via: 'the messages published to the alert topic',
    ok: fresh.length === members.length && named.every(Boolean),
  });
}

/** The CLI at the hub, run by the on-call with her own credentials: exit code and what it printed. */
async function runCli(
  context: StoryContext,
  config: WardenConfigInput,
  args: readonly string[],
): Promise<{ code: number; lines: string[] }> {
  const { endpoint, region } = context.stage.simulator;
  const aws = { endpoint, region, credentials: { accessKeyId: KEYS.person, secretAccessKey: SECRET } };
  let printed = '';
  const write = (text: string) => {
    printed += text;
  };
  const code = await cli(
    args,
    { stdout: { write }, stderr: { write }, env: { WARDEN_CONFIG: JSON.stringify(config) } },
    { deps: (cfg, telemetry) => createDeps(cfg, { telemetry, aws }) },
  );
  return { code, lines: printed.trimEnd().split('\n') };
}

/**
 * The on-call resumes web if its circuit breaker holds repairs (the drill's repair can be the one too many),
 * then runs `alb-warden status --all` at the hub.
 */
async function statusScene(
  context: StoryContext,
  config: WardenConfigInput,
  members: readonly Member[],
): Promise<void> {
  const { stage, timeline, dryRun } = context;
  const who = shortActor(stage.personArn);
  const web = await runCli(context, config, ['status', '--binding', 'web', '--json']);
  const [detail] = (JSON.parse(web.lines.join('\n')) as { bindings: BindingStatus[] }).bindings;
  const suspended = detail?.alertState.suspended ?? [];
  if (suspended.length > 0) {
    const resume = await runCli(context, config, ['resume', '--binding', 'web']);
    const { maxRepairs, windowMinutes } = parseConfig(config).circuitBreaker;
    timeline.note(
      'person',
      `${who} runs alb-warden resume --binding web: with the drill's, web had ${maxRepairs} repairs in ${windowMinutes} min, and its circuit breaker holds repairs (${suspended.join(', ')})`,
      resume.lines,
    );
  }
  const { code, lines } = await runCli(context, config, ['status', '--all']);
  timeline.note('person', `${who} runs alb-warden status --all at the hub`, lines);
  const expected = dryRun ? 'drift' : 'in sync';
  const counted = members.map((member) =>
    lines.some((line) => line.startsWith(`  ${member.account} ${member.region}`)),
  );
  const listed = members.map((member) =>
    lines.some((line) =>
      new RegExp(`^${expected} +${member.binding} +${member.account} ${member.region}`).test(line),
    ),
  );
  timeline.check({
    name: 'alb-warden status',
    expected: dryRun
      ? "exit 1; each member's binding in drift, counted and listed by account and region"
      : 'exit 0; 3 bindings in sync, counted and listed by account and region',
    observed: `exit ${code}; ${lines[0] ?? ''}`,
    via: "the CLI, reading each member through its role with the on-call's credentials",
    ok:
      code === (dryRun ? 1 : 0) &&
      (dryRun || lines[0] === '3 bindings: 3 in sync') &&
      counted.every(Boolean) &&
      listed.every(Boolean),
  });
}
