/**
 * DynamoDB attribute values: validation, exact decimal numbers, equality and ordering, and item size.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html
 */
import { AwsError } from '../errors.ts';

export interface AttributeValue {
  S?: string;
  N?: string;
  B?: string;
  SS?: string[];
  NS?: string[];
  BS?: string[];
  BOOL?: boolean;
  NULL?: boolean;
  L?: AttributeValue[];
  M?: Record<string, AttributeValue>;
}
export type Item = Record<string, AttributeValue>;
export type ValueType = keyof AttributeValue;

const TYPES: readonly ValueType[] = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'BOOL', 'NULL', 'L', 'M'];

export function validationError(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

export function typeOf(value: AttributeValue): ValueType {
  const type = TYPES.find((candidate) => value[candidate] !== undefined);
  if (!type)
    throw validationError(
      'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
    );
  return type;
}

/** Checks a value from a request and returns it with its numbers in DynamoDB's canonical form. */
export function canonicalValue(value: unknown): AttributeValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationError(
      'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
    );
  }
  const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
  if (keys.length === 0 || keys.some((key) => !TYPES.includes(key as ValueType))) {
    throw validationError(
      'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
    );
  }
  if (keys.length > 1) {
    throw validationError(
      'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    );
  }
  const input = value as AttributeValue;
  const type = keys[0] as ValueType;
  switch (type) {
    case 'S':
    case 'B':
      return { [type]: String(input[type]) };
    case 'N':
      return { N: formatNumber(parseNumber(String(input.N))) };
    case 'BOOL':
      return { BOOL: input.BOOL === true };
    case 'NULL':
      if (input.NULL !== true) {
        throw validationError(
          'One or more parameter values were invalid: Null attribute value types must have the value of true',
        );
      }
      return { NULL: true };
    case 'L':
      return { L: (input.L ?? []).map(canonicalValue) };
    case 'M':
      return { M: Object.fromEntries(Object.entries(input.M ?? {}).map(([k, v]) => [k, canonicalValue(v)])) };
    default:
      return { [type]: canonicalSet(type, input[type] as unknown) };
  }
}

function canonicalSet(type: 'SS' | 'NS' | 'BS', members: unknown): string[] {
  const kind = { SS: 'string', NS: 'number', BS: 'binary' }[type];
  if (!Array.isArray(members) || members.length === 0) {
    // The doubled space is AWS's own wording.
    throw validationError(`One or more parameter values were invalid: An ${kind} set  may not be empty`);
  }
  const values = members.map((member) =>
    type === 'NS' ? formatNumber(parseNumber(String(member))) : String(member),
  );
  if (new Set(values).size !== values.length) {
    throw validationError(
      `One or more parameter values were invalid: Input collection [${values.join(', ')}] contains duplicates.`,
    );
  }
  return values;
}

export function canonicalItem(item: unknown, what = 'Item'): Item {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw validationError(
      `One or more parameter values were invalid: ${what} must be a map of attribute values`,
    );
  }
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, canonicalValue(value)]));
}

// ---- numbers: exact decimals with DynamoDB's 38 significant digits ----

interface Decimal {
  readonly mantissa: bigint;
  readonly exponent: number;
}

export function parseNumber(text: string): Decimal {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match ?? [];
  if (!match || whole + fraction === '')
    throw validationError('A value provided cannot be converted into a number');
  const digits = (whole + fraction).replace(/^0+/, '');
  const decimal = normalized({
    mantissa: BigInt(`${sign === '-' ? '-' : ''}${digits === '' ? '0' : digits}`),
    exponent: Number(exponent) - fraction.length,
  });
  const significant =
    decimal.mantissa === 0n
      ? 0
      : (decimal.mantissa < 0n ? -decimal.mantissa : decimal.mantissa).toString().length;
  if (significant > 38)
    throw validationError('Attempting to store more than 38 significant digits in a Number');
  if (significant > 0 && significant + decimal.exponent > 126) {
    throw validationError(
      'Number overflow. Attempting to store a number with magnitude larger than supported range',
    );
  }
  return decimal;
}

function normalized(value: Decimal): Decimal {
  let { mantissa, exponent } = value;
  if (mantissa === 0n) return { mantissa, exponent: 0 };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  return { mantissa, exponent };
}

export function formatNumber(value: Decimal): string {
  const negative = value.mantissa < 0n;
  const digits = (negative ? -value.mantissa : value.mantissa).toString();
  let text: string;
  if (value.exponent >= 0) text = digits + '0'.repeat(value.exponent);
  else {
    const point = digits.length + value.exponent;
    text =
      point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return negative && text !== '0' ? `-${text}` : text;
}

function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent);
  return [
    a.mantissa * 10n ** BigInt(a.exponent - exponent),
    b.mantissa * 10n ** BigInt(b.exponent - exponent),
    exponent,
  ];
}

export function addNumbers(a: string, b: string, sign: 1 | -1 = 1): string {
  const [x, y, exponent] = aligned(parseNumber(a), parseNumber(b));
  const sum = normalized({ mantissa: sign === 1 ? x + y : x - y, exponent });
  return formatNumber(parseNumber(formatNumber(sum)));
}

function compareNumbers(a: string, b: string): number {
  const [x, y] = aligned(parseNumber(a), parseNumber(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---- equality and ordering ----

export function equalValues(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  switch (type) {
    case 'N':
      return compareNumbers(a.N ?? '0', b.N ?? '0') === 0;
    case 'B':
      return Buffer.from(a.B ?? '', 'base64').equals(Buffer.from(b.B ?? '', 'base64'));
    case 'SS':
    case 'NS':
    case 'BS': {
      const left = a[type] ?? [];
      const right = b[type] ?? [];
      return (
        left.length === right.length &&
        left.every((m) => right.some((n) => equalValues({ [singular(type)]: m }, { [singular(type)]: n })))
      );
    }
    case 'L': {
      const left = a.L ?? [];
      const right = b.L ?? [];
      return (
        left.length === right.length && left.every((value, index) => equalValues(value, right[index] ?? {}))
      );
    }
    case 'M': {
      const left = Object.entries(a.M ?? {});
      const right = b.M ?? {};
      return (
        left.length === Object.keys(right).length &&
        left.every(([k, v]) => right[k] !== undefined && equalValues(v, right[k]))
      );
    }
    default:
      return a[type] === b[type];
  }
}

/** Ordering for S (UTF-8 bytes), N and B (bytes); undefined when the values are not both of one such type. */
export function compareValues(a: AttributeValue, b: AttributeValue): number | undefined {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  if (type === 'N') return compareNumbers(a.N ?? '0', b.N ?? '0');
  if (type === 'S') return Buffer.compare(Buffer.from(a.S ?? ''), Buffer.from(b.S ?? ''));
  if (type === 'B') return Buffer.compare(Buffer.from(a.B ?? '', 'base64'), Buffer.from(b.B ?? '', 'base64'));
  return undefined;
}

export function singular(setType: 'SS' | 'NS' | 'BS'): 'S' | 'N' | 'B' {
  return setType === 'SS' ? 'S' : setType === 'NS' ? 'N' : 'B';
}

// ---- size ----

/** Item size as DynamoDB counts it (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html). */
export function itemSize(item: Item): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

function valueSize(value: AttributeValue): number {
  const type = typeOf(value);
  switch (type) {
    case 'S':
      return Buffer.byteLength(value.S ?? '');
    case 'N':
      return Math.ceil((value.N ?? '').replace(/[-.]/g, '').length / 2) + 1;
    case 'B':
      return Buffer.from(value.B ?? '', 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L':
      return 3 + (value.L ?? []).reduce((sum, member) => sum + 1 + valueSize(member), 0);
    case 'M':
      return (
        3 +
        Object.entries(value.M ?? {}).reduce(
          (sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v),
          0,
        )
      );
    default:
      return (value[type] ?? []).reduce((sum, member) => sum + valueSize({ [singular(type)]: member }), 0);
  }
}

export function cloneItem(item: Item): Item {
  return structuredClone(item);
}
