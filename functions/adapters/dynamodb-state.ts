/**
 * StateStore over DynamoDB (SDK v3). Keys: `pk` = `binding#<name>`, `sk` = the record key; `version` makes
 * every write conditional, so two concurrent invocations never both claim the same transition; `expiresAt`
 * is the table's TTL attribute.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { chunk } from '../domain/registration.ts';
import { AwsCallError } from '../errors.ts';
import type { StateRecord, StateStore } from '../ports.ts';

export const partitionKey = (binding: string) => `binding#${binding}`;

export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.client = client;
    this.table = table;
  }

  async load(binding: string): Promise<StateRecord[]> {
    const records: StateRecord[] = [];
    let start: QueryCommandOutput['LastEvaluatedKey'];
    do {
      let output: QueryCommandOutput;
      try {
        output = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: partitionKey(binding) } },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
      } catch (error) {
        throw new AwsCallError('Query', error, this.table);
      }
      for (const item of output.Items ?? []) {
        const key = item.sk?.S;
        if (!key) continue;
        records.push({
          key,
          version: Number(item.version?.N ?? 0),
          data: parse(item.data?.S),
          expiresAt: item.expiresAt?.N === undefined ? undefined : Number(item.expiresAt.N),
          marker: item.marker?.S,
        });
      }
      start = output.LastEvaluatedKey;
    } while (start);
    return records;
  }

  async put(binding: string, record: StateRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: partitionKey(binding) },
            sk: { S: record.key },
            version: { N: String(record.version + 1) },
            data: { S: JSON.stringify(record.data) },
            ...(record.expiresAt === undefined
              ? {}
              : { expiresAt: { N: String(Math.floor(record.expiresAt)) } }),
          },
          ...(record.version === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':version': { N: String(record.version) } },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new AwsCallError('PutItem', error, `${this.table} ${record.key}`);
    }
  }

  async remove(binding: string, key: string, version: number): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: partitionKey(binding) }, sk: { S: key } },
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': { N: String(version) } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new AwsCallError('DeleteItem', error, `${this.table} ${key}`);
    }
  }

  async putUnlessMarked(
    binding: string,
    record: Omit<StateRecord, 'version'> & { readonly marker: string },
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: itemOf(binding, record),
          ConditionExpression: 'attribute_not_exists(pk) OR #marker <> :marker',
          ExpressionAttributeNames: { '#marker': 'marker' },
          ExpressionAttributeValues: { ':marker': { S: record.marker } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new AwsCallError('PutItem', error, `${this.table} ${record.key}`);
    }
  }

  putAll(binding: string, records: readonly Omit<StateRecord, 'version'>[]): Promise<void> {
    return this.batchWrite(records.map((record) => ({ PutRequest: { Item: itemOf(binding, record) } })));
  }

  removeAll(binding: string, keys: readonly string[]): Promise<void> {
    return this.batchWrite(
      keys.map((key) => ({ DeleteRequest: { Key: { pk: { S: partitionKey(binding) }, sk: { S: key } } } })),
    );
  }

  /** 25 items a call; what DynamoDB leaves unprocessed is sent again with backoff, then reported. */
  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    for (const batch of chunk(requests, BATCH)) {
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
        try {
          const output = await this.client.send(
            new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }),
          );
          pending = (output.UnprocessedItems?.[this.table] ?? []) as WriteRequest[];
        } catch (error) {
          throw new AwsCallError('BatchWriteItem', error, this.table);
        }
      }
    }
  }
}

type WriteRequest = {
  PutRequest?: { Item: Record<string, AttributeValue> };
  DeleteRequest?: { Key: Record<string, AttributeValue> };
};

/** An unconditionally written item: version 1, so a conditional writer holding an older version loses. */
function itemOf(binding: string, record: Omit<StateRecord, 'version'>): Record<string, AttributeValue> {
  return {
    pk: { S: partitionKey(binding) },
    sk: { S: record.key },
    version: { N: '1' },
    data: { S: JSON.stringify(record.data) },
    ...(record.expiresAt === undefined ? {} : { expiresAt: { N: String(Math.floor(record.expiresAt)) } }),
    ...(record.marker === undefined ? {} : { marker: { S: record.marker } }),
  };
}

/** BatchWriteItem's limit (DynamoDB API reference). */
const BATCH = 25;
const BATCH_ATTEMPTS = 5;

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
