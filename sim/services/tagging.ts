/**
 * The Resource Groups Tagging API's GetResources over the ELB resources the simulator holds (load balancers,
 * target groups, listeners, rules), as
 * https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html documents it:
 * - TagFilters: AND between filters, OR between the values of one filter; a filter without values matches
 *   any value of its key. At most 50 filters of at most 20 values.
 * - ResourceTypeFilters: `service` or `service:resourceType`, the type as the ARN spells it.
 * - ResourceARNList (1-100 ARNs) cannot be combined with ResourcesPerPage or PaginationToken.
 * - ResourcesPerPage: 1-100; the last page answers an empty PaginationToken.
 * Without TagFilters it lists the resources that carry or once carried a tag (an empty Tags list then).
 */
import { AwsError } from '../errors.ts';
import type { Call } from './context.ts';
import { type JsonBody, objectList, optionalString, stringList } from './json-input.ts';

type Handler = (body: JsonBody, call: Call) => JsonBody;
type Tagged = () => Iterable<[string, ReadonlyMap<string, string>]>;

const MAX_PER_PAGE = 100;
const MAX_ARNS = 100;
const MAX_FILTERS = 50;
const MAX_VALUES = 20;

interface TagFilter {
  readonly key: string;
  readonly values: readonly string[];
}

export class TaggingService {
  readonly #tagged: Tagged;
  readonly handlers: Readonly<Record<string, Handler>> = {
    GetResources: (body) => this.#getResources(body),
  };

  /** `tagged`: the resources to list, read at every call (the ELB service is replaced on a reset). */
  constructor(tagged: Tagged) {
    this.#tagged = tagged;
  }

  #getResources(body: JsonBody): JsonBody {
    const filters = tagFilters(body);
    const types = stringList(body, 'ResourceTypeFilters');
    const arns = stringList(body, 'ResourceARNList');
    const token = optionalString(body, 'PaginationToken') ?? '';
    const perPage = body.ResourcesPerPage;
    if (arns.length > 0 && (perPage !== undefined || token !== '')) {
      throw invalid('ResourceARNList cannot be combined with ResourcesPerPage or PaginationToken.');
    }
    if (arns.length > MAX_ARNS) throw invalid(`ResourceARNList can contain at most ${MAX_ARNS} ARNs.`);
    if (
      perPage !== undefined &&
      !(Number.isInteger(perPage) && Number(perPage) >= 1 && Number(perPage) <= MAX_PER_PAGE)
    ) {
      throw invalid(
        `ResourcesPerPage must be between 1 and ${MAX_PER_PAGE}, got ${JSON.stringify(perPage)}.`,
      );
    }
    const wanted = arns.length > 0 ? new Set(arns) : undefined;
    const matching = [...this.#tagged()]
      .filter(([arn]) => wanted === undefined || wanted.has(arn))
      .filter(([arn]) => types.length === 0 || types.some((type) => ofType(arn, type)))
      .filter(([, tags]) => filters.every((filter) => matches(tags, filter)))
      .sort(([a], [b]) => a.localeCompare(b));
    const start = token === '' ? 0 : pageStart(token, matching.length);
    const size = typeof perPage === 'number' ? perPage : MAX_PER_PAGE;
    const page = matching.slice(start, start + size);
    const next = start + size < matching.length ? encodeToken(start + size) : '';
    return {
      PaginationToken: next,
      ResourceTagMappingList: page.map(([arn, tags]) => ({
        ResourceARN: arn,
        Tags: [...tags].map(([Key, Value]) => ({ Key, Value })),
      })),
    };
  }
}

function tagFilters(body: JsonBody): TagFilter[] {
  const filters = objectList(body, 'TagFilters').map((filter) => ({
    key: optionalString(filter, 'Key') ?? '',
    values: stringList(filter, 'Values'),
  }));
  if (filters.length > MAX_FILTERS) throw invalid(`TagFilters can contain at most ${MAX_FILTERS} keys.`);
  for (const filter of filters) {
    if (filter.key === '' || filter.key.length > 128)
      throw invalid('A TagFilter Key must be 1-128 characters.');
    if (filter.values.length > MAX_VALUES)
      throw invalid(
        `A TagFilter can contain at most ${MAX_VALUES} values; ${filter.key} has ${filter.values.length}.`,
      );
  }
  return filters;
}

function matches(tags: ReadonlyMap<string, string>, filter: TagFilter): boolean {
  const value = tags.get(filter.key);
  return value !== undefined && (filter.values.length === 0 || filter.values.includes(value));
}

/** `service` or `service:type` against arn:partition:service:region:account:type/… */
function ofType(arn: string, filter: string): boolean {
  const [service, type] = filter.split(':');
  const parts = arn.split(':');
  if (parts[2] !== service) return false;
  return type === undefined || (parts[5] ?? '').split('/')[0] === type;
}

// The token is opaque to clients; here it carries the next offset.
function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function pageStart(token: string, total: number): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 && offset <= total)
      return offset;
  } catch {
    // fall through to the error below
  }
  throw new AwsError('PaginationTokenExpiredException', 'The pagination token is invalid or has expired.');
}

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}
