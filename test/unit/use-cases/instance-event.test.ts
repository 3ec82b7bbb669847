/**
 * The instance-event path as plan then execute: planning reads only, a dry-run event reports the very plan
 * an enforcing one carries out, and the enforcing executor makes exactly the plan's steps.
 */
import { describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../../functions/config.ts';
import { planInstanceEventFor } from '../../../functions/use-cases/instance-event.ts';
import { handleInstanceState } from '../../../functions/use-cases/register.ts';
import { instance, seedConfig } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';
import { spotWarning, stateEvent } from '../../support/instance-events.ts';

function setup(config: WardenConfig = seedConfig()) {
  const world = new FakeWorld();
  return { world, ...fakeDeps(world, config) };
}

/** Spot warnings name real instance ids: the parser refuses others. */
const SPOT_ID = 'i-0abcd1111aaaa2222';

describe('the instance-event plan', () => {
  it('is computed with reads only: no AWS write and no state record', async () => {
    const { world, deps, state } = setup();
    world.addInstance(instance('i-1', { launchTime: '2026-11-20T03:14:00.000Z' }));

    const plan = await planInstanceEventFor(deps, 'i-1', { type: 'state-change' });

    expect(plan.decision).toEqual({ kind: 'register', reason: 'instance is running' });
    expect(plan.bindings[0]?.steps.map((step) => step.type)).toEqual(['register']);
    expect(world.calls).toEqual(['describeInstances']);
    expect(await state.load('web/owned')).toEqual([]);
  });

  it('reads the target health of a deregistration, and only then', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1', { state: 'stopped' }));

    const plan = await planInstanceEventFor(deps, 'i-1', { type: 'state-change' });

    expect(plan.bindings.map((part) => [part.decision.kind, part.outcome])).toEqual([
      ['in-sync', 'not-registered'],
    ]);
    expect(world.calls).toEqual(['describeInstances', 'describeTargetHealth']);
  });

  it('in dry-run is what the event reports, binding by binding, and nothing is written', async () => {
    const { world, deps, state } = setup(seedConfig({ mode: 'dry-run' }));
    world.addInstance(instance('i-1'));
    const plan = await planInstanceEventFor(deps, 'i-1', { type: 'state-change' });

    const result = await handleInstanceState(deps, stateEvent('i-1', 'running'));

    expect(result.bindings[0]?.registration).toMatchObject({
      applied: false,
      decision: plan.bindings[0]?.decision,
      register: ['i-1'],
    });
    expect(result.bindings[0]?.registration?.decision).toEqual({
      kind: 'would-apply',
      reason: 'dry-run mode: i-1:8080 to register, nothing is changed',
    });
    expect(world.mutatingCalls).toEqual([]);
    expect(await state.load('web/owned')).toEqual([]);
  });

  it("in enforce mode is carried out step by step: the result names the plan's decision", async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1'));
    await handleInstanceState(deps, stateEvent('i-1', 'running'));
    world.addInstance(instance('i-1', { state: 'stopped' }));
    const plan = await planInstanceEventFor(deps, 'i-1', { type: 'state-change' });
    world.calls = [];

    const result = await handleInstanceState(deps, stateEvent('i-1', 'stopped'));

    expect(plan.bindings[0]?.steps).toEqual([
      { type: 'deregister', target: { id: 'i-1', port: 8080 }, reason: 'stopped' },
    ]);
    expect(result.bindings[0]?.registration).toMatchObject({
      applied: true,
      decision: plan.bindings[0]?.decision,
      deregister: ['i-1'],
    });
    expect(world.mutatingCalls).toEqual(['deregisterTargets']);
    expect(world.registered()).toEqual([]);
  });

  it("holds a Spot warning's target out and deregisters it; in dry-run it does neither", async () => {
    for (const mode of ['enforce', 'dry-run'] as const) {
      const { world, deps, state } = setup(seedConfig({ mode }));
      world.addInstance(instance(SPOT_ID));
      await world.elb.registerTargets([...world.targets.keys()][0] ?? '', [{ id: SPOT_ID, port: 8080 }]);

      await handleInstanceState(deps, spotWarning(SPOT_ID));

      const holds = (await state.load('web')).map((record) => record.key);
      expect(holds, mode).toEqual(mode === 'enforce' ? [`hold#${SPOT_ID}:8080`] : []);
      expect(world.registered(), mode).toEqual(mode === 'enforce' ? [] : [`${SPOT_ID}:8080`]);
    }
  });
});
