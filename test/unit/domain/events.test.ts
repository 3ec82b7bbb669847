import { describe, expect, it } from 'vitest';
import {
  isApprovedActor,
  isControllerActor,
  type ParsedEvent,
  parseEvent,
  routeApiCall,
} from '../../../functions/domain/events.ts';
import { seedConfig } from '../../support/builders.ts';
import { fixture, fixtureNames } from '../../support/fixtures.ts';

const config = seedConfig();

function apiCall(name: string): Extract<ParsedEvent, { type: 'api-call' }> {
  const parsed = parseEvent(fixture(name));
  if (parsed.type !== 'api-call') throw new Error(`${name} parsed as ${parsed.type}`);
  return parsed;
}

describe('parseEvent on the recorded event fixtures', () => {
  it('parses every fixture into a handled type', () => {
    const types = fixtureNames().map((name) => [name, parseEvent(fixture(name)).type]);
    expect(types.filter(([, type]) => type === 'ignored')).toEqual([]);
  });

  it.each([
    ['ec2-instance-pending.json', 'pending'],
    ['ec2-instance-running.json', 'running'],
    ['ec2-instance-stopped.json', 'stopped'],
    ['ec2-instance-terminated.json', 'terminated'],
  ])('reads the instance id and state of %s', (name, state) => {
    expect(parseEvent(fixture(name))).toMatchObject({
      type: 'instance-state',
      instanceId: 'i-0abcd1111aaaa2222',
      state,
    });
  });

  it('keeps the time of an instance event, which tells a young event from an old one', () => {
    expect(parseEvent(fixture('ec2-instance-running.json'))).toMatchObject({ time: '2026-11-20T03:14:07Z' });
  });

  it('reads who made an API call', () => {
    expect(apiCall('cloudtrail-modify-listener-http-to-forward.json').actor).toEqual({
      arn: 'arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim',
      issuerArn: 'arn:aws:iam::123456789012:role/AdministratorAccess',
      sourceIp: '203.0.113.24',
      eventTime: '2026-11-20T06:21:30Z',
      eventName: 'ModifyListener',
      eventId: '0284ec55-50c8-4cd8-85e0-b15b160af11e',
    });
  });

  it('reads the scheduled sweep', () => {
    expect(parseEvent(fixture('scheduled-sweep.json'))).toEqual({
      type: 'scheduled',
      id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
      time: '2026-11-20T06:22:00Z',
    });
  });
});

describe('parseEvent on bad input: ignored with a reason, never thrown', () => {
  const running = fixture('ec2-instance-running.json');
  const cases: [string, unknown, RegExp][] = [
    ['null', null, /not an EventBridge event/],
    ['a string', 'hello', /not an EventBridge event/],
    ['an array', [running], /not an EventBridge event/],
    ['no detail-type', { ...running, 'detail-type': undefined }, /detail-type/],
    [
      'unknown detail-type',
      { ...running, 'detail-type': 'EC2 Instance Rebalance Recommendation' },
      /unhandled detail-type/,
    ],
    ['detail of the wrong type', { ...running, detail: 'running' }, /detail/],
    [
      'instance id of the wrong type',
      { ...running, detail: { 'instance-id': 42, state: 'running' } },
      /instance-id/,
    ],
    [
      'unknown instance state',
      { ...running, detail: { 'instance-id': 'i-0abcd1111aaaa2222', state: 'rebooting' } },
      /state/,
    ],
    ['a spoofed source', { ...running, source: 'my.app' }, /unexpected source/],
    [
      'a huge payload',
      { ...running, detail: { padding: 'x'.repeat(300_000) } },
      /larger than EventBridge allows/,
    ],
    ['a bad account', { ...running, account: 'me' }, /account/],
  ];
  it.each(cases)('%s', (_, event, reason) => {
    const parsed = parseEvent(event);
    expect(parsed.type).toBe('ignored');
    expect(parsed.type === 'ignored' && parsed.reason).toMatch(reason);
  });

  it('rejects a CloudTrail event from another service', () => {
    const event = fixture('cloudtrail-delete-rule.json');
    (event.detail as Record<string, unknown>).eventSource = 'ec2.amazonaws.com';
    expect(parseEvent(event).type).toBe('ignored');
  });
});

describe('routeApiCall: each fixture gets the right decision', () => {
  it.each([
    ['cloudtrail-modify-listener-http-to-forward.json', 'listeners'],
    ['cloudtrail-modify-listener-redirect-302.json', 'listeners'],
    ['cloudtrail-modify-listener-https-fixed-response.json', 'listeners'],
    ['cloudtrail-delete-listener-http.json', 'listeners'],
    ['cloudtrail-create-rule-forward-on-http.json', 'listeners'],
    ['cloudtrail-delete-rule.json', 'listeners'],
    ['cloudtrail-deregister-targets.json', 'registration'],
  ])('%s → reconcile %s of binding web', (name, scope) => {
    const route = routeApiCall(config, apiCall(name));
    expect(route).toMatchObject({ action: 'reconcile', scope });
    expect(route.action === 'reconcile' && route.bindings.map((binding) => binding.name)).toEqual(['web']);
  });

  it('ignores a failed call: nothing changed', () => {
    expect(routeApiCall(config, apiCall('cloudtrail-modify-listener-denied.json'))).toEqual({
      action: 'ignore',
      reason: 'the call failed (AccessDenied): nothing changed',
    });
  });

  it("ignores the controller's own change", () => {
    const own = seedConfig({
      controllerRoleArns: ['arn:aws:iam::123456789012:role/AlbWarden-GuardFunctionRole-1A2B3C4D5E6F'],
    });
    expect(routeApiCall(own, apiCall('cloudtrail-modify-listener-by-warden-itself.json'))).toEqual({
      action: 'ignore',
      reason: "the controller's own change",
    });
  });

  it('maps a delete-rule event that carries only the rule ARN through the load balancer id inside it', () => {
    const route = routeApiCall(config, apiCall('cloudtrail-delete-rule.json'));
    expect(route.action).toBe('reconcile');
  });

  it('ignores load balancers it does not guard, and other accounts, regions and partitions', () => {
    for (const [from, to] of [
      ['50dc6c495c0c9188', '1111111111111111'],
      ['123456789012', '210987654321'],
      ['ap-northeast-2', 'us-east-1'],
      ['arn:aws:', 'arn:aws-cn:'],
    ] as const) {
      const event = JSON.parse(
        JSON.stringify(fixture('cloudtrail-modify-listener-http-to-forward.json')).replaceAll(from, to),
      );
      const parsed = parseEvent(event);
      expect(parsed.type === 'api-call' && routeApiCall(config, parsed)).toEqual({
        action: 'ignore',
        reason: 'concerns no guarded load balancer or target group',
      });
    }
  });

  it('ignores read-only and unwatched calls', () => {
    const event = fixture('cloudtrail-modify-listener-http-to-forward.json');
    (event.detail as Record<string, unknown>).eventName = 'DescribeListeners';
    const parsed = parseEvent(event);
    expect(parsed.type === 'api-call' && routeApiCall(config, parsed).action).toBe('ignore');
  });

  it('routes SetRulePriorities through the rule ARNs in its list', () => {
    const event = fixture('cloudtrail-delete-rule.json');
    const detail = event.detail as Record<string, unknown>;
    detail.eventName = 'SetRulePriorities';
    detail.requestParameters = {
      rulePriorities: [{ ruleArn: (detail.requestParameters as { ruleArn: string }).ruleArn, priority: 3 }],
    };
    const parsed = parseEvent(event);
    expect(parsed.type === 'api-call' && routeApiCall(config, parsed).action).toBe('reconcile');
  });
});

describe('actors', () => {
  const person = {
    arn: 'arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim',
    issuerArn: 'arn:aws:iam::123456789012:role/AdministratorAccess',
  };

  it('recognizes the controller by its session when the issuer is missing', () => {
    const own = seedConfig({
      controllerRoleArns: ['arn:aws:iam::123456789012:role/service/AlbWarden-Controller'],
    });
    expect(
      isControllerActor(own, { arn: 'arn:aws:sts::123456789012:assumed-role/AlbWarden-Controller/fn' }),
    ).toBe(true);
    expect(
      isControllerActor(own, { arn: 'arn:aws:sts::210987654321:assumed-role/AlbWarden-Controller/fn' }),
    ).toBe(false);
    expect(isControllerActor(own, person)).toBe(false);
  });

  it('matches approved actor patterns by session or role, with * wildcards only', () => {
    const cfn = {
      arn: 'arn:aws:sts::123456789012:assumed-role/cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-2/AWSCloudFormation',
      issuerArn: 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-2',
    };
    const patterns = ['arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-*'];
    expect(isApprovedActor(patterns, cfn)).toBe(patterns[0]);
    expect(isApprovedActor(patterns, person)).toBeUndefined();
    expect(isApprovedActor(['arn:aws:iam::123456789012:role/Admin.ccess'], person)).toBeUndefined();
  });
});
