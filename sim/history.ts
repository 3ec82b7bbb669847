/**
 * CloudTrail event history: the last 90 days of management events of the account and region, searchable
 * with LookupEvents (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html,
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
 *
 * - One lookup attribute at most (EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
 *   EventSource, AccessKeyId), a time range, 1-50 results a page (50 by default), newest first.
 * - "The rate of lookup requests is limited to two per second, per account, per Region": modelled on the
 *   simulated clock when throttling is switched on (`/_sim/event-history {"throttle": true}`), off by default
 *   so tests that do not ask for it never meet it.
 * - An event is not in the history as soon as the call is made: "CloudTrail typically delivers logs within an
 *   average of about 5 minutes of an API call. This time is not guaranteed."
 *   (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
 *   An event becomes visible `delayMs` (5 minutes by default) after its eventTime, on the simulated clock.
 */
import { AwsError } from './errors.ts';
import type { ApiCall } from './events.ts';

/** The CloudTrail record of a call: `detail` of the EventBridge event, CloudTrail's `CloudTrailEvent`. */
export type CloudTrailRecord = Readonly<Record<string, unknown>>;

export interface HistoryResource {
  readonly ResourceType: string;
  readonly ResourceName: string;
}

interface Entry {
  readonly at: number;
  readonly record: CloudTrailRecord;
  readonly resources: readonly HistoryResource[];
  readonly sequence: number;
}

const ATTRIBUTE_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
type AttributeKey = (typeof ATTRIBUTE_KEYS)[number];

const MAX_RESULTS = 50;
const RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
/** CloudTrail's documented average delivery delay. */
export const DEFAULT_HISTORY_DELAY_MS = 5 * 60 * 1000;
const LOOKUPS_PER_SECOND = 2;

/** Thrown for a control body the history cannot honour; the message names the bad field. */
export class HistoryControlError extends Error {
  override readonly name = 'HistoryControlError';
}

export class EventHistory {
  #entries: Entry[] = [];
  #sequence = 0;
  #delayMs = DEFAULT_HISTORY_DELAY_MS;
  #throttle = false;
  /** Times of the recent lookups, for the per-second limit. */
  #lookups: number[] = [];

  record(record: CloudTrailRecord, at: number, resources: readonly HistoryResource[]): void {
    this.#entries.push({ at, record, resources, sequence: this.#sequence++ });
  }

  /** Applies a control body `{delayMs?, throttle?}`. */
  configure(body: Record<string, unknown>): void {
    const unknown = Object.keys(body).filter((key) => key !== 'delayMs' && key !== 'throttle');
    if (unknown.length > 0)
      throw new HistoryControlError(`unknown field(s) ${unknown.join(', ')}; known: delayMs, throttle`);
    const { delayMs, throttle } = body;
    if (delayMs !== undefined && (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0))
      throw new HistoryControlError(`delayMs must be a non-negative number, got ${JSON.stringify(delayMs)}`);
    if (throttle !== undefined && typeof throttle !== 'boolean')
      throw new HistoryControlError(`throttle must be a boolean, got ${JSON.stringify(throttle)}`);
    if (delayMs !== undefined) this.#delayMs = delayMs;
    if (throttle !== undefined) this.#throttle = throttle;
  }

  state(): { delayMs: number; throttle: boolean; recorded: number } {
    return { delayMs: this.#delayMs, throttle: this.#throttle, recorded: this.#entries.length };
  }

  /** LookupEvents, as of `now`. */
  lookup(body: Readonly<Record<string, unknown>>, now: number): Record<string, unknown> {
    this.#limitRate(now);
    const attribute = lookupAttribute(body.LookupAttributes);
    const start = time(body.StartTime, 'StartTime');
    const end = time(body.EndTime, 'EndTime');
    if (start !== undefined && end !== undefined && start > end)
      throw new AwsError('InvalidTimeRangeException', 'Start time must be before end time.');
    const maxResults = body.MaxResults ?? MAX_RESULTS;
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50)
      throw new AwsError('InvalidMaxResultsException', 'Value for MaxResults must be between 1 and 50.');
    // Only management events are kept: an Insights lookup finds none (no trail here enables Insights).
    if (body.EventCategory !== undefined && body.EventCategory !== 'insight')
      throw new AwsError(
        'InvalidEventCategoryException',
        `Event category ${String(body.EventCategory)} is not valid.`,
      );
    const query = JSON.stringify([attribute, start, end, maxResults, body.EventCategory ?? null]);
    const offset = body.NextToken === undefined ? 0 : decodeNextToken(body.NextToken, query);
    const matching =
      body.EventCategory === 'insight'
        ? []
        : this.#entries
            .filter((entry) => entry.at + this.#delayMs <= now && now - entry.at <= RETENTION_MS)
            .filter(
              (entry) => (start === undefined || entry.at >= start) && (end === undefined || entry.at <= end),
            )
            .filter((entry) => !attribute || matches(entry, attribute.key, attribute.value))
            .sort((a, b) => b.at - a.at || b.sequence - a.sequence);
    const page = matching.slice(offset, offset + maxResults);
    const next =
      offset + maxResults < matching.length ? encodeNextToken(offset + maxResults, query) : undefined;
    return { Events: page.map(describe), ...(next ? { NextToken: next } : {}) };
  }

  #limitRate(now: number): void {
    if (!this.#throttle) return;
    this.#lookups = this.#lookups.filter((at) => now - at < 1000);
    if (this.#lookups.length >= LOOKUPS_PER_SECOND)
      throw new AwsError('ThrottlingException', 'Rate exceeded');
    this.#lookups.push(now);
  }
}

function lookupAttribute(value: unknown): { key: AttributeKey; value: string } | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw new AwsError('InvalidLookupAttributesException', 'LookupAttributes must be a list.');
  if (value.length === 0) return undefined;
  if (value.length > 1)
    throw new AwsError(
      'InvalidLookupAttributesException',
      'You can specify only one lookup attribute at a time.',
    );
  const { AttributeKey: key, AttributeValue: attributeValue } = (value[0] ?? {}) as Record<string, unknown>;
  if (typeof key !== 'string' || !(ATTRIBUTE_KEYS as readonly string[]).includes(key))
    throw new AwsError(
      'InvalidLookupAttributesException',
      `AttributeKey ${JSON.stringify(key)} is not valid; valid keys: ${ATTRIBUTE_KEYS.join(', ')}.`,
    );
  if (typeof attributeValue !== 'string' || attributeValue.length < 1 || attributeValue.length > 2000)
    throw new AwsError('InvalidLookupAttributesException', 'AttributeValue must be 1 to 2000 characters.');
  return { key: key as AttributeKey, value: attributeValue };
}

/** JSON 1.1 timestamps are epoch seconds. */
function time(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new AwsError('ValidationException', `${field} must be a timestamp.`);
  return value * 1000;
}

function matches(entry: Entry, key: AttributeKey, value: string): boolean {
  const record = entry.record;
  switch (key) {
    case 'EventId':
      return record.eventID === value;
    case 'EventName':
      return record.eventName === value;
    case 'EventSource':
      return record.eventSource === value;
    case 'ReadOnly':
      return String(record.readOnly === true) === value;
    case 'Username':
      return username(record) === value;
    case 'AccessKeyId':
      return identity(record).accessKeyId === value;
    case 'ResourceType':
      return entry.resources.some((resource) => resource.ResourceType === value);
    case 'ResourceName':
      return entry.resources.some((resource) => resource.ResourceName === value);
  }
}

function identity(record: CloudTrailRecord): Record<string, unknown> {
  const value = record.userIdentity;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** The event's user name: an IAM user's name, a role session's name, "root" for the root user. */
function username(record: CloudTrailRecord): string | undefined {
  const who = identity(record);
  if (typeof who.userName === 'string') return who.userName;
  if (who.type === 'Root') return 'root';
  const session = typeof who.arn === 'string' ? /:assumed-role\/[^/]+\/(.+)$/.exec(who.arn) : null;
  return session?.[1];
}

function describe(entry: Entry): Record<string, unknown> {
  const { record } = entry;
  const user = username(record);
  const accessKeyId = identity(record).accessKeyId;
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    ReadOnly: String(record.readOnly === true),
    ...(typeof accessKeyId === 'string' ? { AccessKeyId: accessKeyId } : {}),
    EventTime: Math.floor(entry.at / 1000),
    EventSource: record.eventSource,
    ...(user ? { Username: user } : {}),
    Resources: entry.resources,
    CloudTrailEvent: JSON.stringify(record),
  };
}

function encodeNextToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ offset, query })).toString('base64url');
}

/** A token names its offset and the query it belongs to: another query's token is refused, as AWS does. */
function decodeNextToken(token: unknown, query: string): number {
  const invalid = new AwsError(
    'InvalidNextTokenException',
    'Invalid NextToken: it is not one of ours, or it was issued for a request with other parameters.',
  );
  if (typeof token !== 'string') throw invalid;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (parsed.query !== query || typeof parsed.offset !== 'number' || !Number.isInteger(parsed.offset))
      throw invalid;
    return parsed.offset;
  } catch {
    throw invalid;
  }
}

/**
 * Data events (item reads and writes, messages) are not in the event history, only management events
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html).
 */
const DATA_EVENTS: Readonly<Record<string, ReadonlySet<string>>> = {
  'dynamodb.amazonaws.com': new Set([
    'GetItem',
    'PutItem',
    'UpdateItem',
    'DeleteItem',
    'Query',
    'Scan',
    'BatchGetItem',
    'BatchWriteItem',
    'TransactGetItems',
    'TransactWriteItems',
  ]),
  'sns.amazonaws.com': new Set(['Publish', 'PublishBatch']),
  'sqs.amazonaws.com': new Set([
    'SendMessage',
    'SendMessageBatch',
    'ReceiveMessage',
    'DeleteMessage',
    'DeleteMessageBatch',
    'ChangeMessageVisibility',
    'ChangeMessageVisibilityBatch',
  ]),
};

export function isManagementEvent(eventSource: string, eventName: string): boolean {
  return !DATA_EVENTS[eventSource]?.has(eventName);
}

/** Reads, as CloudTrail marks them `readOnly`. */
export function isReadOnlyAction(action: string): boolean {
  return /^(Describe|List|Get|Lookup|Search)/.test(action);
}

/** The resources CloudTrail names for a call; the simulator names them for ELB calls only. */
export function historyResources(call: ApiCall): HistoryResource[] {
  return call.eventSource === 'elasticloadbalancing.amazonaws.com'
    ? elbResources(call.requestParameters, call.responseElements)
    : [];
}

/**
 * The resources of an ELB call: the ELB ARNs among its request parameters and response elements (a created
 * listener's ARN too), and the instances it registers or deregisters. This is an assumption, not a documented
 * rule: the LookupEvents reference does not list which resources event history names for each ELB call
 * (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html). The controller only
 * gains from a match: a lookup that finds nothing leaves the drift to its grace wait, as before.
 */
function elbResources(requestParameters: unknown, responseElements: unknown): HistoryResource[] {
  const found = new Map<string, string>();
  const visit = (value: unknown, depth: number, key: string) => {
    if (depth > 6) return;
    if (typeof value === 'string') {
      const type = elbResourceType(value);
      if (type) found.set(value, type);
      else if (key === 'id' && /^i-[0-9a-f]{8,17}$/.test(value)) found.set(value, 'AWS::EC2::Instance');
    } else if (Array.isArray(value)) for (const item of value) visit(item, depth + 1, key);
    else if (typeof value === 'object' && value !== null)
      for (const [name, item] of Object.entries(value)) visit(item, depth + 1, name);
  };
  visit(requestParameters, 0, '');
  visit(responseElements, 0, '');
  return [...found].map(([ResourceName, ResourceType]) => ({ ResourceType, ResourceName }));
}

function elbResourceType(value: string): string | undefined {
  const match =
    /^arn:aws[a-z-]*:elasticloadbalancing:[^:]*:\d{12}:(loadbalancer|listener|listener-rule|targetgroup)\//.exec(
      value,
    );
  if (!match) return undefined;
  return {
    loadbalancer: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    listener: 'AWS::ElasticLoadBalancingV2::Listener',
    'listener-rule': 'AWS::ElasticLoadBalancingV2::ListenerRule',
    targetgroup: 'AWS::ElasticLoadBalancingV2::TargetGroup',
  }[match[1] as 'loadbalancer'];
}
