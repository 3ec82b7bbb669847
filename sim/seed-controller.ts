/**
 * A deployed controller as the Warden stack leaves it in an account, built through ordinary SDK calls: the
 * KMS key of the alert topic (usable by CloudWatch alarms), the topic and the state table, the controller
 * role and its least-privilege policy, one dead-letter queue per function, the three EventBridge rules with
 * their targets, and a logging CloudTrail trail. Returns the stack's outputs; recording them as a stack
 * (and the Lambda metrics AWS writes) is the control API's job.
 */
import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SetTopicAttributesCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createAlertResources } from './seed.ts';

export interface ControllerClients {
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
  readonly kms: KMSClient;
  readonly iam: IAMClient;
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
  readonly cloudtrail: CloudTrailClient;
}

export interface ControllerBinding {
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
}

export interface DeployControllerOptions {
  readonly account: string;
  readonly region: string;
  readonly bindings: readonly ControllerBinding[];
  /** @default 'alb-warden@example.com' (pending until confirmed through the control API) */
  readonly alertEmail?: string;
  /** @default true: a multi-region trail logging all management events */
  readonly trail?: boolean;
  /** @default 'rate(1 minute)' */
  readonly sweepSchedule?: string;
  /** The alert topic and state table when they exist already (they get the key); created otherwise. */
  readonly alerts?: { readonly topicArn: string; readonly tableName: string };
  /** The configuration has discovery policies: the sweep's role may call tag:GetResources. @default false */
  readonly discovery?: boolean;
}

export type StackOutputs = Readonly<Record<string, string>>;

export const FUNCTIONS = ['register', 'guard', 'sweep'] as const;

const capitalize = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`;

export function createControllerClients(config: {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}): Omit<ControllerClients, 'sns' | 'dynamodb'> {
  return {
    kms: new KMSClient(config),
    iam: new IAMClient(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
    cloudtrail: new CloudTrailClient(config),
  };
}

export async function deployController(
  clients: ControllerClients,
  options: DeployControllerOptions,
): Promise<StackOutputs> {
  const { account, region } = options;
  const key = await clients.kms.send(
    new CreateKeyCommand({
      Description: 'alb-warden alert topic',
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${account}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          },
        ],
      }),
    }),
  );
  const keyArn = key.KeyMetadata?.Arn ?? '';
  const { topicArn, tableName } =
    options.alerts ?? (await createAlertResources(clients, { kmsMasterKeyId: keyArn }));
  if (options.alerts)
    await clients.sns.send(
      new SetTopicAttributesCommand({
        TopicArn: topicArn,
        AttributeName: 'KmsMasterKeyId',
        AttributeValue: keyArn,
      }),
    );
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'email',
      Endpoint: options.alertEmail ?? 'alb-warden@example.com',
    }),
  );

  const roleArns: string[] = [];
  for (const name of FUNCTIONS) {
    const roleName = `AlbWarden-${capitalize(name)}Role`;
    const role = await clients.iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await clients.iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'controller',
        PolicyDocument: JSON.stringify(
          controllerPolicy({
            ...options,
            listeners: name !== 'register',
            discovers: name === 'sweep' && options.discovery === true,
            eventHistory: name === 'sweep',
            topicArn,
            keyArn,
            tableName,
          }),
        ),
      }),
    );
    roleArns.push(role.Role?.Arn ?? '');
  }

  const outputs: Record<string, string> = {
    AlertTopicArn: topicArn,
    AlertStateTableName: tableName,
    ControllerRoleArns: roleArns.join(','),
    ConfigurationDelivery: 'inline',
    DashboardName: 'AlbWarden',
  };
  for (const name of FUNCTIONS) {
    const functionName = `AlbWarden-${capitalize(name)}`;
    const queue = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${functionName}-DLQ` }));
    const queueUrl = queue.QueueUrl ?? '';
    const attributes = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const ruleName = `AlbWarden-${capitalize(name)}Rule`;
    await clients.events.send(
      new PutRuleCommand({
        Name: ruleName,
        ...(name === 'sweep'
          ? { ScheduleExpression: options.sweepSchedule ?? 'rate(1 minute)' }
          : { EventPattern: JSON.stringify(RULE_PATTERNS[name]) }),
      }),
    );
    await clients.events.send(
      new PutTargetsCommand({
        Rule: ruleName,
        Targets: [
          {
            Id: 'Target0',
            Arn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
            DeadLetterConfig: { Arn: attributes.Attributes?.QueueArn ?? '' },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
          },
        ],
      }),
    );
    outputs[`${capitalize(name)}FunctionName`] = functionName;
    outputs[`${capitalize(name)}DeadLetterQueueUrl`] = queueUrl;
  }

  if (options.trail !== false) {
    await clients.cloudtrail.send(
      new CreateTrailCommand({
        Name: 'alb-warden-api-calls',
        S3BucketName: 'alb-warden-trail',
        IsMultiRegionTrail: true,
      }),
    );
    await clients.cloudtrail.send(new StartLoggingCommand({ Name: 'alb-warden-api-calls' }));
  }
  return outputs;
}

const RULE_PATTERNS = {
  register: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
  guard: {
    source: ['aws.elasticloadbalancing'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: { eventSource: ['elasticloadbalancing.amazonaws.com'] },
  },
} as const;

/**
 * The Warden stack's role policy of one function: reads everywhere they cannot be scoped, writes on the bound
 * ARNs; the register function touches no listener, rule or health check, and only the sweep looks up
 * CloudTrail's event history.
 */
function controllerPolicy(options: {
  readonly bindings: readonly ControllerBinding[];
  readonly listeners: boolean;
  readonly discovers: boolean;
  readonly eventHistory: boolean;
  readonly topicArn: string;
  readonly keyArn: string;
  readonly account: string;
  readonly region: string;
  readonly tableName: string;
}) {
  const { bindings, listeners, discovers, topicArn, keyArn, account, region, tableName } = options;
  const sibling = (lb: string, kind: string, suffix: string) =>
    lb.replace(':loadbalancer/', `:${kind}/`) + suffix;
  const lbs = bindings.map((binding) => binding.loadBalancerArn);
  const groups = bindings.map((binding) => binding.targetGroupArn);
  const listenerStatements = [
    {
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeListenerCertificates',
      ],
      Resource: '*',
    },
    {
      Effect: 'Allow',
      Action: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:AddListenerCertificates'],
      Resource: lbs.map((lb) => sibling(lb, 'listener', '/*')),
    },
    { Effect: 'Allow', Action: 'elasticloadbalancing:CreateListener', Resource: lbs },
    {
      Effect: 'Allow',
      Action: 'elasticloadbalancing:DeleteRule',
      Resource: lbs.map((lb) => sibling(lb, 'listener-rule', '/*/*')),
    },
    { Effect: 'Allow', Action: 'elasticloadbalancing:ModifyTargetGroup', Resource: groups },
  ];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetGroupAttributes',
          'elasticloadbalancing:DescribeTargetHealth',
          'ec2:DescribeInstances',
          // Which Auto Scaling groups own which target groups: a describe with no resource-level permissions.
          'autoscaling:DescribeAutoScalingGroups',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        Resource: groups,
      },
      ...(listeners ? listenerStatements : []),
      // The tagging API has no resource-level permissions for GetResources.
      ...(discovers ? [{ Effect: 'Allow', Action: 'tag:GetResources', Resource: '*' }] : []),
      // No resource-level permissions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html
      ...(options.eventHistory
        ? [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }]
        : []),
      { Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: keyArn },
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
        Resource: `arn:aws:dynamodb:${region}:${account}:table/${tableName}`,
      },
    ],
  };
}
