/**
 * The size of a binding's alert-state partition as DynamoDB counts it, and the Query pages that takes at
 * AWS: a Query returns at most 1 MB per page. (The simulator does not page at 1 MB, so its call counter
 * cannot show this; the size can.)
 */
import { type AttributeValue, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { partitionKey } from '../functions/adapters/dynamodb-state.ts';
import type { World } from './world.ts';

const QUERY_PAGE_BYTES = 1024 * 1024;

/**
 * DynamoDB's item size: attribute names plus values; a string is its UTF-8 length, a number about one byte
 * per two significant digits plus one (Amazon DynamoDB Developer Guide, "Item sizes and formats").
 */
export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
    else bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}

export interface StateSize {
  readonly items: number;
  readonly bytes: number;
  readonly queryPagesAtAws: number;
}

export async function stateSize(world: World, binding: string): Promise<StateSize> {
  let items = 0;
  let bytes = 0;
  let start: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const page = await world.clients.dynamodb.send(
      new QueryCommand({
        TableName: world.config.alerts.stateTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: partitionKey(binding) } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      items++;
      bytes += itemBytes(item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { items, bytes, queryPagesAtAws: Math.max(1, Math.ceil(bytes / QUERY_PAGE_BYTES)) };
}
