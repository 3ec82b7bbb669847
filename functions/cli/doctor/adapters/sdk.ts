/**
 * The doctor's reads (and the drill's temporary queue), with the AWS SDK v3 and the operator's credentials.
 * Pagination is hidden here; "does not exist" comes back as undefined, every other failure is thrown.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsClientOptions, createClient } from '../../../deps.ts';
import { isAwsError } from '../../../errors.ts';
import type {
  Datapoint,
  Decision,
  EventSelectors,
  OperatorAws,
  RuleInfo,
  Subscription,
  Trail,
} from '../model.ts';

export class SdkOperatorAws implements OperatorAws {
  readonly #options: AwsClientOptions;
  readonly #clients = new Map<unknown, { destroy(): void }>();

  constructor(options: AwsClientOptions = {}) {
    this.#options = options;
  }

  /** One client per service, created on first use, as the controller's are (deps.ts). */
  #client<T extends { destroy(): void; readonly config: { readonly maxAttempts: () => Promise<number> } }>(
    Client: new (config: never) => T,
    extra: object = {},
  ): T {
    const existing = this.#clients.get(Client) as T | undefined;
    if (existing) return existing;
    const created = createClient((settings) => new Client({ ...settings, ...extra } as never), this.#options);
    this.#clients.set(Client, created);
    return created;
  }

  /**
   * SQS would send to the host of a queue URL instead of AWS_ENDPOINT_URL (the simulator, LocalStack); at AWS
   * that host is the regional endpoint the client resolves anyway.
   */
  get #sqs(): SQSClient {
    return this.#client(SQSClient, { useQueueUrlAsEndpoint: false });
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
  }

  async region(): Promise<string> {
    return this.#client(SNSClient).config.region();
  }

  async stackOutputs(stackName: string): Promise<Record<string, string> | undefined> {
    try {
      const { Stacks = [] } = await this.#client(CloudFormationClient).send(
        new DescribeStacksCommand({ StackName: stackName }),
      );
      const outputs = Stacks[0]?.Outputs ?? [];
      return Object.fromEntries(outputs.map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
    } catch (error) {
      // A missing stack is a ValidationError ("Stack with id X does not exist").
      if (isAwsError(error, 'ValidationError') && /does not exist/.test((error as Error).message))
        return undefined;
      throw error;
    }
  }

  async trails(): Promise<Trail[]> {
    const { trailList = [] } = await this.#client(CloudTrailClient).send(
      new DescribeTrailsCommand({ includeShadowTrails: true }),
    );
    return trailList.map((trail) => ({
      name: trail.Name ?? '',
      arn: trail.TrailARN ?? '',
      homeRegion: trail.HomeRegion ?? '',
      multiRegion: trail.IsMultiRegionTrail === true,
      organization: trail.IsOrganizationTrail === true,
    }));
  }

  async isLogging(trailArn: string): Promise<boolean> {
    const status = await this.#client(CloudTrailClient).send(new GetTrailStatusCommand({ Name: trailArn }));
    return status.IsLogging === true;
  }

  async eventSelectors(trailArn: string): Promise<EventSelectors> {
    const result = await this.#client(CloudTrailClient).send(
      new GetEventSelectorsCommand({ TrailName: trailArn }),
    );
    return {
      ...(result.EventSelectors ? { basic: result.EventSelectors } : {}),
      ...(result.AdvancedEventSelectors ? { advanced: result.AdvancedEventSelectors } : {}),
    };
  }

  async rulesTargeting(targetArn: string): Promise<RuleInfo[]> {
    const pages = await allPages((token) =>
      this.#client(EventBridgeClient).send(
        new ListRuleNamesByTargetCommand({ TargetArn: targetArn, NextToken: token }),
      ),
    );
    const names = pages.flatMap((page) => page.RuleNames ?? []);
    return Promise.all(
      names.map(async (name) => {
        const rule = await this.#client(EventBridgeClient).send(new DescribeRuleCommand({ Name: name }));
        const { Targets = [] } = await this.#client(EventBridgeClient).send(
          new ListTargetsByRuleCommand({ Rule: name }),
        );
        return {
          name,
          state: rule.State ?? 'UNKNOWN',
          scheduleExpression: rule.ScheduleExpression,
          targets: Targets.map((target) => ({
            arn: target.Arn ?? '',
            deadLetterArn: target.DeadLetterConfig?.Arn,
          })),
        };
      }),
    );
  }

  async queueDepth(queueUrl: string): Promise<number | undefined> {
    try {
      const { Attributes = {} } = await this.#sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    } catch (error) {
      if (isAwsError(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) return undefined;
      throw error;
    }
  }

  async lambdaMetric(
    functionName: string,
    metric: 'Invocations' | 'Errors',
    from: number,
    to: number,
    periodSeconds: number,
  ): Promise<Datapoint[]> {
    const pages = await allPages((token) =>
      this.#client(CloudWatchClient).send(
        new GetMetricDataCommand({
          StartTime: new Date(from),
          EndTime: new Date(to),
          NextToken: token,
          MetricDataQueries: [
            {
              Id: 'm',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/Lambda',
                  MetricName: metric,
                  Dimensions: [{ Name: 'FunctionName', Value: functionName }],
                },
                Period: periodSeconds,
                Stat: 'Sum',
              },
            },
          ],
        }),
      ),
    );
    const points = pages.flatMap((page) => {
      const result = page.MetricDataResults?.[0];
      return (result?.Timestamps ?? []).map((time, index) => ({
        at: time.getTime(),
        value: result?.Values?.[index] ?? 0,
      }));
    });
    return points.sort((a, b) => b.at - a.at);
  }

  async topicAttributes(topicArn: string): Promise<Record<string, string> | undefined> {
    try {
      const { Attributes = {} } = await this.#client(SNSClient).send(
        new GetTopicAttributesCommand({ TopicArn: topicArn }),
      );
      return Attributes;
    } catch (error) {
      if (isAwsError(error, 'NotFound')) return undefined;
      throw error;
    }
  }

  async subscriptions(topicArn: string): Promise<Subscription[]> {
    const pages = await allPages((token) =>
      this.#client(SNSClient).send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }),
      ),
    );
    return pages.flatMap((page) =>
      (page.Subscriptions ?? []).map((subscription) => ({
        protocol: subscription.Protocol ?? '',
        endpoint: subscription.Endpoint ?? '',
        confirmed: !/^PendingConfirmation$|^Deleted$/.test(subscription.SubscriptionArn ?? ''),
      })),
    );
  }

  async keyPolicy(keyId: string): Promise<string | undefined> {
    try {
      const { Policy } = await this.#client(KMSClient).send(
        new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }),
      );
      return Policy;
    } catch (error) {
      if (isAwsError(error, 'NotFoundException')) return undefined;
      throw error;
    }
  }

  async simulate(
    roleArn: string,
    requests: readonly { readonly action: string; readonly resources: readonly string[] }[],
  ): Promise<{ action: string; resource: string; decision: Decision }[]> {
    const results: { action: string; resource: string; decision: Decision }[] = [];
    for (const request of requests) {
      const pages = await allPages(
        (marker) =>
          this.#client(IAMClient).send(
            new SimulatePrincipalPolicyCommand({
              PolicySourceArn: roleArn,
              ActionNames: [request.action],
              ResourceArns: [...request.resources],
              Marker: marker,
            }),
          ),
        (page) => (page.IsTruncated ? page.Marker : undefined),
      );
      for (const result of pages.flatMap((page) => page.EvaluationResults ?? []))
        results.push({
          action: result.EvalActionName ?? request.action,
          resource: result.EvalResourceName ?? '*',
          decision: (result.EvalDecision ?? 'implicitDeny') as Decision,
        });
    }
    return results;
  }

  /** The queue lets the topic (and only it) send to it, as SNS requires of an SQS subscriber. */
  async createQueue(name: string, topicArn: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl = '' } = await this.#sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes = {} } = await this.#sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = Attributes.QueueArn ?? '';
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: arn,
          Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
        },
      ],
    };
    await this.#sqs.send(
      new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }),
    );
    return { url: QueueUrl, arn };
  }

  async deleteQueue(url: string): Promise<void> {
    await this.#sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  }

  async subscribeQueue(topicArn: string, queueArn: string): Promise<string> {
    const { SubscriptionArn = '' } = await this.#client(SNSClient).send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        ReturnSubscriptionArn: true,
      }),
    );
    return SubscriptionArn;
  }

  async unsubscribe(subscriptionArn: string): Promise<void> {
    await this.#client(SNSClient).send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
  }

  async drain(url: string): Promise<string[]> {
    const { Messages = [] } = await this.#sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length > 0)
      await this.#sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
    return Messages.map((message) => message.Body ?? '');
  }
}

/**
 * Every page of a paginated call, in order: `page` asks for the one after `token`, `next` names the next
 * (by default the page's `NextToken`).
 */
function allPages<Page extends { readonly NextToken?: string | undefined }>(
  page: (token: string | undefined) => Promise<Page>,
): Promise<Page[]>;
function allPages<Page>(
  page: (token: string | undefined) => Promise<Page>,
  next: (page: Page) => string | undefined,
): Promise<Page[]>;
async function allPages<Page>(
  page: (token: string | undefined) => Promise<Page>,
  next: (page: Page) => string | undefined = (read) => (read as { NextToken?: string }).NextToken,
): Promise<Page[]> {
  const pages: Page[] = [];
  let token: string | undefined;
  do {
    const read = await page(token);
    pages.push(read);
    token = next(read);
  } while (token);
  return pages;
}
