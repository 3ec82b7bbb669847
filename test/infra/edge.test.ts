/**
 * The Edge stack (the ALB-in-front-of-EC2 topology as code), synthesized from cdk.json with `deployEdge`, and its
 * variants: a DNS-validated certificate with alias records, an existing VPC from cached lookup context.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import type { AlbWardenEdge } from '../../infra/index.ts';
import { EdgeStack } from './support/edge-stack.ts';
import {
  CDK_JSON,
  cfn,
  ENV,
  flaggedApp,
  logicalId,
  propertiesOf,
  resourcesOfType,
  type Synthesized,
  synth,
} from './support/synth.ts';

// Synthesizing an app takes a second or two, more on a loaded CI machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const CERT = 'arn:aws:acm:ap-northeast-2:123456789012:certificate/3f4e6a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const EDGE = CDK_JSON.context.edge as Record<string, unknown>;

let seed: Synthesized;
let edge: AlbWardenEdge;
let t: Template;

beforeAll(async () => {
  seed = await synth({ deployEdge: true });
  if (!seed.edge || !seed.edgeTemplate) throw new Error('deployEdge did not create the Edge stack');
  edge = seed.edge;
  t = seed.edgeTemplate;
}, 60_000);

describe('network', () => {
  it('creates a VPC over two AZs: public subnets for the load balancer, private ones for instances', () => {
    const subnets = Object.values(resourcesOfType(t, 'AWS::EC2::Subnet')).map((s) => s.Properties);
    const ofType = (type: string) =>
      subnets.filter((s) =>
        (s.Tags as { Key: string; Value: string }[]).some(
          (tag) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === type,
        ),
      );

    expect(ofType('Public').map((s) => s.AvailabilityZone)).toEqual(['ap-northeast-2a', 'ap-northeast-2c']);
    expect(ofType('Private').map((s) => s.AvailabilityZone)).toEqual(['ap-northeast-2a', 'ap-northeast-2c']);
    expect(propertiesOf(t, edge.loadBalancer).Subnets).toEqual(
      edge.vpc.publicSubnets.map((subnet) => cfn(edge, subnet.subnetId)),
    );
  });

  it('lets HTTP and HTTPS reach the load balancer from anywhere, over IPv4 and IPv6, and nothing else', () => {
    const group = propertiesOf(t, edge.albSecurityGroup);

    expect(group.SecurityGroupIngress).toEqual(
      [80, 443].flatMap((port) => [
        {
          CidrIp: '0.0.0.0/0',
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          Description: `port ${port} from anywhere (IPv4)`,
        },
        {
          CidrIpv6: '::/0',
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          Description: `port ${port} from anywhere (IPv6)`,
        },
      ]),
    );
    const egress = Object.values(resourcesOfType(t, 'AWS::EC2::SecurityGroupEgress')).map(
      (r) => r.Properties,
    );
    expect(egress).toEqual([
      expect.objectContaining({
        GroupId: cfn(edge, edge.albSecurityGroup.securityGroupId),
        DestinationSecurityGroupId: cfn(edge, edge.instanceSecurityGroup.securityGroupId),
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
      }),
    ]);
  });

  it('lets only the load balancer’s group reach instances, on 8080 only', () => {
    const ingress = Object.values(resourcesOfType(t, 'AWS::EC2::SecurityGroupIngress')).map(
      (r) => r.Properties,
    );

    expect(propertiesOf(t, edge.instanceSecurityGroup).SecurityGroupIngress).toBeUndefined();
    expect(ingress).toEqual([
      expect.objectContaining({
        GroupId: cfn(edge, edge.instanceSecurityGroup.securityGroupId),
        SourceSecurityGroupId: cfn(edge, edge.albSecurityGroup.securityGroupId),
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
      }),
    ]);
  });
});

describe('load balancer', () => {
  it('is internet-facing, dual-stack, drops invalid headers and logs access', () => {
    const props = propertiesOf(t, edge.loadBalancer);

    expect(props).toMatchObject({
      Scheme: 'internet-facing',
      Type: 'application',
      IpAddressType: 'dualstack',
    });
    expect(props.LoadBalancerAttributes).toEqual(
      expect.arrayContaining([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    );
  });

  it('has a target group on HTTP:8080 with the health check from context (the seed answers 404 on /)', () => {
    expect(propertiesOf(t, edge.targetGroup)).toMatchObject({
      Protocol: 'HTTP',
      Port: 8080,
      TargetType: 'instance',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: 'traffic-port',
      HealthCheckPath: '/',
      Matcher: { HttpCode: '404' },
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 5,
      UnhealthyThresholdCount: 2,
    });
  });

  it('never declares target group membership: the controller owns it', () => {
    expect(propertiesOf(t, edge.targetGroup).Targets).toBeUndefined();
    for (const template of [t, seed.wardenTemplate]) {
      for (const group of Object.values(
        resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::TargetGroup'),
      )) {
        expect(group.Properties.Targets).toBeUndefined();
      }
    }
    seed.wardenTemplate.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 0);
  });

  it('serves HTTPS on 443 with the certificate from context and the TLS 1.3 policy, forwarding to the group', () => {
    expect(propertiesOf(t, edge.httpsListener)).toEqual({
      LoadBalancerArn: cfn(edge, edge.loadBalancer.loadBalancerArn),
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERT }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: cfn(edge, edge.targetGroup.targetGroupArn) }],
    });
  });

  it('redirects HTTP on 80 to HTTPS with a 301, keeping host, path and query', () => {
    expect(propertiesOf(t, edge.httpListener)).toEqual({
      LoadBalancerArn: cfn(edge, edge.loadBalancer.loadBalancerArn),
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        {
          Type: 'redirect',
          RedirectConfig: {
            Protocol: 'HTTPS',
            Port: '443',
            StatusCode: 'HTTP_301',
            Host: '#{host}',
            Path: '/#{path}',
            Query: '#{query}',
          },
        },
      ],
    });
  });

  it('publishes the ARNs the controller binds to as SSM parameters, exports nothing, and outputs what an operator needs', () => {
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown; Export?: unknown }>;
    const parameters = Object.values(resourcesOfType(t, 'AWS::SSM::Parameter')).map((p) => p.Properties);

    expect(Object.values(outputs).filter((output) => output.Export)).toEqual([]);
    expect(parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Name: '/alb-warden/AlbWardenEdge/load-balancer-arn',
          Value: cfn(edge, edge.loadBalancer.loadBalancerArn),
        }),
        expect.objectContaining({
          Name: '/alb-warden/AlbWardenEdge/target-group-arn',
          Value: cfn(edge, edge.targetGroup.targetGroupArn),
        }),
        expect.objectContaining({ Name: '/alb-warden/AlbWardenEdge/certificate-arn', Value: CERT }),
        expect.objectContaining({
          Name: '/alb-warden/AlbWardenEdge/http-listener-arn',
          Value: cfn(edge, edge.httpListener.listenerArn),
        }),
      ]),
    );
    for (const name of [
      'LoadBalancerArn',
      'TargetGroupArn',
      'CertificateArn',
      'HttpListenerArn',
      'HttpsListenerArn',
      'LoadBalancerDnsName',
      'InstanceSecurityGroupId',
      'VpcId',
    ]) {
      expect(outputs[name]).toBeDefined();
    }
  });

  it('has no deletion protection unless asked', async () => {
    const protectedEdge = await synth({ deployEdge: true, edge: { ...EDGE, deletionProtection: true } });

    expect(propertiesOf(t, edge.loadBalancer).LoadBalancerAttributes).toContainEqual({
      Key: 'deletion_protection.enabled',
      Value: 'false',
    });
    expect(
      propertiesOf(protectedEdge.edgeTemplate as Template, protectedEdge.edge?.loadBalancer as never)
        .LoadBalancerAttributes,
    ).toContainEqual({ Key: 'deletion_protection.enabled', Value: 'true' });
  });
});

describe('changing the Edge stack', () => {
  it('deploys the Warden stack after the Edge stack, whose parameters it reads', () => {
    expect(Stack.of(seed.warden).dependencies).toEqual([Stack.of(edge)]);
  });

  it('leaves the Warden stack nothing to block: a new certificate changes the Edge template alone', async () => {
    const rotated = await synth({
      deployEdge: true,
      edge: { ...EDGE, certificateArn: CERT.replace('3f4e6a2b', '00000000') },
    });
    const warden = JSON.stringify(seed.wardenTemplate.toJSON());

    expect(warden).not.toContain('Fn::ImportValue');
    expect(warden).toContain('/alb-warden/AlbWardenEdge/certificate-arn');
    expect(JSON.stringify(rotated.wardenTemplate.toJSON())).toBe(warden);
    expect(JSON.stringify(rotated.edgeTemplate?.toJSON())).not.toBe(JSON.stringify(t.toJSON()));
  });

  it('switches to a DNS-validated certificate without touching the Warden stack', async () => {
    const { certificateArn: _, ...withoutCertificate } = EDGE;
    const dns = await synth({
      deployEdge: true,
      edge: { ...withoutCertificate, domainName: 'www.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
    });

    dns.edgeTemplate?.resourceCountIs('AWS::CertificateManager::Certificate', 1);
    expect(JSON.stringify(dns.wardenTemplate.toJSON())).toBe(JSON.stringify(seed.wardenTemplate.toJSON()));
  });

  it('replaces both listeners when listenerGeneration is raised, to recover from a listener the controller recreated', async () => {
    const next = await synth({ deployEdge: true, edge: { ...EDGE, listenerGeneration: 1 } });
    const listeners = (template: Template) =>
      Object.keys(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::Listener')).sort();
    const nextEdge = next.edge as AlbWardenEdge;

    expect(listeners(next.edgeTemplate as Template)).toHaveLength(2);
    for (const id of listeners(next.edgeTemplate as Template)) expect(listeners(t)).not.toContain(id);
    expect(logicalId(nextEdge.loadBalancer)).toBe(logicalId(edge.loadBalancer));
    expect(logicalId(nextEdge.targetGroup)).toBe(logicalId(edge.targetGroup));
    expect(
      Object.values(resourcesOfType(next.edgeTemplate as Template, 'AWS::SSM::Parameter')).find(
        (p) => p.Properties.Name === '/alb-warden/AlbWardenEdge/http-listener-arn',
      )?.Properties.Value,
    ).toEqual(cfn(nextEdge, nextEdge.httpListener.listenerArn));
  });
});

describe('settings checked against the target account and region', () => {
  it.each([
    [
      'availability zones of another region',
      { availabilityZones: ['us-east-1a', 'us-east-1b'] },
      /edge\.availabilityZones: us-east-1a is not an availability zone of ap-northeast-2/,
    ],
    [
      'a certificate of another region',
      { certificateArn: CERT.replace('ap-northeast-2', 'us-east-1') },
      /edge\.certificateArn: the certificate is in us-east-1, but the load balancer deploys to ap-northeast-2/,
    ],
    [
      'a certificate of another account',
      { certificateArn: CERT.replace('123456789012', '210987654321') },
      /edge\.certificateArn: the certificate is in account 210987654321/,
    ],
  ])('refuses %s', async (_what, settings, message) => {
    await expect(synth({ deployEdge: true, edge: { ...EDGE, ...settings } })).rejects.toThrow(message);
  });

  it('guards the Edge load balancer instead of cdk.json’s sample binding, and says so', () => {
    const names = seed.warden.monitoring.alarms.map((alarm) => alarm.node.id);
    const warnings = seed.app
      .synth()
      .getStackByName('AlbWarden')
      .messages.map((message) => String(message.entry.data));

    expect(names).toEqual(['UnhealthyHosts0', 'NoHealthyHosts0']);
    expect(JSON.stringify(seed.wardenTemplate.toJSON())).not.toContain('50dc6c495c0c9188');
    expect(warnings.join('\n')).toMatch(/replaces the binding\(s\) web of context "config"/);
  });
});

describe('the binding that guards it', () => {
  it('describes the topology as deployed, so the guard finds nothing to repair on a fresh stack', () => {
    const binding = edge.binding(new Stack(flaggedApp(), 'Consumer', { env: ENV }), 'edge', {
      tags: { Role: 'web' },
    });
    const parsed = parseConfig(
      {
        alerts: { topicArn: 'arn:aws:sns:ap-northeast-2:123456789012:t', stateTable: 'table' },
        bindings: [
          {
            ...binding,
            loadBalancerArn:
              'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/e/0000000000000001',
            targetGroupArn:
              'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/e/0000000000000002',
            https: { ...binding.https, certificateArn: CERT },
          },
        ],
      },
      'test',
    ).bindings[0];
    const group = propertiesOf(t, edge.targetGroup);
    const redirect = (
      propertiesOf(t, edge.httpListener).DefaultActions as { RedirectConfig: Record<string, string> }[]
    )[0]?.RedirectConfig;

    expect(parsed?.targetPort).toBe(group.Port);
    expect(parsed?.http).toMatchObject({
      port: 80,
      redirect: {
        protocol: redirect?.Protocol,
        port: redirect?.Port,
        statusCode: redirect?.StatusCode,
        host: redirect?.Host,
        path: redirect?.Path,
        query: redirect?.Query,
      },
    });
    expect(parsed?.https).toMatchObject({
      port: 443,
      sslPolicy: propertiesOf(t, edge.httpsListener).SslPolicy,
    });
    expect(parsed?.healthCheck).toEqual({
      protocol: group.HealthCheckProtocol,
      port: group.HealthCheckPort,
      path: group.HealthCheckPath,
      matcher: (group.Matcher as { HttpCode: string }).HttpCode,
      intervalSeconds: group.HealthCheckIntervalSeconds,
      timeoutSeconds: group.HealthCheckTimeoutSeconds,
      healthyThreshold: group.HealthyThresholdCount,
      unhealthyThreshold: group.UnhealthyThresholdCount,
    });
  });
});

describe('certificate and DNS', () => {
  it('requests a DNS-validated certificate for domainName in the hosted zone and adds alias A/AAAA records', () => {
    const stack = new EdgeStack(flaggedApp(), 'Dns', {
      env: ENV,
      availabilityZones: ['ap-northeast-2a', 'ap-northeast-2b'],
      domainName: 'www.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    });
    const template = Template.fromStack(stack);
    const certificates = Object.entries(resourcesOfType(template, 'AWS::CertificateManager::Certificate'));

    expect(certificates).toHaveLength(1);
    const [certificateId, certificate] = certificates[0] ?? [];
    expect(certificate?.Properties).toMatchObject({
      DomainName: 'www.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'www.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    expect(propertiesOf(template, stack.httpsListener).Certificates).toEqual([
      { CertificateArn: { Ref: certificateId } },
    ]);
    for (const type of ['A', 'AAAA']) {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'www.example.com.',
        Type: type,
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        AliasTarget: {
          DNSName: {
            'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [logicalId(stack.loadBalancer), 'DNSName'] }]],
          },
          HostedZoneId: { 'Fn::GetAtt': [logicalId(stack.loadBalancer), 'CanonicalHostedZoneID'] },
        },
      });
    }
  });

  it('prefers a given certificateArn, and adds no records without a domain', () => {
    t.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  it('refuses to synthesize an HTTPS listener without a certificate, saying what to set', () => {
    expect(
      () =>
        new EdgeStack(flaggedApp(), 'NoCert', {
          env: ENV,
          availabilityZones: ['ap-northeast-2a', 'ap-northeast-2b'],
        }),
    ).toThrow(/set edge\.certificateArn .* or edge\.domainName and edge\.hostedZoneId/);
  });
});

describe('existing VPC', () => {
  it('uses a VPC looked up once and cached in context, offline, and creates none', () => {
    const vpcId = 'vpc-0a1b2c3d4e5f60718';
    // The first pass runs on the lookup's dummy VPC, which CloudFormation validation (off in these tests,
    // support/synth.ts) would report on.
    const probe = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': false } });
    new EdgeStack(probe, 'Probe', { env: ENV, vpcId, certificateArn: CERT });
    const missing = probe.synth().manifest.missing ?? [];
    const key = missing.find((m) => m.provider === 'vpc-provider')?.key;
    expect(key).toMatch(
      /^vpc-provider:account=123456789012:filter\.vpc-id=vpc-0a1b2c3d4e5f60718:region=ap-northeast-2/,
    );

    const app = flaggedApp();
    app.node.setContext(key ?? '', cachedVpc(vpcId));
    const stack = new EdgeStack(app, 'Existing', { env: ENV, vpcId, certificateArn: CERT });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::EC2::VPC', 0);
    expect(propertiesOf(template, stack.albSecurityGroup).VpcId).toBe(vpcId);
    expect(propertiesOf(template, stack.targetGroup).VpcId).toBe(vpcId);
    expect(propertiesOf(template, stack.loadBalancer)).toMatchObject({
      IpAddressType: 'ipv4',
      Subnets: ['subnet-0a00000000000000a', 'subnet-0a00000000000000b'],
    });
    expect(app.synth().manifest.missing ?? []).toEqual([]);
  });
});

/** The shape CDK caches for a VPC lookup (cdk.context.json), for a VPC with public and private subnets. */
function cachedVpc(vpcId: string) {
  const subnet = (kind: 'public' | 'private', az: 'a' | 'b', cidr: string) => ({
    subnetId: `subnet-0${kind === 'public' ? 'a' : 'b'}00000000000000${az}`,
    cidr,
    availabilityZone: `ap-northeast-2${az}`,
    routeTableId: `rtb-0${kind === 'public' ? 'a' : 'b'}00000000000000${az}`,
  });
  return {
    vpcId,
    vpcCidrBlock: '10.0.0.0/16',
    ownerAccountId: '123456789012',
    availabilityZones: [],
    subnetGroups: [
      {
        name: 'Public',
        type: 'Public',
        subnets: [subnet('public', 'a', '10.0.0.0/24'), subnet('public', 'b', '10.0.1.0/24')],
      },
      {
        name: 'Private',
        type: 'Private',
        subnets: [subnet('private', 'a', '10.0.4.0/22'), subnet('private', 'b', '10.0.8.0/22')],
      },
    ],
  };
}
