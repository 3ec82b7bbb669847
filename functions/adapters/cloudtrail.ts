/**
 * CloudTrail's event history behind the ChangeHistory port: one LookupEvents call per question, by resource
 * name, one page. https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { type ApiCallEvent, parseCloudTrailRecord } from '../domain/events.ts';
import { awsCall } from '../errors.ts';
import type { ChangeHistory } from '../ports.ts';
import { API_LIMITS } from './batches.ts';
import { SdkAdapter } from './sdk-adapter.ts';

export class CloudTrailChangeHistory extends SdkAdapter<CloudTrailClient> implements ChangeHistory {
  async changesTo(resource: string, since: number, limit: number): Promise<ApiCallEvent[]> {
    const { Events = [] } = await awsCall(
      'LookupEvents',
      () =>
        this.client.send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: resource }],
            StartTime: new Date(since),
            MaxResults: Math.min(Math.max(1, limit), API_LIMITS.cloudTrailEventsPage),
          }),
        ),
      resource,
    );
    return Events.flatMap((event) => {
      if (event.ReadOnly === 'true' || !event.CloudTrailEvent) return [];
      const record = parseJson(event.CloudTrailEvent);
      const call = parseCloudTrailRecord(record, {
        id: event.EventId ?? '',
        account: String(record?.recipientAccountId ?? ''),
        region: String(record?.awsRegion ?? ''),
      });
      // Calls of other services, and records of a shape the guard cannot read, explain nothing here.
      return call.type === 'api-call' ? [call] : [];
    });
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The SDK client the adapter runs on, and the adapter: deps.ts makes both on the port's first call. */
export const clientAndAdapter = { Client: CloudTrailClient, Adapter: CloudTrailChangeHistory };
