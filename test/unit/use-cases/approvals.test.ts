/**
 * Approved changes in a real account: approval covers only what the approved call touched, holds whatever the
 * order of its event and the sweeps, lasts as long as the change, and a change the sweep repaired before its
 * event arrived is still attributed when the event comes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../../functions/config.ts';
import { type ParsedEvent, parseEvent } from '../../../functions/domain/events.ts';
import type { Action } from '../../../functions/domain/model.ts';
import { handleApiCall } from '../../../functions/use-cases/guard.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import {
  forwardTo,
  HTTPS_LISTENER_ARN,
  httpListener,
  httpsListener,
  OTHER_TG_ARN,
  redirect301,
  seedConfig,
} from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';
import { fixture } from '../../support/fixtures.ts';

const MINUTE = 60_000;
const APPROVED_ROLE =
  'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-2';
const GRACE = 10;

type ApiCall = Extract<ParsedEvent, { type: 'api-call' }>;

function apiCall(name: string, edit?: (detail: Record<string, unknown>) => void): ApiCall {
  const event = fixture(name);
  edit?.(event.detail as Record<string, unknown>);
  const parsed = parseEvent(event);
  if (parsed.type !== 'api-call') throw new Error(`${name}: ${parsed.type}`);
  return parsed;
}

function asApproved(detail: Record<string, unknown>): void {
  const identity = detail.userIdentity as { arn: string; sessionContext: { sessionIssuer: { arn: string } } };
  identity.arn = 'arn:aws:sts::123456789012:assumed-role/cdk-hnb659fds-cfn-exec-role/AWSCloudFormation';
  identity.sessionContext.sessionIssuer.arn = APPROVED_ROLE;
}

/** The person's ModifyListener on :80 (the fixture), or the same call by the approved deployment role. */
const httpChange = (approved = false) =>
  apiCall('cloudtrail-modify-listener-http-to-forward.json', approved ? asApproved : undefined);

/** A ModifyListener on :443, by the approved role unless told otherwise. */
const httpsChange = (approved = true) =>
  apiCall('cloudtrail-modify-listener-http-to-forward.json', (detail) => {
    (detail.requestParameters as { listenerArn: string }).listenerArn = HTTPS_LISTENER_ARN;
    if (approved) asApproved(detail);
  });

/** A CreateRule on the :443 listener by the approved role. */
const approvedRuleOnHttps = () =>
  apiCall('cloudtrail-create-rule-forward-on-http.json', (detail) => {
    (detail.requestParameters as { listenerArn: string }).listenerArn = HTTPS_LISTENER_ARN;
    asApproved(detail);
  });

const greenOnly: Action = forwardTo(OTHER_TG_ARN);

function setup(config: WardenConfig = seedConfig({ approvalGraceMinutes: GRACE })) {
  const world = new FakeWorld();
  const deps = fakeDeps(world, config, { now: Date.parse('2026-11-20T06:22:00Z') });
  return { world, ...deps };
}

const kinds = (world: FakeWorld) => world.published.map((alert) => alert.attributes.kind);
const httpAction = (world: FakeWorld) => world.listeners.find((l) => l.port === 80)?.defaultActions[0]?.Type;
const httpsTarget = (world: FakeWorld) =>
  world.listeners.find((l) => l.port === 443)?.defaultActions[0]?.TargetGroupArn;

describe('approval covers only what the approved call touched', () => {
  it('an approved CreateRule on :443 does not make a person’s plain-HTTP change on :80 acceptable', async () => {
    const { world, deps, clock } = setup();
    world.listeners[0] = httpListener([forwardTo()]);

    const result = await handleApiCall(deps, approvedRuleOnHttps());
    expect(result.bindings[0]?.listeners?.outcome).not.toMatch(/accepted|reported/);
    await handleApiCall(deps, httpChange());

    expect(httpAction(world)).toBe('redirect');
    clock.now += 60 * MINUTE;
    await sweep(deps);
    expect(httpAction(world)).toBe('redirect');
  });

  it('an approved blue/green switch on :443 stays when someone then breaks :80', async () => {
    const { world, deps } = setup();
    world.listeners[1] = httpsListener([greenOnly]);
    await handleApiCall(deps, httpsChange());

    world.listeners[0] = httpListener([forwardTo()]);
    const broken = await handleApiCall(deps, httpChange());

    expect(broken.bindings[0]?.listeners?.outcome).toBe('repaired');
    expect(httpAction(world)).toBe('redirect');
    expect(httpsTarget(world)).toBe(OTHER_TG_ARN);
    expect(world.mutatingCalls).toEqual(['modifyListener']);
  });

  it('a later unapproved change to the same listener is repaired', async () => {
    const { world, deps } = setup();
    world.listeners[1] = httpsListener([greenOnly]);
    await handleApiCall(deps, httpsChange());
    world.listeners[1] = httpsListener([
      { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } },
    ]);

    await handleApiCall(deps, httpsChange(false));

    expect(world.listeners.find((l) => l.port === 443)?.defaultActions).toEqual([forwardTo()]);
  });
});

describe('approval holds whatever the order of the event and the sweeps', () => {
  it('a sweep that sees an approved change before its event waits, then the event accepts it', async () => {
    const { world, deps, clock } = setup();
    world.listeners[1] = httpsListener([greenOnly]);

    const early = await sweep(deps);
    clock.now += 3 * MINUTE;
    await handleApiCall(deps, httpsChange());
    for (let minute = 0; minute < 30; minute++) {
      clock.now += MINUTE;
      await sweep(deps);
    }

    expect(early.bindings[0]?.listeners?.outcome).toBe('waiting');
    expect(world.mutatingCalls).toEqual([]);
    expect(httpsTarget(world)).toBe(OTHER_TG_ARN);
    expect(kinds(world)).toEqual(['DriftRepaired']);
    expect(world.published[0]?.subject).toContain('listener drift reported, not repaired');
  });

  it('drift no event explains is repaired once the grace has passed, not before', async () => {
    const { world, deps, clock } = setup();
    world.listeners[0] = httpListener([forwardTo()]);

    await sweep(deps);
    clock.now += (GRACE - 1) * MINUTE;
    await sweep(deps);
    expect(world.mutatingCalls).toEqual([]);
    clock.now += 2 * MINUTE;
    await sweep(deps);

    expect(world.mutatingCalls).toEqual(['modifyListener']);
    expect(world.listeners[0]?.defaultActions).toEqual([redirect301]);
  });

  it('an operator’s reconcile does not wait: the operator asked for the repair', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    await sweep(deps, { trigger: { type: 'manual', by: 'jiwoo@laptop' } });
    expect(world.mutatingCalls).toEqual(['modifyListener']);
  });

  it('an accepted change outlives the record’s TTL: it is rewritten while the change lasts', async () => {
    const { world, deps, clock, state } = setup();
    world.listeners[1] = httpsListener([greenOnly]);
    await handleApiCall(deps, httpsChange());
    const expiry = async () =>
      (await state.load('web')).find((record) => record.key === 'accepted#https')?.expiresAt ?? 0;
    const first = await expiry();
    for (let hour = 0; hour < 72; hour++) {
      clock.now += 60 * MINUTE;
      await sweep(deps);
      // The table may delete an expired record at any time: it must never be expired while the change lasts.
      expect(await expiry()).toBeGreaterThan(clock.now / 1000);
    }
    expect(await expiry()).toBeGreaterThan(first);
    expect(world.mutatingCalls).toEqual([]);
  });
});

describe('the sweep asks CloudTrail event history about drift no event has explained', () => {
  /** The call as event history shows it, made at `time`. */
  const madeAt = (call: ApiCall, time: number): ApiCall => ({
    ...call,
    actor: { ...call.actor, eventTime: new Date(time).toISOString() },
  });
  const lookups = (world: FakeWorld) => world.calls.filter((call) => call === 'lookupEvents').length;

  it('accepts an approved change it sees before the event, without waiting the grace', async () => {
    const { world, deps, clock } = setup();
    world.listeners[1] = httpsListener([greenOnly]);
    world.eventHistory.push(madeAt(httpsChange(), clock.now - 50_000));

    const first = await sweep(deps);
    clock.now += 3 * MINUTE;
    await handleApiCall(deps, httpsChange());
    for (let minute = 0; minute < 30; minute++) {
      clock.now += MINUTE;
      await sweep(deps);
    }

    expect(first.bindings[0]?.listeners?.outcome).toBe('reported');
    expect(world.mutatingCalls).toEqual([]);
    expect(httpsTarget(world)).toBe(OTHER_TG_ARN);
    expect(kinds(world)).toEqual(['DriftRepaired']);
    expect(world.published[0]?.subject).toContain('listener drift reported, not repaired');
    expect(lookups(world)).toBe(1);
  });

  it('repairs an unapproved change at once, naming who made it; the late event adds nothing', async () => {
    const { world, deps, clock } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    world.eventHistory.push(madeAt(httpChange(), clock.now - MINUTE));

    const result = await sweep(deps);
    await handleApiCall(deps, httpChange());

    expect(result.bindings[0]?.listeners).toMatchObject({
      outcome: 'repaired',
      actor: 'arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim',
    });
    expect(world.mutatingCalls).toEqual(['modifyListener']);
    expect(kinds(world)).toEqual(['DriftRepaired']);
    expect(world.published[0]?.text).toContain('assumed-role/AdministratorAccess/jiwoo.kim');
  });

  it('accepts the approved change on :443 and repairs the person’s on :80, one sweep apart', async () => {
    const { world, deps, clock } = setup();
    world.listeners[1] = httpsListener([greenOnly]);
    world.listeners[0] = httpListener([forwardTo()]);
    world.eventHistory.push(madeAt(httpsChange(), clock.now - 55_000));
    world.eventHistory.push(madeAt(httpChange(), clock.now - 45_000));

    await sweep(deps);
    clock.now += MINUTE;
    await sweep(deps);

    expect(httpsTarget(world)).toBe(OTHER_TG_ARN);
    expect(httpAction(world)).toBe('redirect');
    expect(world.mutatingCalls).toEqual(['modifyListener']);
  });

  it('takes a person’s later change over an approved one on the same listener', async () => {
    const { world, deps, clock } = setup();
    world.listeners[1] = httpsListener([
      { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } },
    ]);
    world.eventHistory.push(madeAt(httpsChange(), clock.now - 55_000));
    world.eventHistory.push(madeAt(httpsChange(false), clock.now - 45_000));

    await sweep(deps);

    expect(world.listeners.find((l) => l.port === 443)?.defaultActions).toEqual([forwardTo()]);
  });

  it('waits the grace as before while the history lags longer than it, then repairs', async () => {
    const { world, deps, clock } = setup();
    const changedAt = clock.now;
    world.listeners[0] = httpListener([forwardTo()]);

    await sweep(deps);
    for (let minute = 1; minute <= GRACE + 1; minute++) {
      clock.now = changedAt + minute * MINUTE;
      if (minute === GRACE + 1) world.eventHistory.push(madeAt(httpChange(true), changedAt));
      await sweep(deps);
      if (minute < GRACE) expect(world.mutatingCalls).toEqual([]);
    }

    expect(world.mutatingCalls).toEqual(['modifyListener']);
    expect(lookups(world)).toBe(GRACE);
  });

  it('waits the grace when the lookup fails: a failed lookup never blocks or hastens a repair', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    world.failures.set('lookupEvents', [
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    ]);

    const result = await sweep(deps);

    expect(result.bindings[0]?.listeners?.outcome).toBe('waiting');
    expect(world.mutatingCalls).toEqual([]);
  });

  it('asks nothing on a converged sweep, nor without approved actors (nothing waits then)', async () => {
    const { world, deps } = setup();
    await sweep(deps);
    const open = setup(seedConfig({ approvedActors: [] }));
    open.world.listeners[0] = httpListener([forwardTo()]);
    await sweep(open.deps);

    expect(lookups(world)).toBe(0);
    expect(lookups(open.world)).toBe(0);
    expect(open.world.mutatingCalls).toEqual(['modifyListener']);
  });

  it('does not count a call made before the sweep before this one saw the listener in order', async () => {
    const { world, deps, clock } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    world.eventHistory.push(madeAt(httpChange(true), clock.now - 10 * MINUTE));

    const result = await sweep(deps);

    expect(result.bindings[0]?.listeners?.outcome).toBe('waiting');
  });

  it('does not count a change the listener was repaired after', async () => {
    const { world, deps, clock } = setup(seedConfig({ approvalGraceMinutes: GRACE }));
    world.listeners[0] = httpListener([forwardTo()]);
    await handleApiCall(deps, httpChange());
    world.eventHistory.push(madeAt(httpChange(true), clock.now - MINUTE));
    clock.now += MINUTE;
    world.listeners[0] = httpListener([forwardTo()]);

    const result = await sweep(deps);

    expect(result.bindings[0]?.listeners?.outcome).toBe('waiting');
  });
});

describe('a change the sweep repaired before its event arrived is still attributed', () => {
  it('the late event sends one follow-up naming who made it, not a second page', async () => {
    const { world, deps } = setup(seedConfig({ approvalGraceMinutes: 0 }));
    world.listeners[0] = httpListener([forwardTo()]);
    await sweep(deps);

    await handleApiCall(deps, httpChange());
    await handleApiCall(deps, httpChange());

    expect(world.published.map((alert) => [alert.attributes.kind, alert.attributes.severity])).toEqual([
      ['DriftRepaired', 'warning'],
      ['DriftAttributed', 'info'],
    ]);
    expect(world.published[1]?.text).toContain('assumed-role/AdministratorAccess/jiwoo.kim');
    expect(world.mutatingCalls).toEqual(['modifyListener']);
  });

  it('says so when the late event shows an approved change was reverted', async () => {
    const { world, deps, clock } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    await sweep(deps);
    clock.now += (GRACE + 1) * MINUTE;
    await sweep(deps);

    await handleApiCall(deps, httpChange(true));

    const [, followUp] = world.published;
    expect(followUp?.attributes).toMatchObject({ kind: 'DriftAttributed', severity: 'warning' });
    expect(followUp?.text).toContain('an approved change was reverted');
    expect(followUp?.text).toContain('approvalGraceMinutes');
  });
});

describe('property: any order of events and sweeps', () => {
  // Within the grace, CloudTrail events may come late, twice, or in any order with the sweeps, and CloudTrail's
  // event history may show either call any time after it was made, or not at all: an approved change on :443
  // is never reverted, and a person's change on :80 is always repaired by the end.
  const schedule = fc.record({
    approvedEventDelay: fc.integer({ min: 0, max: GRACE - 1 }),
    approvedEventTwice: fc.boolean(),
    personAt: fc.integer({ min: 0, max: 20 }),
    personEvent: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    sweeps: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 15 }),
    approvedInHistoryAfter: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    personInHistoryAfter: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  });

  it('never reverts the approved change and always repairs the unapproved one', async () => {
    await fc.assert(
      fc.asyncProperty(schedule, async (plan) => {
        const { world, deps, clock } = setup();
        const start = clock.now;
        const at = (minute: number) => start + minute * MINUTE;
        const steps: { at: number; run: () => Promise<unknown> }[] = [
          { at: at(0), run: async () => (world.listeners[1] = httpsListener([greenOnly])) },
          { at: at(plan.approvedEventDelay), run: () => handleApiCall(deps, httpsChange()) },
          { at: at(plan.personAt), run: async () => (world.listeners[0] = httpListener([forwardTo()])) },
          ...plan.sweeps.map((minute) => ({ at: at(minute) + 1, run: () => sweep(deps) })),
          // After everything: sweeps past the grace.
          { at: at(60), run: () => sweep(deps) },
          { at: at(61 + GRACE), run: () => sweep(deps) },
        ];
        const shows = (call: ApiCall, madeAt: number, after: number | undefined) => {
          if (after !== undefined)
            steps.push({
              at: madeAt + after * MINUTE,
              run: async () =>
                world.eventHistory.push({
                  ...call,
                  actor: { ...call.actor, eventTime: new Date(madeAt).toISOString() },
                }),
            });
        };
        shows(httpsChange(), at(0), plan.approvedInHistoryAfter);
        shows(httpChange(), at(plan.personAt), plan.personInHistoryAfter);
        if (plan.approvedEventTwice)
          steps.push({ at: at(plan.approvedEventDelay) + 2, run: () => handleApiCall(deps, httpsChange()) });
        if (plan.personEvent !== undefined)
          steps.push({
            at: at(plan.personAt + plan.personEvent) + 3,
            run: () => handleApiCall(deps, httpChange()),
          });
        steps.sort((a, b) => a.at - b.at);
        for (const step of steps) {
          clock.now = step.at;
          await step.run();
          expect(httpsTarget(world)).toBe(OTHER_TG_ARN);
        }
        expect(httpAction(world)).toBe('redirect');
      }),
      { numRuns: 150 },
    );
  });
});
