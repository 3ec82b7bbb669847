/**
 * EC2's eventual consistency on the simulator: a `running` event may arrive before DescribeInstances returns
 * the new instance. The register function fails (so Lambda retries the event) while the event is young, and
 * takes the instance as gone only once it is five minutes old.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseEvent } from '../../functions/domain/events.ts';
import { InstanceNotVisibleYetError, isTransient } from '../../functions/errors.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import { launchInstances } from '../../sim/seed.ts';
import { simulatorOnly } from './harness.ts';
import { onSimulatorTime, startWarden, type Warden } from './warden.ts';

/** Skipped against another endpoint (WARDEN_IT_ENDPOINT): EC2's lag is injected through the control API. */

const MINUTE = 60_000;
let warden: Warden;
beforeEach(async () => {
  warden = await startWarden();
});
afterEach(() => warden.stop());

const control = () => {
  if (!warden.world.control) throw new Error('needs the simulator');
  return warden.world.control;
};

/** Launches one web instance EC2 hides for `hiddenMs`, and returns its `running` event. */
async function launchHidden(hiddenMs: number) {
  const { cursor } = await control().events(0);
  await control().settings({ consistency: { newInstanceHiddenMs: hiddenMs } });
  const [id = ''] = await launchInstances(warden.world.clients, {
    count: 1,
    subnetId: warden.seed.subnetIds[0],
    tags: { Role: 'web' },
  });
  const running = (await control().events(cursor)).events
    .map((raw) => parseEvent(raw))
    .find((event) => event.type === 'instance-state' && event.state === 'running');
  if (running?.type !== 'instance-state') throw new Error('no running event recorded');
  return { id, running };
}

const registered = async () =>
  (await warden.deps.elb.describeTargetHealth(warden.seed.targetGroupArn)).map((target) => target.id);

simulatorOnly('a running event before EC2 returns the instance', () => {
  it('fails as transient while the event is young and registers the instance on the retry that sees it', async () => {
    const { deps, advance } = await onSimulatorTime(warden);
    const { id, running } = await launchHidden(2 * MINUTE);

    const first = await handleInstanceState(deps, running).catch((error: unknown) => error);
    await advance(MINUTE); // Lambda's first retry of an asynchronous invocation, a minute later
    const second = await handleInstanceState(deps, running).catch((error: unknown) => error);
    await advance(2 * MINUTE); // the second, two minutes after that
    const third = await handleInstanceState(deps, running);

    expect(first).toBeInstanceOf(InstanceNotVisibleYetError);
    expect(isTransient(first)).toBe(true);
    expect(second).toBeInstanceOf(InstanceNotVisibleYetError);
    expect(third.bindings[0]?.registration?.register).toEqual([id]);
    expect(await registered()).toEqual([id]);
  });

  it('takes the instance as gone once the event is five minutes old, and the sweep registers it when EC2 shows it', async () => {
    const { deps, advance } = await onSimulatorTime(warden);
    const { id, running } = await launchHidden(10 * MINUTE);

    await advance(5 * MINUTE);
    const late = await handleInstanceState(deps, running);
    const before = await registered();
    await advance(5 * MINUTE);
    const swept = await warden.sweep();

    expect(late.decision).toBe('deregister (gone)');
    expect(before).toEqual([]);
    expect(swept.bindings[0]?.registration?.register).toEqual([`${id}:8080`]);
    expect(await registered()).toEqual([id]);
  });
});
