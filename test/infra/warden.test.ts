/**
 * The Warden stack as synthesized from cdk.json's example context (the seed's existing ARNs), and variants:
 * what each resource does, asserted on the template.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetStaging, Fn, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../functions/telemetry.ts';
import {
  CONFIG_FILE_PATH,
  estimateEnvironmentSize,
  LAMBDA_ENVIRONMENT_LIMIT,
  TOKEN_SIZE_ESTIMATE,
} from '../../infra/constructs/warden-configuration.ts';
import { WardenStack } from '../../infra/warden-stack.ts';
import { DIST, ensureBundles } from './support/bundles.ts';
import {
  cfn,
  ENV,
  EXAMPLE_CONFIG,
  flaggedApp,
  logicalId,
  propertiesOf,
  resourcesOfType,
  type Synthesized,
  synth,
} from './support/synth.ts';

// Synthesizing an app takes a second or two, more on a loaded CI machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const LB =
  'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/web-alb/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web-8080/73e2d6bc24d8a067';

let seed: Synthesized;
let t: Template;

beforeAll(async () => {
  seed = await synth();
  t = seed.wardenTemplate;
}, 60_000);

const fn = (name: 'register' | 'guard' | 'sweep') => seed.warden.functions[name];

describe('controller functions', () => {
  it.each([
    ['register', 30, 256],
    ['guard', 60, 256],
    ['sweep', 300, 512],
  ] as const)('deploys %s from dist/%s on nodejs24.x arm64 with %ss and %s MB', (name, timeout, memory) => {
    const props = propertiesOf(t, fn(name).function);

    expect(props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: timeout,
      MemorySize: memory,
      Role: cfn(seed.warden, seed.warden.controllerRole.role.roleArn),
      DeadLetterConfig: { TargetArn: cfn(seed.warden, fn(name).deadLetterQueue.queueArn) },
      LoggingConfig: { LogGroup: cfn(seed.warden, fn(name).logGroup.logGroupName) },
    });
    const staging = fn(name)
      .function.node.findAll()
      .find((c): c is AssetStaging => c instanceof AssetStaging);
    expect(staging?.sourcePath).toBe(join(DIST, name));
    expect(existsSync(join(staging?.absoluteStagedPath ?? '', 'index.mjs.map'))).toBe(true);
  });

  it('wires every function to the same role, topic, table and configuration through the environment', () => {
    const stack = seed.warden;
    for (const name of ['register', 'guard', 'sweep'] as const) {
      expect(propertiesOf(t, fn(name).function).Environment).toEqual({
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'alb-warden',
          POWERTOOLS_METRICS_NAMESPACE: 'AlbWarden',
          WARDEN_CONTROLLER_ROLE_ARNS: cfn(stack, stack.controllerRole.role.roleArn),
          WARDEN_ALERT_TOPIC_ARN: cfn(stack, stack.alerts.topic.topicArn),
          WARDEN_ALERT_STATE_TABLE: cfn(stack, stack.alerts.table.tableName),
          WARDEN_CONFIG_FILE: CONFIG_FILE_PATH,
        },
      });
    }
  });

  it('retries failed asynchronous events twice for register and guard, never for the sweep (the next one is)', () => {
    const configs = Object.values(resourcesOfType(t, 'AWS::Lambda::EventInvokeConfig')).map(
      (r) => r.Properties,
    );
    const of = (name: 'register' | 'guard' | 'sweep') =>
      configs.find(
        (c) => c.FunctionName && JSON.stringify(c.FunctionName).includes(logicalId(fn(name).function)),
      );

    expect(of('register')).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
    expect(of('guard')).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
    expect(of('sweep')).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
  });

  it('keeps each function’s logs for a month and reserves no concurrency', () => {
    for (const name of ['register', 'guard', 'sweep'] as const) {
      expect(propertiesOf(t, fn(name).logGroup)).toMatchObject({ RetentionInDays: 30 });
      expect(propertiesOf(t, fn(name).function).ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('encrypts and keeps each dead-letter queue for 14 days, TLS only', () => {
    for (const name of ['register', 'guard', 'sweep'] as const) {
      expect(propertiesOf(t, fn(name).deadLetterQueue)).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    }
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });
});

describe('EventBridge rules', () => {
  const targetOf = (rule: 'instanceState' | 'apiCalls' | 'schedule') =>
    (propertiesOf(t, seed.warden.rules[rule]).Targets as Record<string, unknown>[])[0];

  it('sends the EC2 states register handles, and no other event, to register', () => {
    expect(propertiesOf(t, seed.warden.rules.instanceState).EventPattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['running', 'stopping', 'stopped', 'shutting-down', 'terminated'] },
    });
  });

  it('sends successful ELB API calls by anyone but the controller role to guard', () => {
    const role = cfn(seed.warden, seed.warden.controllerRole.role.roleArn);

    expect(propertiesOf(t, seed.warden.rules.apiCalls).EventPattern).toEqual({
      source: ['aws.elasticloadbalancing'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['elasticloadbalancing.amazonaws.com'],
        eventName: [
          'CreateListener',
          'ModifyListener',
          'DeleteListener',
          'CreateRule',
          'ModifyRule',
          'DeleteRule',
          'SetRulePriorities',
          'ModifyTargetGroup',
          'DeregisterTargets',
          'DeleteTargetGroup',
        ],
        errorCode: [{ exists: false }],
        $or: [
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [role] }] } } } },
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } } },
        ],
      },
    });
  });

  it('excludes the very role the functions run as, the one their configuration names as the controller', () => {
    const pattern = propertiesOf(t, seed.warden.rules.apiCalls).EventPattern as {
      detail: {
        $or: {
          userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': unknown[] }] } } };
        }[];
      };
    };
    const excluded =
      pattern.detail.$or[0]?.userIdentity.sessionContext.sessionIssuer.arn[0]['anything-but'][0];
    const env = propertiesOf(t, fn('guard').function).Environment as { Variables: Record<string, unknown> };

    expect(excluded).toEqual(env.Variables.WARDEN_CONTROLLER_ROLE_ARNS);
    expect(excluded).toEqual(cfn(seed.warden, seed.warden.controllerRole.role.roleArn));
  });

  it('runs the sweep every minute by default', () => {
    expect(propertiesOf(t, seed.warden.rules.schedule)).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
    });
  });

  it.each([
    ['instanceState', 'register', 8, 3600],
    ['apiCalls', 'guard', 8, 3600],
    ['schedule', 'sweep', 2, 120],
  ] as const)(
    'targets %s at %s with a retry policy (%s tries, %ss) and the function’s dead-letter queue',
    (rule, name, attempts, age) => {
      expect(targetOf(rule)).toMatchObject({
        Arn: cfn(seed.warden, fn(name).function.functionArn),
        RetryPolicy: { MaximumRetryAttempts: attempts, MaximumEventAgeInSeconds: age },
        DeadLetterConfig: { Arn: cfn(seed.warden, fn(name).deadLetterQueue.queueArn) },
      });
    },
  );

  it('lets each rule, and only it, write to its dead-letter queue', () => {
    for (const [rule, name] of [
      ['instanceState', 'register'],
      ['apiCalls', 'guard'],
      ['schedule', 'sweep'],
    ] as const) {
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [cfn(seed.warden, fn(name).deadLetterQueue.queueUrl)],
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: {
                ArnEquals: { 'aws:SourceArn': cfn(seed.warden, seed.warden.rules[rule].ruleArn) },
              },
            }),
          ]),
        }),
      });
    }
  });

  it('takes the sweep schedule from context', async () => {
    const variant = await synth({ sweepSchedule: 'rate(5 minutes)' });

    expect(propertiesOf(variant.wardenTemplate, variant.warden.rules.schedule)).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
    });
  });
});

describe('configuration delivery', () => {
  it('ships a configuration without deploy-time values as a layer file at /opt/warden/config.json', () => {
    const layer = seed.warden.configuration.layers[0];
    expect(seed.warden.configuration.delivery).toBe('layer');
    expect(layer).toBeDefined();
    if (!layer) return;
    const staging = layer.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
    const shipped = JSON.parse(
      readFileSync(join(staging?.absoluteStagedPath ?? '', 'warden', 'config.json'), 'utf8'),
    );

    expect(shipped).toEqual(EXAMPLE_CONFIG);
    expect(propertiesOf(t, layer)).toMatchObject({
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64'],
    });
    for (const name of ['register', 'guard', 'sweep'] as const) {
      expect(propertiesOf(t, fn(name).function).Layers).toEqual([cfn(seed.warden, layer.layerVersionArn)]);
    }
  });

  it('passes a configuration bound to the Edge stack’s ARNs inline, as JSON resolved at deploy time', async () => {
    const withEdge = await synth({ deployEdge: true });
    const env = propertiesOf(withEdge.wardenTemplate, withEdge.warden.functions.guard.function)
      .Environment as {
      Variables: Record<string, unknown>;
    };

    expect(withEdge.warden.configuration.delivery).toBe('inline');
    expect(env.Variables.WARDEN_CONFIG_FILE).toBeUndefined();
    expect(withEdge.warden.configuration.layers).toEqual([]);
    const parts = (env.Variables.WARDEN_CONFIG as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    expect(parts).toContainEqual({ 'Fn::ImportValue': 'AlbWardenEdge-LoadBalancerArn' });
    expect(parts).toContainEqual({ 'Fn::ImportValue': 'AlbWardenEdge-TargetGroupArn' });
    expect(parts).toContainEqual({ 'Fn::ImportValue': 'AlbWardenEdge-CertificateArn' });
  });

  it('scales past the environment’s 4 KB: 150 bindings by ARN still ship as a layer', async () => {
    const bindings = Array.from({ length: 150 }, (_, i) => ({
      name: `web-${i}`,
      loadBalancerArn: LB.replace('web-alb/50dc6c495c0c9188', `alb-${i}/${i.toString(16).padStart(16, '0')}`),
      targetGroupArn: TG.replace('web-8080/73e2d6bc24d8a067', `tg-${i}/${i.toString(16).padStart(16, '0')}`),
      instanceSelector: { tags: { Role: `web-${i}` } },
    }));
    const stack = new WardenStack(flaggedApp(), 'Many', {
      env: ENV,
      distDir: await ensureBundles(),
      config: { bindings },
    });

    expect(JSON.stringify(bindings).length).toBeGreaterThan(LAMBDA_ENVIRONMENT_LIMIT * 5);
    expect(stack.configuration.delivery).toBe('layer');
  });

  it('fails synth, naming the field and the value, when the configuration is invalid', async () => {
    const bad = {
      ...EXAMPLE_CONFIG,
      bindings: [{ ...EXAMPLE_CONFIG.bindings[0], name: 'no spaces allowed' }],
    };

    await expect(synth({ config: bad })).rejects.toThrow(/bindings\[0\]\.name: .*"no spaces allowed"/);
  });

  it('estimates the inline environment as its literal bytes plus a generous size per deploy-time value', () => {
    const stack = new Stack(flaggedApp(), 'Estimate', { env: ENV });

    expect(estimateEnvironmentSize(stack, { A: 'xy', B: Fn.importValue('Producer-Arn') })).toBe(
      1 + 2 + 1 + TOKEN_SIZE_ESTIMATE,
    );
    expect(
      estimateEnvironmentSize(stack, { C: stack.toJsonString({ arn: Fn.importValue('Producer-Arn') }) }),
    ).toBe(1 + '{"arn":""}'.length + TOKEN_SIZE_ESTIMATE);
  });

  it('fits the example with the Edge stack inline, with room to spare', async () => {
    const withEdge = await synth({ deployEdge: true });
    const variables = (
      propertiesOf(withEdge.wardenTemplate, withEdge.warden.functions.guard.function).Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    const literal = JSON.stringify(variables).length;

    expect(literal).toBeGreaterThan(2000);
    expect(literal).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT - 3 * TOKEN_SIZE_ESTIMATE);
  });

  it('fails synth when a deploy-time binding would make the inline configuration exceed the environment', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      ...EXAMPLE_CONFIG.bindings[0],
      name: `web-${i}`,
      loadBalancerArn: LB.replace('web-alb', `alb-${i}`),
      targetGroupArn: TG.replace('web-8080', `tg-${i}`),
    }));

    await expect(synth({ deployEdge: true, config: { ...EXAMPLE_CONFIG, bindings: many } })).rejects.toThrow(
      /Lambda limits to 4096 bytes; this one could take about \d+ bytes\. Bind existing load balancers by ARN/,
    );
  });

  it('validates deploy-time bindings with placeholders: two bindings on one listener are still caught', async () => {
    const sameLoadBalancer = Fn.importValue('Producer-LoadBalancerArn');
    const binding = (name: string) => ({
      name,
      loadBalancerArn: sameLoadBalancer,
      targetGroupArn: TG,
      instanceSelector: { tags: { Role: name } },
    });
    const distDir = await ensureBundles();

    expect(
      () =>
        new WardenStack(flaggedApp(), 'Twice', {
          env: ENV,
          distDir,
          config: { bindings: [binding('a'), binding('b')] },
        }),
    ).toThrow(
      /bindings\[1\]\.loadBalancerArn: listener port 80 of this load balancer is already guarded by bindings\[0\]/,
    );
  });

  it('rejects a deploy-time value where the schema needs a literal', async () => {
    const distDir = await ensureBundles();
    const config = { bindings: [{ ...EXAMPLE_CONFIG.bindings[0], name: Fn.importValue('Producer-Name') }] };

    expect(
      () => new WardenStack(flaggedApp(), 'TokenName', { env: ENV, distDir, config: config as never }),
    ).toThrow(
      /bindings\[0\]\.name is a deploy-time value; only loadBalancerArn, targetGroupArn, https\.certificateArn/,
    );
  });
});

describe('alerts', () => {
  it('encrypts the topic with a rotated customer managed key that CloudWatch alarms may use', () => {
    expect(propertiesOf(t, seed.warden.alerts.topic)).toMatchObject({
      KmsMasterKeyId: cfn(seed.warden, seed.warden.alerts.key.keyArn),
    });
    expect(propertiesOf(t, seed.warden.alerts.key)).toMatchObject({
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: expect.arrayContaining([
          {
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          },
        ]),
      },
    });
  });

  it('has a topic policy: TLS only, and CloudWatch alarms of this account may publish', () => {
    const topic = cfn(seed.warden, seed.warden.alerts.topic.topicArn);
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          {
            Sid: 'CloudWatchAlarmsOfThisAccountPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:*' },
            },
          },
        ]),
      },
    });
  });

  it('subscribes the context’s email addresses, and none by default', async () => {
    t.resourceCountIs('AWS::SNS::Subscription', 0);
    const variant = await synth({ alertEmails: 'oncall@example.com,lead@example.com' });

    for (const email of ['oncall@example.com', 'lead@example.com']) {
      variant.wardenTemplate.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: cfn(variant.warden, variant.warden.alerts.topic.topicArn),
      });
    }
  });

  it('keeps alert state in an on-demand table keyed pk/sk with TTL expiresAt and point-in-time recovery', () => {
    expect(propertiesOf(t, seed.warden.alerts.table)).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });
});

describe('alarms', () => {
  const topic = () => cfn(seed.warden, seed.warden.alerts.topic.topicArn);

  it.each(['register', 'guard', 'sweep'] as const)(
    'alarms on %s errors, throttles and dead letters, to the topic',
    (name) => {
      const functionName = cfn(seed.warden, fn(name).function.functionName);
      const queueName = cfn(seed.warden, fn(name).deadLetterQueue.queueName);
      for (const [metric, namespace, dimension] of [
        ['Errors', 'AWS/Lambda', { Name: 'FunctionName', Value: functionName }],
        ['Throttles', 'AWS/Lambda', { Name: 'FunctionName', Value: functionName }],
        ['ApproximateNumberOfMessagesVisible', 'AWS/SQS', { Name: 'QueueName', Value: queueName }],
      ] as const) {
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric,
          Namespace: namespace,
          Dimensions: [dimension],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [topic()],
          OKActions: [topic()],
        });
      }
    },
  );

  it('backstops each bound target group on UnHealthyHostCount with its TargetGroup and LoadBalancer dimensions', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'UnHealthyHostCount',
      Dimensions: Match.arrayEquals([
        { Name: 'LoadBalancer', Value: 'app/web-alb/50dc6c495c0c9188' },
        { Name: 'TargetGroup', Value: 'targetgroup/web-8080/73e2d6bc24d8a067' },
      ]),
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic()],
    });
  });

  it('raises the zero-healthy alarm when HealthyHostCount stops arriving: missing data is breaching', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HealthyHostCount',
      Dimensions: Match.arrayEquals([
        { Name: 'LoadBalancer', Value: 'app/web-alb/50dc6c495c0c9188' },
        { Name: 'TargetGroup', Value: 'targetgroup/web-8080/73e2d6bc24d8a067' },
      ]),
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topic()],
    });
  });

  it('derives the dimensions from deploy-time ARNs with Fn::Split, for the Edge stack’s target group', async () => {
    const withEdge = await synth({ deployEdge: true });
    const lb = { 'Fn::ImportValue': 'AlbWardenEdge-LoadBalancerArn' };
    const tg = { 'Fn::ImportValue': 'AlbWardenEdge-TargetGroupArn' };

    withEdge.wardenTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'UnHealthyHostCount',
      Dimensions: Match.arrayEquals([
        { Name: 'LoadBalancer', Value: { 'Fn::Select': [1, { 'Fn::Split': [':loadbalancer/', lb] }] } },
        { Name: 'TargetGroup', Value: { 'Fn::Select': [5, { 'Fn::Split': [':', tg] }] } },
      ]),
    });
  });

  it('builds the dashboard from the controller’s own metric names, namespace and service dimension', () => {
    const body = JSON.stringify(propertiesOf(t, seed.warden.monitoring.dashboard).DashboardBody);

    for (const name of Object.values(METRIC)) {
      expect(body).toContain(`[\\"AlbWarden\\",\\"${name}\\",\\"service\\",\\"alb-warden\\"`);
    }
    expect(body).toContain('\\"AWS/Lambda\\",\\"Errors\\"');
    expect(body).toContain('\\"AWS/Lambda\\",\\"Duration\\"');
    expect(body).toContain('\\"AWS/Lambda\\",\\"Throttles\\"');
    expect(body).toContain('\\"AWS/ApplicationELB\\",\\"HealthyHostCount\\"');
    expect(body).toContain('\\"AWS/ApplicationELB\\",\\"UnHealthyHostCount\\"');
  });
});

describe('CloudTrail', () => {
  it('creates no trail unless asked (most accounts already have one)', () => {
    t.resourceCountIs('AWS::CloudTrail::Trail', 0);
  });

  it('creates a multi-region management-event trail into an encrypted, TLS-only bucket with a lifecycle', async () => {
    const variant = await synth({ createTrail: true });
    const trail = variant.warden.trail;
    expect(trail).toBeDefined();
    if (!trail) return;

    expect(propertiesOf(variant.wardenTemplate, trail.trail)).toMatchObject({
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      S3BucketName: cfn(variant.warden, trail.bucket.bucketName),
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }],
    });
    expect(propertiesOf(variant.wardenTemplate, trail.bucket)).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [expect.objectContaining({ ExpirationInDays: 365, Status: 'Enabled' })],
      },
      LoggingConfiguration: {
        DestinationBucketName: cfn(variant.warden, trail.accessLogs.bucketName),
        LogFilePrefix: 'trail-bucket/',
      },
    });
  });
});
