/**
 * Where alerts go and what the controller remembers about them: the SNS topic (encrypted with a customer
 * managed key, so CloudWatch alarms can publish to it too), optional email subscriptions, and the alert
 * state table (string keys `pk`/`sk`, TTL `expiresAt`).
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertChannelProps {
  /** Email addresses subscribed to every alert (each must confirm the subscription). @default none */
  readonly emails?: readonly string[];
}

/**
 * The item operations the controller's alert state uses (functions/adapters/dynamodb-state.ts: Query, PutItem,
 * whose conditional deletes write tombstones, and BatchWriteItem), and nothing that scans, exports or drops
 * the table. A test derives the list from the adapter and fails when they differ.
 */
export const ALERT_STATE_ACTIONS = ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'] as const;

export class AlertChannel extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AlertChannelProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const alarmsOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };

    this.key = new kms.Key(this, 'TopicKey', {
      description: 'alb-warden: encrypts the alert topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets them, in the form AWS documents
    // ("Enable compatibility between event sources from AWS services and encrypted topics",
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services), which
    // supports the confused-deputy conditions for CloudWatch: this account's alarms only.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'alb-warden alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccountPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: alarmsOfThisAccount,
      }),
    );
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    this.table = new dynamodb.Table(this, 'AlertState', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Alert state rebuilds itself from the next sweeps; nothing in it outlives the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * Lets `grantee` publish alerts and keep alert state. The topic's key only through SNS (`kms:ViaService`):
   * SNS calls KMS for the publisher ("AWS KMS condition keys", kms:ViaService,
   * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
   */
  grantController(grantee: iam.Role): void {
    const stack = Stack.of(this);
    const principal = grantee.grantPrincipal;
    Validations.of(grantee).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* and kms:Decrypt on its key (SNS developer guide, sns-key-management); granted on that one key, through SNS only',
    });
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishAlerts',
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptAlertsThroughSns',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${stack.region}.${stack.urlSuffix}` } },
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeepAlertState',
        actions: [...ALERT_STATE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
  }
}
