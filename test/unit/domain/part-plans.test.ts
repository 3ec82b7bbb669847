/**
 * The registration and target-health parts plan as values: pure functions from what was observed to the
 * decision with its reason, the AWS steps, the state claims and the alerts each claim releases.
 */
import { describe, expect, it } from 'vitest';
import { planTargetHealth } from '../../../functions/domain/health-plan.ts';
import { TOPIC } from '../../../functions/domain/notices.ts';
import { planRegistrationPart } from '../../../functions/domain/registration-plan.ts';
import { health, instance, registrationInput, seedConfig, VPC_ID } from '../../support/builders.ts';

const config = seedConfig();
const NOW = Date.parse('2026-11-20T06:00:00Z');
const MINUTE = 60_000;

const observed = registrationInput;

describe('the registration plan', () => {
  it('registers a running matching instance in enforce mode, and only names it in dry-run', () => {
    const seen = observed({ matching: [instance('i-1', { launchTime: '2026-11-20T05:00:00Z' })] });

    const enforce = planRegistrationPart({ observed: seen, mode: 'enforce', now: NOW });
    const dryRun = planRegistrationPart({ observed: seen, mode: 'dry-run', now: NOW });

    expect(enforce.decision.kind).toBe('apply');
    expect(enforce.steps).toEqual([
      {
        type: 'register',
        targets: [{ id: 'i-1', port: 8080 }],
        launches: new Map([['i-1', '2026-11-20T05:00:00Z']]),
      },
    ]);
    expect(dryRun.decision).toEqual({
      kind: 'would-apply',
      reason: 'dry-run mode: 1 to register, 0 to deregister, nothing is changed',
    });
    expect(dryRun.steps).toEqual(enforce.steps);
    expect(enforce.settle).toEqual([]);
  });

  it('is blocked with one notice when the safety limit withholds deregistrations', () => {
    const matching = ['i-1', 'i-2'].map((id) => instance(id, { state: 'stopped' }));

    const plan = planRegistrationPart({
      observed: observed({ matching, registered: matching.map((entry) => health(entry.id)) }),
      mode: 'enforce',
      now: NOW,
    });

    expect(plan.decision.kind).toBe('blocked');
    expect(plan.decision.reason).toMatch(/more than the safety limit/);
    expect(plan.steps).toEqual([]);
    expect(plan.notices).toHaveLength(1);
    expect(plan.notices[0]).toMatchObject({ topic: TOPIC.withheld, fingerprint: 'safety-limit' });
    expect(plan.notices[0]?.alert.kind).toBe('RegistrationFailed');
  });

  it('in sync, settles its topics and forgets ownership of targets gone for longer than the grace', () => {
    const ownership = new Map([
      ['i-1:8080', { data: { registeredAt: NOW - 60 * MINUTE } }],
      ['i-old:8080', { data: { registeredAt: NOW - 60 * MINUTE } }],
      ['i-new:8080', { data: { registeredAt: NOW - MINUTE } }],
    ]);

    const plan = planRegistrationPart({
      observed: observed({ matching: [instance('i-1')], registered: [health('i-1')], ownership }),
      mode: 'enforce',
      now: NOW,
    });

    expect(plan.decision.kind).toBe('in-sync');
    expect(plan.settle).toEqual([TOPIC.withheld, TOPIC.lookup, TOPIC.failure('registration')]);
    expect(plan.forgetOwned).toEqual(['owned#i-old:8080']);
  });

  it('keeps the target group VPC once it was read, and forgets holds whose owner registered the target', () => {
    const plan = planRegistrationPart({
      observed: observed({
        matching: [instance('i-1')],
        registered: [health('i-1')],
        held: new Map([['i-1:8080', 'codedeploy.amazonaws.com']]),
        newVpc: { meta: {}, vpcId: VPC_ID },
      }),
      mode: 'enforce',
      now: NOW,
    });

    expect(plan.keep).toEqual([{ key: 'meta', data: { targetGroupVpcId: VPC_ID } }]);
    expect(plan.forget).toEqual(['hold#i-1:8080']);
  });
});

describe('the target-health plan', () => {
  const settings = config.alerts;
  const plan = (targets: ReturnType<typeof health>[], records = new Map()) =>
    planTargetHealth(
      {
        targets,
        instances: new Map(targets.map((target) => [target.id, instance(target.id)])),
        records,
        condition: undefined,
      },
      settings,
      NOW,
    );

  it('claims a target turning unhealthy; its alert is released only by a later claim, after damping', () => {
    const first = plan([health('i-1', 'unhealthy', { reasonCode: 'Target.Timeout' }), health('i-2')]);

    expect(first.decision.kind).toBe('report');
    expect(first.unhealthy.map((target) => target.id)).toEqual(['i-1']);
    expect(first.claims).toHaveLength(1);
    expect(first.claims[0]).toMatchObject({ key: 'target#i-1:8080', releases: [] });
    const second = plan(
      [health('i-1', 'unhealthy', { reasonCode: 'Target.Timeout' }), health('i-2')],
      new Map([['i-1:8080', { data: first.claims[0]?.record }]]),
    );
    expect(second.claims[0]?.releases.map((event) => event.kind)).toEqual(['unhealthy']);
  });

  it('claims the "no healthy target" condition when none is healthy, and nothing when all are', () => {
    const none = plan([health('i-1', 'unhealthy'), health('i-2', 'unhealthy')]);
    const all = plan([health('i-1'), health('i-2')]);

    expect(none.condition).toMatchObject({ key: 'condition#no-healthy' });
    expect(none.fleet).toEqual({ registered: 2, healthy: 0, inGrace: 0 });
    expect(all).toMatchObject({ decision: { kind: 'in-sync' }, claims: [], events: [] });
    expect(all.condition).toBeUndefined();
  });
});
