import { describe, expect, it } from 'vitest';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import { instance, seedConfig } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';

const MINUTE = 60_000;

async function fleet(count: number) {
  const world = new FakeWorld();
  const setup = fakeDeps(world, seedConfig());
  for (let index = 1; index <= count; index++) world.addInstance(instance(`i-${index}`));
  await sweep(setup.deps);
  return { world, ...setup };
}

/** One sweep a minute. */
async function sweeps(setup: Awaited<ReturnType<typeof fleet>>, count: number) {
  for (let index = 0; index < count; index++) {
    setup.clock.now += MINUTE;
    await sweep(setup.deps);
  }
}

const kinds = (world: FakeWorld) => world.published.map((alert) => alert.attributes.kind);

describe('health alerts through the sweep', () => {
  it('sends one TargetUnhealthy after the damping, none while it lasts, one TargetRecovered', async () => {
    const setup = await fleet(3);
    setup.world.setHealth(
      'i-2',
      'unhealthy',
      'Target.ResponseCodeMismatch',
      'Health checks failed with these codes: [500]',
    );
    await sweeps(setup, 1);
    expect(kinds(setup.world)).toEqual([]);
    await sweeps(setup, 10);
    expect(kinds(setup.world)).toEqual(['TargetUnhealthy']);
    expect(setup.world.published[0]?.text).toContain(
      'i-2:8080 (ap-northeast-2a)  unhealthy  Target.ResponseCodeMismatch',
    );
    setup.world.setHealth('i-2', 'healthy');
    await sweeps(setup, 3);
    expect(kinds(setup.world)).toEqual(['TargetUnhealthy', 'TargetRecovered']);
  });

  it('groups targets that turn unhealthy in the same sweep into one alert', async () => {
    const setup = await fleet(40);
    for (let index = 1; index <= 30; index++)
      setup.world.setHealth(`i-${index}`, 'unhealthy', 'Target.Timeout');
    await sweeps(setup, 2);
    expect(kinds(setup.world)).toEqual(['TargetUnhealthy']);
    expect(setup.world.published[0]?.subject).toBe('[CRITICAL] web: 30 targets unhealthy in web-8080');
  });

  it('alerts NoHealthyTargets critically, and once more when a target is healthy again', async () => {
    const setup = await fleet(2);
    setup.world.setHealth('i-1', 'unhealthy', 'Target.Timeout');
    setup.world.setHealth('i-2', 'unhealthy', 'Target.Timeout');
    await sweeps(setup, 3);
    expect(kinds(setup.world).sort()).toEqual(['NoHealthyTargets', 'TargetUnhealthy']);
    setup.world.setHealth('i-1', 'healthy');
    await sweeps(setup, 1);
    expect(kinds(setup.world).slice(2).sort()).toEqual(['HealthyTargetsRestored', 'TargetRecovered']);
  });

  it('reads the deregistration delay only while a target drains, once per sweep, and waits it out', async () => {
    const setup = await fleet(3);
    setup.world.deregistrationDelay.set(setup.deps.config.bindings[0]?.targetGroupArn ?? '', 1800);
    await sweeps(setup, 2);
    expect(setup.world.calls).not.toContain('describeTargetGroupAttributes');
    for (const id of ['i-1', 'i-2']) {
      setup.world.addInstance(instance(id, { state: 'stopped' }));
      setup.world.setHealth(id, 'draining', 'Target.DeregistrationInProgress');
    }

    await sweeps(setup, 31);
    const reads = setup.world.calls.filter((call) => call === 'describeTargetGroupAttributes').length;
    const quiet = kinds(setup.world);
    // 30 minutes of delay and the 2-minute margin from the first sweep that saw them drain, then the damping.
    await sweeps(setup, 3);

    expect(reads).toBe(31);
    expect(quiet).toEqual([]);
    expect(kinds(setup.world)).toEqual(['TargetUnhealthy']);
  });

  it('gives draining the longest delay when the attribute cannot be read, instead of paging early', async () => {
    const setup = await fleet(2);
    setup.world.addInstance(instance('i-1', { state: 'stopped' }));
    setup.world.setHealth('i-1', 'draining', 'Target.DeregistrationInProgress');
    setup.world.failures.set(
      'describeTargetGroupAttributes',
      Array.from({ length: 20 }, () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })),
    );

    await sweeps(setup, 20);

    expect(kinds(setup.world)).toEqual([]);
    expect(setup.telemetry.logs.map((log) => log.message)).toContain(
      'deregistration delay not read; draining targets get the longest delay',
    );
  });

  it('sends each alert once when two sweeps run at the same time on the same table', async () => {
    const setup = await fleet(3);
    setup.world.setHealth('i-3', 'unhealthy', 'Target.Timeout');
    for (let round = 0; round < 3; round++) {
      setup.clock.now += MINUTE;
      await Promise.all([sweep(setup.deps), sweep(setup.deps)]);
    }
    expect(kinds(setup.world)).toEqual(['TargetUnhealthy']);
  });

  it('never loses an alert SNS refused: it is parked and sent by the next sweep', async () => {
    const setup = await fleet(3);
    setup.world.setHealth('i-3', 'unhealthy', 'Target.Timeout');
    await sweeps(setup, 1);
    setup.world.failures.set('publish', [
      Object.assign(new Error('Internal error'), { name: 'InternalError', $fault: 'server' }),
    ]);
    setup.clock.now += MINUTE;
    await expect(sweep(setup.deps)).rejects.toThrow(/parked for the next invocation/);
    expect(kinds(setup.world)).toEqual([]);
    await sweeps(setup, 1);
    expect(kinds(setup.world)).toEqual(['TargetUnhealthy']);
    await sweeps(setup, 2);
    expect(kinds(setup.world)).toEqual(['TargetUnhealthy']);
  });

  it('sends the alerts whose claims landed when another claim write fails, and the rest next sweep', async () => {
    const setup = await fleet(4);
    setup.world.setHealth('i-1', 'unhealthy', 'Target.Timeout');
    setup.world.setHealth('i-2', 'unhealthy', 'Target.Timeout');
    await sweeps(setup, 1);
    const flaky: typeof setup.state = Object.create(setup.state);
    let failed = false;
    flaky.put = async (binding, record) => {
      if (record.key === 'target#i-2:8080' && !failed) {
        failed = true;
        throw Object.assign(new Error('Internal server error'), {
          name: 'InternalServerError',
          $fault: 'server',
        });
      }
      return setup.state.put(binding, record);
    };
    setup.clock.now += MINUTE;
    await expect(sweep({ ...setup.deps, state: flaky })).rejects.toThrow(/failed transiently/);
    expect(setup.world.published.map((alert) => alert.subject)).toEqual([
      '[WARNING] web: 1 target unhealthy in web-8080',
    ]);
    expect(setup.world.published[0]?.text).toContain('i-1:8080');
    await sweeps(setup, 1);
    expect(setup.world.published.map((alert) => alert.subject)).toEqual([
      '[WARNING] web: 1 target unhealthy in web-8080',
      '[WARNING] web: 1 target unhealthy in web-8080',
    ]);
    expect(setup.world.published[1]?.text).toContain('i-2:8080');
  });

  it('keeps alerting and registering when a listener repair is refused', async () => {
    const setup = await fleet(3);
    const denied = () =>
      Object.assign(new Error('not authorized'), { name: 'AccessDenied', $fault: 'client' });
    setup.world.failures.set('modifyListener', Array.from({ length: 10 }, denied));
    setup.world.listeners[0] = {
      ...(setup.world.listeners[0] as (typeof setup.world.listeners)[number]),
      defaultActions: [],
    };
    setup.world.setHealth('i-2', 'unhealthy', 'Target.Timeout');
    setup.world.addInstance(instance('i-4'));
    await sweeps(setup, 3);
    expect(kinds(setup.world).sort()).toEqual(['RepairFailed', 'TargetUnhealthy']);
    expect(setup.world.registered()).toContain('i-4:8080');
  });

  it('lists the controller recent changes next to the symptom', async () => {
    const setup = await fleet(2);
    setup.world.setHealth('i-1', 'unhealthy', 'Target.Timeout');
    await sweeps(setup, 2);
    expect(setup.world.published[0]?.text).toMatch(
      /Recent changes on this binding \(last 30 min\), a likely cause:\n.*registered i-1:8080/,
    );
  });

  it('writes nothing to the state table in a converged, healthy sweep', async () => {
    const setup = await fleet(5);
    await sweeps(setup, 1);
    const before = JSON.stringify(await setup.state.load('web'));
    await sweeps(setup, 3);
    expect(JSON.stringify(await setup.state.load('web'))).toBe(before);
  });
});
