/**
 * Alerting on the simulator: health set through the control API (AWS has no way to make a target unhealthy
 * on demand), sweeps run with the real adapters, messages read back from what SNS received.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ALERT_SCHEMA } from '../../functions/domain/alerts.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { launchInstances } from '../../sim/seed.ts';
import { simulatorOnly } from './harness.ts';
import { INITIAL_HEALTH_CHECK_MS, startWarden, type Warden } from './warden.ts';

/** Skipped against another endpoint (WARDEN_IT_ENDPOINT): they set target health and read published messages through the control API (AWS has no way to make a target unhealthy on demand). */

let warden: Warden;
let ids: string[];
beforeEach(async () => {
  warden = await startWarden();
  ids = await launchInstances(warden.world.clients, {
    count: 3,
    subnetId: warden.seed.subnetIds[0],
    tags: { Role: 'web' },
  });
  await warden.pump();
  await warden.sweep();
  // The new targets pass their initial health check before the tests make them unhealthy.
  await warden.world.control?.clock(INITIAL_HEALTH_CHECK_MS);
});
afterEach(() => warden.stop());

const control = () => {
  if (!warden.world.control) throw new Error('needs the simulator');
  return warden.world.control;
};
const kinds = async () => (await warden.alerts()).map((alert) => alert.kind);
const sweeps = async (count: number) => {
  for (let index = 0; index < count; index++) await warden.sweep();
};

simulatorOnly('one alert when a target turns unhealthy, one when it recovers', () => {
  it('alerts once after the damping, stays quiet while it lasts, and says when it recovers', async () => {
    const target = ids[1] ?? '';
    await control().targetHealth({
      targetGroupArn: warden.seed.targetGroupArn,
      targetId: target,
      state: 'unhealthy',
      reasonCode: 'Target.ResponseCodeMismatch',
      description: 'Health checks failed with these codes: [500]',
    });
    await sweeps(1);
    expect(await kinds()).toEqual([]);
    await sweeps(5);
    expect(await kinds()).toEqual(['TargetUnhealthy']);
    await control().targetHealth({
      targetGroupArn: warden.seed.targetGroupArn,
      targetId: target,
      state: 'healthy',
    });
    await sweeps(3);
    expect(await kinds()).toEqual(['TargetUnhealthy', 'TargetRecovered']);
  });

  it('publishes what the on-call and the machines need, in one message', async () => {
    await control().targetHealth({
      targetGroupArn: warden.seed.targetGroupArn,
      targetId: ids[0] ?? '',
      state: 'unhealthy',
      reasonCode: 'Target.Timeout',
    });
    await sweeps(2);
    const { messages } = await control().sns();
    const [message] = messages;
    expect(message?.messageStructure).toBe('json');
    expect(message?.subject?.length).toBeLessThan(100);
    expect(message?.subject).toBe('[WARNING] web: 1 target unhealthy in web-8080');
    expect(message?.messageAttributes).toEqual({
      severity: { Type: 'String', Value: 'warning' },
      kind: { Type: 'String', Value: 'TargetUnhealthy' },
      binding: { Type: 'String', Value: 'web' },
    });
    const body = JSON.parse(message?.message ?? '{}') as Record<string, string>;
    expect(body.default).toContain(
      `${ids[0]}:8080 (${warden.seed.availabilityZones[0]})  unhealthy  Target.Timeout`,
    );
    expect(JSON.parse(body.sqs ?? '{}')).toMatchObject({
      schema: ALERT_SCHEMA,
      kind: 'TargetUnhealthy',
      details: { targets: [{ id: ids[0], reasonCode: 'Target.Timeout' }] },
    });
  });

  it('alerts NoHealthyTargets critically when none is left, and when one is back', async () => {
    for (const id of ids)
      await control().targetHealth({
        targetGroupArn: warden.seed.targetGroupArn,
        targetId: id,
        state: 'unhealthy',
      });
    await sweeps(3);
    const alerts = await warden.alerts();
    expect(alerts.map((alert) => [alert.kind, alert.severity]).sort()).toEqual([
      ['NoHealthyTargets', 'critical'],
      ['TargetUnhealthy', 'critical'],
    ]);
    await control().targetHealth({
      targetGroupArn: warden.seed.targetGroupArn,
      targetId: ids[0] ?? '',
      state: 'healthy',
    });
    await sweeps(1);
    expect((await kinds()).slice(2).sort()).toEqual(['HealthyTargetsRestored', 'TargetRecovered']);
  });
});

simulatorOnly('never twice, never lost', () => {
  it('sends each alert once when two sweeps run at the same time against the same table', async () => {
    await control().targetHealth({
      targetGroupArn: warden.seed.targetGroupArn,
      targetId: ids[2] ?? '',
      state: 'unhealthy',
    });
    for (let round = 0; round < 3; round++) await Promise.all([sweep(warden.deps), sweep(warden.deps)]);
    expect(await kinds()).toEqual(['TargetUnhealthy']);
  });

  it('sends an alert SNS refused on the next sweep', async () => {
    await control().targetHealth({
      targetGroupArn: warden.seed.targetGroupArn,
      targetId: ids[2] ?? '',
      state: 'unhealthy',
    });
    await sweeps(1);
    // More failures in a row than the SDK's retries cover.
    await control().faults({ service: 'sns', action: 'Publish', error: 'InternalFailure', count: 20 });
    await expect(warden.sweep()).rejects.toThrow(/parked for the next invocation/);
    await control().faults({ clear: true });
    expect(await kinds()).toEqual([]);
    await sweeps(1);
    expect(await kinds()).toEqual(['TargetUnhealthy']);
  });

  it('reports a DynamoDB failure and sends what is owed once the table answers again', async () => {
    await control().targetHealth({
      targetGroupArn: warden.seed.targetGroupArn,
      targetId: ids[2] ?? '',
      state: 'unhealthy',
    });
    await sweeps(1);
    await control().faults({ service: 'dynamodb', action: 'Query', error: 'InternalFailure', count: 20 });
    await expect(warden.sweep()).rejects.toThrow(/failed transiently/);
    await control().faults({ clear: true });
    expect(await kinds()).toEqual([]);
    await sweeps(1);
    expect(await kinds()).toEqual(['TargetUnhealthy']);
  });
});
