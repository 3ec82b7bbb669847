/**
 * The demo's story, step by step. Each step acts on the world the way its actor would (EC2 launches, a
 * person's console session, a failing application), lets EventBridge deliver what that caused to the real
 * functions, and then checks the result through AWS API calls and the simulator's records.
 */
import { RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateRuleCommand,
  ModifyListenerCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CallCounts } from '../sim/control.ts';
import { addCalls, type Controller, type Invocation, isMutating } from './controller.ts';
import { type DoctorFindings, doctorScene } from './doctor.ts';
import { type FleetFindings, fleetScene } from './fleet.ts';
import { narrateDelivery, narrateInvocation, shortActor } from './narrate.ts';
import { type AlertView, EXPECTED_REDIRECT, Observer } from './observe.ts';
import { SELECTOR, type Stage } from './stage.ts';
import type { Timeline } from './timeline.ts';

export interface StoryContext {
  readonly stage: Stage;
  readonly controller: Controller;
  readonly timeline: Timeline;
  readonly dryRun: boolean;
  /** Waits between beats, for a person watching (`--speed`); resolves at once by default. */
  pause(beats?: number): Promise<void>;
  /** Called before each step (by id); tests use it to change the world and prove a failed step fails the demo. */
  beforeStep?(id: string): Promise<void>;
  /** Where the scenes leave what `alb-warden doctor` and its drill found, and where the hub acted. */
  readonly findings: DoctorFindings & FleetFindings;
}

/** Instances the story launched, by role in the story. */
interface Cast {
  web: string[];
  other: string;
}

const UNHEALTHY_REASON = 'Target.ResponseCodeMismatch';
const UNHEALTHY_DESCRIPTION = 'Health checks failed with these codes: [500]';

export async function tellStory(context: StoryContext): Promise<void> {
  const cast: Cast = { web: [], other: '' };
  const steps: [string, string, (context: StoryContext, cast: Cast) => Promise<void>][] = [
    ['launch', "Instances launch with the selector's tags", launch],
    ['http-forward', 'Someone switches the HTTP listener to plain HTTP', httpForward],
    ['foreign-rule', 'Someone adds a forward rule on port 80', foreignRule],
    ['unhealthy', 'A target turns unhealthy', unhealthy],
    ['recovered', 'It recovers', recovered],
    ['stopped', 'An instance is stopped', stopped],
    [
      'quiet-sweep',
      context.dryRun
        ? 'A final sweep changes nothing (it would still repair)'
        : 'A final sweep finds nothing to do',
      quietSweep,
    ],
    [
      'doctor',
      'The on-call engineer runs alb-warden doctor, then a drill',
      (c) => doctorScene(c, c.findings),
    ],
    ['fleet', 'Two member accounts in two regions join the hub', (c) => fleetScene(c, c.findings)],
  ];
  for (const [id, title, run] of steps) {
    context.timeline.begin(id, title, EXPECTATIONS[id]?.[context.dryRun ? 'dryRun' : 'enforce'] ?? '');
    try {
      await context.beforeStep?.(id);
      await run(context, cast);
    } catch (error) {
      context.timeline.fail(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    context.timeline.finish();
    await context.pause(2);
  }
}

const EXPECTATIONS: Record<string, { enforce: string; dryRun: string }> = {
  launch: {
    enforce: 'registered on port 8080 without anyone asking; the other instance is left out',
    dryRun: 'nothing registered: the controller says what it would register',
  },
  'http-forward': {
    enforce: 'the 301 redirect is back within one event; the alert names who changed it',
    dryRun: 'the listener stays as the person left it; the alert says what would be repaired, and who',
  },
  'foreign-rule': {
    enforce: 'the rule is removed; the alert names who added it',
    dryRun: 'the rule stays; the alert says it would be removed',
  },
  unhealthy: {
    enforce: 'no alert on the first unhealthy sweep, exactly one on the second, none on the third',
    dryRun: 'no alert on the first unhealthy sweep, exactly one on the second, none on the third',
  },
  recovered: {
    enforce: 'exactly one recovery alert',
    dryRun: 'exactly one recovery alert',
  },
  stopped: {
    enforce: 'the stopped instance is deregistered',
    dryRun: 'the stopped instance stays registered: the controller says it would deregister it',
  },
  'quiet-sweep': {
    enforce: 'zero mutating AWS calls; the topology is as the seed built it',
    dryRun: 'zero mutating AWS calls; the drift the person caused is still there, reported, not repaired',
  },
  doctor: {
    enforce: 'every check passes; the drill is repaired after its CloudTrail event and the alert arrives',
    dryRun: 'every check passes; the drill refuses to start: a dry-run controller repairs nothing',
  },
  fleet: {
    enforce: 'the hub repairs both listeners and registers both instances; alerts name account and region',
    dryRun:
      'nothing changes in the members; the alerts say what would be repaired, naming account and region',
  },
};

async function launch(context: StoryContext, cast: Cast): Promise<void> {
  const { stage, controller, timeline, dryRun } = context;
  const observer = new Observer(stage);
  const [zoneA, zoneC] = stage.seed.subnetIds;
  const run = async (subnetId: string, count: number, tags: Record<string, string>) => {
    const output = await stage.person.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.micro',
        MinCount: count,
        MaxCount: count,
        SubnetId: subnetId,
        SecurityGroupIds: [stage.seed.instanceSecurityGroupId],
        TagSpecifications: [
          { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        ],
      }),
    );
    return (output.Instances ?? []).map((instance) => instance.InstanceId ?? '');
  };
  cast.web.push(...(await run(zoneA, 2, { ...SELECTOR, Name: 'web' })));
  cast.web.push(...(await run(zoneC, 1, { ...SELECTOR, Name: 'web' })));
  [cast.other = ''] = await run(zoneA, 1, { Role: 'batch', Name: 'batch' });
  timeline.note(
    'ec2',
    `RunInstances: ${cast.web.join(', ')} tagged Role=web (2 zones), ${cast.other} tagged Role=batch`,
  );
  await context.pause();
  const delivery = await controller.deliver();
  narrateDelivery(timeline, delivery);
  if (!dryRun) await passInitialHealthChecks(context, cast.web);

  const targets = await observer.targets();
  const registered = targets.map((target) => `${target.id}:${target.port}`).sort();
  const expected = dryRun ? [] : cast.web.map((id) => `${id}:8080`).sort();
  timeline.check({
    name: 'registered targets',
    expected: expected.length > 0 ? expected.join(', ') : 'none',
    observed: registered.length > 0 ? targets.map((t) => `${t.id}:${t.port} ${t.state}`).join(', ') : 'none',
    via: 'DescribeTargetHealth',
    ok: same(registered, expected) && targets.every((target) => target.state === 'healthy'),
  });
  const writes = Object.entries(callsOf(delivery.invocations).elbv2)
    .filter(([action]) => isMutating(action))
    .reduce((sum, [, count]) => sum + count, 0);
  if (dryRun) {
    timeline.check({
      name: 'ELB writes by the controller',
      expected: '0 (dry-run)',
      observed: String(writes),
      via: 'the simulator call counter',
      ok: writes === 0,
    });
    // Until the controller is trusted with it, the team registers instances the way it always has.
    await stage.person.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: stage.seed.targetGroupArn,
        Targets: cast.web.map((Id) => ({ Id, Port: 8080 })),
      }),
    );
    timeline.note(
      'person',
      `${shortActor(stage.personArn)} registers ${cast.web.join(', ')} by hand, as the team does today`,
    );
    narrateDelivery(timeline, await controller.deliver());
    await passInitialHealthChecks(context, cast.web);
    const now = await observer.targets();
    timeline.check({
      name: 'registered by hand',
      expected: `${cast.web.length} healthy targets`,
      observed: `${now.filter((t) => t.state === 'healthy').length} healthy targets`,
      via: 'DescribeTargetHealth',
      ok: now.length === cast.web.length && now.every((t) => t.state === 'healthy'),
    });
  } else {
    timeline.check({
      name: 'other instances',
      expected: `${cast.other} (Role=batch) not registered`,
      observed: registered.some((key) => key.startsWith(cast.other)) ? 'registered' : 'not registered',
      via: 'DescribeTargetHealth',
      ok: !registered.some((key) => key.startsWith(cast.other)),
    });
  }
}

/**
 * A new target is `initial` until its registration completes and it passes one health check; the
 * simulator takes 5 s and one 30 s interval, which the story waits out on the simulated clock.
 */
const INITIAL_HEALTH_CHECK_MS = 35_000;

export async function passInitialHealthChecks(context: StoryContext, ids: readonly string[]): Promise<void> {
  await context.stage.simulator.control.clock(INITIAL_HEALTH_CHECK_MS);
  context.timeline.note('health', `${ids.join(', ')} pass their first health check, 35 s after registration`);
}

async function httpForward(context: StoryContext): Promise<void> {
  const { stage, controller, timeline, dryRun } = context;
  const observer = new Observer(stage);
  const http = await observer.listener(80);
  if (!http) throw new Error('the seed has no HTTP:80 listener');
  const alertsBefore = await observer.alerts();
  await stage.person.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: http.arn,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: stage.seed.targetGroupArn }],
    }),
  );
  timeline.note(
    'person',
    `${shortActor(stage.personArn)}: ModifyListener HTTP:80 → forward to web-8080 (plain HTTP)`,
  );
  await context.pause();
  const delivery = await controller.deliver();
  narrateDelivery(timeline, delivery);

  const after = await observer.listener(80);
  timeline.check({
    name: 'HTTP:80 default action',
    expected: dryRun ? 'forward to web-8080 (left as it is)' : EXPECTED_REDIRECT,
    observed: after?.action ?? 'no listener',
    via: 'DescribeListeners',
    ok: dryRun ? after?.action === 'forward to web-8080' : after?.action === EXPECTED_REDIRECT,
  });
  await checkDriftAlert(context, alertsBefore, 'port 80 forwards');
  await checkControllerWrites(context, delivery.invocations, dryRun ? 0 : 1, 'ModifyListener');
}

async function foreignRule(context: StoryContext): Promise<void> {
  const { stage, controller, timeline, dryRun } = context;
  const observer = new Observer(stage);
  const http = await observer.listener(80);
  if (!http) throw new Error('the HTTP:80 listener is gone');
  const alertsBefore = await observer.alerts();
  await stage.person.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: http.arn,
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/admin/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: stage.seed.targetGroupArn }],
    }),
  );
  timeline.note(
    'person',
    `${shortActor(stage.personArn)}: CreateRule on HTTP:80, priority 10, /admin/* → forward to web-8080`,
  );
  await context.pause();
  const delivery = await controller.deliver();
  narrateDelivery(timeline, delivery);

  const rules = await observer.httpRules();
  timeline.check({
    name: 'rules on HTTP:80 besides the default',
    expected: dryRun ? 'priority 10 forward to web-8080 (left as it is)' : 'none',
    observed:
      rules.length > 0 ? rules.map((rule) => `priority ${rule.priority} ${rule.action}`).join(', ') : 'none',
    via: 'DescribeRules',
    ok: dryRun ? rules.length === 1 && rules[0]?.priority === '10' : rules.length === 0,
  });
  await checkDriftAlert(context, alertsBefore, 'rule 10');
  await checkControllerWrites(context, delivery.invocations, dryRun ? 0 : 1, 'DeleteRule');
}

async function unhealthy(context: StoryContext, cast: Cast): Promise<void> {
  const { stage, controller, timeline } = context;
  const observer = new Observer(stage);
  const target = cast.web[0] ?? '';
  await stage.simulator.control.targetHealth({
    targetGroupArn: stage.seed.targetGroupArn,
    targetId: target,
    state: 'unhealthy',
    reasonCode: UNHEALTHY_REASON,
    description: UNHEALTHY_DESCRIPTION,
  });
  timeline.note('health', `the application on ${target} starts answering 500: its health checks fail`);
  const before = await observer.alerts();
  const counts: number[] = [];
  for (let sweep = 1; sweep <= 3; sweep++) {
    await context.pause();
    const start = await observer.alerts();
    const { invocation, delivery } = await controller.sweep();
    narrateInvocation(timeline, invocation);
    narrateDelivery(timeline, delivery);
    counts.push(newOfKind(start, await observer.alerts(), 'TargetUnhealthy').length);
  }
  const observed = (await observer.targets()).find((entry) => entry.id === target);
  timeline.check({
    name: `${target} health`,
    expected: `unhealthy ${UNHEALTHY_REASON}`,
    observed: `${observed?.state ?? 'not registered'} ${observed?.reason ?? ''}`.trim(),
    via: 'DescribeTargetHealth',
    ok: observed?.state === 'unhealthy' && observed.reason === UNHEALTHY_REASON,
  });
  timeline.check({
    name: 'TargetUnhealthy alerts sent by sweeps 1, 2, 3',
    expected: '0, 1, 0',
    observed: counts.join(', '),
    via: 'the messages published to the alert topic',
    ok: same(counts.map(String), ['0', '1', '0']),
  });
  const [alert] = newOfKind(before, await observer.alerts(), 'TargetUnhealthy');
  if (alert) {
    timeline.note('alert', `what the on-call reads (${alert.severity}):`, emailOf(alert));
    timeline.check({
      name: 'the alert names the target and the reason',
      expected: `${target} and ${UNHEALTHY_REASON}`,
      observed:
        alert.text.includes(target) && alert.text.includes(UNHEALTHY_REASON) ? 'both named' : 'missing',
      via: 'the published message',
      ok: alert.text.includes(target) && alert.text.includes(UNHEALTHY_REASON),
    });
  }
}

async function recovered(context: StoryContext, cast: Cast): Promise<void> {
  const { stage, controller, timeline } = context;
  const observer = new Observer(stage);
  const target = cast.web[0] ?? '';
  await stage.simulator.control.targetHealth({
    targetGroupArn: stage.seed.targetGroupArn,
    targetId: target,
    state: 'healthy',
  });
  timeline.note('health', `the application on ${target} is fixed: health checks pass again`);
  const before = await observer.alerts();
  const counts: number[] = [];
  for (let sweep = 1; sweep <= 2; sweep++) {
    await context.pause();
    const start = await observer.alerts();
    const { invocation, delivery } = await controller.sweep();
    narrateInvocation(timeline, invocation);
    narrateDelivery(timeline, delivery);
    counts.push(newOfKind(start, await observer.alerts(), 'TargetRecovered').length);
  }
  const all = await observer.alerts();
  const [alert] = newOfKind(before, all, 'TargetRecovered');
  if (alert) timeline.note('alert', alert.subject, recoveryLines(alert, target));
  const targets = await observer.targets();
  timeline.check({
    name: 'targets',
    expected: `${cast.web.length} healthy`,
    observed: `${targets.filter((t) => t.state === 'healthy').length} healthy of ${targets.length}`,
    via: 'DescribeTargetHealth',
    ok: targets.length === cast.web.length && targets.every((t) => t.state === 'healthy'),
  });
  timeline.check({
    name: 'TargetRecovered alerts sent by sweeps 1, 2',
    expected: '1, 0',
    observed: counts.join(', '),
    via: 'the messages published to the alert topic',
    ok: same(counts.map(String), ['1', '0']),
  });
  const unhealthyAlerts = all.filter((message) => message.kind === 'TargetUnhealthy').length;
  timeline.check({
    name: 'TargetUnhealthy alerts in total',
    expected: '1',
    observed: String(unhealthyAlerts),
    via: 'the messages published to the alert topic',
    ok: unhealthyAlerts === 1,
  });
}

async function stopped(context: StoryContext, cast: Cast): Promise<void> {
  const { stage, controller, timeline, dryRun } = context;
  const observer = new Observer(stage);
  const target = cast.web[cast.web.length - 1] ?? '';
  await stage.person.ec2.send(new StopInstancesCommand({ InstanceIds: [target] }));
  timeline.note('ec2', `StopInstances ${target} by ${shortActor(stage.personArn)}`);
  await context.pause();
  const delivery = await controller.deliver();
  narrateDelivery(timeline, delivery);
  const targets = await observer.targets();
  const entry = targets.find((candidate) => candidate.id === target);
  timeline.check({
    name: `${target} in the target group`,
    expected: dryRun ? 'still registered (unused: the instance is stopped)' : 'deregistered',
    observed: entry ? `registered, ${entry.state} ${entry.reason ?? ''}`.trim() : 'deregistered',
    via: 'DescribeTargetHealth',
    ok: dryRun ? entry?.state === 'unused' : entry === undefined,
  });
  const others = cast.web.filter((id) => id !== target);
  const healthy = targets.filter((t) => others.includes(t.id) && t.state === 'healthy').length;
  timeline.check({
    name: 'the other targets',
    expected: `${others.length} healthy`,
    observed: `${healthy} healthy`,
    via: 'DescribeTargetHealth',
    ok: healthy === others.length,
  });
  await checkControllerWrites(context, delivery.invocations, dryRun ? 0 : 1, 'DeregisterTargets');
  if (!dryRun) {
    // A deregistered target drains for the target group's deregistration delay (300 s by default).
    await stage.simulator.control.clock(DEREGISTRATION_DELAY_MS);
    timeline.note('health', `${target} has drained: 300 s after deregistration it leaves the target group`);
  }
}

const DEREGISTRATION_DELAY_MS = 300_000;

async function quietSweep(context: StoryContext, cast: Cast): Promise<void> {
  const { stage, controller, timeline, dryRun } = context;
  const observer = new Observer(stage);
  const alertsBefore = await observer.alerts();
  await context.pause();
  const { invocation, delivery } = await controller.sweep();
  narrateInvocation(timeline, invocation);
  narrateDelivery(timeline, delivery);
  const calls = invocation.calls;
  const writes = Object.entries(calls).flatMap(([service, actions]) =>
    Object.entries(actions)
      .filter(([action]) => isMutating(action))
      .map(([action, count]) => `${service} ${action} ×${count}`),
  );
  const reads = Object.entries(calls)
    .flatMap(([service, actions]) =>
      Object.entries(actions).map(([action, n]) => `${service} ${action} ×${n}`),
    )
    .filter((entry) => !writes.includes(entry));
  timeline.note('sweep', `AWS calls of this sweep: ${reads.join(', ') || 'none'}`);
  timeline.check({
    name: 'mutating AWS calls by the sweep',
    expected: '0',
    observed: writes.length === 0 ? '0' : writes.join(', '),
    via: 'the simulator call counter',
    ok: writes.length === 0,
  });
  const newAlerts = (await observer.alerts()).length - alertsBefore.length;
  timeline.check({
    name: 'alerts sent by the sweep',
    expected: '0',
    observed: String(newAlerts),
    via: 'the messages published to the alert topic',
    ok: newAlerts === 0,
  });

  const [http, https] = [await observer.listener(80), await observer.listener(443)];
  const rules = await observer.httpRules();
  const targets = await observer.targets();
  const running = cast.web.slice(0, -1);
  if (dryRun) {
    timeline.check({
      name: 'final state',
      expected:
        "HTTP:80 forwards, rule 10 on it, the stopped instance still registered (the person's changes, untouched)",
      observed: `HTTP:80 ${http?.action}; ${rules.length} rule(s); ${targets.length} targets`,
      via: 'DescribeListeners, DescribeRules, DescribeTargetHealth',
      ok: http?.action === 'forward to web-8080' && rules.length === 1 && targets.length === cast.web.length,
    });
  } else {
    const registered = targets.map((target) => target.id).sort();
    timeline.check({
      name: 'final state',
      expected: `HTTP:80 ${EXPECTED_REDIRECT}; HTTPS:443 forward to web-8080; no rules; targets ${running.join(', ')}`,
      observed: `HTTP:80 ${http?.action}; HTTPS:443 ${https?.action}; ${rules.length} rule(s); targets ${registered.join(', ')}`,
      via: 'DescribeListeners, DescribeRules, DescribeTargetHealth',
      ok:
        http?.action === EXPECTED_REDIRECT &&
        https?.action === 'forward to web-8080' &&
        https.protocol === 'HTTPS' &&
        rules.length === 0 &&
        same(registered, [...running].sort()),
    });
  }
}

/** One new drift alert since `before`, naming the person; enforce says repaired, dry-run says would. */
async function checkDriftAlert(
  context: StoryContext,
  before: readonly AlertView[],
  about: string,
): Promise<void> {
  const { stage, timeline, dryRun } = context;
  const fresh = (await new Observer(stage).alerts()).slice(before.length);
  const [alert] = fresh;
  if (alert) {
    const who = alert.text.split('\n').find((line) => line.startsWith('Who changed it:'));
    const did = alert.text.split('\n').find((line) => line.startsWith('What the controller'));
    timeline.note(
      'alert',
      alert.subject,
      [who, did].filter((line): line is string => line !== undefined),
    );
  }
  const names = alert?.text.includes(stage.personArn) === true;
  const verb = dryRun ? 'would repair' : 'repaired';
  timeline.check({
    name: 'drift alert',
    expected: `one DriftRepaired alert (${verb}) naming ${shortActor(stage.personArn)}`,
    observed:
      fresh.length === 0
        ? 'no alert'
        : `${fresh.length} alert(s): ${fresh.map((message) => message.kind).join(', ')}${names ? `, names ${shortActor(stage.personArn)}` : ', names nobody'}`,
    via: 'the messages published to the alert topic',
    ok:
      fresh.length === 1 &&
      alert?.kind === 'DriftRepaired' &&
      names &&
      alert.subject.includes(verb) &&
      alert.text.includes(about),
  });
}

/** Counts the controller's ELB writes in these invocations, from the simulator's counter. */
async function checkControllerWrites(
  context: StoryContext,
  invocations: readonly Invocation[],
  expected: number,
  action: string,
): Promise<void> {
  const elbv2 = callsOf(invocations).elbv2;
  const writes = Object.entries(elbv2).filter(([name]) => isMutating(name));
  const count = elbv2[action] ?? 0;
  context.timeline.check({
    name: `${action} calls by the controller`,
    expected: String(expected),
    observed: writes.length === 0 ? '0' : writes.map(([name, n]) => `${name} ×${n}`).join(', '),
    via: 'the simulator call counter',
    ok: count === expected && writes.every(([name]) => name === action),
  });
}

function callsOf(invocations: readonly Invocation[]): CallCounts {
  return invocations.reduce((total, invocation) => addCalls(total, invocation.calls), {
    ec2: {},
    elbv2: {},
    sns: {},
    dynamodb: {},
  } as CallCounts);
}

function newOfKind(before: readonly AlertView[], after: readonly AlertView[], kind: string): AlertView[] {
  return after.slice(before.length).filter((alert) => alert.kind === kind);
}

function emailOf(alert: AlertView): string[] {
  return [`Subject: ${alert.subject}`, '', ...alert.text.split('\n')];
}

function recoveryLines(alert: AlertView, target: string): string[] {
  return alert.text
    .split('\n')
    .filter((line) => line.includes(target) || line.startsWith('Healthy targets now'));
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
