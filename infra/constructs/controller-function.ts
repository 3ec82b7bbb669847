/**
 * One controller function (register, guard or sweep) with what it needs to be operated: the bundle that
 * `esbuild.config.mjs` wrote to dist/<name>, its log group with a retention, a dead-letter queue shared by
 * its EventBridge rule target (events that could not be delivered) and Lambda's asynchronous invocation
 * (events that failed every retry), and alarms on errors, throttles and the queue's depth.
 *
 * A dead-letter queue rather than an on-failure destination: EventBridge's own delivery failures can only go
 * to a DLQ (a rule target has no destinations), so one queue per function collects both kinds and one alarm
 * and one redrive procedure cover them. A destination would add the invocation record (request and error),
 * but the function's logs already carry that, keyed by the event id.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { estimatedText } from '../sizes.ts';
import type { ControllerFunctionName } from './controller-role.ts';

export const RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Lambda's limit on a function's environment variables together, keys and values ("Lambda quotas",
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

export const ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * How long an event may wait behind a capped function's concurrency before the alarm: Lambda retries a
 * throttled asynchronous event with backoff up to 5 minutes apart, until its maximum event age
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 */
export const EVENTS_WAITING_ALARM = Duration.minutes(15);

export interface ControllerFunctionProps {
  readonly name: ControllerFunctionName;
  readonly description: string;
  /** The folder holding dist/<name>/index.mjs. */
  readonly distDir: string;
  readonly role: iam.IRole;
  readonly environment: Readonly<Record<string, string>>;
  readonly layers?: readonly lambda.ILayerVersion[];
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Lambda's own retries of a failed asynchronous invocation, before the event goes to the DLQ. @default 2 */
  readonly retryAttempts?: number;
  /** How long Lambda keeps an asynchronous event it could not yet process. @default Duration.hours(1) */
  readonly maxEventAge?: Duration;
  /**
   * Reserved concurrency: the cap that holds the function's ELB share across its environments (`register` and
   * `guard`, domain/api-share.ts). A capped function's throttles are the cap at work, so its alarm watches how
   * long events wait instead (AsyncEventAge).
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Lambda active tracing (X-Ray). @default false */
  readonly activeTracing?: boolean;
  /** Where the function's alarms notify (ALARM and OK). */
  readonly alarmAction: cloudwatch.IAlarmAction;
  /** The dead-letter queue, when another owns it (the sweep queue's, for the worker). @default a queue of its own */
  readonly deadLetterQueue?: sqs.Queue;
}

export class ControllerFunction extends Construct {
  readonly function: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
  readonly logGroup: logs.LogGroup;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ControllerFunctionProps) {
    super(scope, id);
    const bundle = join(props.distDir, props.name);
    if (!existsSync(join(bundle, 'index.mjs'))) {
      throw new Error(
        `${join(bundle, 'index.mjs')} does not exist: run \`npm run build\` (the CDK app runs it itself ` +
          'unless WARDEN_SKIP_BUILD=1)',
      );
    }

    const environmentSize = Object.entries(props.environment).reduce(
      (sum, [key, value]) =>
        sum + Buffer.byteLength(key) + Buffer.byteLength(estimatedText(Stack.of(this), value)),
      0,
    );
    if (environmentSize > LAMBDA_ENVIRONMENT_LIMIT) {
      throw new Error(
        `${this.node.path}: the ${props.name} function's environment could take about ${environmentSize} bytes, ` +
          `more than Lambda's ${LAMBDA_ENVIRONMENT_LIMIT}; it carries only the deploy-time values of the ` +
          'configuration, so bind fewer resources of this deployment (the Edge stack) per controller',
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue =
      props.deadLetterQueue ??
      new sqs.Queue(this, 'DeadLetterQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });

    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      code: lambda.Code.fromAsset(bundle, { exclude: ['meta.json'] }),
      handler: 'index.handler',
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      role: props.role,
      environment: { ...props.environment },
      layers: props.layers ? [...props.layers] : undefined,
      timeout: props.timeout ?? Duration.seconds(60),
      memorySize: props.memorySize ?? 256,
      logGroup: this.logGroup,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: props.activeTracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    });
    this.logGroup.grantWrite(props.role);

    const fiveMinutes = Duration.minutes(5);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string, threshold = 1) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `alb-warden ${props.name}: ${description}`,
      });
      created.addAlarmAction(props.alarmAction);
      created.addOkAction(props.alarmAction);
      return created;
    };
    this.alarms = [
      alarm(
        'Errors',
        this.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        'the function failed; its logs name the binding and the AWS error',
      ),
      props.reservedConcurrentExecutions === undefined
        ? alarm(
            'Throttles',
            this.function.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
            'invocations were throttled (account concurrency exhausted?); events wait and may expire to the DLQ',
          )
        : alarm(
            'EventsWaiting',
            this.function.metric('AsyncEventAge', { period: fiveMinutes, statistic: 'Maximum' }),
            `an event waited ${EVENTS_WAITING_ALARM.toHumanString()} or more behind the concurrency cap that holds ` +
              'the ELB share; past the maximum event age it goes to the DLQ, and the sweep covers it',
            EVENTS_WAITING_ALARM.toMilliseconds(),
          ),
      alarm(
        'DeadLetters',
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: 'Maximum',
        }),
        'events failed every retry and wait in the dead-letter queue; read them, fix the cause, redrive',
      ),
    ];
  }

  /** The EventBridge target for this function: retried by EventBridge, then dead-lettered. */
  target(options: { retryAttempts: number; maxEventAge: Duration }): events.IRuleTarget {
    return new targets.LambdaFunction(this.function, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: options.retryAttempts,
      maxEventAge: options.maxEventAge,
    });
  }
}
