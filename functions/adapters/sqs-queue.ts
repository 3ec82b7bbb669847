/**
 * SweepQueue over SQS (SDK v3): SendMessageBatch, 10 entries a call (its limit); a message body is
 * `{"bindings": [...]}`. Entries SQS reports as failed in a successful call are sent once more, then the
 * call fails naming them ("SendMessageBatch", SQS API reference:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { AwsCallError, awsCall } from '../errors.ts';
import type { SweepQueue } from '../ports.ts';
import { API_LIMITS, chunk } from './batches.ts';
import { SdkAdapter } from './sdk-adapter.ts';

const ATTEMPTS = 2;

export class SqsSweepQueue extends SdkAdapter<SQSClient> implements SweepQueue {
  private readonly queueUrl: string;

  constructor(client: SQSClient, queueUrl: string) {
    super(client);
    this.queueUrl = queueUrl;
  }

  async send(groups: readonly (readonly string[])[]): Promise<void> {
    const entries = groups.map((bindings, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify({ bindings }),
    }));
    for (const batch of chunk(entries, API_LIMITS.sqsSendBatch)) await this.sendBatch(batch);
  }

  private async sendBatch(batch: SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const output = await awsCall(
        'SendMessageBatch',
        () => this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending })),
        this.queueUrl,
      );
      const failed = output.Failed ?? [];
      const ids = new Set(failed.map((entry) => entry.Id));
      pending = pending.filter((entry) => ids.has(entry.Id));
      if (pending.length > 0 && attempt >= ATTEMPTS) {
        const reasons = failed.map((entry) => `${entry.Code}: ${entry.Message}`).join('; ');
        throw new AwsCallError(
          'SendMessageBatch',
          new Error(`${pending.length} message(s) not sent: ${reasons}`),
          this.queueUrl,
        );
      }
    }
  }
}

/** The SDK client the adapter runs on, and the adapter: queue-deps.ts makes both on first use. */
export const clientAndAdapter = { Client: SQSClient, Adapter: SqsSweepQueue };
