import { describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../../functions/config.ts';
import type { InstanceState } from '../../../functions/domain/model.ts';
import { InstanceNotVisibleYetError, isTransient } from '../../../functions/errors.ts';
import { handleInstanceState } from '../../../functions/use-cases/register.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import { instance, seedConfig } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';
import { stateEvent } from '../../support/instance-events.ts';

function setup(config: WardenConfig = seedConfig()) {
  const world = new FakeWorld();
  return { world, ...fakeDeps(world, config) };
}

describe('register: a running event EC2 does not confirm yet', () => {
  const running = (time: string) => ({ ...stateEvent('i-1', 'running'), time });

  it('fails the invocation as transient while the event is young, without deregistering anything', async () => {
    const { world, deps, clock } = setup();
    world.addInstance(instance('i-1'));
    await sweep(deps);
    world.instances.delete('i-1');
    const time = new Date(clock.now - 60_000).toISOString();

    const error = await handleInstanceState(deps, running(time)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InstanceNotVisibleYetError);
    expect(isTransient(error)).toBe(true);
    expect((error as Error).message).toBe('EC2 does not return i-1 yet, 60 s after its running event');
    expect(world.mutatingCalls).toEqual(['registerTargets']);
    expect(world.registered()).toEqual(['i-1:8080']);
  });

  it('takes the instance as gone once the event is five minutes old, and says so in the log', async () => {
    const { world, deps, clock, telemetry } = setup();
    world.addInstance(instance('i-1'));
    await sweep(deps);
    world.instances.delete('i-1');
    const time = new Date(clock.now - 5 * 60_000).toISOString();

    const result = await handleInstanceState(deps, running(time));

    expect(result.decision).toBe('deregister (gone)');
    expect(world.registered()).toEqual([]);
    expect(telemetry.logs.map((log) => log.message)).toContain(
      'instance of a running event still not returned by EC2; taken as gone',
    );
  });

  it('registers the instance when a retry finds it', async () => {
    const { world, deps, clock } = setup();
    const time = new Date(clock.now).toISOString();
    await expect(handleInstanceState(deps, running(time))).rejects.toBeInstanceOf(InstanceNotVisibleYetError);
    world.addInstance(instance('i-1'));
    clock.now += 60_000;

    const result = await handleInstanceState(deps, running(time));

    expect(result.bindings[0]?.registration?.register).toEqual(['i-1']);
  });
});

describe('register: instance events', () => {
  it('registers a running matching instance on port 8080 and records that it owns it', async () => {
    const { world, deps, state } = setup();
    world.addInstance(instance('i-0abcd1111aaaa2222', { launchTime: '2026-11-20T03:14:00.000Z' }));
    const result = await handleInstanceState(deps, stateEvent('i-0abcd1111aaaa2222', 'running'));
    expect(result.bindings[0]?.registration?.register).toEqual(['i-0abcd1111aaaa2222']);
    expect(world.registered()).toEqual(['i-0abcd1111aaaa2222:8080']);
    expect(world.calls).toEqual(['describeInstances', 'registerTargets']);
    expect((await state.load('web/owned')).map((record) => record.key)).toEqual([
      'owned#i-0abcd1111aaaa2222:8080',
    ]);
    expect(await state.load('web')).toEqual([]);
  });

  it('makes no mutating call on a second delivery of the same running event', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1', { launchTime: '2026-11-20T03:14:00.000Z' }));
    await handleInstanceState(deps, stateEvent('i-1', 'running'));
    world.calls = [];
    const second = await handleInstanceState(deps, stateEvent('i-1', 'running'));
    expect(world.mutatingCalls).toEqual([]);
    expect(second.bindings[0]?.registration?.unchanged).toBe(1);
  });

  it('registers again after a restart (a new launch)', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1', { launchTime: '2026-11-20T03:14:00.000Z' }));
    await handleInstanceState(deps, stateEvent('i-1', 'running'));
    world.addInstance(instance('i-1', { state: 'stopped', launchTime: '2026-11-20T03:14:00.000Z' }));
    await handleInstanceState(deps, stateEvent('i-1', 'stopped'));
    world.addInstance(instance('i-1', { launchTime: '2026-11-20T05:00:00.000Z' }));
    await handleInstanceState(deps, stateEvent('i-1', 'running'));
    expect(world.mutatingCalls).toEqual(['registerTargets', 'deregisterTargets', 'registerTargets']);
    expect(world.registered()).toEqual(['i-1:8080']);
  });

  it('does not register on a late running event for an instance that has stopped since', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1', { state: 'stopped' }));
    const result = await handleInstanceState(deps, stateEvent('i-1', 'running'));
    expect(result.decision).toMatch(/^deregister/);
    expect(world.mutatingCalls).toEqual([]);
    expect(world.registered()).toEqual([]);
  });

  it('deregisters a stopped instance from the group where it is registered', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1'));
    await handleInstanceState(deps, stateEvent('i-1', 'running'));
    world.addInstance(instance('i-1', { state: 'stopped' }));
    const result = await handleInstanceState(deps, stateEvent('i-1', 'stopped'));
    expect(result.bindings[0]?.registration?.deregister).toEqual(['i-1']);
    expect(world.registered()).toEqual([]);
  });

  it('deregisters by id an instance EC2 no longer returns, from every binding', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1'));
    await handleInstanceState(deps, stateEvent('i-1', 'running'));
    world.instances.delete('i-1');
    await handleInstanceState(deps, stateEvent('i-1', 'terminated'));
    expect(world.registered()).toEqual([]);
  });

  it('does nothing for pending, nor for instances no selector matches', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-db', { tags: { Role: 'db' } }));
    const pending = await handleInstanceState(deps, stateEvent('i-db', 'pending'));
    const other = await handleInstanceState(deps, stateEvent('i-db', 'running'));
    expect(pending.ignored).toContain('pending');
    expect(other.decision).toBe('no binding selects this instance');
    expect(world.mutatingCalls).toEqual([]);
  });

  it('alerts RegistrationFailed, naming the binding and the AWS error, when the target group is gone', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1'));
    world.targets.clear();
    world.groups.clear();
    const result = await handleInstanceState(deps, stateEvent('i-1', 'running'));
    expect(result.bindings[0]).toMatchObject({
      binding: 'web',
      status: 'failed',
      error: { code: 'TargetGroupNotFound', transient: false },
    });
    expect(
      world.published.map((alert) => [alert.attributes.kind, alert.attributes.severity, alert.subject]),
    ).toEqual([
      ['RegistrationFailed', 'critical', '[CRITICAL] web: the bound target group no longer exists'],
    ]);
  });

  it('reports what it would do in dry-run, without a mutating call', async () => {
    const { world, deps } = setup(seedConfig({ mode: 'dry-run' }));
    world.addInstance(instance('i-1'));
    const result = await handleInstanceState(deps, stateEvent('i-1', 'running'));
    expect(result.bindings[0]?.registration).toMatchObject({ applied: false, register: ['i-1'] });
    expect(world.mutatingCalls).toEqual([]);
  });
});

describe('register: sweeps', () => {
  it('converges from a mixed state in one sweep, and the second sweep makes no mutating call', async () => {
    const { world, deps } = setup();
    const states: InstanceState[] = ['running', 'running', 'running', 'stopped', 'pending', 'terminated'];
    for (const [index, state] of states.entries()) world.addInstance(instance(`i-${index}`, { state }));
    world.addInstance(instance('i-api', { tags: { Role: 'api' } }));
    // i-3 (stopped) is still registered; i-manual was added by hand.
    for (const id of ['i-0', 'i-3', 'i-manual'])
      world.targets
        .get([...world.targets.keys()][0] ?? '')
        ?.set(`${id}:8080`, { id, port: 8080, state: 'healthy' });
    world.addInstance(instance('i-manual', { tags: { Role: 'legacy' } }));
    const first = await sweep(deps);
    expect(first.bindings[0]?.registration).toMatchObject({
      register: ['i-1:8080', 'i-2:8080'],
      deregister: ['i-3:8080 (stopped)'],
      foreign: ['i-manual:8080'],
    });
    expect(world.registered()).toEqual(['i-0:8080', 'i-1:8080', 'i-2:8080', 'i-manual:8080']);
    world.calls = [];
    const second = await sweep(deps);
    expect(world.mutatingCalls).toEqual([]);
    expect(second.bindings[0]?.registration?.foreign).toEqual(['i-manual:8080']);
  });

  it('reads ownership only when a registered target is outside the selector', async () => {
    const { world, deps, state } = setup();
    for (const id of ['i-1', 'i-2', 'i-3']) world.addInstance(instance(id));
    await sweep(deps);
    const loads: string[] = [];
    const recording: typeof state = Object.create(state);
    recording.load = (binding) => {
      loads.push(binding);
      return state.load(binding);
    };
    const counting = { ...deps, state: recording };
    await sweep(counting);
    expect(loads).toEqual(['web']);
    world.addInstance(instance('i-1', { tags: { Role: 'retired' } }));
    await sweep(counting);
    expect(loads).toEqual(['web', 'web', 'web/owned']);
    expect(world.registered()).toEqual(['i-2:8080', 'i-3:8080']);
  });

  it('deregisters an owned instance whose tags stopped matching, never one added by hand', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1'));
    world.addInstance(instance('i-2'));
    world.addInstance(instance('i-3'));
    await sweep(deps);
    world.addInstance(instance('i-3', { tags: { Role: 'retired' } }));
    const result = await sweep(deps);
    expect(result.bindings[0]?.registration?.deregister).toEqual(['i-3:8080 (no-longer-matches)']);
    expect(world.registered()).toEqual(['i-1:8080', 'i-2:8080']);
  });

  it('deregisters nothing and raises one alert when a selector typo matches nothing', async () => {
    const { world, deps, clock } = setup();
    world.addInstance(instance('i-1'));
    world.addInstance(instance('i-2'));
    await sweep(deps);
    const typo = seedConfig({}, { instanceSelector: { tags: { Role: 'wbe' } } });
    const withTypo = { ...deps, config: typo };
    for (let round = 0; round < 3; round++) {
      await sweep(withTypo);
      clock.now += 60_000;
    }
    expect(world.registered()).toEqual(['i-1:8080', 'i-2:8080']);
    expect(world.published.map((alert) => alert.attributes.kind)).toEqual(['RegistrationFailed']);
    expect(world.published[0]?.subject).toBe('[CRITICAL] web: the instance selector matches nothing');
  });

  it('acts on nothing and alerts when a lookup fails, and carries on with the other work', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1'));
    await sweep(deps);
    world.failures.set('findByTags', [
      Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation', $fault: 'client' }),
    ]);
    const result = await sweep(deps);
    expect(result.bindings[0]?.registration?.withheld).toContain('DescribeInstances failed');
    expect(result.bindings[0]?.health).toBeDefined();
    expect(world.registered()).toEqual(['i-1:8080']);
    expect(world.published.map((alert) => alert.attributes.kind)).toEqual(['RegistrationFailed']);
  });
});
