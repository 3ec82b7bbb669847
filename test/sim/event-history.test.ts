/**
 * CloudTrail event history through LookupEvents
 * (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html): every management call
 * the simulator serves, newest first, one lookup attribute, pages of at most 50, visible about 5 minutes after
 * the call (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html),
 * and two lookups a second when throttling is asked for.
 */
import {
  CloudTrailClient,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSeedTopology, launchInstances, type SeedTopology } from '../../sim/seed.ts';
import { awsError, useSim } from './support.ts';

const sim = useSim();
let seed: SeedTopology;
let cloudtrail: CloudTrailClient;
const FIVE_MINUTES = 5 * 60_000;
const PERSON = 'arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim';

beforeEach(async () => {
  seed = await buildSeedTopology(sim.clients);
  cloudtrail = new CloudTrailClient({
    endpoint: sim.endpoint,
    region: seed.region,
    credentials: { accessKeyId: 'AKIAHISTORYREADER', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});
afterEach(() => cloudtrail.destroy());

const lookup = (input: LookupEventsCommandInput = {}) => cloudtrail.send(new LookupEventsCommand(input));
const byResource = (arn: string, input: LookupEventsCommandInput = {}) =>
  lookup({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }], ...input });

async function modifyHttpAsPerson(statusCode: 'HTTP_302' | 'HTTP_301'): Promise<void> {
  await sim.control.identity('AKIAPERSON', PERSON);
  await sim.clientsAs('AKIAPERSON').elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: seed.httpListenerArn,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: statusCode } }],
    }),
  );
}

describe('CloudTrail event history', () => {
  it('shows a call about five minutes after it was made, by default, and not before', async () => {
    await modifyHttpAsPerson('HTTP_302');

    const early = await byResource(seed.httpListenerArn);
    await sim.control.clock(FIVE_MINUTES - 1_000);
    const almost = await byResource(seed.httpListenerArn);
    await sim.control.clock(1_000);
    const visible = await byResource(seed.httpListenerArn);

    // The seed's CreateListener, made just before, turns up at the same time.
    expect(early.Events).toEqual([]);
    expect(almost.Events).toEqual([]);
    expect(visible.Events?.map((event) => event.EventName)).toEqual(['ModifyListener', 'CreateListener']);
  });

  it('returns the same record EventBridge got, with its resources and who made the call', async () => {
    await sim.control.eventHistory({ delayMs: 0 });
    const { cursor } = await sim.control.events();
    await modifyHttpAsPerson('HTTP_302');

    const [event] = (await byResource(seed.httpListenerArn)).Events ?? [];
    const [delivered] = (await sim.control.events(cursor)).events;

    const record = JSON.parse(event?.CloudTrailEvent ?? '{}');
    expect(record).toEqual(delivered?.detail);
    expect(event).toMatchObject({
      EventId: record.eventID,
      EventName: 'ModifyListener',
      EventSource: 'elasticloadbalancing.amazonaws.com',
      ReadOnly: 'false',
      Username: 'jiwoo.kim',
      AccessKeyId: 'AKIAPERSON',
    });
    expect(event?.Resources).toContainEqual({
      ResourceType: 'AWS::ElasticLoadBalancingV2::Listener',
      ResourceName: seed.httpListenerArn,
    });
    expect(record.userIdentity.arn).toBe(PERSON);
  });

  it('records reads and other services’ calls as well, marked read-only', async () => {
    await sim.control.eventHistory({ delayMs: 0 });
    await sim.clients.ec2.send(new DescribeInstancesCommand({}));
    await sim.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: seed.targetGroupArn }));

    const reads = await lookup({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'true' }] });
    const ec2 = await lookup({
      LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'ec2.amazonaws.com' }],
    });

    expect(reads.Events?.slice(0, 2).map((event) => event.EventName)).toEqual([
      'DescribeTargetHealth',
      'DescribeInstances',
    ]);
    expect(ec2.Events?.some((event) => event.EventName === 'CreateVpc' && event.ReadOnly === 'false')).toBe(
      true,
    );
  });

  it('names the instances of a DeregisterTargets call and the target group, newest first', async () => {
    await sim.control.eventHistory({ delayMs: 0 });
    const [id] = await launchInstances(sim.clients, { count: 1, subnetId: seed.subnetIds[0] });
    const deregister = () =>
      sim.clients.elbv2.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: seed.targetGroupArn,
          Targets: [{ Id: id ?? '', Port: 8080 }],
        }),
      );
    await deregister();
    await sim.control.clock(1_000);
    await modifyHttpAsPerson('HTTP_302');
    await sim.control.clock(1_000);
    await deregister();

    const byInstance = await byResource(id ?? '');
    const byGroup = await byResource(seed.targetGroupArn, {
      StartTime: new Date(Date.now() - 60_000),
    });

    expect(byInstance.Events?.map((event) => event.EventName)).toEqual([
      'DeregisterTargets',
      'DeregisterTargets',
    ]);
    const times = byInstance.Events?.map((event) => event.EventTime?.getTime() ?? 0) ?? [];
    expect(times[0]).toBeGreaterThan(times[1] ?? Number.POSITIVE_INFINITY);
    expect(
      byGroup.Events?.every((event) => event.Resources?.some((r) => r.ResourceName === seed.targetGroupArn)),
    ).toBe(true);
  });

  it('pages with NextToken, at most 50 a page, and honours the time range', async () => {
    await sim.control.eventHistory({ delayMs: 0 });
    for (let index = 0; index < 4; index++) {
      await modifyHttpAsPerson(index % 2 === 0 ? 'HTTP_302' : 'HTTP_301');
      await sim.control.clock(10_000);
    }
    const first = await byResource(seed.httpListenerArn, { MaxResults: 3 });
    const second = await byResource(seed.httpListenerArn, { MaxResults: 3, NextToken: first.NextToken });
    const latest = first.Events?.[0]?.EventTime ?? new Date(0);
    const recent = await byResource(seed.httpListenerArn, { StartTime: new Date(latest.getTime() - 15_000) });

    expect(first.Events).toHaveLength(3);
    expect(first.NextToken).toBeDefined();
    expect(second.Events?.length).toBeGreaterThanOrEqual(1);
    expect(second.NextToken).toBeUndefined();
    const times = recent.Events?.map((event) => event.EventTime?.getTime() ?? 0) ?? [];
    expect(times).toHaveLength(2);
    expect(times[0]).toBe(latest.getTime());
    expect(times[1]).toBeLessThan(latest.getTime());
  });

  it('refuses what AWS refuses, with its error codes', async () => {
    const page = await byResource(seed.httpListenerArn, { MaxResults: 1 });

    const two = await awsError(
      lookup({
        LookupAttributes: [
          { AttributeKey: 'EventName', AttributeValue: 'ModifyListener' },
          { AttributeKey: 'ReadOnly', AttributeValue: 'false' },
        ],
      }),
    );
    const unknownKey = await awsError(
      lookup({ LookupAttributes: [{ AttributeKey: 'Region' as 'EventName', AttributeValue: 'x' }] }),
    );
    const tooMany = await awsError(lookup({ MaxResults: 51 }));
    const backwards = await awsError(
      lookup({ StartTime: new Date(Date.now()), EndTime: new Date(Date.now() - 60_000) }),
    );
    const otherQuery = await awsError(lookup({ MaxResults: 2, NextToken: page.NextToken ?? 'x' }));

    expect(two.code).toBe('InvalidLookupAttributesException');
    expect(unknownKey.code).toBe('InvalidLookupAttributesException');
    expect(tooMany.code).toBe('InvalidMaxResultsException');
    expect(backwards.code).toBe('InvalidTimeRangeException');
    expect(otherQuery.code).toBe('InvalidNextTokenException');
  });

  it('throttles a third lookup within a second when throttling is on, and never when it is off', async () => {
    await Promise.all([lookup(), lookup(), lookup()]);
    await sim.control.eventHistory({ throttle: true });

    await lookup();
    await lookup();
    const third = await awsError(lookup());
    await sim.control.clock(1_000);
    const later = await lookup();

    expect(third.code).toBe('ThrottlingException');
    expect(later.Events).toBeDefined();
  });

  it('rejects a control body it cannot honour, naming the field', async () => {
    await expect(sim.control.eventHistory({ delayMs: -1 })).rejects.toThrow(/delayMs/);
    await expect(sim.control.eventHistory({ throttle: 'yes' as unknown as boolean })).rejects.toThrow(
      /throttle/,
    );
  });
});
