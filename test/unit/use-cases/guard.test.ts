import { describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../../functions/config.ts';
import { type ParsedEvent, parseEvent } from '../../../functions/domain/events.ts';
import { handleApiCall } from '../../../functions/use-cases/guard.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import {
  forwardTo,
  HTTPS_LISTENER_ARN,
  httpListener,
  httpsListener,
  redirect301,
  rule,
  seedConfig,
} from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';
import { fixture } from '../../support/fixtures.ts';

const MINUTE = 60_000;

function apiCall(
  name: string,
  edit?: (detail: Record<string, unknown>) => void,
): Extract<ParsedEvent, { type: 'api-call' }> {
  const event = fixture(name);
  edit?.(event.detail as Record<string, unknown>);
  const parsed = parseEvent(event);
  if (parsed.type !== 'api-call') throw new Error(`${name}: ${parsed.type}`);
  return parsed;
}

function setup(config: WardenConfig = seedConfig()) {
  const world = new FakeWorld();
  return { world, ...fakeDeps(world, config) };
}

const kinds = (world: FakeWorld) => world.published.map((alert) => alert.attributes.kind);

describe('guard: an event-triggered repair', () => {
  it('puts the redirect back, verifies it, and names who broke it', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    const result = await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
    expect(result.bindings[0]?.listeners).toMatchObject({ outcome: 'repaired', verified: true });
    expect(world.mutatingCalls).toEqual(['modifyListener']);
    expect(world.listeners[0]?.defaultActions).toEqual([redirect301]);
    expect(kinds(world)).toEqual(['DriftRepaired']);
    expect(world.published[0]?.text).toContain(
      'arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim from 203.0.113.24',
    );
  });

  it('uses at most 4 ELB calls: listeners, rules, write, verifying re-read', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
    expect(world.calls.filter((call) => call !== 'publish')).toEqual([
      'listListeners',
      'listRules',
      'modifyListener',
      'listListeners',
    ]);
  });

  it('removes a forward rule someone added on port 80', async () => {
    const { world, deps } = setup();
    const foreign = rule(1, [forwardTo()], '9683b2d02a6cabee');
    world.rules.set(world.listeners[0]?.arn ?? '', [foreign]);
    const result = await handleApiCall(deps, apiCall('cloudtrail-create-rule-forward-on-http.json'));
    expect(result.bindings[0]?.listeners?.outcome).toBe('repaired');
    expect(world.mutatingCalls).toEqual(['deleteRule']);
    expect(world.rules.get(world.listeners[0]?.arn ?? '')).toEqual([]);
  });

  it('recreates both listeners, HTTPS first, after they were deleted', async () => {
    const { world, deps } = setup();
    world.listeners = [];
    await handleApiCall(deps, apiCall('cloudtrail-delete-listener-http.json'));
    expect(world.mutatingCalls).toEqual(['createListener', 'createListener']);
    expect(world.listeners.map((listener) => `${listener.protocol}:${listener.port}`)).toEqual([
      'HTTPS:443',
      'HTTP:80',
    ]);
  });

  it('makes no AWS call for a failed call, its own change, or a load balancer it does not guard', async () => {
    const own = seedConfig({
      controllerRoleArns: ['arn:aws:iam::123456789012:role/AlbWarden-GuardFunctionRole-1A2B3C4D5E6F'],
    });
    const { world, deps } = setup(own);
    world.listeners[0] = httpListener([forwardTo()]);
    const ignored = [
      await handleApiCall(deps, apiCall('cloudtrail-modify-listener-denied.json')),
      await handleApiCall(deps, apiCall('cloudtrail-modify-listener-by-warden-itself.json')),
      await handleApiCall(
        deps,
        apiCall('cloudtrail-modify-listener-http-to-forward.json', (detail) => {
          (detail.requestParameters as Record<string, string>).listenerArn =
            (detail.requestParameters as Record<string, string>).listenerArn?.replace(
              '50dc6c495c0c9188',
              '1111111111111111',
            ) ?? '';
        }),
      ),
    ];
    expect(ignored.map((result) => result.ignored)).toEqual([
      'the call failed (AccessDenied): nothing changed',
      "the controller's own change",
      'concerns no guarded load balancer or target group',
    ]);
    expect(world.calls).toEqual([]);
  });
});

describe('guard: loop safety', () => {
  it('makes no mutating call after its own repair, whether the echo event or the next sweep comes first', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
    world.calls = [];
    // The same listener event replayed (say, a second delivery): the listener already matches.
    await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
    world.instances.clear();
    await sweep(deps);
    expect(world.mutatingCalls).toEqual([]);
    expect(kinds(world)).toEqual(['DriftRepaired']);
  });

  it('sends one alert when an event and a sweep race to repair the same drift', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    await Promise.all([
      handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json')),
      sweep(deps),
    ]);
    expect(world.listeners[0]?.defaultActions).toEqual([redirect301]);
    expect(kinds(world)).toEqual(['DriftRepaired']);
  });
});

describe('guard: safety before speed', () => {
  it('leaves port 80 alone and alerts critically when HTTPS is gone with no certificate to recreate it', async () => {
    const { world, deps } = setup(seedConfig({}, { https: {} }));
    world.listeners = [httpListener([forwardTo()])];
    await handleApiCall(deps, apiCall('cloudtrail-delete-listener-http.json'));
    await sweep(deps);
    expect(world.mutatingCalls).toEqual([]);
    expect(world.published.map((alert) => [alert.attributes.kind, alert.attributes.severity])).toEqual([
      ['RepairFailed', 'critical'],
    ]);
    expect(world.published[0]?.text).toContain('someone may have changed port 80 on purpose');
  });

  it('reports but never reverts a change by an approved actor, and remembers it', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    const event = apiCall('cloudtrail-modify-listener-http-to-forward.json', (detail) => {
      const identity = detail.userIdentity as {
        arn: string;
        sessionContext: { sessionIssuer: { arn: string } };
      };
      identity.arn =
        'arn:aws:sts::123456789012:assumed-role/cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-2/AWSCloudFormation';
      identity.sessionContext.sessionIssuer.arn =
        'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-2';
    });
    expect((await handleApiCall(deps, event)).bindings[0]?.listeners?.outcome).toBe('reported');
    const later = await sweep(deps);
    expect(later.bindings[0]?.listeners?.outcome).toBe('accepted');
    expect(world.mutatingCalls).toEqual([]);
    expect(kinds(world)).toEqual(['DriftRepaired']);
    expect(world.published[0]?.subject).toContain('HTTP listener drift reported, not repaired');
  });

  it('observes a paused binding without changing it, and reports the drift once', async () => {
    const { world, deps, state, clock } = setup();
    await state.put('web', {
      key: 'pause',
      version: 0,
      data: { until: clock.now + 60 * MINUTE, by: 'jiwoo@laptop', reason: 'incident 42', at: clock.now },
    });
    world.listeners[0] = httpListener([forwardTo()]);
    await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
    const swept = await sweep(deps);
    expect(swept.bindings[0]?.listeners?.outcome).toBe('paused');
    expect(world.mutatingCalls).toEqual([]);
    expect(kinds(world)).toEqual(['DriftRepaired']);
    expect(world.published[0]?.text).toContain('paused by jiwoo@laptop');
    clock.now += 61 * MINUTE;
    await sweep(deps);
    expect(world.mutatingCalls).toEqual(['modifyListener']);
  });

  it('stops repairing a listener that keeps being changed back, with one critical alert', async () => {
    const { world, deps, clock } = setup();
    for (let round = 0; round < 5; round++) {
      world.listeners[0] = httpListener([forwardTo()]);
      await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
      clock.now += MINUTE;
    }
    expect(world.mutatingCalls).toEqual(['modifyListener', 'modifyListener', 'modifyListener']);
    expect(kinds(world)).toEqual(['DriftRepaired', 'DriftRepaired', 'DriftRepaired', 'RepairsSuspended']);
    expect(world.published.at(-1)?.text).toContain(
      'Something keeps changing it back: arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim (203.0.113.24).',
    );
    clock.now += 31 * MINUTE;
    await sweep(deps);
    expect(world.mutatingCalls).toHaveLength(4);
  });

  it('in dry-run, makes no mutating call and reports the plan once', async () => {
    const { world, deps } = setup(seedConfig({ mode: 'dry-run' }));
    world.listeners = [
      httpListener([forwardTo()]),
      httpsListener([
        forwardTo(
          'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/canary/0a1b2c3d4e5f6a7b',
        ),
      ]),
    ];
    const first = await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
    await sweep(deps);
    await sweep(deps);
    expect(first.bindings[0]?.listeners).toMatchObject({
      outcome: 'would-repair',
      steps: [expect.stringContaining('HTTPS'), expect.stringContaining('HTTP ')],
    });
    expect(world.mutatingCalls).toEqual([]);
    expect(kinds(world)).toEqual(['DriftRepaired']);
    expect(world.published[0]?.subject).toContain('(dry-run) would repair');
  });
});

describe('guard: failures', () => {
  it('alerts RepairFailed when AWS refuses the repair, without throwing', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    world.failures.set('modifyListener', [
      Object.assign(new Error('not authorized to perform: elasticloadbalancing:ModifyListener'), {
        name: 'AccessDenied',
        $fault: 'client',
      }),
    ]);
    const result = await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
    expect(result.bindings[0]).toMatchObject({
      status: 'failed',
      error: { code: 'AccessDenied', transient: false },
    });
    expect(world.published.map((alert) => [alert.attributes.kind, alert.attributes.severity])).toEqual([
      ['RepairFailed', 'critical'],
    ]);
  });

  it('alerts a repair that does not hold once, with what still differs', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    // Something puts the forward back between the write and the verifying read.
    const sticky = {
      ...deps,
      elb: { ...world.elb, modifyListener: async () => world.listeners[0] ?? httpListener() },
    };
    const result = await handleApiCall(sticky, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
    expect(result.bindings[0]).toMatchObject({ status: 'failed', error: { transient: false } });
    expect(world.published.map((alert) => [alert.attributes.kind, alert.subject])).toEqual([
      ['RepairFailed', '[CRITICAL] web: listener repair did not hold'],
    ]);
    expect(world.published[0]?.text).toContain(
      'after the repair the listeners still differ: port 80 forwards to web-8080',
    );
  });

  it('throws when AWS keeps throttling, so the event is retried, and alerts nothing', async () => {
    const { world, deps } = setup();
    world.failures.set('listListeners', [
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client' }),
    ]);
    await expect(
      handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json')),
    ).rejects.toThrow(/failed transiently and will be retried/);
    expect(world.published).toEqual([]);
  });
});

describe('sweep: drift no event reported', () => {
  it('warns once that the event pipeline may be broken when it keeps repairing on its own', async () => {
    const { world, deps, clock } = setup();
    for (let round = 0; round < 4; round++) {
      world.listeners[0] = httpListener([forwardTo()]);
      await sweep(deps);
      clock.now += 10 * MINUTE;
    }
    // Two repairs no event reported, each older than an event's usual delay, make the warning: once.
    expect(kinds(world)).toEqual([
      'DriftRepaired',
      'DriftRepaired',
      'DriftRepaired',
      'EventPipelineSuspect',
      'DriftRepaired',
    ]);
  });

  it('does not count a repair whose event arrives after the sweep beat it', async () => {
    const { world, deps, clock } = setup();
    for (let round = 0; round < 4; round++) {
      world.listeners[0] = httpListener([forwardTo()]);
      await sweep(deps);
      clock.now += MINUTE;
      await handleApiCall(deps, apiCall('cloudtrail-modify-listener-http-to-forward.json'));
      clock.now += 10 * MINUTE;
    }
    await sweep(deps);
    // No EventPipelineSuspect. The late events name who made the changes repaired after the change's time
    // (the fixture's eventTime is 06:21:30: the third and fourth rounds), once each, as a follow-up.
    expect(kinds(world)).toEqual([
      'DriftRepaired',
      'DriftRepaired',
      'DriftRepaired',
      'DriftAttributed',
      'DriftRepaired',
      'DriftAttributed',
    ]);
  });
});

describe('guard: health check', () => {
  it('alerts its repair even when another invocation wrote the repair log in between', async () => {
    const { world, deps, state } = setup();
    const group = world.groups.values().next().value;
    if (!group) throw new Error('no group');
    world.groups.set(group.arn, { ...group, healthCheck: { ...group.healthCheck, matcher: '200' } });
    // A concurrent listener repair logs itself just before this invocation writes the log.
    const racing: typeof state = Object.create(state);
    let raced = false;
    racing.put = async (binding, record) => {
      if (record.key === 'repairs' && !raced) {
        raced = true;
        await state.put(binding, { key: 'repairs', version: record.version, data: { entries: [] } });
      }
      return state.put(binding, record);
    };
    const event = apiCall('cloudtrail-deregister-targets.json', (detail) => {
      detail.eventName = 'ModifyTargetGroup';
    });
    await handleApiCall({ ...deps, state: racing }, event);
    expect(raced).toBe(true);
    expect(kinds(world)).toEqual(['DriftRepaired']);
  });

  it('puts a changed health check back when the binding configures one', async () => {
    const { world, deps } = setup();
    const group = world.groups.values().next().value;
    if (!group) throw new Error('no group');
    world.groups.set(group.arn, { ...group, healthCheck: { ...group.healthCheck, matcher: '200' } });
    const event = apiCall('cloudtrail-deregister-targets.json', (detail) => {
      detail.eventName = 'ModifyTargetGroup';
    });
    const result = await handleApiCall(deps, event);
    expect(result.bindings[0]?.healthCheck).toEqual({
      outcome: 'repaired',
      decision: { kind: 'apply', reason: 'drift found: repairing' },
      drift: ['matcher "200" → "404"'],
      steps: ['set the health check of the target group back to the configured one'],
      blocked: [],
      verified: true,
      actor: expect.stringContaining('arn:aws:'),
    });
    expect(world.groups.get(group.arn)?.healthCheck.matcher).toBe('404');
  });
});

describe('sweep: the HTTPS listener is remembered, so a recreation is never weaker', () => {
  it('reads the SNI list once, when it first sees the listener, and adds it back after a deletion', async () => {
    const { world, deps } = setup();
    world.sni.set(HTTPS_LISTENER_ARN, ['arn:aws:acm:ap-northeast-2:123456789012:certificate/sni-1']);
    await sweep(deps);
    await sweep(deps);
    expect(world.calls.filter((call) => call === 'listCertificates')).toHaveLength(1);

    world.listeners = world.listeners.filter((listener) => listener.protocol !== 'HTTPS');
    world.sni.delete(HTTPS_LISTENER_ARN);
    await sweep(deps);

    expect(world.mutatingCalls).toEqual(['createListener', 'addCertificates']);
    expect(world.sni.get(HTTPS_LISTENER_ARN)).toEqual([
      'arn:aws:acm:ap-northeast-2:123456789012:certificate/sni-1',
    ]);
  });
});
