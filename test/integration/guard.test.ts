/**
 * The guard on the simulator: a person breaks the listeners through the real API (the simulator records
 * the CloudTrail event with who did it), the pump hands the event to the guard, and the result is read back
 * through DescribeListeners/DescribeRules. Call counts come from the simulator's counter.
 */
import {
  type Action,
  CreateRuleCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type ParsedEvent, parseEvent, routeApiCall } from '../../functions/domain/events.ts';
import { isDesiredForward, isDesiredRedirect } from '../../functions/domain/listeners.ts';
import type { Action as DomainAction } from '../../functions/domain/model.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import type { CallCounts } from '../../sim/control.ts';
import { fixture, fixtureNames } from '../support/fixtures.ts';
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
const mutating = (counts: CallCounts) =>
  MUTATING.reduce((sum, action) => sum + (counts.elbv2[action] ?? 0), 0);
const total = (counts: CallCounts) =>
  Object.values(counts).reduce((sum, service) => sum + Object.values(service).reduce((a, b) => a + b, 0), 0);

/** Skipped against another endpoint (WARDEN_IT_ENDPOINT): they read the simulator's CloudTrail record and call counter (GET /_sim/events, /_sim/calls). */

let warden: Warden;
beforeEach(async () => {
  warden = await startWarden();
});
afterEach(() => warden.stop());

const binding = () => warden.config.bindings[0] as (typeof warden.config.bindings)[number];

async function listeners() {
  const output = await warden.world.clients.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: warden.seed.loadBalancerArn }),
  );
  const byPort = new Map((output.Listeners ?? []).map((listener) => [listener.Port, listener]));
  return { http: byPort.get(80), https: byPort.get(443) };
}

async function expectDesired() {
  const { http, https } = await listeners();
  expect(isDesiredRedirect((http?.DefaultActions ?? []) as DomainAction[], binding())).toBe(true);
  expect(isDesiredForward((https?.DefaultActions ?? []) as DomainAction[], binding())).toBe(true);
  expect(https?.Certificates?.map((certificate) => certificate.CertificateArn)).toEqual([
    warden.seed.certificateArn,
  ]);
  const rules = await warden.world.clients.elbv2.send(
    new DescribeRulesCommand({ ListenerArn: http?.ListenerArn }),
  );
  expect((rules.Rules ?? []).filter((rule) => !rule.IsDefault)).toEqual([]);
}

const modify = (listenerArn: string, actions: Action[]) =>
  warden.person.elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: actions }));

const otherGroup = async () => {
  const { CreateTargetGroupCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
  const created = await warden.world.clients.elbv2.send(
    new CreateTargetGroupCommand({ Name: 'canary', Protocol: 'HTTP', Port: 8080, VpcId: warden.seed.vpcId }),
  );
  return created.TargetGroups?.[0]?.TargetGroupArn ?? '';
};

simulatorOnly('drift made by a person is repaired by the event, and the alert names them', () => {
  const cases: [string, () => Promise<unknown>][] = [
    [
      'a 302 redirect instead of 301',
      () =>
        modify(warden.seed.httpListenerArn, [
          { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_302' } },
        ]),
    ],
    [
      'a redirect to #{port} (https://host:80)',
      () =>
        modify(warden.seed.httpListenerArn, [
          { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_301' } },
        ]),
    ],
    [
      'a forward instead of the redirect',
      () =>
        modify(warden.seed.httpListenerArn, [
          { Type: 'forward', TargetGroupArn: warden.seed.targetGroupArn },
        ]),
    ],
    [
      'the HTTP listener deleted',
      () => warden.person.elbv2.send(new DeleteListenerCommand({ ListenerArn: warden.seed.httpListenerArn })),
    ],
    [
      'the HTTPS listener deleted',
      () =>
        warden.person.elbv2.send(new DeleteListenerCommand({ ListenerArn: warden.seed.httpsListenerArn })),
    ],
    [
      'a priority-1 forward rule on the HTTP listener',
      () =>
        warden.person.elbv2.send(
          new CreateRuleCommand({
            ListenerArn: warden.seed.httpListenerArn,
            Priority: 1,
            Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
            Actions: [{ Type: 'forward', TargetGroupArn: warden.seed.targetGroupArn }],
          }),
        ),
    ],
    [
      'a fixed response on HTTPS',
      () =>
        modify(warden.seed.httpsListenerArn, [
          {
            Type: 'fixed-response',
            FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'maintenance' },
          },
        ]),
    ],
    [
      'HTTPS forwarding to another target group',
      async () =>
        modify(warden.seed.httpsListenerArn, [{ Type: 'forward', TargetGroupArn: await otherGroup() }]),
    ],
  ];

  it.each(cases)('%s', async (_, breakIt) => {
    await breakIt();
    await warden.pump();
    await expectDesired();
    const alerts = await warden.alerts();
    expect(alerts.map((alert) => alert.kind)).toEqual(['DriftRepaired']);
    expect(alerts[0]?.text).toContain('assumed-role/AdministratorAccess/jiwoo.kim');
    expect(alerts[0]?.text).toContain('Re-read and verified');
  });

  it('repairs several drifts at once, HTTPS before HTTP', async () => {
    await modify(warden.seed.httpsListenerArn, [
      { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } },
    ]);
    await modify(warden.seed.httpListenerArn, [
      { Type: 'forward', TargetGroupArn: warden.seed.targetGroupArn },
    ]);
    await warden.world.control?.resetCalls();
    await warden.sweep();
    await expectDesired();
    const steps = warden.telemetry.logs
      .filter((log) => log.message === 'repairing')
      .map((log) => log.attributes?.listener);
    expect(steps).toEqual(['https', 'http']);
  });
});

simulatorOnly('loop safety', () => {
  it('makes zero mutating calls when its own repair comes back as an event, and on the sweep after', async () => {
    await modify(warden.seed.httpListenerArn, [
      { Type: 'forward', TargetGroupArn: warden.seed.targetGroupArn },
    ]);
    await warden.pump();
    const control = warden.world.control;
    if (!control) throw new Error('needs the simulator');
    const { events } = await control.events(0);
    const own = events
      .map(parseEvent)
      .filter(
        (event): event is Extract<ParsedEvent, { type: 'api-call' }> =>
          event.type === 'api-call' && event.actor.issuerArn === warden.controllerRoleArn,
      );
    expect(own.map((event) => event.eventName)).toEqual(['ModifyListener']);
    await control.resetCalls();
    // Even if the rule's filter let it through, the guard itself ignores its own role.
    const echoed = await handleApiCall(warden.deps, own[0] as Extract<ParsedEvent, { type: 'api-call' }>);
    expect(echoed.ignored).toBe("the controller's own change");
    await warden.sweep();
    expect(mutating(await control.calls())).toBe(0);
  });
});

simulatorOnly('cost of an event-triggered repair', () => {
  it('uses at most 4 ELB calls and 7 AWS calls in all', async () => {
    await modify(warden.seed.httpListenerArn, [
      { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_302' } },
    ]);
    const control = warden.world.control;
    if (!control) throw new Error('needs the simulator');
    const { events } = await control.events(0);
    const change = events
      .map(parseEvent)
      .find((event) => event.type === 'api-call' && event.eventName === 'ModifyListener');
    if (change?.type !== 'api-call') throw new Error('no ModifyListener event recorded');
    await control.resetCalls();
    await handleApiCall(warden.deps, change);
    const counts = await control.calls();
    expect(Object.values(counts.elbv2).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
    expect(total(counts)).toBeLessThanOrEqual(7);
    await expectDesired();
  });
});

simulatorOnly('dry-run', () => {
  it('makes zero mutating calls and reports the plan it would carry out', async () => {
    await warden.stop();
    warden = await (await import('./warden.ts')).startWarden({ mode: 'dry-run' });
    await modify(warden.seed.httpListenerArn, [
      { Type: 'forward', TargetGroupArn: warden.seed.targetGroupArn },
    ]);
    await warden.world.control?.resetCalls();
    const results = await warden.pump();
    const counts = await warden.world.control?.calls();
    expect(counts && mutating(counts)).toBe(0);
    expect(results[0]?.bindings[0]?.listeners).toMatchObject({
      outcome: 'would-repair',
      steps: [expect.stringContaining('so that it redirects 301 to HTTPS:443')],
    });
    expect((await warden.alerts()).map((alert) => alert.subject)).toEqual([
      expect.stringContaining('(dry-run) would repair HTTP listener'),
    ]);
  });
});

simulatorOnly('the CloudTrail fixtures, rewritten to the simulator world', () => {
  /** The fixtures' ARNs point at account 123456789012's web-alb; point them at the simulator's. */
  function rewritten(name: string): ParsedEvent {
    const suffix = (arn: string, marker: string) => arn.split(marker)[1] ?? '';
    const text = JSON.stringify(fixture(name))
      .replaceAll(
        'app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2',
        suffix(warden.seed.httpListenerArn, ':listener/'),
      )
      .replaceAll(
        'app/web-alb/50dc6c495c0c9188/0467ef3c8400ae65',
        suffix(warden.seed.httpsListenerArn, ':listener/'),
      )
      .replaceAll('app/web-alb/50dc6c495c0c9188', suffix(warden.seed.loadBalancerArn, ':loadbalancer/'))
      .replaceAll(
        'targetgroup/web-8080/73e2d6bc24d8a067',
        `targetgroup/${suffix(warden.seed.targetGroupArn, ':targetgroup/')}`,
      );
    return parseEvent(JSON.parse(text));
  }

  it.each(fixtureNames().filter((name) => name.startsWith('cloudtrail-')))(
    '%s maps to the simulator binding as it does to the recorded one',
    (name) => {
      const event = rewritten(name);
      const original = parseEvent(fixture(name));
      if (event.type !== 'api-call' || original.type !== 'api-call')
        throw new Error(`${name} is not an API call`);
      const recordedConfig = {
        ...warden.config,
        controllerRoleArns: ['arn:aws:iam::123456789012:role/AlbWarden-GuardFunctionRole-1A2B3C4D5E6F'],
      };
      const route = routeApiCall(recordedConfig, event);
      expect(
        route.action === 'reconcile' ? route.scope : route.action === 'hold' ? route.service : route.reason,
      ).toBe(
        {
          'cloudtrail-modify-listener-denied.json': 'the call failed (AccessDenied): nothing changed',
          'cloudtrail-modify-listener-by-warden-itself.json': "the controller's own change",
          'cloudtrail-deregister-targets.json': 'registration',
        }[name] ?? 'listeners',
      );
    },
  );

  it('repairs what the fixture describes when its change is made for real', async () => {
    const event = rewritten('cloudtrail-modify-listener-http-to-forward.json');
    await modify(warden.seed.httpListenerArn, [
      { Type: 'forward', TargetGroupArn: warden.seed.targetGroupArn },
    ]);
    if (event.type !== 'api-call') throw new Error('not an API call');
    const result = await handleApiCall(warden.deps, event);
    expect(result.bindings[0]?.listeners?.outcome).toBe('repaired');
    await expectDesired();
  });
});
