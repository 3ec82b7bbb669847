/**
 * Tags of ELBv2 resources (load balancers, target groups, listeners, rules), with the key and value rules
 * of https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Tag.html.
 */
import { AwsError } from '../errors.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';

const TAG_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
// Application Load Balancer quota: 50 tags per resource.
const MAX_TAGS = 50;
// DescribeTags and RemoveTags take at most 20 resources a call:
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RemoveTags.html
const MAX_RESOURCES_PER_CALL = 20;

/** Reads `Tags.member.N`, rejecting characters ELB does not allow and keys given twice. */
export function parseTags(items: readonly QueryInput[]): Map<string, string> {
  const tags = new Map<string, string>();
  items.forEach((item, index) => {
    const key = item.str('Key') ?? '';
    const value = item.str('Value') ?? '';
    for (const [member, text, max] of [
      ['key', key, 128],
      ['value', value, 256],
    ] as const) {
      if (!TAG_PATTERN.test(text) || text.length > max || (member === 'key' && text === '')) {
        throw new AwsError(
          'ValidationError',
          `1 validation error detected: Value '${text}' at 'tags.${index + 1}.member.${member}' failed to ` +
            `satisfy constraint: Member must satisfy regular expression pattern: ${TAG_PATTERN.source} ` +
            `and have length ${member === 'key' ? 1 : 0}-${max}`,
        );
      }
    }
    if (tags.has(key)) throw new AwsError('DuplicateTagKeys', `Tag key was specified more than once: ${key}`);
    tags.set(key, value);
  });
  return tags;
}

/** The tags of every existing resource: a resource exists for AddTags/DescribeTags while it has an entry. */
export class TagStore {
  readonly #tags = new Map<string, Map<string, string>>();
  /** Resources that carry or once carried a tag: what the Resource Groups Tagging API lists. */
  readonly #everTagged = new Set<string>();

  create(arn: string, tags: Map<string, string> = new Map()): void {
    this.#tags.set(arn, tags);
    if (tags.size > 0) this.#everTagged.add(arn);
  }

  delete(arn: string): void {
    this.#tags.delete(arn);
    this.#everTagged.delete(arn);
  }

  /** Every existing resource that carries or once carried a tag, with its tags now. */
  *tagged(): Generator<[string, ReadonlyMap<string, string>]> {
    for (const arn of this.#everTagged) {
      const tags = this.#tags.get(arn);
      if (tags) yield [arn, tags];
    }
  }

  addTags(input: QueryInput): XmlObject {
    const added = parseTags(input.list('Tags'));
    const targets = input.strings('ResourceArns').map((arn) => this.#of(arn));
    for (const tags of targets) {
      if (new Set([...tags.keys(), ...added.keys()]).size > MAX_TAGS) {
        throw new AwsError(
          'TooManyTags',
          'The quota for the number of tags that can be assigned to a load balancer has been reached',
        );
      }
    }
    for (const tags of targets) for (const [key, value] of added) tags.set(key, value);
    if (added.size > 0) for (const arn of input.strings('ResourceArns')) this.#everTagged.add(arn);
    return {};
  }

  /** Removes the keys from every resource; a key a resource does not carry is no error. */
  removeTags(input: QueryInput): XmlObject {
    const keys = input.strings('TagKeys');
    if (keys.length === 0) throw missing('tagKeys');
    const targets = resourceArns(input).map((arn) => this.#of(arn));
    for (const tags of targets) for (const key of keys) tags.delete(key);
    return {};
  }

  describeTags(input: QueryInput): XmlObject {
    return {
      TagDescriptions: resourceArns(input).map((arn) => ({
        ResourceArn: arn,
        Tags: [...this.#of(arn)].map(([Key, Value]) => ({ Key, Value })),
      })),
    };
  }

  /** A resource's tags, or the not-found error for the kind of resource its ARN names. */
  #of(arn: string): Map<string, string> {
    const tags = this.#tags.get(arn);
    if (tags) return tags;
    if (arn.includes(':targetgroup/'))
      throw new AwsError('TargetGroupNotFound', 'One or more target groups not found');
    if (arn.includes(':listener-rule/')) throw new AwsError('RuleNotFound', 'One or more rules not found');
    if (arn.includes(':listener/')) throw new AwsError('ListenerNotFound', 'One or more listeners not found');
    throw new AwsError('LoadBalancerNotFound', 'One or more load balancers not found');
  }
}

function resourceArns(input: QueryInput): string[] {
  const arns = input.strings('ResourceArns');
  if (arns.length === 0) throw missing('resourceArns');
  if (arns.length > MAX_RESOURCES_PER_CALL) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '[${arns.join(', ')}]' at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RESOURCES_PER_CALL}`,
    );
  }
  return arns;
}

function missing(member: string): AwsError {
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
}
