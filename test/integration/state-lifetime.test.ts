/**
 * A long outage on the simulator, whose DynamoDB deletes expired items on the simulated clock ("typically
 * within two days of expiration"): the alert state of an ongoing condition must outlive its TTL.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, expect, it } from 'vitest';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { simulatorOnly } from './harness.ts';
import { launchWebFleet, onSimulatorTime, startWarden, type Warden } from './warden.ts';

/** Skipped against another endpoint (WARDEN_IT_ENDPOINT): simulated days pass through the control API. */

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
/** The topic `createAlertResources` makes in the simulator's default account and region. */
const TOPIC_ARN = 'arn:aws:sns:ap-northeast-2:123456789012:alb-warden-alerts';
const TABLE = 'alb-warden-alert-state';

let warden: Warden;
afterEach(() => warden.stop());

const control = () => {
  if (!warden.world.control) throw new Error('needs the simulator');
  return warden.world.control;
};

const expiresAt = async (sk: string) => {
  const { Item } = await warden.world.clients.dynamodb.send(
    new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'binding#web' }, sk: { S: sk } } }),
  );
  return Item?.expiresAt?.N === undefined ? undefined : Number(Item.expiresAt.N) * 1000;
};

simulatorOnly('an outage of 20 days with reminders off', () => {
  it('pages once: the alert state is rewritten before DynamoDB deletes it', async () => {
    warden = await startWarden({
      alerts: { topicArn: TOPIC_ARN, stateTable: TABLE, remindEveryMinutes: 0 },
    });
    const ids = await launchWebFleet(warden, 3);
    const { deps, advance } = await onSimulatorTime(warden);
    for (const id of ids)
      await control().targetHealth({
        targetGroupArn: warden.seed.targetGroupArn,
        targetId: id,
        state: 'unhealthy',
      });

    const started = deps.now();
    for (let elapsed = 0; elapsed <= 20 * DAY; elapsed += 6 * HOUR) {
      await sweep(deps);
      await advance(6 * HOUR);
    }
    const now = deps.now();

    expect((await warden.alerts()).map((alert) => alert.kind).sort()).toEqual([
      'NoHealthyTargets',
      'TargetUnhealthy',
    ]);
    // Still recorded, and not about to expire: each was rewritten near its 8-day TTL, twice in 20 days.
    for (const key of ['condition#no-healthy', `target#${ids[0]}:8080`]) {
      const expiry = (await expiresAt(key)) ?? 0;
      expect(expiry).toBeGreaterThan(now);
      expect(expiry).toBeGreaterThan(started + 20 * DAY);
    }
  });
});
