import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunk } from '../../../functions/adapters/batches.ts';
import {
  INSTANCE_STATES,
  type Instance,
  type InstanceState,
  targetKey,
} from '../../../functions/domain/model.ts';
import {
  decideForInstance,
  EVENT_DELIVERY_WINDOW_MS,
  matchesSelector,
  personsEventIsLate,
  planRegistration,
  type RegistrationInput,
  selectorKey,
} from '../../../functions/domain/registration.ts';
import { health, instance, registrationInput, seedConfig, VPC_ID } from '../../support/builders.ts';

const config = seedConfig();
const binding = config.bindings[0] as (typeof config.bindings)[number];

const input = (overrides: Partial<RegistrationInput>): RegistrationInput => registrationInput(overrides);

describe('selectors', () => {
  it('matches only when every tag is present with the same value', () => {
    expect(matchesSelector({ tags: { Role: 'web', Env: 'prod' } }, { Role: 'web' })).toBe(true);
    expect(matchesSelector({ tags: { Role: 'api' } }, { Role: 'web' })).toBe(false);
    expect(matchesSelector({ tags: { Env: 'prod' } }, { Role: 'web', Env: 'prod' })).toBe(false);
    expect(matchesSelector({ tags: { role: 'web' } }, { Role: 'web' })).toBe(false);
  });

  it('gives the same key to the same selector written in another order', () => {
    expect(selectorKey({ A: '1', B: '2' })).toBe(selectorKey({ B: '2', A: '1' }));
    expect(selectorKey({ A: '1' })).not.toBe(selectorKey({ A: '2' }));
  });
});

describe('planRegistration', () => {
  it('registers running matching instances that are missing, on the target port', () => {
    const plan = planRegistration(
      input({ matching: [instance('i-1'), instance('i-2')], registered: [health('i-1')] }),
    );
    expect(plan.toRegister).toEqual([{ id: 'i-2', port: 8080 }]);
    expect(plan.unchanged).toEqual([{ id: 'i-1', port: 8080 }]);
    expect(plan.toDeregister).toEqual([]);
  });

  it.each<[InstanceState, string | undefined]>([
    ['pending', undefined],
    ['running', undefined],
    ['stopping', 'stopped'],
    ['stopped', 'stopped'],
    ['shutting-down', 'terminated'],
    ['terminated', 'terminated'],
  ])('a registered matching instance that is %s is deregistered because %s', (state, reason) => {
    const plan = planRegistration(
      input({
        matching: [instance('i-1', { state }), instance('i-2'), instance('i-3')],
        registered: [health('i-1', 'unused'), health('i-2'), health('i-3')],
      }),
    );
    expect(plan.toDeregister.map((entry) => entry.reason)).toEqual(reason ? [reason] : []);
  });

  it('never registers instances that are not running', () => {
    const states = INSTANCE_STATES.filter((state) => state !== 'running');
    const plan = planRegistration(
      input({ matching: states.map((state, index) => instance(`i-${index}`, { state })) }),
    );
    expect(plan.toRegister).toEqual([]);
  });

  it('ignores instances in another VPC than the target group', () => {
    const plan = planRegistration(input({ matching: [instance('i-1', { vpcId: 'vpc-other' })] }));
    expect(plan.toRegister).toEqual([]);
  });

  it('ignores instances a shared query returned that miss one of the tags or have another value', () => {
    const plan = planRegistration(
      input({ matching: [instance('i-1', { tags: { Role: 'api' } }), instance('i-2', { tags: {} })] }),
    );
    expect(plan.toRegister).toEqual([]);
  });

  it('re-registers a running matching instance whose target is draining when no co-owner is configured', () => {
    const plan = planRegistration(
      input({ matching: [instance('i-1')], registered: [health('i-1', 'draining')] }),
    );
    expect(plan.toRegister).toEqual([{ id: 'i-1', port: 8080 }]);
  });

  describe('while co-owners are configured (waitOnDrains)', () => {
    const draining = { matching: [instance('i-1')], registered: [health('i-1', 'draining')] };

    it('holds a wanted target that drains until who deregistered it is known', () => {
      const plan = planRegistration(input({ ...draining, waitOnDrains: true }));
      expect(plan.toRegister).toEqual([]);
      expect(plan.draining).toEqual([{ id: 'i-1', port: 8080 }]);
      expect(plan.held).toEqual([]);
    });

    it('registers it again at once when a person is known to have deregistered it', () => {
      const plan = planRegistration(
        input({ ...draining, waitOnDrains: true, personDeregistered: new Set(['i-1:8080']) }),
      );
      expect(plan.toRegister).toEqual([{ id: 'i-1', port: 8080 }]);
      expect(plan.held).toEqual([]);
      expect(plan.draining).toEqual([]);
    });

    it('names the service when a hold says whose operation it is', () => {
      const plan = planRegistration(
        input({ ...draining, waitOnDrains: true, held: new Map([['i-1:8080', 'codedeploy.amazonaws.com']]) }),
      );
      expect(plan.held).toEqual([{ target: { id: 'i-1', port: 8080 }, by: 'codedeploy.amazonaws.com' }]);
    });

    it('registers a missing target that is not draining (its drain is over, or it never drained)', () => {
      const plan = planRegistration(
        input({ matching: [instance('i-1')], registered: [], waitOnDrains: true }),
      );
      expect(plan.toRegister).toEqual([{ id: 'i-1', port: 8080 }]);
    });

    describe('on the event path, which cannot ask event history', () => {
      const missing = { matching: [instance('i-1'), instance('i-2')], registered: [], waitOnDrains: true };

      it('registers only the targets its event says a person deregistered, and leaves the rest for the sweep', () => {
        const plan = planRegistration(
          input({ ...missing, eventPath: true, personDeregistered: new Set(['i-2:8080']) }),
        );
        expect(plan.toRegister).toEqual([{ id: 'i-2', port: 8080 }]);
        expect(plan.leftForSweep).toEqual([{ id: 'i-1', port: 8080 }]);
      });

      it('registers every missing target when no co-owner is configured', () => {
        const plan = planRegistration(input({ ...missing, waitOnDrains: false, eventPath: true }));
        expect(plan.toRegister).toEqual([
          { id: 'i-1', port: 8080 },
          { id: 'i-2', port: 8080 },
        ]);
        expect(plan.leftForSweep).toEqual([]);
      });
    });
  });

  it('leaves targets added by hand alone and reports them', () => {
    const plan = planRegistration(
      input({
        matching: [instance('i-1'), instance('i-2')],
        registered: [
          health('i-1'),
          health('i-2'),
          health('i-manual'),
          { id: 'i-1', port: 9090, state: 'healthy' },
        ],
      }),
    );
    expect(plan.foreign).toEqual([
      { id: 'i-manual', port: 8080 },
      { id: 'i-1', port: 9090 },
    ]);
    expect(plan.toDeregister).toEqual([]);
  });

  it('asks for a lookup of owned targets that no longer match, before deciding', () => {
    const plan = planRegistration(
      input({
        matching: [instance('i-1'), instance('i-2')],
        registered: [health('i-1'), health('i-2'), health('i-3')],
        owned: new Set(['i-3:8080']),
      }),
    );
    expect(plan.needsLookup).toEqual(['i-3']);
    expect(plan.toDeregister).toEqual([]);
  });

  it('deregisters an owned running instance whose tags stopped matching, and an owned one EC2 no longer returns', () => {
    const plan = planRegistration(
      input({
        matching: [instance('i-1'), instance('i-2'), instance('i-5'), instance('i-6')],
        registered: ['i-1', 'i-2', 'i-3', 'i-4', 'i-5', 'i-6'].map((id) => health(id)),
        owned: new Set(['i-3:8080', 'i-4:8080']),
        lookedUp: new Map([['i-3', instance('i-3', { tags: { Role: 'retired' } })]]),
      }),
    );
    expect(plan.toDeregister).toEqual([
      { target: { id: 'i-3', port: 8080 }, reason: 'no-longer-matches' },
      { target: { id: 'i-4', port: 8080 }, reason: 'gone' },
    ]);
  });

  it('never deregisters a running instance it did not register, even when its tags stop matching', () => {
    const plan = planRegistration(
      input({ matching: [instance('i-1')], registered: [health('i-1'), health('i-2')], lookedUp: new Map() }),
    );
    expect(plan.foreign).toEqual([{ id: 'i-2', port: 8080 }]);
    expect(plan.toDeregister).toEqual([]);
  });

  it('withholds everything when the selector matches nothing but targets are registered (a typo)', () => {
    const plan = planRegistration(
      input({
        matching: [],
        registered: [health('i-1'), health('i-2')],
        owned: new Set(['i-1:8080', 'i-2:8080']),
        lookedUp: new Map(),
      }),
    );
    expect(plan.toDeregister).toEqual([]);
    expect(plan.withheld?.reason).toBe('selector-matched-nothing');
    expect(plan.withheld?.detail).toContain('Role=web');
  });

  it('does nothing and raises nothing for an empty selector result and an empty target group', () => {
    const plan = planRegistration(input({}));
    expect(plan.withheld).toBeUndefined();
    expect(plan.toRegister).toEqual([]);
  });

  it('withholds the plan when it would deregister more than maxDeregisterFraction', () => {
    const matching = ['i-1', 'i-2', 'i-3', 'i-4'].map((id, index) =>
      instance(id, { state: index < 3 ? 'stopped' : 'running' }),
    );
    const plan = planRegistration(
      input({
        matching: [...matching, instance('i-new')],
        registered: matching.map((entry) => health(entry.id)),
      }),
    );
    expect(plan.withheld?.reason).toBe('safety-limit');
    expect(plan.withheld?.detail).toContain('3 of 4 targets');
    expect(plan.toRegister).toEqual([]);
    expect(plan.toDeregister).toEqual([]);
  });

  it('allows deregistrations up to the limit', () => {
    const matching = ['i-1', 'i-2', 'i-3', 'i-4'].map((id, index) =>
      instance(id, { state: index < 2 ? 'stopped' : 'running' }),
    );
    const plan = planRegistration(input({ matching, registered: matching.map((entry) => health(entry.id)) }));
    expect(plan.withheld).toBeUndefined();
    expect(plan.toDeregister).toHaveLength(2);
  });
});

describe("personsEventIsLate: whether a person's DeregisterTargets event still speaks for its targets", () => {
  it('is on time within the delivery window', () => {
    expect(personsEventIsLate(0)).toBe(false);
    expect(personsEventIsLate(EVENT_DELIVERY_WINDOW_MS)).toBe(false);
  });

  it('is late past it, whatever the deregistration delay: an idle target’s drain ends at once', () => {
    expect(personsEventIsLate(EVENT_DELIVERY_WINDOW_MS + 1)).toBe(true);
  });

  it('is late when the call has no known time', () => {
    expect(personsEventIsLate(Number.NaN)).toBe(true);
  });
});

describe('decideForInstance: the current state decides, not the event', () => {
  it.each<[InstanceState, string]>([
    ['pending', 'none'],
    ['running', 'register'],
    ['stopping', 'deregister'],
    ['stopped', 'deregister'],
    ['shutting-down', 'deregister'],
    ['terminated', 'deregister'],
  ])('an instance that is now %s → %s', (state, action) => {
    expect(decideForInstance(config.bindings, 'i-1', instance('i-1', { state })).action).toBe(action);
  });

  it('deregisters by id an instance EC2 no longer returns', () => {
    expect(decideForInstance(config.bindings, 'i-1', undefined)).toEqual({
      action: 'deregister',
      reason: 'gone',
      bindings: config.bindings,
      coOwned: [],
    });
  });

  it('waits for a running event younger than five minutes whose instance EC2 does not return yet', () => {
    const claim = { state: 'running' as const, ageMs: 4 * 60_000 + 59_000 };
    expect(decideForInstance(config.bindings, 'i-1', undefined, claim)).toEqual({
      action: 'wait',
      reason: 'EC2 does not return i-1 yet, 299 s after its running event',
    });
  });

  it.each([
    ['a running event five minutes old', { state: 'running' as const, ageMs: 5 * 60_000 }],
    ['a running event without a time', { state: 'running' as const, ageMs: undefined }],
    ['a young stopped event', { state: 'stopped' as const, ageMs: 1000 }],
    ['a young terminated event', { state: 'terminated' as const, ageMs: 1000 }],
  ])('takes the instance as gone for %s', (_, claim) => {
    expect(decideForInstance(config.bindings, 'i-1', undefined, claim)).toEqual({
      action: 'deregister',
      reason: 'gone',
      bindings: config.bindings,
      coOwned: [],
    });
  });

  it('registers only into bindings whose selector matches', () => {
    expect(decideForInstance(config.bindings, 'i-1', instance('i-1', { tags: { Role: 'db' } }))).toEqual({
      action: 'none',
      reason: 'no binding selects this instance',
    });
  });
});

describe('chunk', () => {
  it('splits into batches of at most the size, keeping order', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 200)).toEqual([]);
  });
});

describe('properties', () => {
  const arbitraryInstance = fc.record({
    id: fc.integer({ min: 0, max: 40 }).map((n) => `i-${n}`),
    state: fc.constantFrom(...INSTANCE_STATES),
    vpcId: fc.constantFrom(VPC_ID, VPC_ID, 'vpc-other'),
    tags: fc.constantFrom<Record<string, string>>({ Role: 'web' }, { Role: 'api' }, {}),
  });
  const world = fc.record({
    instances: fc.uniqueArray(arbitraryInstance, { selector: (entry) => entry.id, maxLength: 30 }),
    registeredIds: fc.uniqueArray(
      fc.integer({ min: 0, max: 45 }).map((n) => `i-${n}`),
      { maxLength: 30 },
    ),
    ownedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    fraction: fc.constantFrom(0, 0.25, 0.5, 1),
  });

  function observe(instances: Instance[], registeredIds: string[], owned: Set<string>, fraction: number) {
    const byId = new Map(instances.map((entry) => [entry.id, entry]));
    const base = input({
      matching: instances.filter((entry) => matchesSelector(entry, binding.instanceSelector.tags)),
      registered: registeredIds.map((id) => health(id)),
      owned,
      maxDeregisterFraction: fraction,
    });
    const first = planRegistration(base);
    if (first.needsLookup.length === 0) return first;
    const lookedUp = new Map(
      first.needsLookup.flatMap((id) => (byId.has(id) ? [[id, byId.get(id) as Instance]] : [])),
    );
    return planRegistration({ ...base, lookedUp });
  }

  it('never deregisters more than maxDeregisterFraction of the registered targets', () => {
    fc.assert(
      fc.property(world, ({ instances, registeredIds, ownedShare, fraction }) => {
        const owned = new Set(
          registeredIds.slice(0, Math.round(ownedShare * registeredIds.length)).map((id) => `${id}:8080`),
        );
        const plan = observe(instances, registeredIds, owned, fraction);
        expect(plan.toDeregister.length).toBeLessThanOrEqual(Math.floor(fraction * registeredIds.length));
      }),
      { numRuns: 1000 },
    );
  });

  it('converges: applying a plan and planning again changes nothing', () => {
    fc.assert(
      fc.property(world, ({ instances, registeredIds, ownedShare }) => {
        const owned = new Set(
          registeredIds.slice(0, Math.round(ownedShare * registeredIds.length)).map((id) => `${id}:8080`),
        );
        const plan = observe(instances, registeredIds, owned, 1);
        const removed = new Set(plan.toDeregister.map((entry) => entry.target.id));
        const after = [
          ...registeredIds.filter((id) => !removed.has(id)),
          ...plan.toRegister.map((target) => target.id),
        ];
        for (const target of plan.toRegister) owned.add(targetKey(target));
        const second = observe(instances, after, owned, 1);
        expect(second.toRegister).toEqual([]);
        expect(second.toDeregister).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
