/**
 * A CloudTrail trail recording management events, for accounts that have none. EventBridge receives
 * "AWS API Call via CloudTrail" events only where a trail records them ("Events from AWS services",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html); without one the
 * guard never hears of a listener change and only the sweep repairs it. The first trail's copy of management
 * events is free; storage in S3 is what it costs, hence the lifecycle.
 *
 * Write events only: the guard's rule wants listener and target group writes, and an EventBridge rule receives
 * read-only management events only when enabled for them ("Receiving read-only management events from AWS
 * services", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html),
 * so recording reads (the controller's own Describe* calls, every minute) would only fill the bucket. The bucket admits CloudTrail
 * for this trail alone (`aws:SourceArn`), as "Amazon S3 bucket policy for CloudTrail" recommends
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html);
 * the trail is declared at the CloudFormation level because CDK's Trail adds its own statements without it.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ApiCallTrailProps {
  /** Days the trail's log files are kept. @default 365 */
  readonly retentionDays?: number;
}

export class ApiCallTrail extends Construct {
  readonly trail: cloudtrail.CfnTrail;
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ApiCallTrailProps = {}) {
    super(scope, id);
    const retention = Duration.days(props.retentionDays ?? 365);
    // The destination of the trail bucket's server access logs (cdk-nag counts a log destination as logged).
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: retention }],
      // Audit records outlive the stack; the README says how to remove them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'trail-bucket/',
      lifecycleRules: [
        {
          expiration: retention,
          noncurrentVersionExpiration: Duration.days(30),
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
          ],
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const stack = Stack.of(this);
    const trailName = `${stack.stackName}-api-calls`;
    const thisTrail = {
      StringEquals: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudtrail',
          resource: 'trail',
          resourceName: trailName,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      },
    };
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: thisTrail,
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: {
          StringEquals: { ...thisTrail.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' },
        },
      }),
    );

    this.trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName,
      s3BucketName: this.bucket.bucketName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      eventSelectors: [{ includeManagementEvents: true, readWriteType: 'WriteOnly' }],
    });
    // CloudTrail checks the bucket policy when the trail is created.
    const policy = this.bucket.policy?.node.defaultChild;
    if (policy) this.trail.node.addDependency(policy);
  }
}
