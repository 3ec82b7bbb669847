/**
 * The AWS query protocol's request side (EC2, ELBv2, SNS): a form-encoded body of flattened keys such as
 * `Actions.member.1.RedirectConfig.Port`, `Filter.1.Value.2` or `MessageAttributes.entry.1.Name`,
 * parsed back into a tree and read through typed accessors.
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html and aws-ec2-query-protocol.html
 */
import { AwsError } from '../errors.ts';

export type QueryTree = { [key: string]: QueryTree | string };

export function parseQueryTree(body: string): QueryTree {
  const tree: QueryTree = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split('.');
    let node = tree;
    path.forEach((segment, index) => {
      if (index === path.length - 1) {
        node[segment] = value;
        return;
      }
      const child = node[segment];
      if (typeof child === 'object') {
        node = child;
      } else {
        const created: QueryTree = {};
        node[segment] = created;
        node = created;
      }
    });
  }
  return tree;
}

/** Typed, validating reads over one level of a query tree. */
export class QueryInput {
  readonly tree: QueryTree;

  constructor(tree: QueryTree) {
    this.tree = tree;
  }

  has(name: string): boolean {
    return this.tree[name] !== undefined;
  }

  str(name: string): string | undefined {
    const value = this.tree[name];
    return typeof value === 'string' ? value : undefined;
  }

  required(name: string): string {
    const value = this.str(name);
    if (value === undefined || value === '') {
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return value;
  }

  int(name: string): number | undefined {
    const value = this.str(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) {
      throw new AwsError('ValidationError', `Value '${value}' for parameter ${name} is not a valid integer`);
    }
    return parsed;
  }

  bool(name: string): boolean | undefined {
    const value = this.str(name);
    return value === undefined ? undefined : value === 'true';
  }

  child(name: string): QueryInput | undefined {
    const value = this.tree[name];
    return typeof value === 'object' ? new QueryInput(value) : undefined;
  }

  /**
   * The items of a list, whether serialized as `Name.member.N` (awsQuery) or `Name.N` (EC2).
   * An empty list travels as `Name=` and reads as [].
   */
  list(name: string): QueryInput[] {
    return listItems(this.tree[name]).map((item) =>
      typeof item === 'object' ? new QueryInput(item) : new QueryInput({ '': item }),
    );
  }

  strings(name: string): string[] {
    return listItems(this.tree[name]).filter((item): item is string => typeof item === 'string');
  }

  /** A string-valued list item (from `list`) back as its string. */
  value(): string {
    return this.str('') ?? '';
  }

  /** An awsQuery map (`Name.entry.N.key` / `.value`, or `.Name` / `.Value` for SNS message attributes). */
  entries(name: string, keyField: string, valueField: string): [string, QueryInput][] {
    const node = this.tree[name];
    if (typeof node !== 'object') return [];
    return listItems(node.entry).flatMap((entry) => {
      if (typeof entry !== 'object') return [];
      const key = entry[keyField];
      const value = entry[valueField];
      if (typeof key !== 'string') return [];
      return [[key, new QueryInput(typeof value === 'object' ? value : { '': value ?? '' })]];
    });
  }
}

function listItems(node: QueryTree | string | undefined): (QueryTree | string)[] {
  if (node === undefined || typeof node === 'string') return [];
  const members = node.member ?? node;
  if (typeof members === 'string') return [];
  return Object.keys(members)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => members[key] as QueryTree | string);
}

function lowerFirst(value: string): string {
  return value.charAt(0).toLowerCase() + value.slice(1);
}

/**
 * The request as CloudTrail records it in `requestParameters`: camelCase names, lists as arrays and scalar
 * values typed by `scalar`, which gets the member path (list positions left out) and the string sent.
 */
export function toCloudTrailParameters(
  tree: QueryTree,
  scalar: (path: readonly string[], value: string) => unknown,
): Record<string, unknown> {
  const convert = (node: QueryTree | string, path: readonly string[]): unknown => {
    if (typeof node === 'string') return scalar(path, node);
    if (node.member !== undefined || Object.keys(node).every((key) => /^\d+$/.test(key))) {
      return listItems(node).map((item) => convert(item, path));
    }
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [lowerFirst(key), convert(value, [...path, key])]),
    );
  };
  const { Action: _action, Version: _version, ...parameters } = tree;
  // A top-level `Name=` with no value is how the SDK sends an empty list.
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) => [
      lowerFirst(key),
      value === '' ? [] : convert(value, [key]),
    ]),
  );
}
