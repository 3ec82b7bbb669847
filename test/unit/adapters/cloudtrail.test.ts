/**
 * The event history adapter: one LookupEvents call by resource name, one page, a small MaxResults, and only
 * the ELB calls whose CloudTrail record the guard can read.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudTrailChangeHistory } from '../../../functions/adapters/cloudtrail.ts';
import { AwsCallError } from '../../../functions/errors.ts';
import { HTTP_LISTENER_ARN } from '../../support/builders.ts';
import { fixture } from '../../support/fixtures.ts';

const cloudtrail = mockClient(CloudTrailClient);
// Test files share a worker: the mock patches every CloudTrail client, so it is put back after this file.
afterAll(() => cloudtrail.restore());
const history = () => new CloudTrailChangeHistory(new CloudTrailClient({ region: 'ap-northeast-2' }));
const since = Date.parse('2026-11-20T06:00:00Z');

/** A recorded ModifyListener, as event history returns it: the EventBridge event's detail as a JSON string. */
const modifyListener = () => {
  const detail = fixture('cloudtrail-modify-listener-http-to-forward.json').detail as Record<string, unknown>;
  return {
    EventId: String(detail.eventID),
    EventName: 'ModifyListener',
    ReadOnly: 'false',
    EventSource: 'elasticloadbalancing.amazonaws.com',
    EventTime: new Date(String(detail.eventTime)),
    Resources: [{ ResourceType: 'AWS::ElasticLoadBalancingV2::Listener', ResourceName: HTTP_LISTENER_ARN }],
    CloudTrailEvent: JSON.stringify(detail),
  };
};

beforeEach(() => cloudtrail.reset());

describe('CloudTrailChangeHistory', () => {
  it('asks once, by resource name, from the given time, for one small page', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [modifyListener()], NextToken: 'more' });

    const calls = await history().changesTo(HTTP_LISTENER_ARN, since, 10);

    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 1);
    expect(cloudtrail).toHaveReceivedCommandWith(LookupEventsCommand, {
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: HTTP_LISTENER_ARN }],
      StartTime: new Date(since),
      MaxResults: 10,
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      type: 'api-call',
      eventName: 'ModifyListener',
      actor: { arn: expect.stringContaining('assumed-role/AdministratorAccess/jiwoo.kim') },
      requestParameters: { listenerArn: expect.any(String) },
    });
  });

  it('never asks for more than a page of 50', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    await history().changesTo(HTTP_LISTENER_ARN, since, 500);
    expect(cloudtrail).toHaveReceivedCommandWith(LookupEventsCommand, { MaxResults: 50 });
  });

  it('leaves out reads, other services’ calls and records it cannot read', async () => {
    const ec2 = { ...modifyListener(), EventSource: 'ec2.amazonaws.com' };
    ec2.CloudTrailEvent = JSON.stringify({
      ...JSON.parse(ec2.CloudTrailEvent),
      eventSource: 'ec2.amazonaws.com',
    });
    cloudtrail.on(LookupEventsCommand).resolves({
      Events: [
        { ...modifyListener(), ReadOnly: 'true' },
        ec2,
        { ...modifyListener(), CloudTrailEvent: '{not json' },
        { ...modifyListener(), CloudTrailEvent: undefined },
        modifyListener(),
      ],
    });

    const calls = await history().changesTo(HTTP_LISTENER_ARN, since, 10);

    expect(calls.map((call) => call.eventName)).toEqual(['ModifyListener']);
  });

  it('lets a failed lookup fail: the caller decides to go on without it', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));
    const failure = history().changesTo(HTTP_LISTENER_ARN, since, 10);

    // As every adapter's: an AwsCallError naming the action and what it asked about, AWS's code kept.
    await expect(failure).rejects.toBeInstanceOf(AwsCallError);
    await expect(failure).rejects.toMatchObject({ action: 'LookupEvents', awsCode: 'ThrottlingException' });
    await expect(failure).rejects.toThrow(`LookupEvents failed (${HTTP_LISTENER_ARN}): ThrottlingException`);
  });
});
