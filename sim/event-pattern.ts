/**
 * EventBridge content filtering: whether an event matches a rule's event pattern, with the semantics AWS
 * documents for event buses:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 *
 * - Every field the pattern names must match (AND); a leaf is an array of matchers, any of which may match
 *   (OR). `$or` takes a list of sub-patterns, any of which may match.
 * - An event value that is an array matches when any of its elements does.
 * - Matchers: exact values (string, number, null), `prefix`, `suffix`, `equals-ignore-case`, `wildcard`,
 *   `anything-but` (a value, a list, or a `prefix` / `suffix` / `equals-ignore-case` / `wildcard` object),
 *   `numeric` (comparisons, ANDed), `exists` (true or false).
 * - A field the event does not carry matches only `{"exists": false}`; `anything-but` does not match it.
 */

export type EventPattern = { readonly [field: string]: unknown };

export class EventPatternError extends Error {
  override readonly name = 'EventPatternError';
}

/** Whether `event` matches `pattern`. Throws EventPatternError for a pattern EventBridge would refuse. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return failingFields(pattern, event).length === 0;
}

/**
 * The pattern's top-down fields that `event` fails, as dotted paths (`detail.eventName`, `detail.$or`), in
 * the pattern's order; empty when it matches.
 */
export function failingFields(pattern: EventPattern, event: unknown, path = ''): string[] {
  if (!isObject(pattern)) throw new EventPatternError(`the pattern${at(path)} must be an object`);
  const failing: string[] = [];
  for (const [field, expected] of Object.entries(pattern)) {
    const where = path ? `${path}.${field}` : field;
    if (field === '$or') {
      if (!Array.isArray(expected) || expected.length < 2)
        throw new EventPatternError(`$or${at(path)} needs an array of at least two patterns`);
      if (!expected.some((branch) => failingFields(branch as EventPattern, event, path).length === 0))
        failing.push(where);
      continue;
    }
    const value = isObject(event) && Object.hasOwn(event, field) ? event[field] : MISSING;
    if (Array.isArray(expected)) {
      if (!matchesLeaf(expected, value, where)) failing.push(where);
    } else if (isObject(expected)) {
      const candidates = Array.isArray(value) ? value : [value];
      const nested = candidates.map((candidate) => failingFields(expected, candidate, where));
      if (!nested.some((fields) => fields.length === 0)) failing.push(...(nested[0] ?? [where]));
    } else {
      throw new EventPatternError(`${where}: a pattern value must be an array of matchers or an object`);
    }
  }
  return failing;
}

const MISSING = Symbol('missing');

function matchesLeaf(matchers: readonly unknown[], value: unknown, where: string): boolean {
  if (matchers.length === 0) throw new EventPatternError(`${where}: an empty array matches nothing`);
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((matcher) =>
    isObject(matcher) && 'exists' in matcher
      ? matchesExists(matcher.exists, value, where)
      : values.some((one) => one !== MISSING && matchesValue(matcher, one, where)),
  );
}

function matchesExists(exists: unknown, value: unknown, where: string): boolean {
  if (typeof exists !== 'boolean') throw new EventPatternError(`${where}: exists takes true or false`);
  const present = value !== MISSING && !(Array.isArray(value) && value.length === 0);
  return present === exists;
}

function matchesValue(matcher: unknown, value: unknown, where: string): boolean {
  if (matcher === null || typeof matcher === 'string' || typeof matcher === 'number')
    return value === matcher;
  if (!isObject(matcher))
    throw new EventPatternError(`${where}: unsupported matcher ${JSON.stringify(matcher)}`);
  const [operator, ...more] = Object.keys(matcher);
  if (!operator || more.length > 0)
    throw new EventPatternError(`${where}: a matcher object has exactly one operator`);
  const operand = matcher[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
      return typeof value === 'string' && matchesString(operator, operand, value, where);
    case 'anything-but':
      return matchesAnythingBut(operand, value, where);
    case 'numeric':
      return typeof value === 'number' && matchesNumeric(operand, value, where);
    default:
      throw new EventPatternError(`${where}: unknown operator "${operator}"`);
  }
}

function matchesString(operator: string, operand: unknown, value: string, where: string): boolean {
  if (operator === 'prefix' || operator === 'suffix') {
    // `{"prefix": {"equals-ignore-case": "x"}}` compares without case.
    const ignoreCase = isObject(operand) && typeof operand['equals-ignore-case'] === 'string';
    const text = ignoreCase ? (operand['equals-ignore-case'] as string) : operand;
    if (typeof text !== 'string') throw new EventPatternError(`${where}: ${operator} takes a string`);
    const [subject, affix] = ignoreCase ? [value.toLowerCase(), text.toLowerCase()] : [value, text];
    return operator === 'prefix' ? subject.startsWith(affix) : subject.endsWith(affix);
  }
  if (typeof operand !== 'string') throw new EventPatternError(`${where}: ${operator} takes a string`);
  if (operator === 'equals-ignore-case') return value.toLowerCase() === operand.toLowerCase();
  const regex = new RegExp(`^${operand.split('*').map(escapeRegex).join('.*')}$`, 's');
  return regex.test(value);
}

function matchesAnythingBut(operand: unknown, value: unknown, where: string): boolean {
  if (Array.isArray(operand)) return !operand.some((excluded) => matchesValue(excluded, value, where));
  if (isObject(operand)) return !matchesValue(operand, value, where);
  if (operand === null || typeof operand === 'string' || typeof operand === 'number')
    return value !== operand;
  throw new EventPatternError(`${where}: anything-but takes a value, a list or a prefix/suffix object`);
}

const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '=': (a, b) => a === b,
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
};

function matchesNumeric(operand: unknown, value: number, where: string): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0)
    throw new EventPatternError(`${where}: numeric takes operator/number pairs, such as [">", 0, "<=", 5]`);
  for (let index = 0; index < operand.length; index += 2) {
    const compare = COMPARE[String(operand[index])];
    const bound = operand[index + 1];
    if (!compare || typeof bound !== 'number')
      throw new EventPatternError(`${where}: numeric comparison ${JSON.stringify(operand[index])} ${bound}`);
    if (!compare(value, bound)) return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function at(path: string): string {
  return path ? ` at ${path}` : '';
}
