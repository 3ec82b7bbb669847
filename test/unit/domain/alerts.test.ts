import { describe, expect, it } from 'vitest';
import {
  conditionAlert,
  discoveryProblemAlert,
  driftAlert,
  eventPipelineAlert,
  healthCheckDriftAlert,
  memberUnreachableAlert,
  registrationFailedAlert,
  repairFailedAlert,
  repairsSuspendedAlert,
  targetHealthAlerts,
} from '../../../functions/domain/alert-kinds.ts';
import { type Alert, clean, consoleLink, renderAlert } from '../../../functions/domain/alerts.ts';
import type { TargetEvent } from '../../../functions/domain/health.ts';
import { planListeners } from '../../../functions/domain/listeners.ts';
import { forwardTo, httpListener, httpsListener, instance, seedConfig } from '../../support/builders.ts';

const config = seedConfig();
const binding = config.bindings[0] as (typeof config.bindings)[number];
const now = Date.parse('2026-11-20T06:24:00Z');
const base = { binding, now, mode: 'enforce' as const };
const MINUTE = 60_000;
const actor = {
  arn: 'arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim',
  issuerArn: 'arn:aws:iam::123456789012:role/AdministratorAccess',
  sourceIp: '203.0.113.24',
  eventTime: '2026-11-20T06:21:30Z',
  eventName: 'ModifyListener',
};
const unhealthy: TargetEvent = {
  kind: 'unhealthy',
  targetId: 'i-0abcd1111aaaa2222',
  port: 8080,
  state: 'unhealthy',
  reasonCode: 'Target.ResponseCodeMismatch',
  description: 'Health checks failed with these codes: [500]',
  badSince: now - 4 * MINUTE,
};
const instances = new Map([['i-0abcd1111aaaa2222', instance('i-0abcd1111aaaa2222')]]);
const healthInput = {
  ...base,
  fleet: { registered: 3, healthy: 2, inGrace: 0 },
  instances,
  recentChanges: [
    { at: now - 3 * MINUTE, summary: 'repaired http: port 80 forwards to web-8080', actor: actor.arn },
  ],
  contextMinutes: 30,
  criticalBelowHealthyFraction: 0.5,
  flappingWindowMinutes: 30,
};
const driftPlan = planListeners(binding, {
  listeners: [httpListener([forwardTo()]), httpsListener()],
  httpRules: [],
});

/** One example of every kind, as the on-call receives it. */
const examples: Record<string, Alert> = {
  TargetUnhealthy: targetHealthAlerts({ ...healthInput, events: [unhealthy] })[0] as Alert,
  TargetRecovered: targetHealthAlerts({
    ...healthInput,
    events: [{ kind: 'recovered', targetId: unhealthy.targetId, port: 8080, unhealthyForMs: 12 * MINUTE }],
  })[0] as Alert,
  TargetFlapping: targetHealthAlerts({
    ...healthInput,
    events: [{ ...unhealthy, kind: 'flapping' }],
  })[0] as Alert,
  NoHealthyTargets: conditionAlert(
    base,
    { kind: 'no-healthy', since: now - 2 * MINUTE, reminder: false },
    { registered: 2, healthy: 0, inGrace: 0 },
    [],
    30,
  ),
  HealthyTargetsRestored: conditionAlert(
    base,
    { kind: 'restored', since: now - 9 * MINUTE, lastedMs: 9 * MINUTE },
    { registered: 2, healthy: 1, inGrace: 0 },
    [],
    30,
  ),
  DriftRepaired: driftAlert({ ...base, outcome: 'repaired', plan: driftPlan, actor, verified: true }),
  DriftReported: driftAlert({
    ...base,
    outcome: 'reported',
    plan: driftPlan,
    actor,
    reportReason: 'the change was made by an approved actor',
  }),
  HealthCheckRepaired: healthCheckDriftAlert({
    ...base,
    outcome: 'repaired',
    drift: 'matcher "200" → "404"',
    before: { matcher: '200' },
  }),
  RepairFailed: repairFailedAlert({
    ...base,
    critical: true,
    headline: 'cannot restore the listeners safely',
    detail: 'port 80 is left as it is: HTTPS on port 443 cannot serve.',
    actor,
  }),
  RepairsSuspended: repairsSuspendedAlert({
    ...base,
    listener: 'http',
    repairs: 3,
    windowMinutes: 30,
    actors: [actor.arn],
  }),
  RegistrationFailed: registrationFailedAlert({
    ...base,
    headline: 'AWS refused 1 target',
    detail: 'AWS refused these targets; the rest of the batch went through.',
    next: 'The other targets were registered; the next sweep tries these again while their instances run and match.',
    error: {
      code: 'InvalidTarget',
      message:
        "The following targets are not in a running state and cannot be registered: 'i-0abcd1111aaaa2222'",
    },
  }),
  EventPipelineSuspect: eventPipelineAlert({ ...base, unreportedDrifts: 2 }),
  DiscoveryProblem: discoveryProblemAlert({
    name: 'web',
    loadBalancerArn: base.binding.loadBalancerArn,
    targetGroupArn: base.binding.targetGroupArn,
    now: base.now,
    mode: 'enforce',
    problems: [
      {
        loadBalancerArn: base.binding.loadBalancerArn,
        policies: ['fleet'],
        tag: 'alb-warden:target-port',
        message: 'alb-warden:target-port must be a port number, got "http"',
      },
    ],
  }),
};

describe('alert text, reviewed by a person', () => {
  it.each(Object.entries(examples))('%s', async (name, alert) => {
    const rendered = renderAlert(alert);
    await expect(`Subject: ${rendered.subject}\n\n${rendered.text}\n`).toMatchFileSnapshot(
      `__snapshots__/alerts/${name}.txt`,
    );
  });
});

describe('every alert', () => {
  it.each(Object.entries(examples))(
    '%s has a subject under 100 characters starting with severity and binding',
    (_, alert) => {
      const { subject, attributes, document } = renderAlert(alert);
      expect(subject.length).toBeLessThan(100);
      expect(subject).toMatch(/^\[(CRITICAL|WARNING|INFO)\] web: /);
      expect(attributes).toEqual({ severity: alert.severity, kind: alert.kind, binding: 'web' });
      expect(document).toMatchObject({
        schema: 'alb-warden.alert/v1',
        kind: alert.kind,
        binding: 'web',
        severity: alert.severity,
      });
    },
  );

  it('groups thirty newly unhealthy targets into one alert', () => {
    const events = Array.from({ length: 30 }, (_, index) => ({ ...unhealthy, targetId: `i-${index}` }));
    const alerts = targetHealthAlerts({
      ...healthInput,
      events,
      fleet: { registered: 31, healthy: 1, inGrace: 0 },
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.severity).toBe('critical');
    expect(alerts[0]?.headline).toBe('30 targets unhealthy in web-8080');
  });

  it.each(['TargetUnhealthy', 'TargetRecovered', 'TargetFlapping'])(
    '%s gives the fleet as it is now, in the text and in the details',
    (kind) => {
      const alert = examples[kind] as Alert;
      expect(alert.lines).toContain('Healthy targets now: 2 of 3 registered.');
      expect(alert.details).toMatchObject({ healthy: 2, registered: 3 });
    },
  );

  it('says "still" in reminders', () => {
    const [alert] = targetHealthAlerts({ ...healthInput, events: [{ ...unhealthy, kind: 'reminder' }] });
    expect(alert?.headline).toBe('still 1 target unhealthy in web-8080');
  });

  it('marks dry-run alerts in the subject and the text', () => {
    const rendered = renderAlert(
      driftAlert({ ...base, mode: 'dry-run', outcome: 'would-repair', plan: driftPlan, actor }),
    );
    expect(rendered.subject).toContain('(dry-run) would repair HTTP listener');
    expect(rendered.text).toContain('DRY-RUN: nothing was changed');
  });
});

describe('account and region', () => {
  const home = { account: '123456789012', region: 'ap-northeast-2' };
  /** The same alert about a binding whose load balancer is in a member account and region. */
  const inMember = (alert: Alert, region = 'eu-west-1'): Alert => ({
    ...alert,
    loadBalancerArn: `arn:aws:elasticloadbalancing:${region}:111111111111:loadbalancer/app/shop/50dc6c495c0c9188`,
    targetGroupArn: `arn:aws:elasticloadbalancing:${region}:111111111111:targetgroup/shop-8080/73e2d6bc24d8a067`,
  });

  it.each(Object.entries(examples))(
    "%s of a member's binding names its account and region in the subject and the first line",
    (_, alert) => {
      const { subject, text, document } = renderAlert(inMember(alert), { home });
      expect(subject).toMatch(/^\[(CRITICAL|WARNING|INFO)\] web \(111111111111\/eu-west-1\): /);
      expect(subject.length).toBeLessThan(100);
      expect(text.split('\n')[0]).toBe(
        `${alert.severity.toUpperCase()} · ${alert.kind} · binding web · account 111111111111, eu-west-1`,
      );
      expect(document).toMatchObject({ account: '111111111111', region: 'eu-west-1' });
    },
  );

  it('keeps the subject under 100 characters with the longest binding name and region', () => {
    const long = { ...(examples.DriftRepaired as Alert), binding: 'b'.repeat(40) };
    const { subject } = renderAlert(inMember(long, 'ap-southeast-7'), { home });
    expect(subject.length).toBeLessThan(100);
    expect(subject).toContain(`${'b'.repeat(31)}… (111111111111/ap-southeast-7): repaired`.replace('…', '?'));
  });

  it("names the hub's own account and region in the first line, and leaves its subject to what happened", () => {
    const alert = examples.DriftRepaired as Alert;
    const { subject, text, document } = renderAlert(alert, { home });
    expect(subject).toBe('[WARNING] web: repaired HTTP listener drift: port 80 forwards to web-8080');
    expect(subject).toBe(renderAlert(alert).subject);
    expect(text.split('\n')[0]).toBe(
      'WARNING · DriftRepaired · binding web · account 123456789012, ap-northeast-2',
    );
    expect(document).toMatchObject({ account: '123456789012', region: 'ap-northeast-2' });
  });

  it('says it once when the alert is about a whole member account and region', () => {
    const alert = memberUnreachableAlert({
      account: '111111111111',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::111111111111:role/AlbWardenMember-eu-west-1',
      bindings: [{ ...binding, ...inMember(examples.DriftRepaired as Alert) }],
      now,
      mode: 'enforce',
      error: { code: 'AccessDenied', message: 'not authorized to perform sts:AssumeRole' },
    });
    const { subject, text } = renderAlert(alert, { home });
    expect(subject).toBe('[CRITICAL] 111111111111/eu-west-1: cannot assume role AlbWardenMember-eu-west-1');
    expect(text.split('\n')[0]).toBe(
      'CRITICAL · RepairFailed · binding 111111111111/eu-west-1 · account 111111111111, eu-west-1',
    );
  });
});

describe('alert id', () => {
  it('is the same for the same alert rendered again, and differs for another alert or another time', () => {
    const alert = examples.TargetUnhealthy as Alert;
    const { id, document } = renderAlert(alert);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(renderAlert({ ...alert }).id).toBe(id);
    expect(document.id).toBe(id);
    expect(renderAlert({ ...alert, time: '2026-11-20T06:25:00Z' }).id).not.toBe(id);
    expect(renderAlert(examples.TargetRecovered as Alert).id).not.toBe(id);
    expect(renderAlert({ ...alert, binding: 'api' }).id).not.toBe(id);
  });
});

describe('NoHealthyTargets says what the load balancer does', () => {
  it('says the load balancer fails open to every registered target, not that it cannot serve', () => {
    const { text, subject } = renderAlert(examples.NoHealthyTargets as Alert);
    expect(text).toContain('fails open');
    expect(text).toContain('sends requests to all registered targets anyway');
    expect(text).toContain('errors from the unhealthy instances');
    expect(text).toContain('could not serve (503)');
    expect(text).not.toContain('cannot serve the site');
    expect(subject.length).toBeLessThan(100);
  });
});

describe('hostile values cannot break or inject into an alert', () => {
  const hostile = `evil\r\nSubject: [CRITICAL] fake\u2028\u202eRLO <script>alert(1)</script> **bold** ${'A'.repeat(5000)}`;
  const alert = targetHealthAlerts({
    ...healthInput,
    events: [{ ...unhealthy, targetId: hostile, reasonCode: hostile, description: hostile }],
    instances: new Map([[hostile, instance(hostile, { availabilityZone: hostile })]]),
  })[0] as Alert;
  const rendered = renderAlert(alert);

  it('adds no line of its own to the text', () => {
    const lines = rendered.text.split('\n');
    expect(lines.filter((line) => line.startsWith('Subject:'))).toEqual([]);
    expect(rendered.text).not.toMatch(/[\r\u2028\u2029\u202e]/);
  });

  it('keeps the subject a single printable line', () => {
    expect(rendered.subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('cuts very long values', () => {
    expect(Math.max(...rendered.text.split('\n').map((line) => line.length))).toBeLessThanOrEqual(2000);
  });

  it('stays valid JSON that round-trips', () => {
    const json = JSON.stringify(rendered.document);
    expect(JSON.parse(json)).toEqual(rendered.document);
    expect(json).not.toMatch(/\\u2028|\\r/);
  });

  it('clean() removes control characters and bidirectional overrides', () => {
    expect(clean('a\u0000b\u001bc\u202ed\nz')).toBe('a b c d z');
  });
});

describe('consoleLink', () => {
  it('points at the target group in its region and partition', () => {
    expect(consoleLink(binding.targetGroupArn)).toBe(
      `https://ap-northeast-2.console.aws.amazon.com/ec2/home?region=ap-northeast-2#TargetGroup:targetGroupArn=${encodeURIComponent(binding.targetGroupArn)}`,
    );
    expect(
      consoleLink('arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/a/0123456789abcdef'),
    ).toContain('cn-north-1.console.amazonaws.cn');
  });
});
