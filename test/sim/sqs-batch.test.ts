/**
 * The simulator's SQS as the sweep queue uses it: SendMessageBatch with its per-request limits, the receive
 * count, visibility on the simulated clock, and the redrive policy moving a message to its dead-letter queue.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/index.ts';

let sim: Simulator;
let sqs: SQSClient;
beforeAll(async () => {
  sim = await startSimulator();
  sqs = new SQSClient({
    endpoint: sim.endpoint,
    region: sim.region,
    credentials: { accessKeyId: 'AKIAOPERATOR', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sqs.destroy();
  await sim.stop();
});
beforeEach(() => sim.control.reset());

const entries = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ Id: `m${index}`, MessageBody: `body ${index}` }));

async function arnOf(queueUrl: string | undefined): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

describe('SendMessageBatch', () => {
  it('queues up to ten messages and answers each entry by its id', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'work' }));

    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries(10) }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));

    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(entries(10).map((entry) => entry.Id));
    expect(sent.Failed ?? []).toEqual([]);
    expect(received.Messages?.map((message) => message.Body)).toEqual(
      entries(10).map((entry) => entry.MessageBody),
    );
  });

  it.each([
    ['eleven entries', entries(11), 'TooManyEntriesInBatchRequest'],
    ['no entry', [], 'EmptyBatchRequest'],
    [
      'the same id twice',
      [
        { Id: 'm0', MessageBody: 'a' },
        { Id: 'm0', MessageBody: 'b' },
      ],
      'BatchEntryIdsNotDistinct',
    ],
    ['an id with a dot', [{ Id: 'a.b', MessageBody: 'x' }], 'InvalidBatchEntryId'],
  ])('refuses %s with %s', async (_what, batch, code) => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'work' }));

    await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: batch }))).rejects.toMatchObject({
      name: code,
    });
  });
});

describe('receiving', () => {
  it('counts receives, shows a message again after its visibility timeout, then moves it to the dead-letter queue', async () => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'work-dlq' }));
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'work',
        Attributes: {
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: await arnOf(dlq.QueueUrl),
            maxReceiveCount: 2,
          }),
        },
      }),
    );
    await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries(1) }));
    const receive = () =>
      sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      );

    const first = await receive();
    const hidden = await receive();
    await sim.control.clock(61_000);
    const second = await receive();
    await sim.control.clock(61_000);
    const third = await receive();
    const deadLettered = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl }));

    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(hidden.Messages ?? []).toEqual([]);
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(third.Messages ?? []).toEqual([]);
    expect(deadLettered.Messages?.map((message) => message.Body)).toEqual(['body 0']);
  });
});
