/**
 * FIFO topics and SNS's permanent Publish errors.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 * https://docs.aws.amazon.com/sns/latest/dg/fifo-message-dedup.html
 */
import { CreateTopicCommand, DeleteTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { awsError, useSim } from './support.ts';

const sim = useSim();

async function topic(name: string, attributes: Record<string, string> = {}): Promise<string> {
  return (
    (await sim.clients.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }))).TopicArn ??
    ''
  );
}

const publish = (TopicArn: string, input: Partial<ConstructorParameters<typeof PublishCommand>[0]> = {}) =>
  sim.clients.sns.send(new PublishCommand({ TopicArn, Message: 'target i-1 unhealthy', ...input }));

const delivered = async () => (await sim.control.sns()).messages;

describe('FIFO topics', () => {
  it('needs FifoTopic=true and a name ending in .fifo, together', async () => {
    const unmarked = await awsError(topic('alerts.fifo'));
    const misnamed = await awsError(topic('alerts', { FifoTopic: 'true' }));

    expect(await topic('alerts.fifo', { FifoTopic: 'true' })).toBe(
      'arn:aws:sns:ap-northeast-2:123456789012:alerts.fifo',
    );
    expect(unmarked).toMatchObject({ code: 'InvalidParameter', status: 400 });
    expect(misnamed).toMatchObject({ code: 'InvalidParameter', status: 400 });
  });

  it('refuses a publish without MessageGroupId, and without a deduplication id unless content-based', async () => {
    const arn = await topic('alerts.fifo', { FifoTopic: 'true' });

    const noGroup = await awsError(publish(arn, { MessageDeduplicationId: 'd1' }));
    const noDeduplication = await awsError(publish(arn, { MessageGroupId: 'web' }));

    expect(noGroup).toMatchObject({
      name: 'InvalidParameterException',
      code: 'InvalidParameter',
      message: 'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
    });
    expect(noDeduplication.message).toContain('ContentBasedDeduplication');
    expect(await delivered()).toEqual([]);
  });

  it('accepts a duplicate within five minutes without delivering it again, and delivers it after', async () => {
    const arn = await topic('alerts.fifo', { FifoTopic: 'true' });
    const send = () => publish(arn, { MessageGroupId: 'web', MessageDeduplicationId: 'unhealthy-i-1' });

    const first = await send();
    const duplicate = await send();
    const afterFirst = (await delivered()).length;
    await sim.control.clock(5 * 60 * 1000);
    const later = await send();

    expect(duplicate.MessageId).toBe(first.MessageId);
    expect(duplicate.SequenceNumber).toBe(first.SequenceNumber);
    expect(afterFirst).toBe(1);
    expect(later.MessageId).not.toBe(first.MessageId);
    expect(BigInt(later.SequenceNumber ?? '0')).toBeGreaterThan(BigInt(first.SequenceNumber ?? '0'));
    expect((await delivered()).map((m) => m.messageGroupId)).toEqual(['web', 'web']);
  });

  it('derives the deduplication id from the body with content-based deduplication', async () => {
    const arn = await topic('alerts.fifo', { FifoTopic: 'true', ContentBasedDeduplication: 'true' });

    await publish(arn, { MessageGroupId: 'web' });
    await publish(arn, { MessageGroupId: 'web' });
    await publish(arn, { MessageGroupId: 'web', Message: 'target i-1 recovered' });

    expect((await delivered()).map((m) => m.message)).toEqual([
      'target i-1 unhealthy',
      'target i-1 recovered',
    ]);
  });

  it('lets a standard topic take a MessageGroupId but not a MessageDeduplicationId', async () => {
    const arn = await topic('alerts');

    await publish(arn, { MessageGroupId: 'web' });
    const error = await awsError(publish(arn, { MessageDeduplicationId: 'd1' }));

    expect(error.code).toBe('InvalidParameter');
    expect(await delivered()).toHaveLength(1);
    expect((await delivered())[0]).not.toHaveProperty('messageGroupId');
  });
});

describe('permanent publish errors', () => {
  it('answers NotFound (404) once the topic is deleted', async () => {
    const arn = await topic('alerts');
    await sim.clients.sns.send(new DeleteTopicCommand({ TopicArn: arn }));

    expect(await awsError(publish(arn))).toMatchObject({
      name: 'NotFoundException',
      code: 'NotFound',
      status: 404,
    });
  });

  it.each([
    ['NotFound', 'NotFoundException', 404],
    ['KMSDisabled', 'KMSDisabledException', 400],
    ['AccessDenied', 'AuthorizationErrorException', 403],
  ])('injects %s as SNS answers it', async (error, name, status) => {
    const arn = await topic('alerts');
    await sim.control.faults({ service: 'sns', action: 'Publish', error, count: 1 });

    expect(await awsError(publish(arn))).toMatchObject({ name, status });
    expect(await delivered()).toEqual([]);
  });
});
