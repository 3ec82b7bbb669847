import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeedTopology, launchInstances, type SeedTopology } from '../../sim/seed.ts';
import { type SimWorld, startSim } from './support.ts';

let sim: SimWorld;
let seed: SeedTopology;

beforeAll(async () => {
  sim = await startSim();
  seed = await buildSeedTopology(sim.clients);
});
afterAll(async () => {
  await sim.stop();
});

describe('buildSeedTopology', () => {
  it('builds the seed topology: an internet-facing ALB across two availability zones', async () => {
    const [lb] =
      (
        await sim.clients.elbv2.send(
          new DescribeLoadBalancersCommand({ LoadBalancerArns: [seed.loadBalancerArn] }),
        )
      ).LoadBalancers ?? [];

    expect(lb).toMatchObject({
      LoadBalancerName: 'web-alb',
      Scheme: 'internet-facing',
      VpcId: seed.vpcId,
      SecurityGroups: [seed.albSecurityGroupId],
      DNSName: seed.loadBalancerDnsName,
    });
    expect(lb?.AvailabilityZones?.map((zone) => zone.ZoneName)).toEqual([
      'ap-northeast-2a',
      'ap-northeast-2c',
    ]);
    expect(seed.account).toBe('123456789012');
  });

  it('makes web-8080 an HTTP:8080 group whose health check expects 404 on /', async () => {
    const [group] =
      (await sim.clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['web-8080'] }))).TargetGroups ??
      [];

    expect(group).toMatchObject({
      TargetGroupArn: seed.targetGroupArn,
      Protocol: 'HTTP',
      Port: 8080,
      HealthCheckPath: '/',
      Matcher: { HttpCode: '404' },
      LoadBalancerArns: [seed.loadBalancerArn],
    });
  });

  it('forwards HTTPS:443 with the seed certificate and redirects HTTP:80 to it with 301', async () => {
    const listeners =
      (await sim.clients.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: seed.loadBalancerArn })))
        .Listeners ?? [];
    const https = listeners.find((l) => l.ListenerArn === seed.httpsListenerArn);
    const http = listeners.find((l) => l.ListenerArn === seed.httpListenerArn);

    expect(seed.certificateArn).toBe(
      'arn:aws:acm:ap-northeast-2:123456789012:certificate/3f4e6a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    );
    expect(https).toMatchObject({
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: seed.certificateArn }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
    });
    expect(http).toMatchObject({
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
    });
  });
});

describe('launchInstances', () => {
  it('launches tagged instances into a subnet with the given security groups', async () => {
    const ids = await launchInstances(sim.clients, {
      count: 3,
      subnetId: seed.subnetIds[1],
      tags: { Role: 'web', Name: 'web-seed' },
      securityGroupIds: [seed.instanceSecurityGroupId],
    });

    const instances = (
      (await sim.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations ?? []
    ).flatMap((r) => r.Instances ?? []);

    expect(ids).toHaveLength(3);
    expect(instances.map((i) => [i.State?.Name, i.SubnetId, i.InstanceType])).toEqual(
      ids.map(() => ['running', seed.subnetIds[1], 't3.micro']),
    );
    expect(instances[0]?.Tags).toEqual([
      { Key: 'Role', Value: 'web' },
      { Key: 'Name', Value: 'web-seed' },
    ]);
    expect(instances[0]?.SecurityGroups?.map((g) => g.GroupId)).toEqual([seed.instanceSecurityGroupId]);
  });
});
