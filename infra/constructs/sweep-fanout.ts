/**
 * The sweep's queue between the scheduler (the `sweep` function) and the `sweep-worker` function: an
 * SSE-encrypted standard queue, its dead-letter queue, the event source mapping and the alarms.
 *
 * - Visibility timeout: six times the worker's timeout, as Lambda asks of a queue it polls ("set the source
 *   queue's visibility timeout to at least six times the timeout … on your function",
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
 * - ReportBatchItemFailures: a worker returns the messages to deliver again; the others are deleted
 *   (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 * - Maximum concurrency = `limits.sweepWorkers` (W; Lambda accepts 2 to 1,000,
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html): at most W workers run at once,
 *   each limited to apiShare × sweepFraction / W of the ELB buckets, so all of them together keep to the
 *   sweep's part of the share whatever the queue's depth.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Deliveries of a message before it moves to the dead-letter queue. */
export const SWEEP_MAX_RECEIVES = 3;
/** Queue messages per worker invocation: one message is a few bindings already. */
export const SWEEP_BATCH_SIZE = 1;
/** The worker's timeout: a message of five bindings at its share takes well under a minute. */
export const SWEEP_WORKER_TIMEOUT = Duration.minutes(2);

export interface SweepFanoutProps {
  /** Sweep workers at once (limits.sweepWorkers). */
  readonly workers: number;
  readonly alarmAction: cloudwatch.IAlarmAction;
}

export class SweepFanout extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly #props: SweepFanoutProps;

  constructor(scope: Construct, id: string, props: SweepFanoutProps) {
    super(scope, id);
    this.#props = props;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(SWEEP_WORKER_TIMEOUT.toSeconds() * 6),
      // A sweep that waited an hour is stale: later schedules have queued the binding again.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: SWEEP_MAX_RECEIVES },
    });
  }

  /** The scheduler may send to the queue, and nothing else on it. */
  grantSend(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'QueueSweeps',
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    );
  }

  /**
   * The worker consumes the queue; an alarm on sweeps waiting too long. The dead-letter queue is the worker's
   * own (ControllerFunction), with its alarm.
   */
  consumeWith(worker: lambda.Function): void {
    worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: SWEEP_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: this.#props.workers,
      }),
    );
    const fiveMinutes = Duration.minutes(5);
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `alb-warden sweep queue: ${description}`,
      });
      created.addAlarmAction(this.#props.alarmAction);
      created.addOkAction(this.#props.alarmAction);
      this.alarms.push(created);
    };
    alarm(
      'OldestMessage',
      this.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
      15 * 60,
      'a queued sweep waited 15 minutes or more: the workers fall behind (errors, throttling, or too few sweepWorkers)',
    );
  }
}
