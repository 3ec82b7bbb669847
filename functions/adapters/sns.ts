/** AlertPublisher over SNS (SDK v3): one Publish per alert, readable text and a JSON document in one message. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { RenderedAlert } from '../domain/alerts.ts';
import { awsCall } from '../errors.ts';
import type { AlertPublisher } from '../ports.ts';
import { SdkAdapter } from './sdk-adapter.ts';

/** SNS's message size limit is 256 KiB; stay clear of it. */
const MAX_MESSAGE_BYTES = 240 * 1024;

export class SnsAlertPublisher extends SdkAdapter<SNSClient> implements AlertPublisher {
  async publish(topicArn: string, alert: RenderedAlert): Promise<void> {
    const about = `${alert.attributes.kind} for ${alert.attributes.binding}`;
    await awsCall(
      'Publish',
      () =>
        this.client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: alert.subject,
            MessageStructure: 'json',
            Message: snsMessage(alert),
            MessageAttributes: {
              severity: { DataType: 'String', StringValue: alert.attributes.severity },
              kind: { DataType: 'String', StringValue: alert.attributes.kind },
              binding: { DataType: 'String', StringValue: alert.attributes.binding },
            },
            ...fifoFields(topicArn, alert),
          }),
        ),
      about,
    );
  }
}

/**
 * A FIFO topic (its name ends in `.fifo`) needs a message group and a deduplication id; a standard topic
 * refuses the deduplication id. Alerts of a binding stay in order in its own group; the alert's stable id
 * makes SNS drop a copy re-sent within five minutes (after a lost response, say).
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export function fifoFields(
  topicArn: string,
  alert: RenderedAlert,
): { MessageGroupId?: string; MessageDeduplicationId?: string } {
  if (!topicArn.endsWith('.fifo')) return {};
  return { MessageGroupId: alert.attributes.binding, MessageDeduplicationId: alert.id };
}

/**
 * `MessageStructure: json`: one entry per protocol. People get the text; machines (SQS, Lambda, HTTP(S))
 * get the versioned JSON document, as a string, which is how SNS delivers it.
 */
export function snsMessage(alert: RenderedAlert): string {
  const build = (text: string, document: unknown) => {
    const json = JSON.stringify(document);
    return JSON.stringify({
      default: text,
      email: text,
      sms: alert.subject,
      sqs: json,
      lambda: json,
      http: json,
      https: json,
      firehose: json,
    });
  };
  const message = build(alert.text, alert.document);
  if (Buffer.byteLength(message) <= MAX_MESSAGE_BYTES) return message;
  const note = '\n\n[truncated: the full details did not fit in one SNS message; run `alb-warden status`]';
  const text = alert.text.slice(0, 32 * 1024) + note;
  const document = { ...alert.document, details: { truncated: true } };
  return build(text, document);
}

/** The SDK client the adapter runs on, and the adapter: deps.ts makes both on the port's first call. */
export const clientAndAdapter = { Client: SNSClient, Adapter: SnsAlertPublisher };
