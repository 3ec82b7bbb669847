/**
 * Draining on the simulator: ELB drains a deregistered target for its group's deregistration delay
 * (`deregistration_delay.timeout_seconds`), so a long delay is not a stuck target.
 */

import { StopInstancesCommand } from '@aws-sdk/client-ec2';
import { ModifyTargetGroupAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { simulatorOnly } from './harness.ts';
import { launchWebFleet, onSimulatorTime, startWarden, type Warden } from './warden.ts';

/** Skipped against another endpoint (WARDEN_IT_ENDPOINT): simulated time is moved through the control API. */

const MINUTE = 60_000;
let warden: Warden;
let ids: string[];
beforeEach(async () => {
  warden = await startWarden();
  ids = await launchWebFleet(warden, 3);
});
afterEach(() => warden.stop());

const control = () => {
  if (!warden.world.control) throw new Error('needs the simulator');
  return warden.world.control;
};
const attributeReads = async () => (await control().calls()).elbv2?.DescribeTargetGroupAttributes ?? 0;

simulatorOnly('a target draining for its group deregistration delay', () => {
  it('is not paged while a 30-minute delay lasts, and the attribute is read only while a target drains', async () => {
    const { deps, advance } = await onSimulatorTime(warden);
    await warden.world.clients.elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: warden.seed.targetGroupArn,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1800' }],
      }),
    );
    await sweep(deps);
    const readsBefore = await attributeReads();
    await warden.world.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));

    const states: string[] = [];
    for (let minute = 0; minute < 32; minute++) {
      const result = await sweep(deps);
      states.push(
        (await deps.elb.describeTargetHealth(warden.seed.targetGroupArn)).find((t) => t.id === ids[0])
          ?.state ?? 'gone',
      );
      expect(result.bindings[0]?.status).toBe('ok');
      await advance(MINUTE);
    }
    const readsWhileDraining = (await attributeReads()) - readsBefore;
    await sweep(deps);
    await sweep(deps);

    expect(await warden.alerts()).toEqual([]);
    expect(readsBefore).toBe(0);
    expect(states.slice(0, 29).every((state) => state === 'draining')).toBe(true);
    expect(states.at(-1)).toBe('gone');
    expect(readsWhileDraining).toBeGreaterThanOrEqual(29);
    expect((await attributeReads()) - readsBefore).toBe(readsWhileDraining);
  });
});
