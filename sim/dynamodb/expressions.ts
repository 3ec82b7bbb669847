/**
 * DynamoDB expressions parsed into syntax trees: condition, filter, key condition, update and projection
 * expressions, with their expression attribute names and values resolved and checked as DynamoDB does.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
 */
import { RESERVED_WORDS } from './reserved-words.ts';
import { type AttributeValue, canonicalValue, compareValues, typeOf, validationError } from './values.ts';

export type ExpressionKind =
  | 'ConditionExpression'
  | 'FilterExpression'
  | 'KeyConditionExpression'
  | 'UpdateExpression'
  | 'ProjectionExpression';

/** A document path: attribute names and list indexes. */
export type Path = readonly (string | number)[];

export type Operand =
  | { readonly kind: 'path'; readonly path: Path }
  | { readonly kind: 'value'; readonly name: string; readonly value: AttributeValue }
  | { readonly kind: 'size'; readonly path: Path }
  | { readonly kind: 'if_not_exists'; readonly path: Path; readonly fallback: Operand }
  | { readonly kind: 'list_append'; readonly first: Operand; readonly second: Operand }
  | {
      readonly kind: 'arithmetic';
      readonly operator: '+' | '-';
      readonly left: Operand;
      readonly right: Operand;
    };

type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | {
      readonly kind: 'compare';
      readonly operator: Comparator;
      readonly left: Operand;
      readonly right: Operand;
    }
  | { readonly kind: 'between'; readonly subject: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'in'; readonly subject: Operand; readonly candidates: readonly Operand[] }
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly operand: Condition }
  | { readonly kind: 'exists' | 'not_exists'; readonly path: Path }
  | { readonly kind: 'attribute_type'; readonly path: Path; readonly type: Operand }
  | { readonly kind: 'begins_with' | 'contains'; readonly subject: Operand; readonly operand: Operand };

export interface UpdateExpression {
  readonly set: readonly { readonly path: Path; readonly value: Operand }[];
  readonly remove: readonly Path[];
  readonly add: readonly { readonly path: Path; readonly value: Operand }[];
  readonly delete: readonly { readonly path: Path; readonly value: Operand }[];
}

interface Token {
  readonly type: 'word' | 'name' | 'value' | 'number' | 'symbol' | 'end';
  readonly text: string;
}

const SYMBOLS = ['<>', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '+', '-'];

function tokenize(text: string, kind: ExpressionKind): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const match =
      /^#[A-Za-z0-9_]+/.exec(rest) ??
      /^:[A-Za-z0-9_]+/.exec(rest) ??
      /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ??
      /^\d+/.exec(rest);
    if (match) {
      const first = match[0].charAt(0);
      const type = first === '#' ? 'name' : first === ':' ? 'value' : /\d/.test(first) ? 'number' : 'word';
      tokens.push({ type, text: match[0] });
      i += match[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((candidate) => rest.startsWith(candidate));
    if (!symbol) {
      throw validationError(
        `Invalid ${kind}: Syntax error; token: "${rest.charAt(0)}", near: "${text.slice(Math.max(0, i - 10), i + 10)}"`,
      );
    }
    tokens.push({ type: 'symbol', text: symbol });
    i += symbol.length;
  }
  tokens.push({ type: 'end', text: '<EOF>' });
  return tokens;
}

const CLAUSES = ['SET', 'REMOVE', 'ADD', 'DELETE'] as const;
const CONDITION_FUNCTIONS = [
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
];

/**
 * Parses the expressions of one request against its ExpressionAttributeNames and -Values, tracking which
 * names and values were used so unused ones can be rejected as DynamoDB does.
 */
export class ExpressionContext {
  readonly #names: Readonly<Record<string, string>>;
  readonly #values: Readonly<Record<string, AttributeValue>>;
  readonly #usedNames = new Set<string>();
  readonly #usedValues = new Set<string>();

  constructor(names: unknown, values: unknown) {
    this.#names = (names ?? {}) as Record<string, string>;
    this.#values = Object.fromEntries(
      Object.entries((values ?? {}) as Record<string, unknown>).map(([name, value]) => [
        name,
        canonicalValue(value),
      ]),
    );
  }

  condition(text: string, kind: 'ConditionExpression' | 'FilterExpression'): Condition {
    const parser = new Parser(text, kind, this);
    const condition = parser.condition();
    parser.expectEnd();
    return condition;
  }

  /**
   * A key condition: equality on the partition key, optionally AND one condition on the sort key
   * (=, <, <=, >, >=, BETWEEN or begins_with), with values of the key's type.
   */
  keyCondition(text: string, schema: KeySchema): Condition {
    const parser = new Parser(text, 'KeyConditionExpression', this);
    const condition = parser.condition();
    parser.expectEnd();
    validateKeyCondition(condition, schema);
    return condition;
  }

  update(text: string): UpdateExpression {
    const parser = new Parser(text, 'UpdateExpression', this);
    const update = parser.update();
    parser.expectEnd();
    return update;
  }

  projection(text: string): Path[] {
    const parser = new Parser(text, 'ProjectionExpression', this);
    const paths = parser.projection();
    parser.expectEnd();
    return paths;
  }

  /** "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}" and the same for names. */
  assertAllUsed(): void {
    const unusedValues = Object.keys(this.#values).filter((name) => !this.#usedValues.has(name));
    if (unusedValues.length > 0) {
      throw validationError(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
    }
    const unusedNames = Object.keys(this.#names).filter((name) => !this.#usedNames.has(name));
    if (unusedNames.length > 0) {
      throw validationError(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    }
  }

  name(token: string, kind: ExpressionKind): string {
    const name = this.#names[token];
    if (name === undefined) {
      throw validationError(
        `Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${token}`,
      );
    }
    this.#usedNames.add(token);
    return name;
  }

  value(token: string, kind: ExpressionKind): AttributeValue {
    const value = this.#values[token];
    if (value === undefined) {
      throw validationError(
        `Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${token}`,
      );
    }
    this.#usedValues.add(token);
    return value;
  }
}

class Parser {
  readonly #tokens: Token[];
  readonly #kind: ExpressionKind;
  readonly #context: ExpressionContext;
  #position = 0;

  constructor(text: string, kind: ExpressionKind, context: ExpressionContext) {
    if (text.trim() === '') throw validationError(`Invalid ${kind}: The expression can not be empty;`);
    this.#tokens = tokenize(text, kind);
    this.#kind = kind;
    this.#context = context;
  }

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#position + offset, this.#tokens.length - 1)] as Token;
  }

  #next(): Token {
    const token = this.#peek();
    this.#position = Math.min(this.#position + 1, this.#tokens.length - 1);
    return token;
  }

  #isKeyword(word: string): boolean {
    const token = this.#peek();
    return token.type === 'word' && token.text.toUpperCase() === word;
  }

  #isSymbol(symbol: string): boolean {
    const token = this.#peek();
    return token.type === 'symbol' && token.text === symbol;
  }

  #syntaxError(): Error {
    const token = this.#peek();
    const near = [this.#tokens[this.#position - 1], token, this.#tokens[this.#position + 1]]
      .filter((t): t is Token => t !== undefined && t.type !== 'end')
      .map((t) => t.text)
      .join(' ');
    return validationError(`Invalid ${this.#kind}: Syntax error; token: "${token.text}", near: "${near}"`);
  }

  #expectSymbol(symbol: string): void {
    if (!this.#isSymbol(symbol)) throw this.#syntaxError();
    this.#next();
  }

  expectEnd(): void {
    if (this.#peek().type !== 'end') throw this.#syntaxError();
  }

  // condition := and (OR and)* ; and := not (AND not)* ; not := NOT not | primary
  condition(): Condition {
    let left = this.#conjunction();
    while (this.#isKeyword('OR')) {
      this.#next();
      left = { kind: 'or', left, right: this.#conjunction() };
    }
    return left;
  }

  #conjunction(): Condition {
    let left = this.#negation();
    while (this.#isKeyword('AND')) {
      this.#next();
      left = { kind: 'and', left, right: this.#negation() };
    }
    return left;
  }

  #negation(): Condition {
    if (this.#isKeyword('NOT')) {
      this.#next();
      return { kind: 'not', operand: this.#negation() };
    }
    return this.#primary();
  }

  #primary(): Condition {
    if (this.#isSymbol('(')) {
      this.#next();
      const inner = this.condition();
      this.#expectSymbol(')');
      return inner;
    }
    const token = this.#peek();
    if (token.type === 'word' && this.#peek(1).text === '(' && CONDITION_FUNCTIONS.includes(token.text)) {
      return this.#conditionFunction();
    }
    const subject = this.#operand();
    if (this.#isKeyword('BETWEEN')) {
      this.#next();
      const low = this.#operand();
      if (!this.#isKeyword('AND')) throw this.#syntaxError();
      this.#next();
      const high = this.#operand();
      const [lowValue, highValue] = [low, high].map((o) => (o.kind === 'value' ? o.value : undefined));
      if (lowValue && highValue && (compareValues(lowValue, highValue) ?? 0) > 0) {
        throw validationError(
          `Invalid ${this.#kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; ` +
            `lower bound operand: AttributeValue: ${describe(lowValue)}, upper bound operand: AttributeValue: ${describe(highValue)}`,
        );
      }
      return { kind: 'between', subject, low, high };
    }
    if (this.#isKeyword('IN')) {
      this.#next();
      this.#expectSymbol('(');
      const candidates = [this.#operand()];
      while (this.#isSymbol(',')) {
        this.#next();
        candidates.push(this.#operand());
      }
      this.#expectSymbol(')');
      if (candidates.length > 100)
        throw validationError(`Invalid ${this.#kind}: The IN operator accepts at most 100 operands`);
      return { kind: 'in', subject, candidates };
    }
    const operator = this.#peek();
    if (operator.type !== 'symbol' || !['=', '<>', '<', '<=', '>', '>='].includes(operator.text)) {
      throw this.#syntaxError();
    }
    this.#next();
    const right = this.#operand();
    if (operator.text !== '=' && operator.text !== '<>') {
      for (const side of [subject, right]) this.#requireOrderable(side, operator.text);
    }
    return { kind: 'compare', operator: operator.text as Comparator, left: subject, right };
  }

  /** Literal operands of <, <=, >, >= must be strings, numbers or binaries. */
  #requireOrderable(operand: Operand, operator: string): void {
    if (operand.kind !== 'value') return;
    const type = typeOf(operand.value);
    if (type !== 'S' && type !== 'N' && type !== 'B') {
      throw validationError(
        `Invalid ${this.#kind}: Incorrect operand type for operator or function; operator or function: ${operator}, operand type: ${type}`,
      );
    }
  }

  #conditionFunction(): Condition {
    const name = this.#next().text;
    this.#expectSymbol('(');
    let condition: Condition;
    if (name === 'attribute_exists' || name === 'attribute_not_exists') {
      condition = { kind: name === 'attribute_exists' ? 'exists' : 'not_exists', path: this.#path() };
    } else if (name === 'attribute_type') {
      const path = this.#path();
      this.#expectSymbol(',');
      const type = this.#operand();
      const typeName = type.kind === 'value' ? type.value.S : undefined;
      const valid = ['S', 'SS', 'N', 'NS', 'B', 'BS', 'BOOL', 'NULL', 'L', 'M'];
      if (typeName !== undefined && !valid.includes(typeName)) {
        throw validationError(
          `Invalid ${this.#kind}: Invalid attribute type name found; type: ${typeName}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
        );
      }
      condition = { kind: 'attribute_type', path, type };
    } else {
      const subject = this.#operand();
      this.#expectSymbol(',');
      const operand = this.#operand();
      if (name === 'begins_with' && operand.kind === 'value') {
        const type = typeOf(operand.value);
        if (type !== 'S' && type !== 'B') {
          throw validationError(
            `Invalid ${this.#kind}: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${type}`,
          );
        }
      }
      condition = { kind: name as 'begins_with' | 'contains', subject, operand };
    }
    this.#expectSymbol(')');
    return condition;
  }

  /** path | :value | size(path) */
  #operand(): Operand {
    const token = this.#peek();
    if (token.type === 'value') {
      this.#next();
      return { kind: 'value', name: token.text, value: this.#context.value(token.text, this.#kind) };
    }
    if (token.type === 'word' && this.#peek(1).text === '(') {
      if (token.text !== 'size') {
        const allowed = [...CONDITION_FUNCTIONS, 'if_not_exists', 'list_append'];
        if (allowed.includes(token.text)) {
          throw validationError(
            `Invalid ${this.#kind}: The function is not allowed to be used this way in an expression; function: ${token.text}`,
          );
        }
        throw validationError(`Invalid ${this.#kind}: Invalid function name; function: ${token.text}`);
      }
      this.#next();
      this.#expectSymbol('(');
      const path = this.#path();
      this.#expectSymbol(')');
      return { kind: 'size', path };
    }
    return { kind: 'path', path: this.#path() };
  }

  #path(): Path {
    const path: (string | number)[] = [this.#pathElement()];
    for (;;) {
      if (this.#isSymbol('.')) {
        this.#next();
        path.push(this.#pathElement());
      } else if (this.#isSymbol('[')) {
        this.#next();
        const index = this.#next();
        if (index.type !== 'number') throw this.#syntaxError();
        this.#expectSymbol(']');
        path.push(Number(index.text));
      } else {
        return path;
      }
    }
  }

  #pathElement(): string {
    const token = this.#peek();
    if (token.type === 'name') {
      this.#next();
      return this.#context.name(token.text, this.#kind);
    }
    if (token.type !== 'word') throw this.#syntaxError();
    if (RESERVED_WORDS.has(token.text.toUpperCase())) {
      throw validationError(
        `Invalid ${this.#kind}: Attribute name is a reserved keyword; reserved keyword: ${token.text}`,
      );
    }
    this.#next();
    return token.text;
  }

  // update := (SET a, … | REMOVE p, … | ADD p v, … | DELETE p v, …)+ with each clause at most once
  update(): UpdateExpression {
    const update = { set: [], remove: [], add: [], delete: [] } as {
      set: { path: Path; value: Operand }[];
      remove: Path[];
      add: { path: Path; value: Operand }[];
      delete: { path: Path; value: Operand }[];
    };
    const seen = new Set<string>();
    while (this.#peek().type !== 'end') {
      const clause = this.#next().text.toUpperCase();
      if (!(CLAUSES as readonly string[]).includes(clause)) {
        this.#position -= 1;
        throw this.#syntaxError();
      }
      if (seen.has(clause)) {
        throw validationError(
          `Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`,
        );
      }
      seen.add(clause);
      for (;;) {
        const path = this.#path();
        if (clause === 'SET') {
          this.#expectSymbol('=');
          update.set.push({ path, value: this.#setValue() });
        } else if (clause === 'REMOVE') {
          update.remove.push(path);
        } else {
          const value = this.#operand();
          if (value.kind !== 'value') throw this.#syntaxError();
          (clause === 'ADD' ? update.add : update.delete).push({ path, value });
        }
        if (!this.#isSymbol(',')) break;
        this.#next();
      }
    }
    assertNoOverlap([
      ...update.set.map((a) => a.path),
      ...update.remove,
      ...update.add.map((a) => a.path),
      ...update.delete.map((a) => a.path),
    ]);
    return update;
  }

  /** operand [(+|-) operand], where operands may be if_not_exists(…) and list_append(…). */
  #setValue(): Operand {
    const left = this.#setOperand();
    if (this.#isSymbol('+') || this.#isSymbol('-')) {
      const operator = this.#next().text as '+' | '-';
      return { kind: 'arithmetic', operator, left, right: this.#setOperand() };
    }
    return left;
  }

  #setOperand(): Operand {
    const token = this.#peek();
    if (token.type === 'word' && this.#peek(1).text === '(') {
      this.#next();
      this.#expectSymbol('(');
      let operand: Operand;
      if (token.text === 'if_not_exists') {
        const path = this.#path();
        this.#expectSymbol(',');
        operand = { kind: 'if_not_exists', path, fallback: this.#setOperand() };
      } else if (token.text === 'list_append') {
        const first = this.#setOperand();
        this.#expectSymbol(',');
        operand = { kind: 'list_append', first, second: this.#setOperand() };
      } else {
        throw validationError(`Invalid UpdateExpression: Invalid function name; function: ${token.text}`);
      }
      this.#expectSymbol(')');
      return operand;
    }
    if (token.type === 'value') {
      this.#next();
      return { kind: 'value', name: token.text, value: this.#context.value(token.text, this.#kind) };
    }
    return { kind: 'path', path: this.#path() };
  }

  projection(): Path[] {
    const paths = [this.#path()];
    while (this.#isSymbol(',')) {
      this.#next();
      paths.push(this.#path());
    }
    return paths;
  }
}

export interface KeySchema {
  readonly hash: { readonly name: string; readonly type: string };
  readonly range: { readonly name: string; readonly type: string } | undefined;
}

function validateKeyCondition(condition: Condition, schema: KeySchema): void {
  const conjuncts: Condition[] = [];
  const flatten = (node: Condition): void => {
    if (node.kind === 'and') {
      flatten(node.left);
      flatten(node.right);
    } else if (node.kind === 'or' || node.kind === 'not') {
      throw validationError(`Invalid operator used in KeyConditionExpression: ${node.kind.toUpperCase()}`);
    } else {
      conjuncts.push(node);
    }
  };
  flatten(condition);
  const missedElement = schema.range?.name ?? schema.hash.name;
  const byKey = new Map<string, Condition>();
  for (const conjunct of conjuncts) {
    const { subject, values } = keyConditionParts(conjunct);
    const name = subject.length === 1 ? String(subject[0]) : '';
    const key =
      name === schema.hash.name ? schema.hash : name === schema.range?.name ? schema.range : undefined;
    if (!key) throw validationError(`Query condition missed key schema element: ${missedElement}`);
    if (byKey.has(name))
      throw validationError('KeyConditionExpressions must only contain one condition per key');
    if (values.some((value) => typeOf(value) !== key.type)) {
      throw validationError(
        'One or more parameter values were invalid: Condition parameter type does not match schema type',
      );
    }
    byKey.set(name, conjunct);
  }
  const hash = byKey.get(schema.hash.name);
  if (!hash) throw validationError(`Query condition missed key schema element: ${schema.hash.name}`);
  if (hash.kind !== 'compare' || hash.operator !== '=')
    throw validationError('Query key condition not supported');
}

/** The key path and literal values of one key condition, or "not supported" for any other shape. */
function keyConditionParts(condition: Condition): { subject: Path; values: AttributeValue[] } {
  const literal = (operand: Operand): AttributeValue => {
    if (operand.kind !== 'value') throw validationError('Query key condition not supported');
    return operand.value;
  };
  if (condition.kind === 'compare' && condition.operator !== '<>') {
    const [path, value] =
      condition.left.kind === 'path' ? [condition.left, condition.right] : [condition.right, condition.left];
    if (path.kind !== 'path') throw validationError('Query key condition not supported');
    return { subject: path.path, values: [literal(value)] };
  }
  if (condition.kind === 'between' && condition.subject.kind === 'path') {
    return { subject: condition.subject.path, values: [literal(condition.low), literal(condition.high)] };
  }
  if (condition.kind === 'begins_with' && condition.subject.kind === 'path') {
    return { subject: condition.subject.path, values: [literal(condition.operand)] };
  }
  throw validationError('Query key condition not supported');
}

function assertNoOverlap(paths: readonly Path[]): void {
  for (let i = 0; i < paths.length; i += 1) {
    for (let j = i + 1; j < paths.length; j += 1) {
      const a = paths[i] ?? [];
      const b = paths[j] ?? [];
      const shorter = Math.min(a.length, b.length);
      if (a.slice(0, shorter).every((element, index) => element === b[index])) {
        throw validationError(
          `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; ` +
            `path one: [${a.join(', ')}], path two: [${b.join(', ')}]`,
        );
      }
    }
  }
}

function describe(value: AttributeValue): string {
  const type = typeOf(value);
  return `{${type}:${JSON.stringify(value[type])}}`;
}
