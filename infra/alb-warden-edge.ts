/**
 * The ALB-in-front-of-EC2 topology as code (optional): a VPC, the ALB and instance security groups,
 * a target group on HTTP:8080, an HTTPS:443 listener forwarding to it with a TLS 1.3 policy, an HTTP:80
 * listener redirecting to HTTPS, and optional Route 53 alias records.
 *
 * The target group is declared without targets: membership belongs to the controller, so a deployment never
 * fights it and an instance the controller registered is never drift to CloudFormation.
 *
 * The Warden stack learns the ARNs through SSM parameters this stack writes, never through exports: an export
 * cannot change while another stack imports it, which would block a certificate rotation, a switch to a
 * DNS-validated certificate or a replaced target group ("Exporting stack output values", considerations,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html). A parameter
 * read with `AWS::SSM::Parameter::Value<String>` is resolved again on every Warden deployment.
 *
 * Listeners have two owners: this stack creates them, and the controller recreates one that someone deleted.
 * A recreated listener is no longer the one in this stack, so the next update that touches it fails. Recovery
 * (README, Deploy): pause the binding, delete the recreated listener, deploy with `edge.listenerGeneration`
 * raised by one (new listener resources), resume.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { parseConfig } from '../functions/config.ts';
import type { HealthCheckSettings } from '../functions/domain/settings.ts';
import type { BindingInput } from './config-input.ts';
import type { HealthCheckInput, InstanceSelectorInput } from './context.ts';

export const TARGET_PORT = 8080;
export const HTTP_PORT = 80;
export const HTTPS_PORT = 443;
/** AWS's recommended TLS 1.3 policy (TLS 1.3 and 1.2), the same default the controller enforces. */
export const DEFAULT_SSL_POLICY = elbv2.SslPolicy.RECOMMENDED_TLS;
/** The seed's redirect: 301 to HTTPS on 443, host, path and query kept. */
export const REDIRECT = {
  protocol: 'HTTPS',
  port: String(HTTPS_PORT),
  statusCode: 'HTTP_301',
  host: '#{host}',
  path: '/#{path}',
  query: '#{query}',
} as const;

export interface AlbWardenEdgeProps {
  /** An existing VPC (looked up: needs credentials once, then cdk.context.json). @default - a new VPC */
  readonly vpcId?: string;
  /**
   * The new VPC's two availability zones; they must be among the stack's (an environment-agnostic stack, or
   * one whose zones were looked up). @default - the stack's first two
   */
  readonly availabilityZones?: readonly string[];
  /**
   * Where the SSM parameters that other stacks bind to are written. @default `/alb-warden/<stack name>`
   */
  readonly parameterPrefix?: string;
  /** Certificate of the HTTPS listener. @default - a DNS-validated certificate for `domainName` */
  readonly certificateArn?: string;
  /** The site's name: certificate (without `certificateArn`) and alias A/AAAA records. @default - none */
  readonly domainName?: string;
  /** The Route 53 hosted zone of `domainName`. @default - none */
  readonly hostedZoneId?: string;
  /** The target group's health check. @default path `/`, matcher `200`, the controller's other defaults */
  readonly healthCheck?: HealthCheckInput;
  /** The HTTPS listener's security policy. @default ELBSecurityPolicy-TLS13-1-2-2021-06 */
  readonly sslPolicy?: string;
  /** NAT gateways of a new VPC (instances in private subnets need one for outbound traffic). @default 1 */
  readonly natGateways?: number;
  /** Deletion protection on the load balancer (then `cdk destroy` stops until it is turned off). @default false */
  readonly deletionProtection?: boolean;
  /**
   * Raised by one to replace both listener resources after the controller recreated a deleted listener
   * (README, Deploy: the listener recovery). @default 0
   */
  readonly listenerGeneration?: number;
}

/** Where the Edge stack publishes what the Warden stack binds to (SSM parameter names). */
export interface EdgeParameterNames {
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  readonly certificateArn: string;
  readonly httpListenerArn: string;
}

export class AlbWardenEdge extends Construct {
  readonly vpc: ec2.IVpc;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly httpsListener: elbv2.ApplicationListener;
  readonly httpListener: elbv2.ApplicationListener;
  readonly albSecurityGroup: ec2.SecurityGroup;
  readonly instanceSecurityGroup: ec2.SecurityGroup;
  readonly certificateArn: string;
  readonly sslPolicy: string;
  readonly healthCheck: HealthCheckSettings;
  /** The SSM parameters other stacks bind to. */
  readonly parameterNames: EdgeParameterNames;

  private readonly published: EdgeParameterNames;

  constructor(scope: Construct, id: string, props: AlbWardenEdgeProps = {}) {
    super(scope, id);
    this.checkPlacement(props);
    this.healthCheck = normalizeHealthCheck(props.healthCheck ?? { path: '/', matcher: '200' });
    this.sslPolicy = props.sslPolicy ?? DEFAULT_SSL_POLICY;
    const dualStack = props.vpcId === undefined;

    this.vpc = props.vpcId ? ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.vpcId }) : this.newVpc(props);

    this.albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc: this.vpc,
      description: 'alb-warden edge: the load balancer, HTTP and HTTPS from anywhere',
      allowAllOutbound: false,
    });
    for (const port of [HTTP_PORT, HTTPS_PORT]) {
      this.albSecurityGroup.addIngressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(port),
        `port ${port} from anywhere (IPv4)`,
      );
      this.albSecurityGroup.addIngressRule(
        ec2.Peer.anyIpv6(),
        ec2.Port.tcp(port),
        `port ${port} from anywhere (IPv6)`,
      );
    }
    Validations.of(this.albSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'An internet-facing load balancer: ports 80 (redirect only) and 443 are open to everyone by design',
    });
    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: this.vpc,
      description: 'alb-warden edge: instances, port 8080 from the load balancer only',
      allowAllOutbound: true,
    });
    this.albSecurityGroup.connections.allowTo(
      this.instanceSecurityGroup,
      ec2.Port.tcp(TARGET_PORT),
      `port ${TARGET_PORT} from the load balancer`,
    );

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroup: this.albSecurityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      ipAddressType: dualStack ? elbv2.IpAddressType.DUAL_STACK : elbv2.IpAddressType.IPV4,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection ?? false,
    });
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // ALB access logs support SSE-S3 only
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is itself a log destination (ALB access logs); logging it would need yet another bucket',
    });
    this.loadBalancer.logAccessLogs(accessLogs, 'alb');

    const hc = this.healthCheck;
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: this.vpc,
      port: TARGET_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      healthCheck: {
        protocol: hc.protocol === 'HTTPS' ? elbv2.Protocol.HTTPS : elbv2.Protocol.HTTP,
        port: hc.port,
        path: hc.path,
        healthyHttpCodes: hc.matcher,
        interval: Duration.seconds(hc.intervalSeconds),
        timeout: Duration.seconds(hc.timeoutSeconds),
        healthyThresholdCount: hc.healthyThreshold,
        unhealthyThresholdCount: hc.unhealthyThreshold,
      },
    });

    this.certificateArn = this.certificate(props);
    const generation = props.listenerGeneration ? String(props.listenerGeneration) : '';
    this.httpsListener = this.loadBalancer.addListener(`Https${generation}`, {
      port: HTTPS_PORT,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(this.certificateArn)],
      sslPolicy: this.sslPolicy as elbv2.SslPolicy,
      defaultAction: elbv2.ListenerAction.forward([this.targetGroup]),
      open: false,
    });
    this.httpListener = this.loadBalancer.addListener(`Http${generation}`, {
      port: HTTP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      defaultAction: elbv2.ListenerAction.redirect({
        protocol: REDIRECT.protocol,
        port: REDIRECT.port,
        host: REDIRECT.host,
        path: REDIRECT.path,
        query: REDIRECT.query,
        permanent: true,
      }),
      open: false,
    });

    if (props.domainName && props.hostedZoneId) {
      const zone = route53.HostedZone.fromHostedZoneId(this, 'Zone', props.hostedZoneId);
      const target = route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer));
      // A trailing dot makes the name absolute, so the zone's name need not be known.
      const recordName = `${props.domainName.replace(/\.$/, '')}.`;
      new route53.ARecord(this, 'AliasA', { zone, recordName, target });
      if (dualStack) new route53.AaaaRecord(this, 'AliasAAAA', { zone, recordName, target });
    }

    const prefix = props.parameterPrefix ?? `/alb-warden/${Stack.of(this).stackName}`;
    const parameter = (name: string) => `${prefix}/${name}`;
    this.parameterNames = {
      loadBalancerArn: parameter('load-balancer-arn'),
      targetGroupArn: parameter('target-group-arn'),
      certificateArn: parameter('certificate-arn'),
      httpListenerArn: parameter('http-listener-arn'),
    };
    this.published = {
      loadBalancerArn: this.loadBalancer.loadBalancerArn,
      targetGroupArn: this.targetGroup.targetGroupArn,
      certificateArn: this.certificateArn,
      httpListenerArn: this.httpListener.listenerArn,
    };
    for (const [key, value] of Object.entries(this.published) as [keyof EdgeParameterNames, string][]) {
      new ssm.StringParameter(this, `${key.charAt(0).toUpperCase()}${key.slice(1)}Parameter`, {
        parameterName: this.parameterNames[key],
        stringValue: value,
        description: `alb-warden: the Edge stack's ${key}, read by the Warden stack at each deployment`,
      });
      new CfnOutput(this, key.charAt(0).toUpperCase() + key.slice(1), { value });
    }
    new CfnOutput(this, 'HttpsListenerArn', { value: this.httpsListener.listenerArn });
    new CfnOutput(this, 'LoadBalancerDnsName', { value: this.loadBalancer.loadBalancerDnsName });
    new CfnOutput(this, 'InstanceSecurityGroupId', {
      value: this.instanceSecurityGroup.securityGroupId,
      description: 'Launch instances with this group (and the selector tags) to be registered',
    });
    new CfnOutput(this, 'VpcId', { value: this.vpc.vpcId });
  }

  /**
   * The binding that guards this topology, for `consumer` (a stack deployed after this one): the ARNs are read
   * from this stack's SSM parameters when `consumer` deploys, so they are deploy-time values there.
   */
  binding(consumer: Construct, name: string, instanceSelector: InstanceSelectorInput): BindingInput {
    const read = (key: keyof EdgeParameterNames) => this.valueFor(consumer, key);
    return {
      name,
      loadBalancerArn: read('loadBalancerArn'),
      targetGroupArn: read('targetGroupArn'),
      targetPort: TARGET_PORT,
      instanceSelector,
      http: { port: HTTP_PORT, redirect: { ...REDIRECT } },
      https: { port: HTTPS_PORT, sslPolicy: this.sslPolicy, certificateArn: read('certificateArn') },
      healthCheck: { ...this.healthCheck },
    };
  }

  /** The HTTP listener's ARN, for `consumer`, read from this stack's SSM parameter. */
  httpListenerArnFor(consumer: Construct): string {
    return this.valueFor(consumer, 'httpListenerArn');
  }

  /**
   * A published value as `consumer` sees it: in this stack, the value itself (a parameter of the same stack
   * cannot be read while the stack creates it); elsewhere, read from the SSM parameter at deployment.
   */
  private valueFor(consumer: Construct, key: keyof EdgeParameterNames): string {
    if (Stack.of(consumer) === Stack.of(this)) return this.published[key];
    return ssm.StringParameter.valueForStringParameter(consumer, this.parameterNames[key]);
  }

  /**
   * Availability zones and the certificate must be of the stack's own account and region: another region's
   * synthesizes and then fails to deploy (an ALB takes ACM certificates of its own region only).
   */
  private checkPlacement(props: AlbWardenEdgeProps): void {
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? undefined : stack.region;
    const account = Token.isUnresolved(stack.account) ? undefined : stack.account;
    for (const zone of props.availabilityZones ?? []) {
      if (region !== undefined && !new RegExp(`^${region}[a-z]$`).test(zone)) {
        throw new Error(
          `edge.availabilityZones: ${zone} is not an availability zone of ${region}, where the Edge stack deploys ` +
            `(give two like ${region}a, ${region}c)`,
        );
      }
    }
    if (props.certificateArn && !Token.isUnresolved(props.certificateArn)) {
      const [, , service, certRegion, certAccount] = props.certificateArn.split(':');
      if (service === 'acm' && region !== undefined && certRegion !== region) {
        throw new Error(
          `edge.certificateArn: the certificate is in ${certRegion}, but the load balancer deploys to ${region}: ` +
            'an ALB takes ACM certificates of its own region only (request or import one there)',
        );
      }
      if (account !== undefined && certAccount !== account) {
        throw new Error(
          `edge.certificateArn: the certificate is in account ${certAccount}, but the Edge stack deploys to ${account}`,
        );
      }
    }
  }

  private newVpc(props: AlbWardenEdgeProps): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ...(props.availabilityZones ? { availabilityZones: [...props.availabilityZones] } : { maxAzs: 2 }),
      ipProtocol: ec2.IpProtocol.DUAL_STACK,
      natGateways: props.natGateways ?? 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'instances', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
    });
    Validations.of(vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason:
        'Subnets have to name their availability zones; these come from the AZ lookup or from context on purpose',
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    return vpc;
  }

  private certificate(props: AlbWardenEdgeProps): string {
    if (props.certificateArn) return props.certificateArn;
    if (props.domainName && props.hostedZoneId) {
      const zone = route53.HostedZone.fromHostedZoneId(this, 'CertificateZone', props.hostedZoneId);
      return new acm.Certificate(this, 'Certificate', {
        domainName: props.domainName,
        validation: acm.CertificateValidation.fromDns(zone),
      }).certificateArn;
    }
    throw new Error(
      'The Edge stack needs a certificate for its HTTPS listener: set edge.certificateArn (an ACM certificate in ' +
        'this region), or edge.domainName and edge.hostedZoneId for a DNS-validated one',
    );
  }
}

/**
 * The health check with the controller's defaults applied, by the controller's own schema, so the target
 * group is created exactly as the guard will later enforce it.
 */
export function normalizeHealthCheck(healthCheck: HealthCheckInput): HealthCheckSettings {
  const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
  const parsed = parseConfig(
    {
      alerts: { topicArn: 'arn:aws:sns:us-east-1:123456789012:t', stateTable: 'table' },
      bindings: [
        {
          name: 'edge',
          loadBalancerArn: `${arn}:loadbalancer/app/edge/0000000000000000`,
          targetGroupArn: `${arn}:targetgroup/edge/0000000000000000`,
          instanceSelector: { tags: { edge: 'edge' } },
          healthCheck,
        },
      ],
    },
    'the Edge stack health check',
  );
  const normalized = parsed.bindings[0]?.healthCheck;
  if (!normalized) throw new Error('the Edge stack health check did not survive validation');
  return normalized;
}
