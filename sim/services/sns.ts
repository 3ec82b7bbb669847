/**
 * SNS: topics, subscriptions and Publish with its validation; published messages are kept in the shape
 * SNS delivers them to subscribers, for the control API.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { uuid } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import { XmlMap, type XmlObject } from '../protocols/xml.ts';
import type { Call, Environment } from './context.ts';
import type { SqsService } from './sqs.ts';

export interface PublishedMessage {
  readonly topicArn: string;
  readonly subject: string | null;
  readonly message: string;
  readonly messageStructure: string | null;
  readonly messageAttributes: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
  /** FIFO topics only. */
  readonly messageGroupId?: string;
  readonly sequenceNumber?: string;
}

interface Subscription {
  readonly arn: string;
  readonly protocol: string;
  readonly endpoint: string;
  confirmed: boolean;
}

/** Attributes GetTopicAttributes reports and SetTopicAttributes may change (the FIFO ones are fixed). */
const SETTABLE_ATTRIBUTES = [
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'TracingConfig',
  'SignatureVersion',
];

interface Topic {
  readonly arn: string;
  readonly attributes: Record<string, string>;
  readonly subscriptions: Subscription[];
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
  readonly deduplicationScope: 'Topic' | 'MessageGroup';
  /** Deduplication ids seen in the last five minutes, with the message they answered for. */
  readonly deduplication: Map<
    string,
    { readonly at: number; readonly messageId: string; readonly sequenceNumber: string }
  >;
  nextSequence: bigint;
}

type Handler = (input: QueryInput, call: Call) => XmlObject;

const PROTOCOLS = ['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose'];
// A message and its attributes may be up to 256 KB (API_Publish, Message).
const MAX_MESSAGE_BYTES = 256 * 1024;
// "the 5 minute minimum deduplication interval" (API_Publish, MessageDeduplicationId).
const DEDUPLICATION_MS = 5 * 60 * 1000;
// MessageGroupId and MessageDeduplicationId: up to 128 alphanumeric characters and punctuation.
const FIFO_TOKEN = /^[\x21-\x7e]{1,128}$/;

export class SnsService {
  readonly #env: Environment;
  readonly #sqs: SqsService;
  readonly #topics = new Map<string, Topic>();
  readonly #messages: PublishedMessage[] = [];

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateTopic: (input) => this.#createTopic(input),
    DeleteTopic: (input) => {
      this.#topics.delete(input.str('TopicArn') ?? '');
      return {};
    },
    Subscribe: (input) => this.#subscribe(input),
    Unsubscribe: (input) => this.#unsubscribe(input),
    Publish: (input, call) => this.#publish(input, call),
    GetTopicAttributes: (input) => this.#topicAttributes(this.#topic(input.str('TopicArn'))),
    // https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html
    SetTopicAttributes: (input) => {
      const topic = this.#topic(input.str('TopicArn'));
      const name = input.str('AttributeName') ?? '';
      if (!SETTABLE_ATTRIBUTES.includes(name))
        throw new AwsError('InvalidParameter', 'Invalid parameter: AttributeName');
      topic.attributes[name] = input.str('AttributeValue') ?? '';
      return {};
    },
    ListSubscriptionsByTopic: (input) => this.#listSubscriptions(input),
  };

  constructor(env: Environment, sqs: SqsService) {
    this.#env = env;
    this.#sqs = sqs;
  }

  /** What a person does by following the link in the confirmation email. */
  confirm(topicArn: string, endpoint: string): boolean {
    const subscription = this.#topic(topicArn).subscriptions.find((s) => s.endpoint === endpoint);
    if (subscription) subscription.confirmed = true;
    return subscription !== undefined;
  }

  get messages(): readonly PublishedMessage[] {
    return this.#messages;
  }

  /**
   * CreateTopic is idempotent: the same name and attributes return the same ARN. A FIFO topic needs
   * `FifoTopic=true` and a name ending in `.fifo` (https://docs.aws.amazon.com/sns/latest/dg/fifo-topic-code-examples.html).
   */
  #createTopic(input: QueryInput): XmlObject {
    const name = input.str('Name') ?? '';
    const attributes = new Map(
      input.entries('Attributes', 'key', 'value').map(([key, value]) => [key, value.value()]),
    );
    const fifo = attributes.get('FifoTopic') === 'true';
    const base = name.endsWith('.fifo') ? name.slice(0, -5) : name;
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(base) || name.length > 256) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
    }
    if (fifo !== name.endsWith('.fifo')) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: Fifo Topic names must end with .fifo and Standard Topic cannot end with .fifo',
      );
    }
    const contentBasedDeduplication = attributes.get('ContentBasedDeduplication') === 'true';
    const scope = attributes.get('FifoThroughputScope') ?? 'Topic';
    if (!fifo && (contentBasedDeduplication || attributes.has('FifoThroughputScope'))) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: Attributes Reason: ContentBasedDeduplication and FifoThroughputScope apply to FIFO topics only',
      );
    }
    if (scope !== 'Topic' && scope !== 'MessageGroup') {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: Attributes Reason: FifoThroughputScope must be Topic or MessageGroup',
      );
    }
    const arn = `arn:aws:sns:${this.#env.region}:${this.#env.account}:${name}`;
    const existing = this.#topics.get(arn);
    if (
      existing &&
      (existing.contentBasedDeduplication !== contentBasedDeduplication ||
        existing.deduplicationScope !== scope)
    ) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: Attributes Reason: Topic already exists with different attributes',
      );
    }
    if (!existing) {
      this.#topics.set(arn, {
        arn,
        attributes: Object.fromEntries([...attributes].filter(([key]) => SETTABLE_ATTRIBUTES.includes(key))),
        subscriptions: [],
        fifo,
        contentBasedDeduplication,
        deduplicationScope: scope,
        deduplication: new Map(),
        nextSequence: 10000000000000000000n,
      });
    }
    return { TopicArn: arn };
  }

  #topic(arn: string | undefined): Topic {
    if (arn === undefined || !/^arn:aws:sns:[^:]+:\d{12}:[\w.-]+$/.test(arn)) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: TopicArn');
    }
    const topic = this.#topics.get(arn);
    if (!topic) throw new AwsError('NotFound', 'Topic does not exist', 404);
    return topic;
  }

  /**
   * Email subscriptions wait for confirmation, so their ARN reads "pending confirmation". An SQS queue of the
   * topic's account is confirmed at once (its owner subscribed it).
   */
  #subscribe(input: QueryInput): XmlObject {
    const topic = this.#topic(input.str('TopicArn'));
    const protocol = input.str('Protocol') ?? '';
    if (!PROTOCOLS.includes(protocol)) throw new AwsError('InvalidParameter', 'Invalid parameter: Protocol');
    const endpoint = input.str('Endpoint') ?? '';
    if (endpoint === '') throw new AwsError('InvalidParameter', 'Invalid parameter: Endpoint');
    if (protocol === 'sqs' && !/^arn:aws:sqs:[^:]+:\d{12}:[\w-]+(\.fifo)?$/.test(endpoint))
      throw new AwsError('InvalidParameter', 'Invalid parameter: SQS endpoint ARN');
    const existing = topic.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
    const subscription = existing ?? {
      arn: `${topic.arn}:${uuid()}`,
      protocol,
      endpoint,
      confirmed: !protocol.startsWith('email'),
    };
    if (!existing) topic.subscriptions.push(subscription);
    const pending = !subscription.confirmed && input.bool('ReturnSubscriptionArn') !== true;
    return { SubscriptionArn: pending ? 'pending confirmation' : subscription.arn };
  }

  /** https://docs.aws.amazon.com/sns/latest/api/API_Unsubscribe.html */
  #unsubscribe(input: QueryInput): XmlObject {
    const arn = input.str('SubscriptionArn') ?? '';
    const topic = [...this.#topics.values()].find((t) => t.subscriptions.some((s) => s.arn === arn));
    if (!topic) throw new AwsError('NotFound', 'Subscription does not exist', 404);
    topic.subscriptions.splice(
      topic.subscriptions.findIndex((s) => s.arn === arn),
      1,
    );
    return {};
  }

  /** https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html */
  #topicAttributes(topic: Topic): XmlObject {
    const confirmed = topic.subscriptions.filter((s) => s.confirmed).length;
    return {
      Attributes: new XmlMap({
        ...topic.attributes,
        TopicArn: topic.arn,
        Owner: this.#env.account,
        SubscriptionsConfirmed: String(confirmed),
        SubscriptionsPending: String(topic.subscriptions.length - confirmed),
        SubscriptionsDeleted: '0',
        ...(topic.fifo
          ? { FifoTopic: 'true', ContentBasedDeduplication: String(topic.contentBasedDeduplication) }
          : {}),
      }),
    };
  }

  /**
   * Pending subscriptions are listed with the ARN `PendingConfirmation`.
   * https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html
   */
  #listSubscriptions(input: QueryInput): XmlObject {
    const topic = this.#topic(input.str('TopicArn'));
    return {
      Subscriptions: topic.subscriptions.map((s) => ({
        SubscriptionArn: s.confirmed ? s.arn : 'PendingConfirmation',
        Owner: this.#env.account,
        Protocol: s.protocol,
        Endpoint: s.endpoint,
        TopicArn: topic.arn,
      })),
    };
  }

  /** Every confirmed SQS subscriber gets the message as an SNS notification. */
  #deliver(topic: Topic, messageId: string, published: PublishedMessage, now: number): void {
    for (const subscription of topic.subscriptions) {
      if (subscription.protocol !== 'sqs' || !subscription.confirmed) continue;
      const body =
        published.messageStructure === 'json' ? forProtocol(published.message, 'sqs') : published.message;
      this.#sqs.deliver(
        subscription.endpoint,
        sqsEnvelope(
          topic.arn,
          messageId,
          published.subject ?? undefined,
          body,
          published.messageAttributes,
          now,
        ),
      );
    }
  }

  #publish(input: QueryInput, call: Call): XmlObject {
    const message = input.str('Message');
    if (message === undefined || message === '')
      throw new AwsError('InvalidParameter', 'Invalid parameter: Empty message');
    const subject = input.str('Subject');
    // "Subjects must be UTF-8 text with no line breaks or control characters, and less than 100 characters long."
    if (subject !== undefined && (subject === '' || subject.length >= 100 || hasControlCharacters(subject))) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Subject');
    }
    const structure = input.str('MessageStructure');
    if (structure !== undefined) validateStructure(structure, message);
    const attributes = messageAttributes(input);
    const size =
      Buffer.byteLength(message) +
      Object.entries(attributes).reduce(
        (sum, [name, { Type, Value }]) => sum + Buffer.byteLength(name + Type + Value),
        0,
      );
    if (size > MAX_MESSAGE_BYTES)
      throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
    const topic = this.#topic(input.str('TopicArn') ?? input.str('TargetArn'));
    const published = {
      topicArn: topic.arn,
      subject: subject ?? null,
      message,
      messageStructure: structure ?? null,
      messageAttributes: attributes,
    };
    if (!topic.fifo) {
      standardTopicFifoFields(input);
      this.#messages.push(published);
      const messageId = uuid();
      this.#deliver(topic, messageId, published, call.now);
      return { MessageId: messageId };
    }
    return this.#publishFifo(topic, input, published, call.now);
  }

  /**
   * A FIFO topic needs a MessageGroupId and a MessageDeduplicationId (or content-based deduplication); a
   * duplicate within five minutes "is accepted successfully but isn't delivered" (API_Publish).
   */
  #publishFifo(topic: Topic, input: QueryInput, published: PublishedMessage, now: number): XmlObject {
    const groupId = input.str('MessageGroupId');
    if (groupId === undefined) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
      );
    }
    fifoToken(groupId, 'MessageGroupId');
    let deduplicationId = input.str('MessageDeduplicationId');
    if (deduplicationId === undefined) {
      if (!topic.contentBasedDeduplication) {
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
      deduplicationId = createHash('sha256').update(published.message).digest('hex');
    }
    fifoToken(deduplicationId, 'MessageDeduplicationId');
    for (const [key, seen] of topic.deduplication) {
      if (seen.at + DEDUPLICATION_MS <= now) topic.deduplication.delete(key);
    }
    const key =
      topic.deduplicationScope === 'MessageGroup' ? `${groupId}\n${deduplicationId}` : deduplicationId;
    const earlier = topic.deduplication.get(key);
    if (earlier) return { MessageId: earlier.messageId, SequenceNumber: earlier.sequenceNumber };
    const messageId = uuid();
    const sequenceNumber = String(topic.nextSequence);
    topic.nextSequence += 1n;
    topic.deduplication.set(key, { at: now, messageId, sequenceNumber });
    this.#messages.push({ ...published, messageGroupId: groupId, sequenceNumber });
    return { MessageId: messageId, SequenceNumber: sequenceNumber };
  }
}

/** Standard topics take a MessageGroupId (for SQS fair queues) but no MessageDeduplicationId. */
function standardTopicFifoFields(input: QueryInput): void {
  const groupId = input.str('MessageGroupId');
  if (groupId !== undefined) fifoToken(groupId, 'MessageGroupId');
  if (input.has('MessageDeduplicationId')) {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
    );
  }
}

function fifoToken(value: string, name: string): void {
  if (!FIFO_TOKEN.test(value)) {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: ${name} Reason: ${name} can contain up to 128 alphanumeric characters and punctuation`,
    );
  }
}

/** With MessageStructure json, each protocol gets its own entry, or `default`. */
function forProtocol(message: string, protocol: string): string {
  const entries = JSON.parse(message) as Record<string, string>;
  return entries[protocol] ?? entries.default ?? '';
}

/**
 * What an SQS subscriber receives (raw message delivery off): the notification as a JSON document.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
 */
function sqsEnvelope(
  topicArn: string,
  messageId: string,
  subject: string | undefined,
  message: string,
  attributes: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>,
  now: number,
): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: topicArn,
    ...(subject === undefined ? {} : { Subject: subject }),
    Message: message,
    Timestamp: new Date(now).toISOString(),
    SignatureVersion: '1',
    Signature: 'simulated',
    SigningCertURL: 'https://sns.amazonaws.com/SimpleNotificationService-simulated.pem',
    UnsubscribeURL: `https://sns.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}`,
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  });
}

function hasControlCharacters(text: string): boolean {
  return [...text].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x20 || code === 0x7f;
  });
}

/** With MessageStructure json the message is a JSON object of strings with at least a `default` entry. */
function validateStructure(structure: string, message: string): void {
  if (structure !== 'json') {
    throw new AwsError('InvalidParameter', 'Invalid parameter: MessageStructure');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - JSON message body failed to parse',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - JSON message body failed to parse',
    );
  }
  if (!('default' in parsed)) {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - No default entry in JSON message body',
    );
  }
}

/**
 * `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue|BinaryValue`, validated as SNS
 * does (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html) and kept as subscribers
 * receive them: `{name: {Type, Value}}` with binary values in base64.
 */
function messageAttributes(input: QueryInput): Record<string, { Type: string; Value: string }> {
  const attributes: Record<string, { Type: string; Value: string }> = {};
  for (const [name, value] of input.entries('MessageAttributes', 'Name', 'Value')) {
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..')
    ) {
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute name '${name}' is invalid. Attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.`,
      );
    }
    const type = value.str('DataType') ?? '';
    const kind = type.split('.')[0];
    if (kind !== 'String' && kind !== 'Number' && kind !== 'Binary') {
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const content = kind === 'Binary' ? value.str('BinaryValue') : value.str('StringValue');
    if (content === undefined || content === '') {
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    if (kind === 'Number' && !Number.isFinite(Number(content))) {
      throw new AwsError(
        'ParameterValueInvalid',
        `Could not cast message attribute '${name}' value to number.`,
      );
    }
    attributes[name] = { Type: type, Value: content };
  }
  return attributes;
}
