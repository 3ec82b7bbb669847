import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  paginateQuery,
  QueryCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsError, useSim } from './support.ts';

const sim = useSim();
const TableName = 'alb-warden-alert-state';

beforeEach(async () => {
  await sim.clients.dynamodb.send(
    new CreateTableCommand({
      TableName,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

const db = () => sim.clients.dynamodb;
const key = (pk: string, sk: string): Record<string, AttributeValue> => ({ pk: { S: pk }, sk: { S: sk } });
const put = (item: Record<string, AttributeValue>) =>
  db().send(new PutItemCommand({ TableName, Item: item }));
const get = async (pk: string, sk: string) =>
  (await db().send(new GetItemCommand({ TableName, Key: key(pk, sk) }))).Item;

describe('tables and TTL', () => {
  it('creates a table CREATING that describes as ACTIVE, and refuses to create it twice', async () => {
    const described = await db().send(new DescribeTableCommand({ TableName }));
    const again = await awsError(
      db().send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
    );

    expect(described.Table).toMatchObject({
      TableName,
      TableStatus: 'ACTIVE',
      TableArn: `arn:aws:dynamodb:ap-northeast-2:123456789012:table/${TableName}`,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      ItemCount: 0,
    });
    expect(described.Table?.CreationDateTime).toBeInstanceOf(Date);
    expect(again).toMatchObject({
      name: 'ResourceInUseException',
      message: `Table already exists: ${TableName}`,
    });
  });

  it('enables TTL on an attribute once, and keeps expired items readable as DynamoDB does until it deletes them', async () => {
    await db().send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    await put({ ...key('alert', 'web'), expiresAt: { N: '1' } });

    const ttl = await db().send(new DescribeTimeToLiveCommand({ TableName }));
    const twice = await awsError(
      db().send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        }),
      ),
    );

    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    expect(twice.name).toBe('ValidationException');
    expect(await get('alert', 'web')).toBeDefined();
  });

  it('answers operations on a table that does not exist with ResourceNotFoundException', async () => {
    const error = await awsError(db().send(new GetItemCommand({ TableName: 'missing', Key: key('a', 'b') })));

    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Requested resource not found',
      status: 400,
    });
  });
});

describe('items', () => {
  it('stores every attribute type and returns numbers in canonical form', async () => {
    const item = {
      ...key('binding#web', 'target#i-1'),
      text: { S: 'héllo' },
      count: { N: '007.50' },
      bytes: { B: new Uint8Array([0, 255]) },
      tags: { SS: ['a', 'b'] },
      flags: { BOOL: true },
      nothing: { NULL: true },
      history: { L: [{ N: '1' }, { S: 'x' }] },
      detail: { M: { reason: { S: 'Target.Timeout' } } },
    };

    await put(item);

    expect(await get('binding#web', 'target#i-1')).toEqual({ ...item, count: { N: '7.5' } });
  });

  it('projects attributes, reaching into maps', async () => {
    await put({
      ...key('a', 'b'),
      keep: { S: 'yes' },
      drop: { S: 'no' },
      detail: { M: { x: { N: '1' }, y: { N: '2' } } },
    });

    const result = await db().send(
      new GetItemCommand({
        TableName,
        Key: key('a', 'b'),
        ProjectionExpression: '#k, detail.y',
        ExpressionAttributeNames: { '#k': 'keep' },
      }),
    );

    expect(result.Item).toEqual({ keep: { S: 'yes' }, detail: { M: { y: { N: '2' } } } });
  });

  it('writes only when the condition holds, so two sweeps never send the same alert twice', async () => {
    const claim = () =>
      db().send(
        new PutItemCommand({
          TableName,
          Item: { ...key('alert#web', 'i-1#unhealthy'), sentAt: { N: '100' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    await claim();

    const second = await claim().catch(
      (error: unknown) => error as { name: string; message: string; Item?: unknown },
    );

    expect(second).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      Item: { ...key('alert#web', 'i-1#unhealthy'), sentAt: { N: '100' } },
    });
  });

  it('evaluates comparisons, AND/OR/NOT, parentheses, BETWEEN, IN and the functions', async () => {
    await put({
      ...key('p', 's'),
      state: { S: 'unhealthy' },
      count: { N: '3' },
      reason: { S: 'Target.Timeout' },
      seen: { SS: ['sweep-1', 'sweep-2'] },
      history: { L: [{ S: 'a' }] },
    });
    const holds = async (ConditionExpression: string, values: Record<string, AttributeValue> = {}) => {
      const names = ConditionExpression.includes('#state')
        ? { ExpressionAttributeNames: { '#state': 'state' } }
        : {};
      const valueInput = Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {};
      try {
        await db().send(
          new UpdateItemCommand({
            TableName,
            Key: key('p', 's'),
            ConditionExpression,
            ...names,
            ...valueInput,
          }),
        );
        return true;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    };

    expect(
      await holds('#state = :u AND (attribute_exists(reason) OR NOT contains(seen, :s))', {
        ':u': { S: 'unhealthy' },
        ':s': { S: 'x' },
      }),
    ).toBe(true);
    expect(await holds('NOT #state = :u', { ':u': { S: 'unhealthy' } })).toBe(false);
    expect(await holds('size(seen) BETWEEN :one AND :two', { ':one': { N: '1' }, ':two': { N: '2' } })).toBe(
      true,
    );
    expect(await holds('#state IN (:a, :b)', { ':a': { S: 'healthy' }, ':b': { S: 'unhealthy' } })).toBe(
      true,
    );
    expect(
      await holds('begins_with(reason, :p) AND contains(seen, :s)', {
        ':p': { S: 'Target.' },
        ':s': { S: 'sweep-2' },
      }),
    ).toBe(true);
    expect(await holds('attribute_not_exists(absent) AND absent <> :x', { ':x': { S: 'x' } })).toBe(true);
    expect(await holds('absent < :x', { ':x': { S: 'x' } })).toBe(false);
    expect(
      await holds('size(history) = :one AND attribute_type(history, :l)', {
        ':one': { N: '1' },
        ':l': { S: 'L' },
      }),
    ).toBe(true);
  });

  it('rejects reserved words, undefined placeholders and unused values with ValidationException', async () => {
    await put(key('p', 's'));
    const update = (input: Partial<ConstructorParameters<typeof UpdateItemCommand>[0]>) =>
      awsError(db().send(new UpdateItemCommand({ TableName, Key: key('p', 's'), ...input })));

    const reserved = await update({
      UpdateExpression: 'SET status = :s',
      ExpressionAttributeValues: { ':s': { S: 'x' } },
    });
    const undefinedValue = await update({ UpdateExpression: 'SET a = :missing' });
    const unused = await update({
      UpdateExpression: 'SET a = :a',
      ExpressionAttributeValues: { ':a': { S: 'x' }, ':b': { S: 'y' } },
    });
    const syntax = await update({
      UpdateExpression: 'SET a = = :a',
      ExpressionAttributeValues: { ':a': { S: 'x' } },
    });
    const keyUpdate = await update({
      UpdateExpression: 'SET sk = :a',
      ExpressionAttributeValues: { ':a': { S: 'x' } },
    });

    expect(reserved).toMatchObject({
      name: 'ValidationException',
      message: 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status',
    });
    expect(undefinedValue.message).toBe(
      'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing',
    );
    expect(unused.message).toBe(
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}',
    );
    expect(syntax.message).toMatch(/^Invalid UpdateExpression: Syntax error; token: "=", near: /);
    expect(keyUpdate.message).toBe(
      'One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key',
    );
  });

  it('updates with SET arithmetic, if_not_exists, list_append, REMOVE, ADD and DELETE', async () => {
    await put({
      ...key('p', 's'),
      count: { N: '1' },
      seen: { SS: ['a', 'b'] },
      retired: { SS: ['x', 'y'] },
      stale: { S: 'x' },
      events: { L: [{ S: 'one' }] },
    });

    const result = await db().send(
      new UpdateItemCommand({
        TableName,
        Key: key('p', 's'),
        UpdateExpression:
          'SET #count = #count + :one, firstSeen = if_not_exists(firstSeen, :now), events = list_append(events, :more) ' +
          'REMOVE stale ADD points :ten, seen :c DELETE retired :x',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':now': { N: '1700000000' },
          ':more': { L: [{ S: 'two' }] },
          ':ten': { N: '10.5' },
          ':c': { SS: ['c'] },
          ':x': { SS: ['x'] },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );

    expect(result.Attributes).toEqual({
      ...key('p', 's'),
      count: { N: '2' },
      firstSeen: { N: '1700000000' },
      events: { L: [{ S: 'one' }, { S: 'two' }] },
      points: { N: '10.5' },
      seen: { SS: ['a', 'b', 'c'] },
      retired: { SS: ['y'] },
    });
  });

  it('updates nested document paths and adds decimals exactly', async () => {
    await put({
      ...key('p', 's'),
      price: { N: '0.1' },
      detail: { M: { zones: { L: [{ S: 'a' }, { S: 'b' }] } } },
    });

    const result = await db().send(
      new UpdateItemCommand({
        TableName,
        Key: key('p', 's'),
        UpdateExpression:
          'SET price = price + :step, detail.zones[5] = :c, detail.since = :t REMOVE detail.zones[0]',
        ExpressionAttributeValues: { ':step': { N: '0.2' }, ':c': { S: 'c' }, ':t': { N: '1e3' } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );

    expect(result.Attributes).toEqual({
      price: { N: '0.3' },
      detail: { M: { zones: { L: [{ S: 'b' }, { S: 'c' }] }, since: { N: '1000' } } },
    });
  });

  it('returns the old or new values of the updated attributes only', async () => {
    await put({ ...key('p', 's'), count: { N: '1' }, other: { S: 'kept' } });
    const increment = (ReturnValues: 'UPDATED_OLD' | 'UPDATED_NEW') =>
      db().send(
        new UpdateItemCommand({
          TableName,
          Key: key('p', 's'),
          UpdateExpression: 'ADD #c :one',
          ExpressionAttributeNames: { '#c': 'count' },
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues,
        }),
      );

    expect((await increment('UPDATED_OLD')).Attributes).toEqual({ count: { N: '1' } });
    expect((await increment('UPDATED_NEW')).Attributes).toEqual({ count: { N: '3' } });
  });

  it('deletes an item when its condition holds and returns what it was', async () => {
    await put({ ...key('p', 's'), owner: { S: 'warden' } });

    const refused = await awsError(
      db().send(
        new DeleteItemCommand({
          TableName,
          Key: key('p', 's'),
          ConditionExpression: '#o = :me',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':me': { S: 'someone-else' } },
        }),
      ),
    );
    const deleted = await db().send(
      new DeleteItemCommand({ TableName, Key: key('p', 's'), ReturnValues: 'ALL_OLD' }),
    );

    expect(refused.name).toBe('ConditionalCheckFailedException');
    expect(deleted.Attributes).toEqual({ ...key('p', 's'), owner: { S: 'warden' } });
    expect(await get('p', 's')).toBeUndefined();
  });

  it('checks keys against the schema', async () => {
    const missing = await awsError(put({ pk: { S: 'p' } }));
    const mistyped = await awsError(put({ pk: { S: 'p' }, sk: { N: '1' } }));
    const badKey = await awsError(db().send(new GetItemCommand({ TableName, Key: { pk: { S: 'p' } } })));

    expect(missing.message).toBe('One or more parameter values were invalid: Missing the key sk in the item');
    expect(mistyped.message).toBe(
      'One or more parameter values were invalid: Type mismatch for key sk expected: S actual: N',
    );
    expect(badKey.message).toBe('The provided key element does not match the schema');
  });
});

describe('Query', () => {
  beforeEach(async () => {
    for (const sk of ['target#i-1', 'target#i-2', 'target#i-3', 'target#i-4', 'target#i-5', 'zone#a']) {
      await put({ ...key('binding#web', sk), state: { S: sk.endsWith('3') ? 'healthy' : 'unhealthy' } });
    }
    await put({ ...key('binding#api', 'target#i-9'), state: { S: 'unhealthy' } });
  });

  const query = (input: Partial<ConstructorParameters<typeof QueryCommand>[0]>) =>
    db().send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: 'binding#web' }, ':prefix': { S: 'target#' } },
        ...input,
      }),
    );

  it('selects a partition by sort key prefix, in sort key order either way', async () => {
    const forward = await query({});
    const backward = await query({ ScanIndexForward: false });

    expect(forward.Items?.map((i) => i.sk?.S)).toEqual([
      'target#i-1',
      'target#i-2',
      'target#i-3',
      'target#i-4',
      'target#i-5',
    ]);
    expect(backward.Items?.map((i) => i.sk?.S)).toEqual([
      'target#i-5',
      'target#i-4',
      'target#i-3',
      'target#i-2',
      'target#i-1',
    ]);
  });

  it('pages with Limit and ExclusiveStartKey, as the SDK paginator follows LastEvaluatedKey', async () => {
    const pages: string[][] = [];
    for await (const page of paginateQuery(
      { client: db(), pageSize: 2 },
      {
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: 'binding#web' }, ':prefix': { S: 'target#' } },
      },
    )) {
      pages.push((page.Items ?? []).map((i) => i.sk?.S ?? ''));
    }

    expect(pages).toEqual([['target#i-1', 'target#i-2'], ['target#i-3', 'target#i-4'], ['target#i-5']]);
  });

  it('filters after the limit, counting what it scanned', async () => {
    const result = await query({
      Limit: 3,
      FilterExpression: '#s = :unhealthy',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: {
        ':pk': { S: 'binding#web' },
        ':prefix': { S: 'target#' },
        ':unhealthy': { S: 'unhealthy' },
      },
    });

    expect(result.Items?.map((i) => i.sk?.S)).toEqual(['target#i-1', 'target#i-2']);
    expect([result.Count, result.ScannedCount]).toEqual([2, 3]);
    expect(result.LastEvaluatedKey).toEqual(key('binding#web', 'target#i-3'));
  });

  it('compares sort keys with BETWEEN and <', async () => {
    const between = await query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: {
        ':pk': { S: 'binding#web' },
        ':a': { S: 'target#i-2' },
        ':b': { S: 'target#i-4' },
      },
    });
    const before = await query({
      KeyConditionExpression: 'sk < :b AND pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'binding#web' }, ':b': { S: 'target#i-2' } },
    });

    expect(between.Items?.map((i) => i.sk?.S)).toEqual(['target#i-2', 'target#i-3', 'target#i-4']);
    expect(before.Items?.map((i) => i.sk?.S)).toEqual(['target#i-1']);
  });

  it('needs an equality on the partition key', async () => {
    const error = await awsError(
      query({
        KeyConditionExpression: 'begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':prefix': { S: 't' } },
      }),
    );

    expect(error).toMatchObject({
      name: 'ValidationException',
      message: 'Query condition missed key schema element: pk',
    });
  });
});

describe('BatchWriteItem', () => {
  it('puts and deletes up to 25 items in one call', async () => {
    await put(key('p', 'old'));

    const result = await db().send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TableName]: [
            { PutRequest: { Item: key('p', 'new-1') } },
            { PutRequest: { Item: key('p', 'new-2') } },
            { DeleteRequest: { Key: key('p', 'old') } },
          ],
        },
      }),
    );
    const remaining = await db().send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': { S: 'p' } },
      }),
    );

    expect(result.UnprocessedItems).toEqual({});
    expect(remaining.Items?.map((i) => i.sk?.S)).toEqual(['new-1', 'new-2']);
  });

  it('rejects more than 25 requests and the same key twice', async () => {
    const tooMany = await awsError(
      db().send(
        new BatchWriteItemCommand({
          RequestItems: {
            [TableName]: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: key('p', `s${i}`) } })),
          },
        }),
      ),
    );
    const duplicate = await awsError(
      db().send(
        new BatchWriteItemCommand({
          RequestItems: {
            [TableName]: [{ PutRequest: { Item: key('p', 's') } }, { DeleteRequest: { Key: key('p', 's') } }],
          },
        }),
      ),
    );

    expect(tooMany.name).toBe('ValidationException');
    expect(duplicate.message).toBe('Provided list of item keys contains duplicates');
  });
});
