/**
 * StateStore over DynamoDB (SDK v3). Keys: `pk` = `binding#<name>`, `sk` = the record key; `version` makes
 * every write conditional, so two concurrent invocations never both claim the same transition; `expiresAt`
 * is the table's TTL attribute.
 *
 * A claim must also survive a lost response: the write lands, the reply is lost, the SDK retries, and the
 * retry fails its own condition. Every conditional write therefore carries a `writer` token, and a failed
 * condition reads the item back (ReturnValuesOnConditionCheckFailure: ALL_OLD): our own token means the
 * first attempt landed. For the same reason a conditional delete writes a tombstone (`gone`) rather than
 * removing the item, so the retry can recognize it; tombstones expire with the table's TTL.
 */

import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { AwsCallError, awsCall } from '../errors.ts';
import type { RecordWrite, StateRecord, StateStore } from '../ports.ts';
import { API_LIMITS, chunk } from './batches.ts';
import { SdkAdapter } from './sdk-adapter.ts';

export const partitionKey = (binding: string) => `binding#${binding}`;

export class DynamoDbStateStore extends SdkAdapter<DynamoDBClient> implements StateStore {
  private readonly table: string;

  constructor(client: DynamoDBClient, table: string) {
    super(client);
    this.table = table;
  }

  async load(binding: string): Promise<StateRecord[]> {
    const records: StateRecord[] = [];
    let start: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const query = new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: partitionKey(binding) } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      });
      const output = await awsCall('Query', () => this.client.send(query), this.table);
      for (const item of output.Items ?? []) {
        const key = item.sk?.S;
        if (!key) continue;
        records.push({
          key,
          version: Number(item.version?.N ?? 0),
          data: item.gone?.BOOL ? undefined : parse(item.data?.S),
          expiresAt: item.expiresAt?.N === undefined ? undefined : Number(item.expiresAt.N),
          marker: item.marker?.S,
          ...(item.gone?.BOOL ? { deleted: true } : {}),
        });
      }
      start = output.LastEvaluatedKey;
    } while (start);
    return records;
  }

  put(binding: string, record: StateRecord): Promise<boolean> {
    return this.conditionalPut(binding, record.key, record.version, {
      data: { S: JSON.stringify(record.data) },
      ...(record.expiresAt === undefined ? {} : { expiresAt: { N: String(Math.floor(record.expiresAt)) } }),
    });
  }

  remove(binding: string, key: string, version: number): Promise<boolean> {
    const day = Math.floor(Date.now() / 1000) + TOMBSTONE_SECONDS;
    return this.conditionalPut(binding, key, version, {
      gone: { BOOL: true },
      expiresAt: { N: String(day) },
    });
  }

  /** Writes version `expected + 1` if the stored version is `expected` (0: absent). */
  private async conditionalPut(
    binding: string,
    key: string,
    expected: number,
    attributes: Record<string, AttributeValue>,
  ): Promise<boolean> {
    const writer = randomUUID();
    return this.claim(writer, key, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: partitionKey(binding) },
            sk: { S: key },
            version: { N: String(expected + 1) },
            writer: { S: writer },
            ...attributes,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...(expected === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':version': { N: String(expected) } },
              }),
        }),
      ),
    );
  }

  /** True when the write landed, including when a retry of it found the item it had itself written. */
  private async claim(writer: string, key: string, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return error.Item?.writer?.S === writer;
      throw new AwsCallError('PutItem', error, `${this.table} ${key}`);
    }
  }

  putUnlessMarked(binding: string, record: RecordWrite & { readonly marker: string }): Promise<boolean> {
    const writer = randomUUID();
    return this.claim(writer, record.key, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...itemOf(binding, record), writer: { S: writer } },
          ConditionExpression: 'attribute_not_exists(pk) OR #marker <> :marker',
          ExpressionAttributeNames: { '#marker': 'marker' },
          ExpressionAttributeValues: { ':marker': { S: record.marker } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
  }

  /**
   * The sweep lease: its own partition (`lease#<name>`), so a binding's Query never reads it. A retried
   * request finds its own holder and succeeds; an expired lease is anyone's.
   */
  async lease(binding: string, holder: string, untilMs: number, nowMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: leaseItem(binding, holder, untilMs),
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil <= :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': { N: String(nowMs) }, ':holder': { S: holder } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new AwsCallError('PutItem', error, `${this.table} lease ${binding}`);
    }
  }

  async release(binding: string, holder: string): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: leaseItem(binding, holder, 0),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': { S: holder } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw new AwsCallError('PutItem', error, `${this.table} lease ${binding}`);
    }
  }

  putAll(binding: string, records: readonly RecordWrite[]): Promise<void> {
    return this.batchWrite(records.map((record) => ({ PutRequest: { Item: itemOf(binding, record) } })));
  }

  removeAll(binding: string, keys: readonly string[]): Promise<void> {
    return this.batchWrite(
      keys.map((key) => ({ DeleteRequest: { Key: { pk: { S: partitionKey(binding) }, sk: { S: key } } } })),
    );
  }

  /** 25 items a call; what DynamoDB leaves unprocessed is sent again with backoff, then reported. */
  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    for (const batch of chunk(requests, API_LIMITS.dynamoDbWriteBatch)) {
      let pending: WriteRequest[] = batch;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > BATCH_ATTEMPTS) {
          throw new AwsCallError(
            'BatchWriteItem',
            new Error(`${pending.length} item(s) still unprocessed after ${BATCH_ATTEMPTS} attempts`),
            this.table,
          );
        }
        if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const output = await awsCall(
          'BatchWriteItem',
          () => this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } })),
          this.table,
        );
        pending = (output.UnprocessedItems?.[this.table] ?? []) as WriteRequest[];
      }
    }
  }
}

type WriteRequest = {
  PutRequest?: { Item: Record<string, AttributeValue> };
  DeleteRequest?: { Key: Record<string, AttributeValue> };
};

/** An unconditionally written item: version 1, so a conditional writer holding an older version loses. */
function itemOf(binding: string, record: RecordWrite): Record<string, AttributeValue> {
  return {
    pk: { S: partitionKey(binding) },
    sk: { S: record.key },
    version: { N: '1' },
    data: { S: JSON.stringify(record.data) },
    ...(record.expiresAt === undefined ? {} : { expiresAt: { N: String(Math.floor(record.expiresAt)) } }),
    ...(record.marker === undefined ? {} : { marker: { S: record.marker } }),
  };
}

export const leasePartitionKey = (binding: string) => `lease#${binding}`;

/** A lease item; the table's TTL removes it a day after it ends. */
function leaseItem(binding: string, holder: string, untilMs: number): Record<string, AttributeValue> {
  return {
    pk: { S: leasePartitionKey(binding) },
    sk: { S: 'sweep' },
    holder: { S: holder },
    leaseUntil: { N: String(untilMs) },
    expiresAt: { N: String(Math.floor(Math.max(untilMs, Date.now()) / 1000) + TOMBSTONE_SECONDS) },
  };
}

/** How long a tombstone stays (TTL), long enough for every retry of the delete it stands for. */
const TOMBSTONE_SECONDS = 24 * 60 * 60;

const BATCH_ATTEMPTS = 5;

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The SDK client the adapter runs on, and the adapter: deps.ts makes both on the port's first call. */
export const clientAndAdapter = { Client: DynamoDBClient, Adapter: DynamoDbStateStore };
