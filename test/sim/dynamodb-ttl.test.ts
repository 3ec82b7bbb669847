/**
 * DynamoDB's TTL deletion: "DynamoDB typically deletes expired items within two days of expiration …
 * Items that have expired and not been deleted will still show up in reads, queries, and scans."
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
 */
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSim } from './support.ts';

const sim = useSim();
const TableName = 'alb-warden-alert-state';
const TWO_DAYS_MS = 2 * 24 * 60 * 60 * 1000;

beforeEach(async () => {
  await sim.clients.dynamodb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
});

const enableTtl = () =>
  sim.clients.dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );

async function put(pk: string, expiresAt: number | string): Promise<void> {
  await sim.clients.dynamodb.send(
    new PutItemCommand({
      TableName,
      Item: {
        pk: { S: pk },
        expiresAt: typeof expiresAt === 'number' ? { N: String(expiresAt) } : { S: expiresAt },
      },
    }),
  );
}

const exists = async (pk: string) =>
  (await sim.clients.dynamodb.send(new GetItemCommand({ TableName, Key: { pk: { S: pk } } }))).Item !==
  undefined;

const nowSeconds = async () => Math.floor(Date.parse((await sim.control.clock(0)).now) / 1000);

describe('TTL deletion', () => {
  it('still returns an expired item, and deletes it two days after expiry by default', async () => {
    await enableTtl();
    const now = await nowSeconds();
    await put('expired', now - 60);

    const readable = await exists('expired');
    await sim.control.clock(TWO_DAYS_MS - 120_000);
    const stillReadable = await exists('expired');
    await sim.control.clock(120_000);

    expect(readable).toBe(true);
    expect(stillReadable).toBe(true);
    expect(await exists('expired')).toBe(false);
  });

  it('deletes on the delay the settings give, and only items whose TTL is a number in the past', async () => {
    await sim.control.settings({ delays: { ttlDeletionMs: 60_000 } });
    await enableTtl();
    const now = await nowSeconds();
    await put('expired', now - 1);
    await put('future', now + 3600);
    await put('text', String(now - 1));

    await sim.control.clock(61_000);

    expect(await exists('expired')).toBe(false);
    expect(await exists('future')).toBe(true);
    expect(await exists('text')).toBe(true);
  });

  it('runs the sweeper now on request, whatever the delay', async () => {
    await enableTtl();
    const now = await nowSeconds();
    await put('expired', now - 1);
    await put('future', now + 3600);

    const { deleted } = await sim.control.ttlSweep();

    expect(deleted).toBe(1);
    expect(await exists('expired')).toBe(false);
    expect(await exists('future')).toBe(true);
  });

  it('deletes nothing while TTL is disabled, nor items expired more than five years ago', async () => {
    const now = await nowSeconds();
    await put('expired', now - 1);
    const whileDisabled = await sim.control.ttlSweep();
    await enableTtl();
    await put('ancient', now - 6 * 365 * 24 * 3600);

    const enabled = await sim.control.ttlSweep();
    const described = await sim.clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName }));

    expect(whileDisabled.deleted).toBe(0);
    expect(enabled.deleted).toBe(1);
    expect(await exists('ancient')).toBe(true);
    expect(described.TimeToLiveDescription).toEqual({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'expiresAt',
    });
  });
});
