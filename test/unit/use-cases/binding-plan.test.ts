/**
 * Registration and target health are plan values like the repairs: `status` computes the binding's plan and
 * stops, a dry-run sweep hands the very same plan to the executor, which changes nothing. Both report the
 * same registration decision, the same targets to register, the same co-owned and held targets, and the
 * same target health.
 */
import { describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../../functions/config.ts';
import { BindingState } from '../../../functions/use-cases/binding-state.ts';
import { previewDeps } from '../../../functions/use-cases/context.ts';
import { holdForService } from '../../../functions/use-cases/registration.ts';
import { bindingStatuses } from '../../../functions/use-cases/status.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import { instance, seedConfig, TG_ARN } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';

const GROUP_TAG = 'aws:autoscaling:groupName';

/**
 * i-1 runs and matches but is not registered (missing); i-2 belongs to an Auto Scaling group that has the
 * target group attached (co-owned); i-3 was taken out by CodeDeploy (held); i-4 is registered and unhealthy.
 */
async function mixedWorld(config: WardenConfig = seedConfig()) {
  const world = new FakeWorld();
  const setup = fakeDeps(world, config);
  world.scalingGroups.set('web-asg', new Set([TG_ARN]));
  world.addInstance(instance('i-1'));
  world.addInstance(instance('i-2', { tags: { Role: 'web', [GROUP_TAG]: 'web-asg' } }));
  world.addInstance(instance('i-3'));
  world.addInstance(instance('i-4'));
  await world.elb.registerTargets(TG_ARN, [
    { id: 'i-2', port: 8080 },
    { id: 'i-4', port: 8080 },
  ]);
  world.setHealth('i-4', 'unhealthy', 'Target.ResponseCodeMismatch', 'Health checks failed');
  const [binding] = config.bindings;
  if (!binding) throw new Error('no binding');
  const state = await BindingState.load(setup.deps.state, binding.name);
  await holdForService(
    { deps: setup.deps, binding, state },
    'codedeploy.amazonaws.com',
    [{ id: 'i-3' }],
    undefined,
  );
  world.calls.length = 0;
  return { world, ...setup };
}

describe('status and a dry-run sweep show the same registration and health plan', () => {
  it('an operator preview (reconcile --dry-run) reports exactly the registration status planned', async () => {
    const { world, deps } = await mixedWorld();

    const [status] = await bindingStatuses(previewDeps(deps));
    const dry = await sweep(previewDeps(deps), { throwOnTransient: false });

    const registration = dry.bindings[0]?.registration;
    expect(registration).toMatchObject({
      applied: false,
      decision: { kind: 'would-apply' },
      register: ['i-1:8080'],
      coOwned: { count: 1, groups: ['web-asg'] },
      held: ['i-3:8080 (codedeploy.amazonaws.com)'],
    });
    expect(status?.registration).toEqual(registration);
    expect(status?.targets).toMatchObject({
      missing: ['i-1:8080'],
      coOwned: { count: 1, groups: ['web-asg'] },
      held: ['i-3:8080 (codedeploy.amazonaws.com)'],
    });
    expect(world.mutatingCalls).toEqual([]);
  });

  it('a dry-run deployment reports the same target health as status, and registers nothing', async () => {
    const { world, deps } = await mixedWorld(seedConfig({ mode: 'dry-run' }));

    const [status] = await bindingStatuses(deps);
    const dry = await sweep(deps, { throwOnTransient: false });

    const health = dry.bindings[0]?.health;
    expect(health).toMatchObject({
      registered: 2,
      healthy: 1,
      unhealthy: [{ target: 'i-4:8080', state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' }],
      decision: { kind: 'report' },
    });
    expect(status?.targets).toMatchObject({
      registered: health?.registered,
      healthy: health?.healthy,
      unhealthy: health?.unhealthy.map((target) => ({ ...target, description: 'Health checks failed' })),
    });
    expect(status?.registration).toEqual(dry.bindings[0]?.registration);
    expect(world.mutatingCalls).toEqual([]);
  });

  it('in enforce mode status names the registrations the next sweep applies, and the sweep applies those', async () => {
    const { world, deps } = await mixedWorld();

    const [status] = await bindingStatuses(deps);
    const swept = await sweep(deps, { throwOnTransient: false });

    expect(status?.registration?.decision?.kind).toBe('apply');
    expect(status?.ok).toBe(false);
    expect(swept.bindings[0]?.registration?.register).toEqual(status?.registration?.register);
    expect(world.registered()).toEqual(['i-1:8080', 'i-2:8080', 'i-4:8080']);
    const [after] = await bindingStatuses(deps);
    expect(after?.registration?.decision?.kind).toBe('in-sync');
  });
});

describe('status of a binding whose reads fail', () => {
  it('names the first failure in a fixed order, the listeners first, whichever answered first', async () => {
    const world = new FakeWorld();
    const { deps } = fakeDeps(world, seedConfig());
    world.failures.set('listListeners', [new Error('DescribeListeners failed: LoadBalancerNotFound')]);
    world.failures.set('describeTargetHealth', [
      new Error('DescribeTargetHealth failed: TargetGroupNotFound'),
    ]);

    const [status] = await bindingStatuses(deps);

    expect(status?.ok).toBe(false);
    expect(status?.error).toMatch(/^DescribeListeners failed/);
  });
});
