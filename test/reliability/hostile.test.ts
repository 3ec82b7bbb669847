/**
 * Hostile values from outside (instance tags, target health descriptions, fixed-response bodies, rule
 * conditions, who made a call and from where) set through the SDK, the control API or a CloudTrail event,
 * cannot break or inject into an alert: the message the simulator's SNS received is parsed as a subscriber
 * would, and its subject, text and JSON document checked for structure (no extra line, no extra field, no
 * control character, bounded sizes) and for the facts the controller put there.
 */
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { CreateRuleCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseEvent } from '../../functions/domain/events.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { Simulator } from '../../sim/index.ts';
import { count, reportFigures } from './support/figures.ts';
import {
  buildWorld,
  closeSimulator,
  controller,
  eventCursor,
  eventsSince,
  launch,
  openSimulator,
  type Published,
  passInitialHealthChecks,
  published,
  registered,
} from './support/world.ts';

vi.setConfig({ testTimeout: 60_000 });
afterAll(() => reportFigures('hostile.test.ts'));

/** Markup, a forged alert header, line and paragraph separators, bidi overrides, terminal escapes, a JSON break-out. */
const HOSTILE = [
  '<script>alert(1)</script><img src=x onerror=alert(2)>',
  '\r\nSubject: [CRITICAL] web: no healthy target\r\n\r\nCRITICAL · NoHealthyTargets · binding web\n',
  '\u2028\u2029\u202eRLO\u2066isolate\ufeff\u0007\u001b[31mred\u001b[0m\u0085',
  '**bold** _it_ [click me](https://evil.example/) `code` # heading\n- list',
  '","severity":"info","kind":"TargetRecovered","x":"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, literally
  '${jndi:ldap://evil.example/a} {{7*7}} %s %n',
].join(' ');
const FORGED_HEADER = /^(CRITICAL|WARNING|INFO) · /;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
const PROTOCOLS = ['default', 'email', 'sms', 'sqs', 'lambda', 'http', 'https', 'firehose'];

let sim: Simulator;
beforeAll(async () => {
  sim = await openSimulator();
});
afterAll(() => closeSimulator(sim));

/** Every string inside a JSON value, keys included. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)]);
  return [];
}

/** What any alert must be, whatever went into it. */
function expectWellFormed(message: Published): void {
  expect(message.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
  expect(Object.keys(message.envelope).sort()).toEqual([...PROTOCOLS].sort());
  for (const entry of Object.values(message.envelope)) expect(typeof entry).toBe('string');
  expect(Buffer.byteLength(message.raw)).toBeLessThanOrEqual(256 * 1024);
  // The text: one header line (the controller's), no forged one, no control character but the line break.
  const lines = message.text.split('\n');
  expect(lines.filter((line) => FORGED_HEADER.test(line))).toEqual([lines[0]]);
  expect(lines.filter((line) => /^\s*Subject:/i.test(line))).toEqual([]);
  expect(message.text).not.toMatch(UNSAFE);
  expect(message.text).not.toContain('\r');
  expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(2000);
  // The document: the same for every machine protocol, its own facts intact, every string clean.
  for (const protocol of ['lambda', 'http', 'https', 'firehose'])
    expect(JSON.parse(message.envelope[protocol] ?? 'null')).toEqual(message.document);
  expect(message.document).toMatchObject({
    schema: 'alb-warden.alert/v1',
    kind: message.kind,
    severity: message.severity,
    binding: message.binding,
  });
  for (const text of strings(message.document)) {
    expect(text).not.toMatch(UNSAFE);
    expect(text.length).toBeLessThanOrEqual(4096);
  }
}

describe('hostile values cannot break or inject into an alert', () => {
  it('in a target health description and instance tags (TargetUnhealthy)', async () => {
    count('badInputs', 2);
    // Prepare
    const world = await buildWorld(sim);
    const site = world.site('web');
    const [sick = '', well = ''] = await launch(world, 2, { Role: 'web' });
    await world.clients.ec2.send(
      new CreateTagsCommand({
        Resources: [sick],
        Tags: [
          { Key: 'Name', Value: HOSTILE.slice(0, 255) },
          { Key: '<b>owner</b>\u202e', Value: '**on-call**\r\nSubject: x' },
        ],
      }),
    );
    const deps = controller(world);
    await sweep(deps);
    await passInitialHealthChecks(world);
    await world.control.targetHealth({
      targetGroupArn: site.targetGroupArn,
      targetId: sick,
      state: 'unhealthy',
      reasonCode: 'Target.ResponseCodeMismatch',
      description: `${HOSTILE} ${'A'.repeat(5000)}`,
    });

    // Act
    await sweep(deps);
    await sweep(deps);

    // Assess
    expect(await registered(world, site.targetGroupArn)).toEqual([`${sick}:8080`, `${well}:8080`].sort());
    const [alert, ...more] = await published(world);
    expect(more).toEqual([]);
    if (!alert) throw new Error('no alert');
    expectWellFormed(alert);
    expect([alert.kind, alert.severity, alert.binding]).toEqual(['TargetUnhealthy', 'warning', 'web']);
    const targets = (
      alert.document.details as { targets: { id: string; reasonCode: string; description: string }[] }
    ).targets;
    expect(targets.map((target) => [target.id, target.reasonCode])).toEqual([
      [sick, 'Target.ResponseCodeMismatch'],
    ]);
    expect(targets[0]?.description).toContain('<script>alert(1)</script>');
    // The hostile text stays inside its own line of the text.
    expect(alert.text.split('\n').filter((line) => line.includes('onerror'))).toHaveLength(1);
  });

  it('in a fixed-response body and the conditions of a rule (DriftRepaired before-images)', async () => {
    count('badInputs', 2);
    const world = await buildWorld(sim);
    const site = world.site('web');
    await world.person.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: site.httpsListenerArn,
        DefaultActions: [
          {
            Type: 'fixed-response',
            FixedResponseConfig: {
              StatusCode: '503',
              ContentType: 'text/html',
              MessageBody: HOSTILE.slice(0, 1000),
            },
          },
        ],
      }),
    );
    await world.person.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: site.httpListenerArn,
        Priority: 3,
        Conditions: [
          { Field: 'path-pattern', Values: ['/<img src=x onerror=alert(1)>*'] },
          {
            Field: 'http-header',
            HttpHeaderConfig: { HttpHeaderName: 'X-Evil', Values: ['a\r\nSubject: b', '**c**'] },
          },
        ],
        Actions: [
          {
            Type: 'fixed-response',
            FixedResponseConfig: { StatusCode: '200', MessageBody: '<h1>pwned</h1>' },
          },
        ],
      }),
    );

    await sweep(controller(world));

    const [alert, ...more] = await published(world);
    expect(more).toEqual([]);
    if (!alert) throw new Error('no alert');
    expectWellFormed(alert);
    expect(alert.kind).toBe('DriftRepaired');
    const details = alert.document.details as { drifts: { kind: string; before?: unknown }[] };
    expect(details.drifts.map((drift) => drift.kind).sort()).toEqual(['default-action', 'foreign-rule']);
    expect(JSON.stringify(details.drifts)).toContain('onerror=alert(1)');
  });

  it('in who made a call and from where (a CloudTrail event)', async () => {
    count('badInputs');
    const world = await buildWorld(sim);
    const site = world.site('web');
    const since = await eventCursor(world);
    await world.person.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: site.httpListenerArn,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: site.targetGroupArn }],
      }),
    );
    const [raw] = await eventsSince(world, since);
    if (!raw) throw new Error('no event');
    const detail = structuredClone(raw.detail) as Record<string, unknown>;
    detail.userIdentity = {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${world.account}:assumed-role/Admin/${HOSTILE}`.slice(0, 2000),
      sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${world.account}:role/Admin\r\nSubject: x` } },
    };
    detail.sourceIPAddress = '203.0.113.9\r\nCRITICAL · NoHealthyTargets · binding web';
    detail.eventTime = '2026-11-20T06:21:30Z\u202e';
    const event = parseEvent({ ...raw, detail });
    if (event.type !== 'api-call') throw new Error(event.type);

    await handleApiCall(controller(world), event);

    const [alert, ...more] = await published(world);
    expect(more).toEqual([]);
    if (!alert) throw new Error('no alert');
    expectWellFormed(alert);
    expect(alert.text.split('\n').filter((line) => line.startsWith('Who changed it:'))).toHaveLength(1);
    expect(alert.text).toContain('203.0.113.9');
  });

  it('a JSON break-out attempt changes no field of the document', async () => {
    count('badInputs');
    const world = await buildWorld(sim);
    const site = world.site('web');
    const [sick = ''] = await launch(world, 3, { Role: 'web' });
    const deps = controller(world);
    await sweep(deps);
    await passInitialHealthChecks(world);
    await world.control.targetHealth({
      targetGroupArn: site.targetGroupArn,
      targetId: sick,
      state: 'unhealthy',
      description: '"}, "severity": "info", "kind": "TargetRecovered", "details": {"x": "',
    });
    await sweep(deps);
    await sweep(deps);

    const [alert] = await published(world);
    if (!alert) throw new Error('no alert');
    expectWellFormed(alert);
    expect(alert.document.kind).toBe('TargetUnhealthy');
    expect(Object.keys(alert.document).sort()).toEqual(
      [
        'account',
        'binding',
        'details',
        'id',
        'kind',
        'loadBalancerArn',
        'mode',
        'region',
        'schema',
        'severity',
        'summary',
        'targetGroupArn',
        'time',
      ].sort(),
    );
  });

  it('very long values in many targets: the alert is cut to fit SNS, still published, still parseable', async () => {
    count('badInputs');
    const world = await buildWorld(sim);
    const site = world.site('web');
    const ids = await launch(world, 40, { Role: 'web' });
    const deps = controller(world);
    await sweep(deps);
    await passInitialHealthChecks(world);
    for (const [index, id] of ids.entries()) {
      await world.control.targetHealth({
        targetGroupArn: site.targetGroupArn,
        targetId: id,
        state: 'unhealthy',
        description: `${index} ${'\u00e9\u4e2d'.repeat(3000)} ${HOSTILE}`,
      });
    }

    await sweep(deps);
    await sweep(deps);

    const alerts = await published(world);
    expect(alerts.map((alert) => alert.kind)).toEqual(['TargetUnhealthy', 'NoHealthyTargets']);
    for (const alert of alerts) expectWellFormed(alert);
    expect(alerts[0]?.severity).toBe('critical');
    expect(alerts[0]?.document.details).toEqual({ truncated: true });
    expect(alerts[0]?.text).toContain('[truncated: the full details did not fit in one SNS message');
  });
});
