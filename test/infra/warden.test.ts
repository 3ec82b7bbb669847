/**
 * The Warden stack as synthesized from cdk.json's example context (the seed's existing ARNs), and variants:
 * what each resource does, asserted on the template.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, AssetStaging, Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../functions/telemetry.ts';
import { createApp } from '../../infra/app.ts';
import { LAMBDA_ENVIRONMENT_LIMIT } from '../../infra/constructs/controller-function.ts';
import { CONFIG_FILE_PATH } from '../../infra/constructs/warden-configuration.ts';
import { DIST, ensureBundles } from './support/bundles.ts';
import {
  CDK_JSON,
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
import { WardenStack } from './support/warden-stack.ts';

// Synthesizing an app takes a second or two, more on a loaded CI machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const LB =
  'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/web-alb/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web-8080/73e2d6bc24d8a067';
const EDGE = CDK_JSON.context.edge as Record<string, unknown>;

let seed: Synthesized;
let t: Template;

beforeAll(async () => {
  seed = await synth();
  t = seed.wardenTemplate;
}, 60_000);

const fn = (name: 'register' | 'guard' | 'sweep' | 'sweep-worker') => seed.warden.functions[name];

describe('controller functions', () => {
  it.each([
    ['register', 30, 256],
    ['guard', 60, 256],
    ['sweep', 60, 256],
    ['sweep-worker', 120, 512],
  ] as const)(
    'deploys %s from its dist/ bundle on nodejs24.x arm64 with %ss and %s MB',
    (name, timeout, memory) => {
      const props = propertiesOf(t, fn(name).function);

      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: timeout,
        MemorySize: memory,
        Role: cfn(seed.warden, seed.warden.roles[name].role.roleArn),
        DeadLetterConfig: { TargetArn: cfn(seed.warden, fn(name).deadLetterQueue.queueArn) },
        LoggingConfig: { LogGroup: cfn(seed.warden, fn(name).logGroup.logGroupName) },
      });
      const staging = fn(name)
        .function.node.findAll()
        .find((c): c is AssetStaging => c instanceof AssetStaging);
      expect(staging?.sourcePath).toBe(join(DIST, name));
      const map = JSON.parse(readFileSync(join(staging?.absoluteStagedPath ?? '', 'index.mjs.map'), 'utf8'));
      // Stack traces name the TypeScript file and line; the sources themselves stay out of the asset.
      expect(map.sources).toContain(`../../functions/handlers/${name}.ts`);
      expect(map.sourcesContent).toBeUndefined();
    },
  );

  it('runs each function as its own role', () => {
    const roles = (['register', 'guard', 'sweep', 'sweep-worker'] as const).map((name) =>
      JSON.stringify(propertiesOf(t, fn(name).function).Role),
    );

    expect(new Set(roles).size).toBe(4);
  });

  it('wires every function to the controller roles, topic, table and configuration through the environment', () => {
    const stack = seed.warden;
    const roleArns = Fn.join(
      ',',
      (['register', 'guard', 'sweep', 'sweep-worker'] as const).map((name) => stack.roles[name].role.roleArn),
    );
    for (const name of ['register', 'guard', 'sweep', 'sweep-worker'] as const) {
      expect(propertiesOf(t, fn(name).function).Environment).toEqual({
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'alb-warden',
          POWERTOOLS_METRICS_NAMESPACE: 'AlbWarden',
          WARDEN_CONTROLLER_ROLE_ARNS: cfn(stack, roleArns),
          WARDEN_ALERT_TOPIC_ARN: cfn(stack, stack.alerts.topic.topicArn),
          WARDEN_ALERT_STATE_TABLE: cfn(stack, stack.alerts.table.tableName),
          WARDEN_CONFIG_FILE: CONFIG_FILE_PATH,
          // The scheduler alone sends to the sweep queue.
          ...(name === 'sweep'
            ? { WARDEN_SWEEP_QUEUE_URL: cfn(stack, stack.sweepFanout.queue.queueUrl) }
            : {}),
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

  it('turns on active tracing (X-Ray) from context, and leaves it off by default', async () => {
    const traced = await synth({ activeTracing: true });

    for (const name of ['register', 'guard', 'sweep'] as const) {
      expect(propertiesOf(t, fn(name).function).TracingConfig).toBeUndefined();
      expect(
        propertiesOf(traced.wardenTemplate, traced.warden.functions[name].function).TracingConfig,
      ).toEqual({
        Mode: 'Active',
      });
    }
  });

  it('keeps each function’s logs for a month; reserves concurrency only for the event functions', () => {
    for (const name of ['register', 'guard', 'sweep'] as const) {
      expect(propertiesOf(t, fn(name).logGroup)).toMatchObject({ RetentionInDays: 30 });
    }
    // The cap that holds their ELB share (test/infra/api-share.test.ts); the scheduler calls no ELB API.
    expect(propertiesOf(t, fn('register').function).ReservedConcurrentExecutions).toBe(1);
    expect(propertiesOf(t, fn('guard').function).ReservedConcurrentExecutions).toBe(1);
    expect(propertiesOf(t, fn('sweep').function).ReservedConcurrentExecutions).toBeUndefined();
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

  it('sends the EC2 states and the Spot interruption warnings register handles, and no other event, to register', () => {
    expect(propertiesOf(t, seed.warden.rules.instanceState).EventPattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification', 'EC2 Spot Instance Interruption Warning'],
      detail: {
        $or: [
          { state: ['running', 'stopping', 'stopped', 'shutting-down', 'terminated'] },
          { 'instance-action': ['terminate', 'stop', 'hibernate'] },
        ],
      },
    });
  });

  it('sends successful ELB API calls by anyone but the controller roles to guard', () => {
    const roles = (['register', 'guard', 'sweep', 'sweep-worker'] as const).map((name) =>
      cfn(seed.warden, seed.warden.roles[name].role.roleArn),
    );

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
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': roles }] } } } },
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } } },
        ],
      },
    });
  });

  it('excludes the very roles the functions run as, the ones their configuration names as the controller', () => {
    const pattern = propertiesOf(t, seed.warden.rules.apiCalls).EventPattern as {
      detail: {
        $or: {
          userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': unknown[] }] } } };
        }[];
      };
    };
    const excluded = pattern.detail.$or[0]?.userIdentity.sessionContext.sessionIssuer.arn[0]['anything-but'];
    const env = propertiesOf(t, fn('guard').function).Environment as { Variables: Record<string, unknown> };

    expect(env.Variables.WARDEN_CONTROLLER_ROLE_ARNS).toEqual({ 'Fn::Join': [',', excluded] });
    for (const name of ['register', 'guard', 'sweep'] as const) {
      expect(excluded).toContainEqual(cfn(seed.warden, seed.warden.roles[name].role.roleArn));
    }
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
  const layerFile = (layer: { node: { findAll(): unknown[] } }) => {
    const staging = layer.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
    return JSON.parse(readFileSync(join(staging?.absoluteStagedPath ?? '', 'warden', 'config.json'), 'utf8'));
  };

  it('ships the configuration as a layer file at /opt/warden/config.json', () => {
    const layer = seed.warden.configuration.layer;

    expect(layerFile(layer)).toEqual(EXAMPLE_CONFIG);
    expect(propertiesOf(t, layer)).toMatchObject({
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64'],
    });
    for (const name of ['register', 'guard', 'sweep'] as const) {
      expect(propertiesOf(t, fn(name).function).Layers).toEqual([cfn(seed.warden, layer.layerVersionArn)]);
    }
  });

  it('keeps the Edge binding in the layer too, with only its deploy-time ARNs in the environment', async () => {
    const withEdge = await synth({ deployEdge: true, edge: { ...EDGE, keepConfigBindings: true } });
    const env = (
      propertiesOf(withEdge.wardenTemplate, withEdge.warden.functions.guard.function).Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    const document = layerFile(withEdge.warden.configuration.layer) as {
      bindings: Record<string, unknown>[];
    };

    expect(env.WARDEN_CONFIG_FILE).toBe(CONFIG_FILE_PATH);
    expect(env.WARDEN_CONFIG).toBeUndefined();
    expect(document.bindings.map((b) => b.name)).toEqual(['web', 'edge']);
    const edge = document.bindings[1] as {
      loadBalancerArn: { $env: string };
      targetGroupArn: { $env: string };
      https: { certificateArn: { $env: string } };
    };
    const parameter = (name: string) => ({ Ref: expect.stringContaining(name) });
    expect(env[edge.loadBalancerArn.$env]).toEqual(parameter('loadbalancerarn'));
    expect(env[edge.targetGroupArn.$env]).toEqual(parameter('targetgrouparn'));
    expect(env[edge.https.certificateArn.$env]).toEqual(parameter('certificatearn'));
    expect(Object.keys(env).filter((key) => key.startsWith('WARDEN_BINDING_'))).toHaveLength(3);
  });

  it('fails synth, naming the field and the value, when the configuration is invalid', async () => {
    const bad = {
      ...EXAMPLE_CONFIG,
      bindings: [{ ...EXAMPLE_CONFIG.bindings[0], name: 'no spaces allowed' }],
    };

    await expect(synth({ config: bad })).rejects.toThrow(/bindings\[0\]\.name: .*"no spaces allowed"/);
  });

  it('fails synth when a binding is in another region or account than the stack', async () => {
    const elsewhere = {
      ...EXAMPLE_CONFIG,
      bindings: [
        {
          ...EXAMPLE_CONFIG.bindings[0],
          loadBalancerArn: LB.replace('ap-northeast-2', 'eu-west-1'),
          targetGroupArn: TG.replace('ap-northeast-2', 'eu-west-1'),
        },
      ],
    };

    await expect(synth({ config: elsewhere })).rejects.toThrow(
      /bindings\[0\]\.loadBalancerArn: is in eu-west-1, but the stack deploys to ap-northeast-2/,
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
          bundleDir: distDir,
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
      () =>
        new WardenStack(flaggedApp(), 'TokenName', { env: ENV, bundleDir: distDir, config: config as never }),
    ).toThrow(
      /bindings\[0\]\.name is a deploy-time value; only loadBalancerArn, targetGroupArn, https\.certificateArn/,
    );
  });

  it('fails synth when the environment could exceed Lambda’s 4 KB', async () => {
    const distDir = await ensureBundles();
    const many = Array.from({ length: 12 }, (_, i) => ({
      ...EXAMPLE_CONFIG.bindings[0],
      name: `web-${i}`,
      loadBalancerArn: Fn.importValue(`Producer-Lb${i}`),
      targetGroupArn: Fn.importValue(`Producer-Tg${i}`),
    }));

    expect(
      () =>
        new WardenStack(flaggedApp(), 'Crowded', {
          env: ENV,
          bundleDir: distDir,
          config: { bindings: many as never },
          guardTag: { key: 'alb-warden', value: 'guarded' },
        }),
    ).toThrow(
      new RegExp(`environment could take about \\d+ bytes, more than Lambda's ${LAMBDA_ENVIRONMENT_LIMIT}`),
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
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
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

  it.each([
    ['register', 'AsyncEventAge', 15 * 60_000],
    ['guard', 'AsyncEventAge', 15 * 60_000],
    ['sweep', 'Throttles', 1],
  ] as const)(
    'alarms on %s errors, %s (threshold %s) and dead letters, to the topic',
    (name, waiting, waitingThreshold) => {
      const functionName = cfn(seed.warden, fn(name).function.functionName);
      const queueName = cfn(seed.warden, fn(name).deadLetterQueue.queueName);
      for (const [metric, namespace, dimension, threshold] of [
        ['Errors', 'AWS/Lambda', { Name: 'FunctionName', Value: functionName }, 1],
        [waiting, 'AWS/Lambda', { Name: 'FunctionName', Value: functionName }, waitingThreshold],
        ['ApproximateNumberOfMessagesVisible', 'AWS/SQS', { Name: 'QueueName', Value: queueName }, 1],
      ] as const) {
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric,
          Namespace: namespace,
          Dimensions: [dimension],
          Threshold: threshold,
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
    const lb = { Ref: Match.stringLikeRegexp('loadbalancerarn') };
    const tg = { Ref: Match.stringLikeRegexp('targetgrouparn') };

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

  it('creates a multi-region trail of management write events into an encrypted, TLS-only bucket with a lifecycle', async () => {
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
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }],
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

  it('admits CloudTrail to the bucket for this trail only', async () => {
    const variant = await synth({ createTrail: true });
    const trail = variant.warden.trail;
    if (!trail) throw new Error('no trail');
    const thisTrail = {
      'aws:SourceArn': 'arn:aws:cloudtrail:ap-northeast-2:123456789012:trail/AlbWarden-api-calls',
    };

    expect(propertiesOf(variant.wardenTemplate, trail.trail).TrailName).toBe('AlbWarden-api-calls');
    const policy = Object.values(resourcesOfType(variant.wardenTemplate, 'AWS::S3::BucketPolicy')).find(
      (candidate) =>
        JSON.stringify(candidate.Properties.Bucket) ===
        JSON.stringify(cfn(variant.warden, trail.bucket.bucketName)),
    );
    if (!policy) throw new Error('the trail bucket has no policy');
    const statements = (
      policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }
    ).Statement.filter((statement) => JSON.stringify(statement.Principal).includes('cloudtrail'));

    expect(statements.map((statement) => statement.Action).sort()).toEqual([
      's3:GetBucketAcl',
      's3:PutObject',
    ]);
    for (const statement of statements) {
      expect(statement.Condition).toMatchObject({ StringEquals: thisTrail });
    }
  });
});

describe('the sweep queue', () => {
  const fanout = () => seed.warden.sweepFanout;

  it('is encrypted, hidden for six times the worker timeout while worked on, and dead-letters after three deliveries', () => {
    const worker = propertiesOf(t, fn('sweep-worker').function);

    expect(propertiesOf(t, fanout().queue)).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * (worker.Timeout as number),
      RedrivePolicy: {
        deadLetterTargetArn: cfn(seed.warden, fanout().deadLetterQueue.queueArn),
        maxReceiveCount: 3,
      },
    });
    expect(fn('sweep-worker').deadLetterQueue).toBe(fanout().deadLetterQueue);
  });

  it('feeds the worker one message at a time, reporting failed messages, at most sweepWorkers at once', () => {
    const [mapping] = Object.values(resourcesOfType(t, 'AWS::Lambda::EventSourceMapping'));

    expect(mapping?.Properties).toMatchObject({
      FunctionName: cfn(seed.warden, fn('sweep-worker').function.functionName),
      EventSourceArn: cfn(seed.warden, fanout().queue.queueArn),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('alarms when a queued sweep has waited 15 minutes', () => {
    const [alarm] = fanout().alarms;

    expect(propertiesOf(t, alarm as never)).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Namespace: 'AWS/SQS',
      Threshold: 900,
    });
  });

  it('takes the number of workers from the configuration', async () => {
    const variant = new WardenStack(flaggedApp(), 'Workers', {
      env: ENV,
      bundleDir: await ensureBundles(),
      config: { ...EXAMPLE_CONFIG, limits: { sweepWorkers: 5 } } as never,
    });
    const [mapping] = Object.values(
      resourcesOfType(Template.fromStack(variant), 'AWS::Lambda::EventSourceMapping'),
    );

    expect(mapping?.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
  });
});

describe('the apps these tests build (TEST_CONTEXT)', () => {
  it('stage no asset, and synthesize the template an app that stages them does', async () => {
    // Prepare: the example app as `cdk synth` builds it, assets staged.
    const staged = createApp({ context: CDK_JSON.context, distDir: await ensureBundles() });

    // Act
    const template = Template.fromStack(Stack.of(staged.warden)).toJSON();

    // Assess
    const assetDirs = (app: App) => readdirSync(app.outdir).filter((name) => name.startsWith('asset.'));
    expect(assetDirs(staged.app).length).toBeGreaterThanOrEqual(4);
    expect(assetDirs(seed.app)).toEqual([]);
    expect(seed.wardenTemplate.toJSON()).toEqual(template);
  });
});
