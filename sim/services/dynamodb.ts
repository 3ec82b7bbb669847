/**
 * DynamoDB tables and the item operations an alert store needs, with condition, filter, key condition,
 * update and projection expressions. Items whose TTL has passed stay readable until the background
 * deletion removes them, `delays.ttlDeletionMs` after expiry ("Items that have expired and not been
 * deleted will still show up in reads, queries, and scans", API_UpdateTimeToLive).
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB.html
 */
import { applyUpdate, evaluate, project } from '../dynamodb/evaluation.ts';
import { type Condition, ExpressionContext, type KeySchema, type Path } from '../dynamodb/expressions.ts';
import {
  type AttributeValue,
  canonicalItem,
  cloneItem,
  compareValues,
  type Item,
  itemSize,
  typeOf,
  validationError,
} from '../dynamodb/values.ts';
import { AwsError } from '../errors.ts';
import { uuid } from '../ids.ts';
import type { Call, Environment } from './context.ts';

type Body = Record<string, unknown>;
type Handler = (body: Body, call: Call) => Body;

interface Table {
  readonly name: string;
  readonly arn: string;
  readonly id: string;
  readonly keySchema: KeySchema;
  readonly attributeDefinitions: readonly { AttributeName: string; AttributeType: string }[];
  readonly billingMode: string;
  readonly throughput: { readonly read: number; readonly write: number };
  readonly createdAt: number;
  readonly items: Map<string, Item>;
  ttl: { readonly attributeName: string; readonly enabled: boolean } | undefined;
}

const MAX_ITEM_BYTES = 400 * 1024;
const FIVE_YEARS_MS = 5 * 365 * 24 * 60 * 60 * 1000;
const LEGACY_PARAMETERS = [
  'Expected',
  'AttributeUpdates',
  'KeyConditions',
  'QueryFilter',
  'AttributesToGet',
  'ScanFilter',
];

export class DynamoDbService {
  readonly #env: Environment;
  readonly #tables = new Map<string, Table>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateTable: (body, call) => this.#createTable(body, call),
    DescribeTable: (body) => ({ Table: this.#tableDescription(this.#describedTable(body), 'ACTIVE') }),
    UpdateTimeToLive: (body) => this.#updateTimeToLive(body),
    DescribeTimeToLive: (body) => this.#describeTimeToLive(body),
    GetItem: (body) => this.#getItem(body),
    PutItem: (body) => this.#putItem(body),
    UpdateItem: (body) => this.#updateItem(body),
    DeleteItem: (body) => this.#deleteItem(body),
    Query: (body) => this.#query(body),
    BatchWriteItem: (body) => this.#batchWriteItem(body),
  };

  constructor(env: Environment) {
    this.#env = env;
  }

  /** The TTL sweeper: deletes items expired at least `delays.ttlDeletionMs` ago (all expired ones with `now`). */
  advance(now: number, graceMs = this.#env.settings().delays.ttlDeletionMs): number {
    let deleted = 0;
    for (const table of this.#tables.values()) {
      if (!table.ttl?.enabled) continue;
      for (const [key, item] of table.items) {
        const expiry = ttlSeconds(item[table.ttl.attributeName]);
        if (expiry === undefined) continue;
        // "Items with expiration times older than five years in the past are not deleted" (howitworks-ttl).
        if (expiry * 1000 < now - FIVE_YEARS_MS) continue;
        if (expiry * 1000 + graceMs <= now) {
          table.items.delete(key);
          deleted += 1;
        }
      }
    }
    return deleted;
  }

  // ---- tables ----

  #createTable(body: Body, call: Call): Body {
    const name = tableName(body.TableName);
    if (body.GlobalSecondaryIndexes !== undefined || body.LocalSecondaryIndexes !== undefined) {
      throw validationError('The simulator does not support secondary indexes');
    }
    const keySchema = (Array.isArray(body.KeySchema) ? body.KeySchema : []) as {
      AttributeName?: string;
      KeyType?: string;
    }[];
    const definitions = (Array.isArray(body.AttributeDefinitions) ? body.AttributeDefinitions : []) as {
      AttributeName: string;
      AttributeType: string;
    }[];
    const [hashElement, rangeElement, ...extra] = keySchema;
    if (hashElement?.KeyType !== 'HASH') {
      throw validationError('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
    }
    if (extra.length > 0 || (rangeElement && rangeElement.KeyType !== 'RANGE')) {
      throw validationError('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
    }
    const keyNames = [hashElement, rangeElement].flatMap((element) =>
      element ? [element.AttributeName ?? ''] : [],
    );
    const typeOfKey = (keyName: string) =>
      definitions.find((d) => d.AttributeName === keyName)?.AttributeType;
    if (keyNames.some((keyName) => !['S', 'N', 'B'].includes(typeOfKey(keyName) ?? ''))) {
      throw validationError(
        `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. ` +
          `Keys: [${keyNames.join(', ')}], AttributeDefinitions: [${definitions.map((d) => d.AttributeName).join(', ')}]`,
      );
    }
    if (definitions.length !== keyNames.length) {
      throw validationError(
        'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
      );
    }
    const billingMode = String(body.BillingMode ?? 'PROVISIONED');
    const throughput = body.ProvisionedThroughput as
      | { ReadCapacityUnits?: number; WriteCapacityUnits?: number }
      | undefined;
    if (billingMode === 'PROVISIONED' && (!throughput?.ReadCapacityUnits || !throughput.WriteCapacityUnits)) {
      throw validationError(
        'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
      );
    }
    if (billingMode === 'PAY_PER_REQUEST' && throughput !== undefined) {
      throw validationError(
        'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
      );
    }
    if (this.#tables.has(name)) throw new AwsError('ResourceInUseException', `Table already exists: ${name}`);
    const table: Table = {
      name,
      arn: `arn:aws:dynamodb:${this.#env.region}:${this.#env.account}:table/${name}`,
      id: uuid(),
      keySchema: {
        hash: { name: keyNames[0] ?? '', type: typeOfKey(keyNames[0] ?? '') ?? 'S' },
        range:
          keyNames[1] === undefined ? undefined : { name: keyNames[1], type: typeOfKey(keyNames[1]) ?? 'S' },
      },
      attributeDefinitions: definitions.map(({ AttributeName, AttributeType }) => ({
        AttributeName,
        AttributeType,
      })),
      billingMode,
      throughput: { read: throughput?.ReadCapacityUnits ?? 0, write: throughput?.WriteCapacityUnits ?? 0 },
      createdAt: call.now,
      items: new Map(),
      ttl: undefined,
    };
    this.#tables.set(name, table);
    // A new table reports CREATING; it is ACTIVE from the next call on.
    return { TableDescription: this.#tableDescription(table, 'CREATING') };
  }

  #tableDescription(table: Table, status: string): Body {
    const items = [...table.items.values()];
    return {
      AttributeDefinitions: table.attributeDefinitions,
      TableName: table.name,
      KeySchema: [
        { AttributeName: table.keySchema.hash.name, KeyType: 'HASH' },
        ...(table.keySchema.range ? [{ AttributeName: table.keySchema.range.name, KeyType: 'RANGE' }] : []),
      ],
      TableStatus: status,
      CreationDateTime: table.createdAt / 1000,
      ProvisionedThroughput: {
        NumberOfDecreasesToday: 0,
        ReadCapacityUnits: table.throughput.read,
        WriteCapacityUnits: table.throughput.write,
      },
      TableSizeBytes: items.reduce((sum, item) => sum + itemSize(item), 0),
      ItemCount: items.length,
      TableArn: table.arn,
      TableId: table.id,
      ...(table.billingMode === 'PAY_PER_REQUEST'
        ? {
            BillingModeSummary: {
              BillingMode: 'PAY_PER_REQUEST',
              LastUpdateToPayPerRequestDateTime: table.createdAt / 1000,
            },
          }
        : {}),
      DeletionProtectionEnabled: false,
    };
  }

  #table(body: Body): Table {
    const table = this.#tables.get(tableName(body.TableName));
    if (!table) throw new AwsError('ResourceNotFoundException', 'Requested resource not found');
    return table;
  }

  #describedTable(body: Body): Table {
    const name = tableName(body.TableName);
    const table = this.#tables.get(name);
    if (!table)
      throw new AwsError(
        'ResourceNotFoundException',
        `Requested resource not found: Table: ${name} not found`,
      );
    return table;
  }

  /** Enabling TTL twice (or disabling it twice) is an error in DynamoDB. */
  #updateTimeToLive(body: Body): Body {
    const table = this.#describedTable(body);
    const spec = body.TimeToLiveSpecification as { Enabled?: boolean; AttributeName?: string } | undefined;
    if (
      typeof spec?.AttributeName !== 'string' ||
      spec.AttributeName === '' ||
      typeof spec.Enabled !== 'boolean'
    ) {
      throw validationError('TimeToLiveSpecification must have an AttributeName and Enabled');
    }
    if (spec.Enabled && table.ttl?.enabled) throw validationError('TimeToLive is already enabled');
    if (!spec.Enabled && !table.ttl?.enabled) throw validationError('TimeToLive is already disabled');
    table.ttl = { attributeName: spec.AttributeName, enabled: spec.Enabled };
    return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
  }

  #describeTimeToLive(body: Body): Body {
    const table = this.#describedTable(body);
    return {
      TimeToLiveDescription: table.ttl?.enabled
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: table.ttl.attributeName }
        : { TimeToLiveStatus: 'DISABLED' },
    };
  }

  // ---- items ----

  /** A Key parameter: exactly the table's key attributes, of the key's types. */
  #key(table: Table, input: unknown): Item {
    const key = canonicalItem(input, 'Key');
    const names = [table.keySchema.hash, table.keySchema.range].flatMap((k) => (k ? [k] : []));
    const matches =
      Object.keys(key).length === names.length &&
      names.every((k) => key[k.name] && typeOf(key[k.name] as AttributeValue) === k.type);
    if (!matches) throw validationError('The provided key element does not match the schema');
    assertNonEmptyKey(key);
    return key;
  }

  /** The key attributes of an item to be written, or AWS's error for a missing or mistyped one. */
  #keyOfItem(table: Table, item: Item): Item {
    const key: Item = {};
    for (const element of [table.keySchema.hash, table.keySchema.range]) {
      if (!element) continue;
      const value = item[element.name];
      if (!value)
        throw validationError(
          `One or more parameter values were invalid: Missing the key ${element.name} in the item`,
        );
      const type = typeOf(value);
      if (type !== element.type) {
        throw validationError(
          `One or more parameter values were invalid: Type mismatch for key ${element.name} expected: ${element.type} actual: ${type}`,
        );
      }
      key[element.name] = value;
    }
    assertNonEmptyKey(key);
    return key;
  }

  #getItem(body: Body): Body {
    rejectLegacy(body);
    const table = this.#table(body);
    const key = this.#key(table, body.Key);
    const context = expressionContext(body, [body.ProjectionExpression]);
    const projection = optionalText(body.ProjectionExpression, 'ProjectionExpression');
    const paths = projection === undefined ? undefined : context.projection(projection);
    context.assertAllUsed();
    const item = table.items.get(storageKey(table, key));
    return item ? { Item: paths ? project(item, paths) : cloneItem(item) } : {};
  }

  #putItem(body: Body): Body {
    rejectLegacy(body);
    const table = this.#table(body);
    const item = canonicalItem(body.Item);
    const key = this.#keyOfItem(table, item);
    const returnValues = returnValuesOf(body, ['NONE', 'ALL_OLD']);
    const condition = this.#writeCondition(body);
    if (itemSize(item) > MAX_ITEM_BYTES)
      throw validationError('Item size has exceeded the maximum allowed size');
    const old = table.items.get(storageKey(table, key));
    checkCondition(condition, old, body);
    table.items.set(storageKey(table, key), item);
    return returnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
  }

  #updateItem(body: Body): Body {
    rejectLegacy(body);
    const table = this.#table(body);
    const key = this.#key(table, body.Key);
    const returnValues = returnValuesOf(body, ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']);
    const context = expressionContext(body, [body.UpdateExpression, body.ConditionExpression]);
    const updateText = optionalText(body.UpdateExpression, 'UpdateExpression');
    const update = updateText === undefined ? undefined : context.update(updateText);
    const conditionText = optionalText(body.ConditionExpression, 'ConditionExpression');
    const condition =
      conditionText === undefined ? undefined : context.condition(conditionText, 'ConditionExpression');
    context.assertAllUsed();
    const old = table.items.get(storageKey(table, key));
    checkCondition(condition, old, body);
    // UpdateItem without an update expression creates the item with only its key, if it does not exist.
    const { item, touched } = update
      ? applyUpdate(update, old, key)
      : { item: old ?? key, touched: new Set<string>() };
    if (itemSize(item) > MAX_ITEM_BYTES)
      throw validationError('Item size has exceeded the maximum allowed size');
    table.items.set(storageKey(table, key), item);
    const pick = (source: Item | undefined) =>
      Object.fromEntries(Object.entries(source ?? {}).filter(([name]) => touched.has(name)));
    switch (returnValues) {
      case 'ALL_OLD':
        return old ? { Attributes: old } : {};
      case 'ALL_NEW':
        return { Attributes: cloneItem(item) };
      case 'UPDATED_OLD':
        return old && Object.keys(pick(old)).length > 0 ? { Attributes: pick(old) } : {};
      case 'UPDATED_NEW':
        return Object.keys(pick(item)).length > 0 ? { Attributes: pick(item) } : {};
      default:
        return {};
    }
  }

  #deleteItem(body: Body): Body {
    rejectLegacy(body);
    const table = this.#table(body);
    const key = this.#key(table, body.Key);
    const returnValues = returnValuesOf(body, ['NONE', 'ALL_OLD']);
    const condition = this.#writeCondition(body);
    const old = table.items.get(storageKey(table, key));
    checkCondition(condition, old, body);
    table.items.delete(storageKey(table, key));
    return returnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
  }

  #writeCondition(body: Body): Condition | undefined {
    const context = expressionContext(body, [body.ConditionExpression]);
    const text = optionalText(body.ConditionExpression, 'ConditionExpression');
    const condition = text === undefined ? undefined : context.condition(text, 'ConditionExpression');
    context.assertAllUsed();
    return condition;
  }

  /**
   * Query: the partition's items in sort key order, `Limit` of them evaluated per page, the filter applied
   * after the limit, and LastEvaluatedKey whenever the limit stopped the page (even when nothing follows,
   * as DynamoDB does). The 1 MB page size limit is not simulated.
   */
  #query(body: Body): Body {
    rejectLegacy(body);
    const table = this.#table(body);
    if (body.IndexName !== undefined) {
      throw validationError(`The table does not have the specified index: ${String(body.IndexName)}`);
    }
    const keyText = optionalText(body.KeyConditionExpression, 'KeyConditionExpression');
    if (keyText === undefined) {
      throw validationError(
        'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.',
      );
    }
    const context = expressionContext(body, [keyText, body.FilterExpression, body.ProjectionExpression]);
    const keyCondition = context.keyCondition(keyText, table.keySchema);
    const filterText = optionalText(body.FilterExpression, 'FilterExpression');
    const filter = filterText === undefined ? undefined : context.condition(filterText, 'FilterExpression');
    const projectionText = optionalText(body.ProjectionExpression, 'ProjectionExpression');
    const projection: Path[] | undefined =
      projectionText === undefined ? undefined : context.projection(projectionText);
    context.assertAllUsed();
    const limit = body.Limit;
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) {
      throw validationError(
        `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
      );
    }
    const forward = body.ScanIndexForward !== false;
    const range = table.keySchema.range;
    const order = (a: Item, b: Item) =>
      range
        ? (compareValues(a[range.name] as AttributeValue, b[range.name] as AttributeValue) ?? 0) *
          (forward ? 1 : -1)
        : 0;
    let candidates = [...table.items.values()].filter((item) => evaluate(keyCondition, item)).sort(order);
    if (body.ExclusiveStartKey !== undefined) {
      const start = this.#key(table, body.ExclusiveStartKey);
      candidates = range ? candidates.filter((item) => order(item, start) > 0) : [];
    }
    const scanned = typeof limit === 'number' ? candidates.slice(0, limit) : candidates;
    const matching = filter ? scanned.filter((item) => evaluate(filter, item)) : scanned;
    const last = scanned.at(-1);
    const stoppedByLimit = typeof limit === 'number' && scanned.length === limit && last !== undefined;
    return {
      ...(body.Select === 'COUNT'
        ? {}
        : { Items: matching.map((item) => (projection ? project(item, projection) : cloneItem(item))) }),
      Count: matching.length,
      ScannedCount: scanned.length,
      ...(stoppedByLimit ? { LastEvaluatedKey: this.#keyOfItem(table, last) } : {}),
    };
  }

  /** Up to 25 puts and deletes across tables, no key twice; all applied, none left unprocessed. */
  #batchWriteItem(body: Body): Body {
    const requestItems = (body.RequestItems ?? {}) as Record<string, unknown>;
    const writes = Object.entries(requestItems).flatMap(([name, requests]) => {
      const table = this.#table({ TableName: name });
      return (Array.isArray(requests) ? requests : []).map(
        (request: { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }) => {
          if ((request.PutRequest === undefined) === (request.DeleteRequest === undefined)) {
            throw validationError(
              'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
            );
          }
          if (request.PutRequest) {
            const item = canonicalItem(request.PutRequest.Item);
            if (itemSize(item) > MAX_ITEM_BYTES)
              throw validationError('Item size has exceeded the maximum allowed size');
            return { table, key: this.#keyOfItem(table, item), item };
          }
          return { table, key: this.#key(table, request.DeleteRequest?.Key), item: undefined };
        },
      );
    });
    if (writes.length < 1 || writes.length > 25) {
      throw validationError(
        `1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: ` +
          '[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]',
      );
    }
    const keys = writes.map(({ table, key }) => `${table.name}\n${storageKey(table, key)}`);
    if (new Set(keys).size !== keys.length)
      throw validationError('Provided list of item keys contains duplicates');
    for (const { table, key, item } of writes) {
      if (item) table.items.set(storageKey(table, key), item);
      else table.items.delete(storageKey(table, key));
    }
    return { UnprocessedItems: {} };
  }
}

/** A TTL attribute counts only as a Number holding epoch seconds. */
function ttlSeconds(value: AttributeValue | undefined): number | undefined {
  if (value?.N === undefined) return undefined;
  const seconds = Number(value.N);
  return Number.isFinite(seconds) ? seconds : undefined;
}

function tableName(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(value)) {
    throw validationError(
      `1 validation error detected: Value '${String(value)}' at 'tableName' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255',
    );
  }
  return value;
}

function storageKey(table: Table, key: Item): string {
  const part = (name: string | undefined) => (name === undefined ? null : key[name]);
  return JSON.stringify([part(table.keySchema.hash.name), part(table.keySchema.range?.name)]);
}

function assertNonEmptyKey(key: Item): void {
  for (const [name, value] of Object.entries(key)) {
    if (value.S === '' || value.B === '') {
      throw validationError(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${value.S === '' ? 'string' : 'binary'} value. Key: ${name}`,
      );
    }
  }
}

function rejectLegacy(body: Body): void {
  const legacy = LEGACY_PARAMETERS.find((name) => body[name] !== undefined);
  if (legacy)
    throw validationError(
      `The simulator does not support the legacy parameter ${legacy}; use expressions instead`,
    );
}

/** ExpressionAttributeNames/Values are only accepted alongside an expression, and never empty. */
function expressionContext(body: Body, expressions: readonly unknown[]): ExpressionContext {
  const used = expressions.some((expression) => expression !== undefined);
  for (const field of ['ExpressionAttributeNames', 'ExpressionAttributeValues'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    if (!used) throw validationError(`${field} can only be specified when using expressions`);
    if (typeof value !== 'object' || value === null || Object.keys(value).length === 0) {
      throw validationError(`${field} must not be empty`);
    }
  }
  return new ExpressionContext(body.ExpressionAttributeNames, body.ExpressionAttributeValues);
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw validationError(`${field} must be a string`);
  return value;
}

function returnValuesOf(body: Body, allowed: readonly string[]): string {
  const value = body.ReturnValues ?? 'NONE';
  if (typeof value !== 'string' || !allowed.includes(value))
    throw validationError('Return values set to invalid value');
  return value;
}

/** A failed condition is ConditionalCheckFailedException, with the item when ALL_OLD was asked for. */
function checkCondition(condition: Condition | undefined, item: Item | undefined, body: Body): void {
  if (!condition || evaluate(condition, item)) return;
  const withItem = body.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && item !== undefined;
  throw new AwsError(
    'ConditionalCheckFailedException',
    'The conditional request failed',
    400,
    withItem ? { Item: item } : {},
  );
}
