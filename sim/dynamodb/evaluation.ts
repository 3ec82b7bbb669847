/**
 * Evaluation of parsed DynamoDB expressions against items: conditions and filters, updates (every operand
 * read from the item as it was before the update) and projections.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
 */
import type { Condition, Operand, Path, UpdateExpression } from './expressions.ts';
import {
  type AttributeValue,
  addNumbers,
  compareValues,
  equalValues,
  type Item,
  singular,
  typeOf,
  type ValueType,
  validationError,
} from './values.ts';

export function resolvePath(item: Item | undefined, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined = item ? { M: item } : undefined;
  for (const element of path) {
    if (current === undefined) return undefined;
    current = typeof element === 'number' ? current.L?.[element] : current.M?.[element];
  }
  return current;
}

function operandValue(operand: Operand, item: Item | undefined): AttributeValue | undefined {
  switch (operand.kind) {
    case 'path':
      return resolvePath(item, operand.path);
    case 'value':
      return operand.value;
    case 'size': {
      const value = resolvePath(item, operand.path);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
    default:
      return updateValue(operand, item);
  }
}

/** size(): characters of a string, bytes of a binary, members of a set, list or map. */
function sizeOf(value: AttributeValue): number | undefined {
  const type = typeOf(value);
  if (type === 'S') return [...(value.S ?? '')].length;
  if (type === 'B') return Buffer.from(value.B ?? '', 'base64').length;
  if (type === 'L') return value.L?.length;
  if (type === 'M') return Object.keys(value.M ?? {}).length;
  if (type === 'SS' || type === 'NS' || type === 'BS') return value[type]?.length;
  return undefined;
}

/** Evaluates a condition against an item; a missing item has no attributes. */
export function evaluate(condition: Condition, item: Item | undefined): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, item) && evaluate(condition.right, item);
    case 'or':
      return evaluate(condition.left, item) || evaluate(condition.right, item);
    case 'not':
      return !evaluate(condition.operand, item);
    case 'exists':
      return resolvePath(item, condition.path) !== undefined;
    case 'not_exists':
      return resolvePath(item, condition.path) === undefined;
    case 'attribute_type': {
      const value = resolvePath(item, condition.path);
      const type = operandValue(condition.type, item)?.S;
      return value !== undefined && typeOf(value) === type;
    }
    case 'begins_with': {
      const subject = operandValue(condition.subject, item);
      const prefix = operandValue(condition.operand, item);
      if (subject?.S !== undefined && prefix?.S !== undefined) return subject.S.startsWith(prefix.S);
      if (subject?.B !== undefined && prefix?.B !== undefined) {
        const bytes = Buffer.from(subject.B, 'base64');
        const start = Buffer.from(prefix.B, 'base64');
        return bytes.subarray(0, start.length).equals(start);
      }
      return false;
    }
    case 'contains': {
      const subject = operandValue(condition.subject, item);
      const operand = operandValue(condition.operand, item);
      if (!subject || !operand) return false;
      const type = typeOf(subject);
      if (type === 'S') return operand.S !== undefined && (subject.S ?? '').includes(operand.S);
      if (type === 'SS' || type === 'NS' || type === 'BS') {
        return (subject[type] ?? []).some((member) => equalValues({ [singular(type)]: member }, operand));
      }
      if (type === 'L') return (subject.L ?? []).some((member) => equalValues(member, operand));
      return false;
    }
    case 'between': {
      const subject = operandValue(condition.subject, item);
      const low = operandValue(condition.low, item);
      const high = operandValue(condition.high, item);
      if (!subject || !low || !high) return false;
      const fromLow = compareValues(subject, low);
      const toHigh = compareValues(subject, high);
      return fromLow !== undefined && toHigh !== undefined && fromLow >= 0 && toHigh <= 0;
    }
    case 'in': {
      const subject = operandValue(condition.subject, item);
      return (
        subject !== undefined &&
        condition.candidates.some((c) => {
          const candidate = operandValue(c, item);
          return candidate !== undefined && equalValues(subject, candidate);
        })
      );
    }
    case 'compare': {
      const left = operandValue(condition.left, item);
      const right = operandValue(condition.right, item);
      // A comparison with a missing attribute is false, except "not equal", which it is.
      if (!left || !right) return condition.operator === '<>';
      if (condition.operator === '=') return equalValues(left, right);
      if (condition.operator === '<>') return !equalValues(left, right);
      const order = compareValues(left, right);
      if (order === undefined) return false;
      return { '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0 }[condition.operator];
    }
  }
}

// ---- updates ----

function updateValue(operand: Operand, item: Item | undefined): AttributeValue {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'path': {
      const value = resolvePath(item, operand.path);
      if (!value)
        throw validationError(
          'The provided expression refers to an attribute that does not exist in the item',
        );
      return value;
    }
    case 'if_not_exists':
      return resolvePath(item, operand.path) ?? updateValue(operand.fallback, item);
    case 'list_append': {
      const first = updateValue(operand.first, item);
      const second = updateValue(operand.second, item);
      for (const list of [first, second]) requireType(list, ['L'], 'list_append');
      return { L: [...(first.L ?? []), ...(second.L ?? [])] };
    }
    case 'arithmetic': {
      const left = updateValue(operand.left, item);
      const right = updateValue(operand.right, item);
      for (const side of [left, right]) requireType(side, ['N'], operand.operator);
      return { N: addNumbers(left.N ?? '0', right.N ?? '0', operand.operator === '+' ? 1 : -1) };
    }
    case 'size':
      throw validationError(
        'Invalid UpdateExpression: The function is not allowed in an update expression; function: size',
      );
  }
}

function requireType(value: AttributeValue, types: readonly ValueType[], operator: string): void {
  const type = typeOf(value);
  if (!types.includes(type)) {
    throw validationError(
      `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: ${operator}, operand type: ${type}`,
    );
  }
}

/**
 * Applies an update to a copy of `item` (or to a new item made of `key`). Every operand is read from the
 * item as it was before the update, as DynamoDB does. Returns the new item and the top-level attributes
 * the update touched (for ReturnValues UPDATED_OLD / UPDATED_NEW).
 */
export function applyUpdate(
  update: UpdateExpression,
  item: Item | undefined,
  key: Item,
): { readonly item: Item; readonly touched: ReadonlySet<string> } {
  const touched = new Set<string>();
  for (const path of [
    ...update.set.map((a) => a.path),
    ...update.remove,
    ...update.add.map((a) => a.path),
    ...update.delete.map((a) => a.path),
  ]) {
    const top = String(path[0]);
    if (key[top] !== undefined) {
      throw validationError(
        `One or more parameter values were invalid: Cannot update attribute ${top}. This attribute is part of the key`,
      );
    }
    touched.add(top);
  }
  const values = update.set.map((action) => updateValue(action.value, item));
  const result: Item = structuredClone(item ?? key);
  update.set.forEach((action, index) => {
    writePath(result, action.path, values[index] as AttributeValue);
  });
  for (const path of update.remove) removePath(result, path);
  for (const action of update.add) {
    const value = updateValue(action.value, item);
    const type = typeOf(value);
    if (type !== 'N' && type !== 'SS' && type !== 'NS' && type !== 'BS') {
      throw validationError(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${typeName(type)}`,
      );
    }
    const current = resolvePath(result, action.path);
    if (!current) {
      writePath(result, action.path, value);
    } else if (typeOf(current) !== type) {
      throw validationError('An operand in the update expression has an incorrect data type');
    } else if (type === 'N') {
      writePath(result, action.path, { N: addNumbers(current.N ?? '0', value.N ?? '0') });
    } else {
      const members = [...(current[type] ?? [])];
      for (const member of value[type] ?? []) {
        const known = members.some((m) => equalValues({ [singular(type)]: m }, { [singular(type)]: member }));
        if (!known) members.push(member);
      }
      writePath(result, action.path, { [type]: members });
    }
  }
  for (const action of update.delete) {
    const value = updateValue(action.value, item);
    const type = typeOf(value);
    if (type !== 'SS' && type !== 'NS' && type !== 'BS') {
      throw validationError(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${typeName(type)}`,
      );
    }
    const current = resolvePath(result, action.path);
    if (!current) continue;
    if (typeOf(current) !== type)
      throw validationError('An operand in the update expression has an incorrect data type');
    const remaining = (current[type] ?? []).filter(
      (member) =>
        !(value[type] ?? []).some((m) => equalValues({ [singular(type)]: m }, { [singular(type)]: member })),
    );
    if (remaining.length === 0) removePath(result, action.path);
    else writePath(result, action.path, { [type]: remaining });
  }
  return { item: result, touched };
}

function typeName(type: ValueType): string {
  const names: Record<ValueType, string> = {
    S: 'STRING',
    N: 'NUMBER',
    B: 'BINARY',
    SS: 'SET',
    NS: 'SET',
    BS: 'SET',
    BOOL: 'BOOLEAN',
    NULL: 'NULL',
    L: 'LIST',
    M: 'MAP',
  };
  return names[type];
}

function writePath(item: Item, path: Path, value: AttributeValue): void {
  const parent = path.length === 1 ? { M: item } : resolvePath(item, path.slice(0, -1));
  const last = path.at(-1);
  if (typeof last === 'number' && parent?.L) {
    // Setting an index past the end appends, as DynamoDB does.
    if (last >= parent.L.length) parent.L.push(value);
    else parent.L[last] = value;
    return;
  }
  if (typeof last === 'string' && parent?.M) {
    parent.M[last] = value;
    return;
  }
  throw validationError('The document path provided in the update expression is invalid for update');
}

function removePath(item: Item, path: Path): void {
  const parent = path.length === 1 ? { M: item } : resolvePath(item, path.slice(0, -1));
  const last = path.at(-1);
  if (typeof last === 'number' && parent?.L) parent.L.splice(last, 1);
  else if (typeof last === 'string' && parent?.M) delete parent.M[last];
}

/** The attributes a projection names, nested as in the item. */
export function project(item: Item, paths: readonly Path[]): Item {
  const result: Item = {};
  for (const path of paths) {
    const value = resolvePath(item, path);
    if (value === undefined) continue;
    let target: AttributeValue = { M: result };
    path.forEach((element, index) => {
      const last = index === path.length - 1;
      if (typeof element === 'number') {
        target.L ??= [];
        if (last) target.L.push(value);
        else {
          const next: AttributeValue = {};
          target.L.push(next);
          target = next;
        }
        return;
      }
      target.M ??= {};
      if (last) target.M[element] = value;
      else {
        const nextIsIndex = typeof path[index + 1] === 'number';
        target.M[element] ??= nextIsIndex ? { L: [] } : { M: {} };
        target = target.M[element] as AttributeValue;
      }
    });
  }
  return result;
}
