/**
 * SQS standard queues: dead-letter queues to inspect, and queues SNS delivers to. Received messages are
 * invisible for the visibility timeout (30 s by default), measured on the simulator's clock.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { uuid } from '../ids.ts';
import type { Call, Environment } from './context.ts';
import { type JsonBody, objectList, requiredString, stringList } from './json-input.ts';

interface Message {
  readonly id: string;
  readonly body: string;
  receipt: string | undefined;
  invisibleUntil: number;
  receiveCount: number;
  readonly sentAt: number;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly attributes: Record<string, string>;
  readonly messages: Message[];
}

type Handler = (body: JsonBody, call: Call) => JsonBody;

const DEFAULT_VISIBILITY_SECONDS = 30;

export class SqsService {
  readonly #env: Environment;
  readonly #queues = new Map<string, Queue>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateQueue: (body) => this.#createQueue(body),
    GetQueueUrl: (body) => ({ QueueUrl: this.#byName(requiredString(body, 'QueueName')).url }),
    DeleteQueue: (body) => {
      this.#queues.delete(this.#queue(body).name);
      return {};
    },
    SetQueueAttributes: (body) => {
      Object.assign(this.#queue(body).attributes, body.Attributes as Record<string, string>);
      return {};
    },
    GetQueueAttributes: (body, call) =>
      this.#attributes(this.#queue(body), stringList(body, 'AttributeNames'), call.now),
    SendMessage: (body, call) => {
      const message = this.deliver(
        this.#queue(body).arn,
        requiredString(body, 'MessageBody', 'MissingParameter'),
        call.now,
      );
      return { MessageId: message.id, MD5OfMessageBody: md5(message.body) };
    },
    SendMessageBatch: (body, call) => this.#sendBatch(body, call.now),
    ReceiveMessage: (body, call) => this.#receive(body, call.now),
    DeleteMessage: (body) => {
      this.#delete(this.#queue(body), requiredString(body, 'ReceiptHandle', 'MissingParameter'));
      return {};
    },
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html
    DeleteMessageBatch: (body) => {
      const queue = this.#queue(body);
      const successful: JsonBody[] = [];
      const failed: JsonBody[] = [];
      for (const entry of objectList(body, 'Entries')) {
        const id = requiredString(entry, 'Id', 'MissingParameter');
        try {
          this.#delete(queue, requiredString(entry, 'ReceiptHandle', 'MissingParameter'));
          successful.push({ Id: id });
        } catch (error) {
          failed.push({
            Id: id,
            Code: (error as AwsError).code,
            Message: (error as Error).message,
            SenderFault: true,
          });
        }
      }
      return { Successful: successful, Failed: failed };
    },
  };

  constructor(env: Environment) {
    this.#env = env;
  }

  /** Puts a message on the queue with this ARN (SNS deliveries, SendMessage); unknown ARNs are dropped as AWS drops them. */
  deliver(queueArn: string, body: string, sentAt = 0): Message {
    const message: Message = {
      id: uuid(),
      body,
      receipt: undefined,
      invisibleUntil: 0,
      receiveCount: 0,
      sentAt,
    };
    [...this.#queues.values()].find((queue) => queue.arn === queueArn)?.messages.push(message);
    return message;
  }

  /**
   * Up to 10 entries with distinct ids; each succeeds or fails on its own
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
   */
  #sendBatch(body: JsonBody, now: number): JsonBody {
    const queue = this.#queue(body);
    const entries = objectList(body, 'Entries');
    if (entries.length === 0)
      throw batchError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
      );
    if (entries.length > BATCH_LIMIT)
      throw batchError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${BATCH_LIMIT}. You have sent ${entries.length}.`,
      );
    const ids = entries.map((entry) => requiredString(entry, 'Id', 'MissingParameter'));
    const invalid = ids.find((id) => !/^[A-Za-z0-9_-]{1,80}$/.test(id));
    if (invalid !== undefined)
      throw batchError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    if (new Set(ids).size !== ids.length)
      throw batchError('BatchEntryIdsNotDistinct', 'Id values in the batch request must be distinct.');
    const successful = entries.map((entry, index) => {
      const message = this.deliver(queue.arn, requiredString(entry, 'MessageBody', 'MissingParameter'), now);
      return { Id: ids[index], MessageId: message.id, MD5OfMessageBody: md5(message.body) };
    });
    return { Successful: successful, Failed: [] };
  }

  #delete(queue: Queue, receipt: string): void {
    const index = queue.messages.findIndex((message) => message.receipt === receipt);
    if (index < 0)
      throw new AwsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receipt}" is not a valid receipt handle.`,
      );
    queue.messages.splice(index, 1);
  }

  #createQueue(body: JsonBody): JsonBody {
    const name = requiredString(body, 'QueueName', 'MissingParameter');
    if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name))
      throw new AwsError(
        'InvalidParameterValue',
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    const existing = this.#queues.get(name);
    if (existing) return { QueueUrl: existing.url };
    const queue: Queue = {
      name,
      url: `https://sqs.${this.#env.region}.amazonaws.com/${this.#env.account}/${name}`,
      arn: `arn:aws:sqs:${this.#env.region}:${this.#env.account}:${name}`,
      attributes: {
        VisibilityTimeout: String(DEFAULT_VISIBILITY_SECONDS),
        ...(body.Attributes as Record<string, string> | undefined),
      },
      messages: [],
    };
    this.#queues.set(name, queue);
    return { QueueUrl: queue.url };
  }

  #byName(name: string): Queue {
    const queue = this.#queues.get(name);
    if (!queue) throw nonExistent();
    return queue;
  }

  #queue(body: JsonBody): Queue {
    const url = requiredString(body, 'QueueUrl', 'MissingParameter');
    return this.#byName(url.split('/').pop() ?? '');
  }

  #attributes(queue: Queue, names: readonly string[], now: number): JsonBody {
    const visible = queue.messages.filter((message) => message.invisibleUntil <= now).length;
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
      ApproximateNumberOfMessagesDelayed: '0',
    };
    const wanted = names.includes('All') ? Object.keys(all) : names;
    return {
      Attributes: Object.fromEntries(wanted.filter((name) => name in all).map((name) => [name, all[name]])),
    };
  }

  /** Returns at once with what is visible (the simulator never blocks a long poll). */
  #receive(body: JsonBody, now: number): JsonBody {
    const queue = this.#queue(body);
    const max = typeof body.MaxNumberOfMessages === 'number' ? body.MaxNumberOfMessages : 1;
    if (max < 1 || max > 10)
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    const timeout =
      typeof body.VisibilityTimeout === 'number'
        ? body.VisibilityTimeout
        : Number(queue.attributes.VisibilityTimeout);
    this.#redrive(queue, now);
    const messages = queue.messages.filter((message) => message.invisibleUntil <= now).slice(0, max);
    for (const message of messages) {
      message.receipt = uuid();
      message.invisibleUntil = now + timeout * 1000;
      message.receiveCount += 1;
    }
    // System attributes only when asked for (MessageSystemAttributeNames, or the older AttributeNames).
    const asked = [...stringList(body, 'MessageSystemAttributeNames'), ...stringList(body, 'AttributeNames')];
    const wanted = (name: string) => asked.includes('All') || asked.includes(name);
    return {
      Messages: messages.map((message) => {
        const attributes = Object.fromEntries(
          [
            ['ApproximateReceiveCount', String(message.receiveCount)],
            ['SentTimestamp', String(message.sentAt)],
          ].filter(([name]) => wanted(name ?? '')),
        );
        return {
          MessageId: message.id,
          ReceiptHandle: message.receipt,
          MD5OfBody: md5(message.body),
          Body: message.body,
          ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
        };
      }),
    };
  }

  /**
   * A visible message already received `maxReceiveCount` times moves to the queue's dead-letter queue instead
   * of being received again (RedrivePolicy,
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
   */
  #redrive(queue: Queue, now: number): void {
    const policy = queue.attributes.RedrivePolicy;
    if (!policy) return;
    const { deadLetterTargetArn, maxReceiveCount } = JSON.parse(policy) as {
      deadLetterTargetArn?: string;
      maxReceiveCount?: number | string;
    };
    const limit = Number(maxReceiveCount);
    if (!deadLetterTargetArn || !(limit >= 1)) return;
    const spent = queue.messages.filter(
      (message) => message.invisibleUntil <= now && message.receiveCount >= limit,
    );
    for (const message of spent) {
      queue.messages.splice(queue.messages.indexOf(message), 1);
      this.deliver(deadLetterTargetArn, message.body, message.sentAt);
    }
  }
}

/** Entries per SendMessageBatch, DeleteMessageBatch or ChangeMessageVisibilityBatch request. */
const BATCH_LIMIT = 10;

function batchError(code: string, message: string): AwsError {
  return new AwsError(code, message, 400, {}, `AWS.SimpleQueueService.${code}`);
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** The JSON error and, for query-compatible clients, `AWS.SimpleQueueService.NonExistentQueue`. */
function nonExistent(): AwsError {
  return new AwsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    400,
    {},
    'AWS.SimpleQueueService.NonExistentQueue',
  );
}
