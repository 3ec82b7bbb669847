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
    SendMessage: (body) => {
      const message = this.deliver(
        this.#queue(body).arn,
        requiredString(body, 'MessageBody', 'MissingParameter'),
      );
      return { MessageId: message.id, MD5OfMessageBody: md5(message.body) };
    },
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
  deliver(queueArn: string, body: string): Message {
    const message: Message = { id: uuid(), body, receipt: undefined, invisibleUntil: 0, receiveCount: 0 };
    [...this.#queues.values()].find((queue) => queue.arn === queueArn)?.messages.push(message);
    return message;
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
    const messages = queue.messages.filter((message) => message.invisibleUntil <= now).slice(0, max);
    for (const message of messages) {
      message.receipt = uuid();
      message.invisibleUntil = now + timeout * 1000;
      message.receiveCount += 1;
    }
    return {
      Messages: messages.map((message) => ({
        MessageId: message.id,
        ReceiptHandle: message.receipt,
        MD5OfBody: md5(message.body),
        Body: message.body,
      })),
    };
  }
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
