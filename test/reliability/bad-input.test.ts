/**
 * Bad input at the edge, through the real Lambda handlers (middy, Powertools logger and metrics, the
 * `create*Handler` factories) with the real adapters pointed at the simulator:
 *
 *   - malformed or unexpected events (not objects, missing fields, wrong types, unknown detail-types,
 *     spoofed sources, huge, deeply nested or cyclic payloads, prototype pollution, ARNs of other accounts,
 *     regions and partitions): one clear log line, no AWS call (counted by the simulator), no throw, and
 *     the function keeps working;
 *   - bad configuration: every invocation fails with the ConfigError naming the field, with no AWS call,
 *     until the configuration is fixed (nothing is kept half-configured).
 */
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuardHandler } from '../../functions/handlers/guard.ts';
import { createRegisterHandler } from '../../functions/handlers/register.ts';
import { createObservability, lazyDeps, telemetryOf } from '../../functions/handlers/runtime.ts';
import { createSweepHandler } from '../../functions/handlers/sweep.ts';
import type { Deps } from '../../functions/use-cases/context.ts';
import type { SimEvent } from '../../sim/control.ts';
import type { Simulator } from '../../sim/index.ts';
import { fixture } from '../support/fixtures.ts';
import { count, reportFigures } from './support/figures.ts';
import { captureOutput, lambdaContext } from './support/lambda.ts';
import {
  buildWorld,
  CONTROLLER_KEY,
  closeSimulator,
  controller,
  eventCursor,
  eventsSince,
  launch,
  openSimulator,
  published,
  registered,
  SIM_SECRET,
  totalCalls,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 60_000 });
afterAll(() => reportFigures('bad-input.test.ts'));

const FUNCTIONS = ['register', 'guard', 'sweep'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

let sim: Simulator;
let world: World;
let handlers: Record<FunctionName, Handler>;
/** A real CloudTrail event of this world (someone changed the redirect), and a running instance's event. */
let apiCall: SimEvent;
let instanceEvent: SimEvent;

const FACTORIES = { register: createRegisterHandler, guard: createGuardHandler, sweep: createSweepHandler };

/** A function's handler as its entry file builds it, from the factory, with these dependencies. */
function handlerWith(
  name: FunctionName,
  deps: () => Deps,
  observability = createObservability(name),
): Handler {
  return FACTORIES[name](observability, deps) as unknown as Handler;
}

beforeAll(async () => {
  sim = await openSimulator();
  world = await buildWorld(sim);
  handlers = Object.fromEntries(
    FUNCTIONS.map((name) => {
      const observability = createObservability(name);
      const deps = controller(world, { telemetry: telemetryOf(observability) });
      return [name, handlerWith(name, () => deps, observability)];
    }),
  ) as Record<FunctionName, Handler>;
  const since = await eventCursor(world);
  const [id = ''] = await launch(world, 1, { Role: 'web' });
  await world.person.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: world.site('web').httpListenerArn,
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_302' } },
      ],
    }),
  );
  const events = await eventsSince(world, since);
  const running = events.find(
    (event) => event.detail.state === 'running' && event.detail['instance-id'] === id,
  );
  const modify = events.find((event) => event.detail.eventName === 'ModifyListener');
  if (!running || !modify) throw new Error('the world recorded no events');
  instanceEvent = running;
  apiCall = modify;
});
afterAll(() => closeSimulator(sim));

async function invoke(name: FunctionName, event: unknown, handler: Handler = handlers[name]) {
  await world.control.resetCalls();
  const captured = await captureOutput(() => handler(event, lambdaContext(name)));
  return { ...captured, calls: totalCalls(await world.control.calls()) };
}

const clone = <T>(value: T): T => structuredClone(value);
const edit = (event: SimEvent, change: (copy: Record<string, unknown>) => void): Record<string, unknown> => {
  const copy = clone(event) as unknown as Record<string, unknown>;
  change(copy);
  return copy;
};

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 0; level < depth; level++) value = { next: value };
  return value;
}

/** Events no function handles: each function logs one line with the reason and makes no AWS call. */
function malformed(): [string, unknown][] {
  const cyclic: Record<string, unknown> = { ...clone(fixture('scheduled-sweep.json')) };
  cyclic.detail = { self: cyclic };
  return [
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'running'],
    ['an array of events', [fixture('scheduled-sweep.json')]],
    ['an empty object', {}],
    ['no detail-type', { ...fixture('scheduled-sweep.json'), 'detail-type': undefined }],
    ['a detail-type of the wrong type', { ...fixture('scheduled-sweep.json'), 'detail-type': 7 }],
    [
      'an unknown detail-type',
      { ...fixture('ec2-instance-running.json'), 'detail-type': 'EC2 Spot Instance Interruption Warning' },
    ],
    ['detail of the wrong type', { ...fixture('ec2-instance-running.json'), detail: 'running' }],
    ['an account that is not one', { ...fixture('scheduled-sweep.json'), account: '12345' }],
    ['an id of the wrong type', { ...fixture('scheduled-sweep.json'), id: { $ne: null } }],
    ['a huge payload', { ...fixture('scheduled-sweep.json'), detail: { padding: 'x'.repeat(300_000) } }],
    ['a deeply nested payload', { ...fixture('scheduled-sweep.json'), detail: nested(50_000) }],
    ['a cyclic payload', cyclic],
    [
      'an instance id that is not one',
      edit(instanceEvent, (copy) => {
        copy.detail = { 'instance-id': '../../i-0abc', state: 'running' };
      }),
    ],
    [
      'an unknown instance state',
      edit(instanceEvent, (copy) => {
        copy.detail = { ...(copy.detail as object), state: 'rebooting' };
      }),
    ],
    [
      'an instance event from a spoofed source',
      edit(instanceEvent, (copy) => {
        copy.source = 'my.app';
      }),
    ],
    [
      'a CloudTrail event from another service',
      edit(apiCall, (copy) => {
        (copy.detail as Record<string, unknown>).eventSource = 'ec2.amazonaws.com';
      }),
    ],
    [
      'a CloudTrail event without userIdentity',
      edit(apiCall, (copy) => {
        delete (copy.detail as Record<string, unknown>).userIdentity;
      }),
    ],
    [
      'requestParameters of the wrong type',
      edit(apiCall, (copy) => {
        (copy.detail as Record<string, unknown>).requestParameters = 'listener/app/web-alb';
      }),
    ],
  ];
}

describe('malformed and unexpected events: one log line, no AWS call, no throw', () => {
  for (const name of FUNCTIONS) {
    it(`${name}: ignores each of them with its reason`, async () => {
      for (const [label, event] of malformed()) {
        count('badInputs');
        // Act
        const { error, value, json, lines, calls } = await invoke(name, event);

        // Assess
        expect(error, label).toBeUndefined();
        expect((value as { ignored?: string }).ignored, label).toMatch(/\S/);
        const ignored = json.filter((line) => line.message === 'event ignored');
        expect(ignored, label).toHaveLength(1);
        expect(ignored[0]?.reason, label).toBe((value as { ignored: string }).ignored);
        expect(Math.max(...lines.map((line) => line.length)), label).toBeLessThan(4096);
        expect(calls, label).toBe(0);
      }
    });
  }

  it('a prototype-polluting event pollutes nothing', async () => {
    const poisoned = JSON.parse(
      JSON.stringify(apiCall).replace(
        '"requestParameters":{',
        '"requestParameters":{"__proto__":{"polluted":"yes","listenerArn":"x"},"constructor":{"prototype":{"polluted":"yes"}},',
      ),
    );
    for (const name of FUNCTIONS) {
      count('badInputs');
      const { error } = await invoke(name, poisoned);
      expect(error).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    }
  });

  it('events for other functions are ignored by name', async () => {
    const cases: [FunctionName, unknown, RegExp][] = [
      ['register', apiCall, /register does not handle api-call events/],
      ['register', fixture('scheduled-sweep.json'), /register does not handle scheduled events/],
      ['guard', instanceEvent, /guard does not handle instance-state events/],
      ['sweep', apiCall, /sweep does not handle api-call events/],
    ];
    for (const [name, event, reason] of cases) {
      count('badInputs');
      const { value, calls } = await invoke(name, event);
      expect((value as { ignored: string }).ignored).toMatch(reason);
      expect(calls).toBe(0);
    }
  });

  it('keeps working: the same bad event three times, then good ones are handled', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { error, calls } = await invoke('guard', { ...fixture('scheduled-sweep.json'), detail: 'x' });
      expect(error).toBeUndefined();
      expect(calls).toBe(0);
    }
    const guarded = await invoke('guard', apiCall);
    expect(guarded.error).toBeUndefined();
    expect(await published(world)).toHaveLength(1);
    const swept = await invoke('sweep', fixture('scheduled-sweep.json'));
    expect(swept.error).toBeUndefined();
    expect((swept.value as { bindings: unknown[] }).bindings).toHaveLength(1);
    const site = world.site('web');
    expect(await registered(world, site.targetGroupArn)).toEqual([
      `${instanceEvent.detail['instance-id']}:8080`,
    ]);
  });
});

describe('events from other accounts, regions and partitions', () => {
  const elsewhere: [string, (arn: string) => string, Partial<Record<'account' | 'region', string>>][] = [
    [
      'another account',
      (arn) => arn.replace(`:${'123456789012'}:`, ':210987654321:'),
      { account: '210987654321' },
    ],
    ['another region', (arn) => arn.replace(':ap-northeast-2:', ':eu-west-1:'), { region: 'eu-west-1' }],
    [
      'the aws-cn partition',
      (arn) => arn.replace('arn:aws:', 'arn:aws-cn:').replace(':ap-northeast-2:', ':cn-north-1:'),
      { region: 'cn-north-1' },
    ],
  ];
  it.each(elsewhere)('%s: the guard concerns itself with none of them', async (_, move, envelope) => {
    count('badInputs');
    const event = JSON.parse(JSON.stringify(apiCall).replace(/arn:aws:elasticloadbalancing:[^"]+/g, move));
    Object.assign(event, envelope);
    const { error, value, json, calls } = await invoke('guard', event);
    expect(error).toBeUndefined();
    expect((value as { ignored?: string }).ignored).toBe('concerns no guarded load balancer or target group');
    expect(json.filter((line) => line.message === 'event ignored')).toHaveLength(1);
    expect(calls).toBe(0);
  });

  // An instance event from another account or region (a cross-account event bus, a forged event) is none
  // of ours: no DescribeInstances in this account for that id, no alert.
  it.each([
    ['another account', { account: '210987654321' }],
    ['another region', { region: 'eu-west-1' }],
  ])('%s: the register function ignores an instance event from there', async (_, envelope) => {
    count('badInputs');
    const event = { ...clone(instanceEvent), ...envelope };
    const { error, value, calls } = await invoke('register', event);
    expect(error).toBeUndefined();
    expect((value as { ignored?: string }).ignored).toMatch(/\S/);
    expect(calls).toBe(0);
  });
});

describe('instance events about instances EC2 no longer knows', () => {
  // An instance event for an id EC2 no longer returns (terminated more than an hour ago: a retried or late
  // event) is "gone: deregister it by id". AWS answers InvalidTarget when asked about the health of an
  // instance that does not exist: that means not registered, not a failure.
  it('a late stopped event for a forgotten instance alerts nothing and changes nothing', async () => {
    count('badInputs');
    const event = edit(instanceEvent, (copy) => {
      copy.detail = { 'instance-id': 'i-0123456789abcdef0', state: 'terminated' };
    });
    const { error, value } = await invoke('register', event);
    expect(error).toBeUndefined();
    expect(
      (value as { bindings: { status: string }[] }).bindings.map((binding) => binding.status),
    ).not.toContain('failed');
    expect((await published(world)).map((alert) => alert.kind)).not.toContain('RegistrationFailed');
  });
});

describe('bad configuration: rejected at load with the field named, every time, with no AWS call', () => {
  const valid = () => ({
    controllerRoleArns: [world.controllerRoleArn],
    alerts: { topicArn: world.topicArn, stateTable: world.config.alerts.stateTable },
    bindings: [
      {
        name: 'web',
        loadBalancerArn: world.site('web').loadBalancerArn,
        targetGroupArn: world.site('web').targetGroupArn,
        instanceSelector: { tags: { Role: 'web' } },
        https: { certificateArn: world.certificateArn },
      },
    ],
  });
  const binding = () => valid().bindings[0] as Record<string, unknown>;
  // Built when a test runs: the world exists only then.
  const cases: [string, FunctionName, () => Record<string, string>, RegExp][] = [
    [
      'an unknown mode',
      'sweep',
      () => ({ WARDEN_CONFIG: JSON.stringify({ ...valid(), mode: 'yolo' }) }),
      /mode/,
    ],
    [
      'a network load balancer',
      'guard',
      () => ({
        WARDEN_CONFIG: JSON.stringify({
          ...valid(),
          bindings: [
            { ...binding(), loadBalancerArn: String(binding().loadBalancerArn).replace('/app/', '/net/') },
          ],
        }),
      }),
      /bindings\[0\]\.loadBalancerArn/,
    ],
    [
      'a deregistration fraction above 1',
      'register',
      () => ({ WARDEN_CONFIG: JSON.stringify({ ...valid(), safety: { maxDeregisterFraction: 2 } }) }),
      /safety\.maxDeregisterFraction/,
    ],
    [
      'a misspelled key',
      'sweep',
      () => ({ WARDEN_CONFIG: JSON.stringify({ ...valid(), bindngs: [] }) }),
      /bindngs/,
    ],
    [
      'an empty selector',
      'register',
      () => ({
        WARDEN_CONFIG: JSON.stringify({
          ...valid(),
          bindings: [{ ...binding(), instanceSelector: { tags: {} } }],
        }),
      }),
      /bindings\[0\]\.instanceSelector\.tags/,
    ],
    [
      'a binding name with a line break',
      'guard',
      () => ({
        WARDEN_CONFIG: JSON.stringify({
          ...valid(),
          bindings: [{ ...binding(), name: 'web\n[CRITICAL] fake' }],
        }),
      }),
      /bindings\[0\]\.name/,
    ],
    ['text that is not JSON', 'sweep', () => ({ WARDEN_CONFIG: '{"mode": "enforce",' }), /not valid JSON/],
    [
      'both sources set',
      'guard',
      () => ({ WARDEN_CONFIG: JSON.stringify(valid()), WARDEN_CONFIG_FILE: '/etc/warden.json' }),
      /WARDEN_CONFIG/,
    ],
    [
      'a file that does not exist',
      'register',
      () => ({ WARDEN_CONFIG_FILE: '/nonexistent/warden.json' }),
      /WARDEN_CONFIG_FILE/,
    ],
    ['no configuration at all', 'sweep', () => ({}), /WARDEN_CONFIG/],
    [
      'a bad deploy-time override',
      'guard',
      () => ({ WARDEN_CONFIG: JSON.stringify(valid()), WARDEN_ALERT_TOPIC_ARN: 'alerts' }),
      /alerts\.topicArn/,
    ],
    [
      'a thousand and one bindings',
      'sweep',
      () => ({
        WARDEN_CONFIG: JSON.stringify({
          ...valid(),
          bindings: Array.from({ length: 1001 }, (_, index) => ({ ...binding(), name: `b${index}` })),
        }),
      }),
      /bindings/,
    ],
  ];
  const goodEvent = (name: FunctionName): unknown =>
    name === 'sweep' ? fixture('scheduled-sweep.json') : name === 'guard' ? apiCall : instanceEvent;

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  function stubAws(): void {
    vi.stubEnv('AWS_ENDPOINT_URL', world.sim.endpoint);
    vi.stubEnv('AWS_REGION', world.region);
    vi.stubEnv('AWS_ACCESS_KEY_ID', CONTROLLER_KEY);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', SIM_SECRET);
    for (const variable of ['WARDEN_CONFIG', 'WARDEN_CONFIG_FILE', 'WARDEN_MODE', 'WARDEN_ALERT_TOPIC_ARN'])
      vi.stubEnv(variable, undefined);
  }

  it.each(cases)('%s (%s)', async (_, name, env, field) => {
    count('badInputs');
    // Prepare: the handler as Lambda builds it, from the environment.
    stubAws();
    for (const [variable, value] of Object.entries(env())) vi.stubEnv(variable, value);
    const observability = createObservability(name);
    const handler = handlerWith(name, lazyDeps(observability), observability);

    // Act: two invocations, as Lambda would retry.
    const first = await invoke(name, goodEvent(name), handler);
    const second = await invoke(name, goodEvent(name), handler);

    // Assess
    for (const attempt of [first, second]) {
      expect((attempt.error as Error | undefined)?.name).toBe('ConfigError');
      expect(String((attempt.error as Error).message)).toMatch(field);
      expect(attempt.calls).toBe(0);
    }
  });

  it('starts working once the configuration is fixed: nothing half-configured was kept', async () => {
    stubAws();
    vi.stubEnv('WARDEN_CONFIG', JSON.stringify({ ...valid(), mode: 'yolo' }));
    const observability = createObservability('sweep');
    const handler = handlerWith('sweep', lazyDeps(observability), observability);
    expect((await invoke('sweep', goodEvent('sweep'), handler)).error).toBeDefined();

    vi.stubEnv('WARDEN_CONFIG', JSON.stringify(valid()));
    const fixed = await invoke('sweep', goodEvent('sweep'), handler);

    expect(fixed.error).toBeUndefined();
    expect((fixed.value as { mode: string }).mode).toBe('enforce');
    expect(fixed.calls).toBeGreaterThan(0);
  });
});
