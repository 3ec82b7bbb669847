/**
 * The seed topology (the classic ALB in front of EC2), built through ordinary SDK calls only, so it works against the simulator
 * and against any other AWS-compatible endpoint:
 *
 *   VPC 10.0.0.0/16, two public subnets in two availability zones, a load balancer security group and an
 *   instance security group, the internet-facing ALB `web-alb`, the target group `web-8080` (HTTP:8080,
 *   health check "/" answered with 404), an HTTPS:443 listener forwarding to it and an HTTP:80 listener
 *   redirecting to HTTPS with 301.
 *
 * Security group rules are left out: the simulator does not model AuthorizeSecurityGroupIngress.
 */

import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  type EC2Client,
  type _InstanceType as InstanceType,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SEED_CERTIFICATE_ID } from './services/acm.ts';

export interface SeedClients {
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
}

export interface SeedOptions {
  /** @default 'web-alb' */
  readonly loadBalancerName?: string;
  /** @default 'web-8080' */
  readonly targetGroupName?: string;
  /** @default the seed's ACM certificate in the load balancer's account and region */
  readonly certificateArn?: string;
  /** @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' */
  readonly sslPolicy?: string;
}

export interface SeedTopology {
  readonly region: string;
  readonly account: string;
  readonly vpcId: string;
  readonly subnetIds: readonly [string, string];
  readonly availabilityZones: readonly [string, string];
  readonly albSecurityGroupId: string;
  readonly instanceSecurityGroupId: string;
  readonly loadBalancerArn: string;
  readonly loadBalancerDnsName: string;
  readonly targetGroupArn: string;
  readonly certificateArn: string;
  readonly httpsListenerArn: string;
  readonly httpListenerArn: string;
}

// A fresh simulator world holds this certificate (sim/services/acm.ts); elsewhere pass `certificateArn`.
export { SEED_CERTIFICATE_ID } from './services/acm.ts';

export async function buildSeedTopology(
  clients: SeedClients,
  options: SeedOptions = {},
): Promise<SeedTopology> {
  const { ec2, elbv2 } = clients;
  const region = await ec2.config.region();
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = required(vpc.Vpc?.VpcId, 'CreateVpc VpcId');
  const availabilityZones = [`${region}a`, `${region}c`] as const;
  const subnetIds = [] as string[];
  for (const [index, zone] of availabilityZones.entries()) {
    const subnet = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.0.${index + 1}.0/24`, AvailabilityZone: zone }),
    );
    subnetIds.push(required(subnet.Subnet?.SubnetId, 'CreateSubnet SubnetId'));
  }
  const albGroup = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: 'web-alb-sg',
      Description: 'web-alb: HTTP and HTTPS from anywhere',
      VpcId: vpcId,
    }),
  );
  const instanceGroup = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: 'web-instance-sg',
      Description: 'web instances: 8080 from the load balancer only',
      VpcId: vpcId,
    }),
  );
  const albSecurityGroupId = required(albGroup.GroupId, 'CreateSecurityGroup GroupId');

  const lb = await elbv2.send(
    new CreateLoadBalancerCommand({
      Name: options.loadBalancerName ?? 'web-alb',
      Type: 'application',
      Scheme: 'internet-facing',
      Subnets: subnetIds,
      SecurityGroups: [albSecurityGroupId],
    }),
  );
  const loadBalancerArn = required(
    lb.LoadBalancers?.[0]?.LoadBalancerArn,
    'CreateLoadBalancer LoadBalancerArn',
  );
  const account = loadBalancerArn.split(':')[4] ?? '';
  const tg = await elbv2.send(
    new CreateTargetGroupCommand({
      Name: options.targetGroupName ?? 'web-8080',
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: vpcId,
      TargetType: 'instance',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/',
      // The seed's application answers 404 on "/".
      Matcher: { HttpCode: '404' },
    }),
  );
  const targetGroupArn = required(tg.TargetGroups?.[0]?.TargetGroupArn, 'CreateTargetGroup TargetGroupArn');
  const certificateArn =
    options.certificateArn ?? `arn:aws:acm:${region}:${account}:certificate/${SEED_CERTIFICATE_ID}`;
  const https = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: certificateArn }],
      SslPolicy: options.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    }),
  );
  const http = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        {
          Type: 'redirect',
          RedirectConfig: {
            Protocol: 'HTTPS',
            Port: '443',
            Host: '#{host}',
            Path: '/#{path}',
            Query: '#{query}',
            StatusCode: 'HTTP_301',
          },
        },
      ],
    }),
  );
  return {
    region,
    account,
    vpcId,
    subnetIds: [subnetIds[0] ?? '', subnetIds[1] ?? ''],
    availabilityZones,
    albSecurityGroupId,
    instanceSecurityGroupId: required(instanceGroup.GroupId, 'CreateSecurityGroup GroupId'),
    loadBalancerArn,
    loadBalancerDnsName: required(lb.LoadBalancers?.[0]?.DNSName, 'CreateLoadBalancer DNSName'),
    targetGroupArn,
    certificateArn,
    httpsListenerArn: required(https.Listeners?.[0]?.ListenerArn, 'CreateListener ListenerArn'),
    httpListenerArn: required(http.Listeners?.[0]?.ListenerArn, 'CreateListener ListenerArn'),
  };
}

export interface LaunchOptions {
  readonly count: number;
  readonly subnetId: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly securityGroupIds?: readonly string[];
  /** @default a placeholder AMI id, accepted by the simulator; pass a real one elsewhere */
  readonly imageId?: string;
  /** @default 't3.micro' */
  readonly instanceType?: InstanceType;
}

/** Launches `count` instances with the given tags; returns their ids (they start `pending`). */
export async function launchInstances(
  clients: Pick<SeedClients, 'ec2'>,
  options: LaunchOptions,
): Promise<string[]> {
  const tags = Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const result = await clients.ec2.send(
    new RunInstancesCommand({
      ImageId: options.imageId ?? 'ami-0123456789abcdef0',
      InstanceType: options.instanceType ?? 't3.micro',
      MinCount: options.count,
      MaxCount: options.count,
      SubnetId: options.subnetId,
      ...(options.securityGroupIds ? { SecurityGroupIds: [...options.securityGroupIds] } : {}),
      ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'instance' as const, Tags: tags }] } : {}),
    }),
  );
  return (result.Instances ?? []).map((instance) => required(instance.InstanceId, 'RunInstances InstanceId'));
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} missing from the response`);
  return value;
}

export interface AlertResourceClients {
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

/**
 * The controller's own resources, as the Warden stack deploys them: the SNS alert topic and the state table
 * (string keys `pk` and `sk`, TTL on `expiresAt`).
 */
export async function createAlertResources(
  clients: AlertResourceClients,
  options: { readonly topicName?: string; readonly tableName?: string } = {},
): Promise<{ readonly topicArn: string; readonly tableName: string }> {
  const tableName = options.tableName ?? 'alb-warden-alert-state';
  const topic = await clients.sns.send(
    new CreateTopicCommand({ Name: options.topicName ?? 'alb-warden-alerts' }),
  );
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await clients.dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );
  return { topicArn: required(topic.TopicArn, 'CreateTopic TopicArn'), tableName };
}
