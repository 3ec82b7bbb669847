/**
 * The sweep queue on the simulator and what Lambda's SQS event source mapping does with it: receive up to
 * `batchSize` messages, invoke the function with them as one SQS event (at most `maximumConcurrency` batches
 * at once), delete what it handled. With ReportBatchItemFailures only the messages the response names stay,
 * visible again once their visibility timeout has passed on the simulator's clock; a thrown invocation, or a
 * response naming a message that is not in the batch, leaves the whole batch
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). The event's records have
 * the documented shape (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface SweepQueueResources {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
}

/** The queue and its dead-letter queue, as the Warden stack creates them. */
export async function createSweepQueue(
  sqs: SQSClient,
  options: { readonly visibilityTimeoutSeconds: number; readonly maxReceiveCount: number },
): Promise<SweepQueueResources> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'alb-warden-sweep-dlq' }));
  const dlqArn = await queueArn(sqs, dlq.QueueUrl ?? '');
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'alb-warden-sweep',
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: options.maxReceiveCount,
        }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl ?? '';
  return { queueUrl, queueArn: await queueArn(sqs, queueUrl), deadLetterQueueUrl: dlq.QueueUrl ?? '' };
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

export async function visibleMessages(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: Readonly<Record<string, never>>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export interface InvocationContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export type SqsHandler = (
  event: { readonly Records: readonly SqsRecord[] },
  context: InvocationContext,
) => Promise<unknown>;

export interface MappingOptions {
  readonly batchSize: number;
  readonly maximumConcurrency: number;
  /** The function's timeout, which the context's remaining time starts from. */
  readonly timeoutMs: number;
}

export interface Invocation {
  readonly records: readonly SqsRecord[];
  readonly response?: unknown;
  readonly error?: unknown;
  /** Message ids left on the queue. */
  readonly failed: readonly string[];
}

export class EventSourceMapping {
  readonly invocations: Invocation[] = [];
  readonly #sqs: SQSClient;
  readonly #queue: { readonly url: string; readonly arn: string };
  readonly #region: string;
  readonly #handler: SqsHandler;
  readonly #options: MappingOptions;

  constructor(
    sqs: SQSClient,
    queue: { readonly url: string; readonly arn: string },
    region: string,
    handler: SqsHandler,
    options: MappingOptions,
  ) {
    this.#sqs = sqs;
    this.#queue = queue;
    this.#region = region;
    this.#handler = handler;
    this.#options = options;
  }

  /** One round: up to `maximumConcurrency` batches, invoked at once. Resolves with how many ran. */
  async poll(): Promise<number> {
    const batches: Message[][] = [];
    for (let slot = 0; slot < this.#options.maximumConcurrency; slot++) {
      const { Messages = [] } = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#queue.url,
          MaxNumberOfMessages: this.#options.batchSize,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      batches.push(Messages);
    }
    await Promise.all(batches.map((batch) => this.#invoke(batch)));
    return batches.length;
  }

  /** Polls until a round finds nothing visible; resolves with the invocations made. */
  async drain(): Promise<number> {
    let total = 0;
    for (let ran = await this.poll(); ran > 0; ran = await this.poll()) total += ran;
    return total;
  }

  async #invoke(batch: readonly Message[]): Promise<void> {
    const records = batch.map((message) => this.#record(message));
    const ids = records.map((record) => record.messageId);
    let response: unknown;
    let error: unknown;
    let failed: string[];
    try {
      response = await this.#handler(
        { Records: records },
        {
          awsRequestId: crypto.randomUUID(),
          getRemainingTimeInMillis: () => this.#options.timeoutMs,
        },
      );
      const named = (
        (response as { batchItemFailures?: { itemIdentifier?: unknown }[] } | undefined)?.batchItemFailures ??
        []
      ).map((failure) => failure.itemIdentifier);
      failed = named.every((id) => typeof id === 'string' && ids.includes(id)) ? (named as string[]) : ids;
    } catch (thrown) {
      error = thrown;
      failed = ids;
    }
    const done = records.filter((record) => !failed.includes(record.messageId));
    for (let start = 0; start < done.length; start += 10) {
      await this.#sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#queue.url,
          Entries: done.slice(start, start + 10).map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
    }
    this.invocations.push({ records, response, error, failed });
  }

  #record(message: Message): SqsRecord {
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: { ...(message.Attributes ?? {}) },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.#queue.arn,
      awsRegion: this.#region,
    };
  }
}
