/**
 * The instance-event planner: from the instance as EC2 returns it now, its target in each binding's group,
 * its Auto Scaling group's attachments, the mode and the time, one plan value with the decision, each
 * binding's decision and outcome, the holds to write first and the AWS steps. One row per decision.
 */
import { describe, expect, it } from 'vitest';
import {
  describeInstanceDecision,
  type InstanceEventObservation,
  ignoredBeforeLookup,
  planInstanceEvent,
  refusalOf,
  SPOT_HOLD_MS,
} from '../../../functions/domain/instance-event-plan.ts';
import type { TargetHealth } from '../../../functions/domain/model.ts';
import { UNKNOWN_LAUNCH } from '../../../functions/domain/registration-plan.ts';
import { expiresIn, OWNERSHIP_DAYS } from '../../../functions/domain/state.ts';
import { ACCOUNT, health, instance, REGION, seedConfig, TG_ARN, VPC_ID } from '../../support/builders.ts';

const NOW = Date.parse('2026-11-20T03:20:00.000Z');
const GROUP_TAG = 'aws:autoscaling:groupName';
const { bindings } = seedConfig();

function observe(overrides: Partial<InstanceEventObservation> = {}): InstanceEventObservation {
  return {
    instanceId: 'i-1',
    trigger: { type: 'state-change' },
    bindings,
    instance: instance('i-1'),
    attached: new Map(),
    mode: 'enforce',
    now: NOW,
    ...overrides,
  };
}

const targetIs = (target: TargetHealth | undefined) => new Map([['web', target]]);

interface Row {
  readonly name: string;
  readonly observed: Partial<InstanceEventObservation>;
  readonly decision: string;
  /** Per binding: its decision, its outcome, its step types, how many holds. */
  readonly bindings: readonly (readonly [string, string, readonly string[], number])[];
}

const ROWS: readonly Row[] = [
  {
    name: 'registers a running matching instance',
    observed: {},
    decision: 'register (instance is running)',
    bindings: [['apply', 'registered', ['register'], 0]],
  },
  {
    name: 'only reports the registration in dry-run',
    observed: { mode: 'dry-run' },
    decision: 'register (instance is running)',
    bindings: [['would-apply', 'would-register', ['register'], 0]],
  },
  {
    name: 'leaves an Auto Scaling group its own instance',
    observed: {
      instance: instance('i-1', { tags: { Role: 'web', [GROUP_TAG]: 'web-asg' } }),
      attached: new Map([['web-asg', new Set([TG_ARN])]]),
    },
    decision: 'register (instance is running)',
    bindings: [['in-sync', 'co-owned', [], 0]],
  },
  {
    name: 'does nothing for an instance no binding selects',
    observed: { instance: instance('i-1', { tags: { Role: 'db' } }) },
    decision: 'no binding selects this instance',
    bindings: [],
  },
  {
    name: 'does nothing while the instance is pending',
    observed: { instance: instance('i-1', { state: 'pending' }) },
    decision: 'instance is pending; the running event follows',
    bindings: [],
  },
  {
    name: 'does nothing when EC2 answers for another instance',
    observed: { instance: instance('i-2') },
    decision: 'EC2 answered for i-2, not i-1',
    bindings: [],
  },
  {
    name: 'waits for the instance of a young running event',
    observed: {
      instance: undefined,
      trigger: { type: 'state-change', claim: { state: 'running', ageMs: 60_000 } },
    },
    decision: 'EC2 does not return i-1 yet, 60 s after its running event',
    bindings: [],
  },
  {
    name: 'deregisters a stopped instance that is a target',
    observed: { instance: instance('i-1', { state: 'stopped' }), targets: targetIs(health('i-1')) },
    decision: 'deregister (stopped)',
    bindings: [['apply', 'deregistered', ['deregister'], 0]],
  },
  {
    name: 'deregisters a terminated instance that is a target',
    observed: { instance: instance('i-1', { state: 'terminated' }), targets: targetIs(health('i-1')) },
    decision: 'deregister (terminated)',
    bindings: [['apply', 'deregistered', ['deregister'], 0]],
  },
  {
    name: 'only reports the deregistration in dry-run',
    observed: {
      mode: 'dry-run',
      instance: instance('i-1', { state: 'stopping' }),
      targets: targetIs(health('i-1')),
    },
    decision: 'deregister (stopped)',
    bindings: [['would-apply', 'would-deregister', ['deregister'], 0]],
  },
  {
    name: 'deregisters an instance EC2 no longer returns, once its running event is old',
    observed: {
      instance: undefined,
      trigger: { type: 'state-change', claim: { state: 'running', ageMs: 5 * 60_000 } },
      targets: targetIs(health('i-1')),
    },
    decision: 'deregister (gone)',
    bindings: [['apply', 'deregistered', ['deregister'], 0]],
  },
  {
    name: 'has nothing to deregister where the instance is no target',
    observed: { instance: instance('i-1', { state: 'stopped' }), targets: targetIs(undefined) },
    decision: 'deregister (stopped)',
    bindings: [['in-sync', 'not-registered', [], 0]],
  },
  {
    name: 'has nothing to deregister where the target drains already',
    observed: {
      instance: instance('i-1', { state: 'stopped' }),
      targets: targetIs(health('i-1', 'draining')),
    },
    decision: 'deregister (stopped)',
    bindings: [['in-sync', 'not-registered', [], 0]],
  },
  {
    name: 'has nothing to deregister where AWS says the target is not registered',
    observed: {
      instance: instance('i-1', { state: 'stopped' }),
      targets: targetIs(health('i-1', 'unused', { reasonCode: 'Target.NotRegistered' })),
    },
    decision: 'deregister (stopped)',
    bindings: [['in-sync', 'not-registered', [], 0]],
  },
  {
    name: 'fails the binding whose target could not be read',
    observed: {
      instance: instance('i-1', { state: 'stopped' }),
      targets: new Map(),
      unread: new Map([['web', new Error('AccessDenied')]]),
    },
    decision: 'deregister (stopped)',
    bindings: [['unobserved', 'failed', [], 0]],
  },
  {
    name: 'fails, rather than takes as no target, a deregistration planned without its target read',
    observed: { instance: instance('i-1', { state: 'stopped' }) },
    decision: 'deregister (stopped)',
    bindings: [['unobserved', 'failed', [], 0]],
  },
  {
    name: 'takes a Spot instance out and holds it out',
    observed: { trigger: { type: 'spot-interruption' }, targets: targetIs(health('i-1')) },
    decision: 'deregister (spot-interruption)',
    bindings: [['apply', 'deregistered', ['deregister'], 1]],
  },
  {
    name: 'holds a Spot instance out even where it is no target now',
    observed: { trigger: { type: 'spot-interruption' }, targets: targetIs(undefined) },
    decision: 'deregister (spot-interruption)',
    bindings: [['in-sync', 'not-registered', [], 1]],
  },
  {
    name: 'writes no hold for a Spot warning in dry-run',
    observed: { mode: 'dry-run', trigger: { type: 'spot-interruption' }, targets: targetIs(health('i-1')) },
    decision: 'deregister (spot-interruption)',
    bindings: [['would-apply', 'would-deregister', ['deregister'], 0]],
  },
];

describe('planInstanceEvent: one decision per observation', () => {
  it.each(ROWS)('$name', ({ observed, decision, bindings: expected }) => {
    // Act
    const plan = planInstanceEvent(observe(observed));

    // Assess
    expect(describeInstanceDecision(plan.decision)).toBe(decision);
    expect(
      plan.bindings.map((part) => [
        part.decision.kind,
        part.outcome,
        part.steps.map((step) => step.type),
        part.holds.length,
      ]),
    ).toEqual(expected);
  });
});

describe('planInstanceEvent: what the steps and records carry', () => {
  it('claims ownership for the run of the instance (its launch time) before registering it', () => {
    const plan = planInstanceEvent(
      observe({ instance: instance('i-1', { launchTime: '2026-11-20T03:14:00.000Z' }) }),
    );

    expect(plan.bindings[0]?.steps).toEqual([
      {
        type: 'register',
        target: { id: 'i-1', port: 8080 },
        claim: {
          key: 'owned#i-1:8080',
          data: { registeredAt: NOW },
          marker: '2026-11-20T03:14:00.000Z',
          expiresAt: expiresIn(NOW, OWNERSHIP_DAYS),
        },
        vpcId: VPC_ID,
      },
    ]);
  });

  it('claims an instance of unknown launch time as one unknown run', () => {
    const plan = planInstanceEvent(observe());

    const [step] = plan.bindings[0]?.steps ?? [];
    expect(step?.type === 'register' && step.claim.marker).toBe(UNKNOWN_LAUNCH);
  });

  it('holds a Spot target out for ten minutes from the warning, and lets the table forget it after', () => {
    const plan = planInstanceEvent(
      observe({ trigger: { type: 'spot-interruption' }, targets: targetIs(health('i-1')) }),
    );

    expect(plan.bindings[0]?.holds).toEqual([
      {
        key: 'hold#i-1:8080',
        data: { by: 'spot-interruption', at: NOW, until: NOW + SPOT_HOLD_MS },
        expiresAt: Math.ceil((NOW + SPOT_HOLD_MS) / 1000),
      },
    ]);
    expect(plan.bindings[0]?.steps).toEqual([
      { type: 'deregister', target: { id: 'i-1', port: 8080 }, reason: 'spot-interruption' },
    ]);
  });

  it("says in the log when a running event's instance is taken as gone, with the event's age", () => {
    const plan = planInstanceEvent(
      observe({
        instance: undefined,
        trigger: { type: 'state-change', claim: { state: 'running', ageMs: 301_400 } },
        targets: targetIs(undefined),
      }),
    );

    expect(plan.warnings).toEqual([
      {
        message: 'instance of a running event still not returned by EC2; taken as gone',
        attributes: { instanceId: 'i-1', eventAgeSeconds: 301 },
      },
    ]);
  });

  it('keeps the error of a target that could not be read, for that binding only', () => {
    const error = new Error('AccessDenied');
    const two = seedConfig().bindings.flatMap((binding) => [binding, { ...binding, name: 'api' }]);

    const plan = planInstanceEvent(
      observe({
        bindings: two,
        instance: instance('i-1', { state: 'stopped' }),
        targets: new Map([['api', health('i-1')]]),
        unread: new Map([['web', error]]),
      }),
    );

    expect(plan.bindings.map((part) => [part.binding.name, part.outcome, part.error])).toEqual([
      ['web', 'failed', error],
      ['api', 'deregistered', undefined],
    ]);
  });

  it('names the Auto Scaling group that keeps the instance', () => {
    const plan = planInstanceEvent(
      observe({
        instance: instance('i-1', { state: 'terminated', tags: { Role: 'web', [GROUP_TAG]: 'web-asg' } }),
        attached: new Map([['web-asg', new Set([TG_ARN])]]),
      }),
    );

    expect(plan.bindings[0]).toMatchObject({ outcome: 'co-owned', detail: 'web-asg', steps: [] });
  });
});

describe('refusalOf', () => {
  it.each([
    [
      'another VPC than the target group',
      'vpc-a',
      'vpc-b',
      { action: 'other-vpc', detail: 'instance in vpc-a, target group in vpc-b' },
    ],
    ['the same VPC', 'vpc-a', 'vpc-a', { action: 'rejected', detail: 'Target is invalid' }],
    ['an unknown VPC', undefined, 'vpc-b', { action: 'rejected', detail: 'Target is invalid' }],
  ] as const)('a refusal for an instance in %s', (_, instanceVpc, groupVpc, expected) => {
    expect(refusalOf(instanceVpc, groupVpc, 'Target is invalid')).toEqual(expected);
  });
});

describe('ignoredBeforeLookup', () => {
  it.each([
    ["a running instance of the bindings' account and region", ACCOUNT, REGION, 'running', undefined],
    [
      'an instance of another account',
      '210987654321',
      REGION,
      'running',
      'an instance of account 210987654321 in ap-northeast-2: no binding guards that account and region',
    ],
    [
      'an instance of another region',
      ACCOUNT,
      'eu-west-1',
      'terminated',
      'an instance of account 123456789012 in eu-west-1: no binding guards that account and region',
    ],
    ['a pending instance', ACCOUNT, REGION, 'pending', 'pending: no action (the running event follows)'],
    ['a Spot warning (no state)', ACCOUNT, REGION, undefined, undefined],
  ] as const)('%s', (_, account, region, state, expected) => {
    expect(ignoredBeforeLookup(bindings, { account, region, state })).toBe(expected);
  });
});
