/**
 * The services an operator's diagnosis reads, through the real SDK clients: CloudTrail, EventBridge,
 * CloudWatch GetMetricData, SQS, SNS subscriptions and SQS delivery, KMS key policies, IAM policy
 * simulation and CloudFormation outputs.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudTrailClient,
  CreateTrailCommand,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/index.ts';

let sim: Simulator;
let config: {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
};
beforeAll(async () => {
  sim = await startSimulator();
  config = {
    endpoint: sim.endpoint,
    region: sim.region,
    credentials: { accessKeyId: 'AKIAOPERATOR', secretAccessKey: 'secret' },
    maxAttempts: 1,
  };
});
afterAll(() => sim.stop());
beforeEach(() => sim.control.reset());

describe('CloudTrail', () => {
  it('creates a trail that logs once started, with all management events by default', async () => {
    const cloudtrail = new CloudTrailClient(config);
    const created = await cloudtrail.send(
      new CreateTrailCommand({ Name: 'org-trail', S3BucketName: 'logs', IsMultiRegionTrail: true }),
    );

    const before = await cloudtrail.send(new GetTrailStatusCommand({ Name: 'org-trail' }));
    await cloudtrail.send(new StartLoggingCommand({ Name: created.TrailARN }));
    const after = await cloudtrail.send(new GetTrailStatusCommand({ Name: created.TrailARN }));
    const { trailList } = await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: 'org-trail' }));

    expect(before.IsLogging).toBe(false);
    expect(after.IsLogging).toBe(true);
    expect(trailList?.[0]).toMatchObject({
      Name: 'org-trail',
      IsMultiRegionTrail: true,
      HomeRegion: sim.region,
    });
    expect(selectors.EventSelectors).toEqual([
      expect.objectContaining({ ReadWriteType: 'All', IncludeManagementEvents: true }),
    ]);
  });

  it('keeps the selectors it is given, and says TrailNotFoundException for an unknown trail', async () => {
    const cloudtrail = new CloudTrailClient(config);
    await cloudtrail.send(new CreateTrailCommand({ Name: 'reads', S3BucketName: 'logs' }));
    await cloudtrail.send(
      new PutEventSelectorsCommand({
        TrailName: 'reads',
        EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }],
      }),
    );

    const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: 'reads' }));

    expect(selectors.EventSelectors?.[0]?.ReadWriteType).toBe('ReadOnly');
    await expect(cloudtrail.send(new GetTrailStatusCommand({ Name: 'gone' }))).rejects.toMatchObject({
      name: 'TrailNotFoundException',
    });
  });
});

describe('EventBridge', () => {
  it('describes rules, their targets, and the rules of a target', async () => {
    const events = new EventBridgeClient(config);
    await events.send(new PutRuleCommand({ Name: 'sweep', ScheduleExpression: 'rate(1 minute)' }));
    await events.send(
      new PutTargetsCommand({
        Rule: 'sweep',
        Targets: [
          {
            Id: 't',
            Arn: 'arn:aws:lambda:ap-northeast-2:123456789012:function:f',
            DeadLetterConfig: { Arn: 'arn:aws:sqs:ap-northeast-2:123456789012:dlq' },
          },
        ],
      }),
    );
    await events.send(new DisableRuleCommand({ Name: 'sweep' }));

    const rule = await events.send(new DescribeRuleCommand({ Name: 'sweep' }));
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: 'sweep' }));
    const names = await events.send(
      new ListRuleNamesByTargetCommand({
        TargetArn: 'arn:aws:lambda:ap-northeast-2:123456789012:function:f',
      }),
    );

    expect(rule).toMatchObject({ Name: 'sweep', State: 'DISABLED', ScheduleExpression: 'rate(1 minute)' });
    expect(targets.Targets?.[0]?.DeadLetterConfig?.Arn).toBe('arn:aws:sqs:ap-northeast-2:123456789012:dlq');
    expect(names.RuleNames).toEqual(['sweep']);
    await expect(events.send(new DescribeRuleCommand({ Name: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('CloudWatch', () => {
  it('sums datapoints per period, newest first, and refuses AWS namespaces in PutMetricData', async () => {
    const cloudwatch = new CloudWatchClient(config);
    const now = Date.now();
    const dimensions = { FunctionName: 'AlbWarden-Sweep' };
    await sim.control.metrics([
      {
        namespace: 'AWS/Lambda',
        metricName: 'Invocations',
        dimensions,
        timestamp: new Date(now - 90_000).toISOString(),
      },
      {
        namespace: 'AWS/Lambda',
        metricName: 'Invocations',
        dimensions,
        timestamp: new Date(now - 80_000).toISOString(),
      },
      {
        namespace: 'AWS/Lambda',
        metricName: 'Invocations',
        dimensions,
        timestamp: new Date(now - 10_000).toISOString(),
      },
    ]);

    const result = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 120_000),
        EndTime: new Date(now),
        MetricDataQueries: [
          {
            Id: 'invocations',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Lambda',
                MetricName: 'Invocations',
                Dimensions: [{ Name: 'FunctionName', Value: 'AlbWarden-Sweep' }],
              },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );

    expect(result.MetricDataResults?.[0]?.Values).toEqual([1, 2]);
    // Periods counted from StartTime: [now-120s, now-60s) holds two, [now-60s, now) one.
    expect(result.MetricDataResults?.[0]?.Timestamps?.map((time) => time.getTime())).toEqual([
      now - 60_000,
      now - 120_000,
    ]);
    await expect(
      cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/Lambda',
          MetricData: [{ MetricName: 'Errors', Value: 1 }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });
});

describe('SQS and SNS', () => {
  it('delivers a published alert to a subscribed queue as an SNS notification, and counts what waits', async () => {
    const sqs = new SQSClient(config);
    const sns = new SNSClient(config);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'drill' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'alerts', Attributes: { KmsMasterKeyId: 'alias/alerts' } }),
    );
    const subscription = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'oncall@example.com' }));

    await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: 'drift',
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'text', sqs: '{"kind":"DriftRepaired"}' }),
      }),
    );
    const waiting = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages?.[0]?.ReceiptHandle }),
    );
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription.SubscriptionArn }));
    const after = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));

    expect(waiting.Attributes?.ApproximateNumberOfMessages).toBe('1');
    expect(JSON.parse(received.Messages?.[0]?.Body ?? '{}')).toMatchObject({
      Type: 'Notification',
      TopicArn,
      Subject: 'drift',
      Message: '{"kind":"DriftRepaired"}',
    });
    expect(
      listed.Subscriptions?.map((s) => [s.Protocol, s.SubscriptionArn === 'PendingConfirmation']),
    ).toEqual([
      ['sqs', false],
      ['email', true],
    ]);
    expect(attributes.Attributes).toMatchObject({
      KmsMasterKeyId: 'alias/alerts',
      SubscriptionsConfirmed: '1',
      SubscriptionsPending: '1',
    });
    expect(after.Subscriptions?.map((s) => s.Protocol)).toEqual(['email']);
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    const sqs = new SQSClient(config);
    await expect(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: 'https://sqs.ap-northeast-2.amazonaws.com/123456789012/none',
          MessageBody: 'x',
        }),
      ),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});

describe('KMS, IAM and CloudFormation', () => {
  it('returns a key policy, simulates a role policy per action and resource, and lists stack outputs', async () => {
    const kms = new KMSClient(config);
    const iam = new IAMClient(config);
    const key = await kms.send(new CreateKeyCommand({}));
    const policy = await kms.send(
      new GetKeyPolicyCommand({ KeyId: key.KeyMetadata?.KeyId, PolicyName: 'default' }),
    );
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'controller',
        AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}',
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'controller',
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sns:Publish',
              Resource: 'arn:aws:sns:ap-northeast-2:123456789012:alerts',
            },
          ],
        }),
      }),
    );
    await sim.control.stack('AlbWarden', { AlertTopicArn: 'arn:aws:sns:ap-northeast-2:123456789012:alerts' });

    const simulated = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: role.Role?.Arn,
        ActionNames: ['sns:Publish'],
        ResourceArns: [
          'arn:aws:sns:ap-northeast-2:123456789012:alerts',
          'arn:aws:sns:ap-northeast-2:123456789012:other',
        ],
      }),
    );
    const stacks = await new CloudFormationClient(config).send(
      new DescribeStacksCommand({ StackName: 'AlbWarden' }),
    );

    expect(JSON.parse(policy.Policy ?? '{}').Statement[0].Principal.AWS).toBe(
      'arn:aws:iam::123456789012:root',
    );
    expect(
      simulated.EvaluationResults?.map((r) => [r.EvalResourceName?.split(':').pop(), r.EvalDecision]),
    ).toEqual([
      ['alerts', 'allowed'],
      ['other', 'implicitDeny'],
    ]);
    expect(stacks.Stacks?.[0]?.Outputs).toEqual([
      { OutputKey: 'AlertTopicArn', OutputValue: 'arn:aws:sns:ap-northeast-2:123456789012:alerts' },
    ]);
    await expect(
      new CloudFormationClient(config).send(new DescribeStacksCommand({ StackName: 'Nope' })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
