import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  ModifyTargetGroupCommand,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildSeedTopology, type SeedTopology } from '../../sim/seed.ts';
import { awsError, network, useSim } from './support.ts';

const sim = useSim();

const elbv2 = () => sim.clients.elbv2;

describe('load balancers', () => {
  it('reports a new load balancer provisioning, then active, with its zones, DNS name and the VPC default group', async () => {
    const { vpcId, subnetIds } = await network(sim.clients);

    const created = await elbv2().send(
      new CreateLoadBalancerCommand({ Name: 'web-alb', Subnets: subnetIds }),
    );
    const described = await elbv2().send(new DescribeLoadBalancersCommand({ Names: ['web-alb'] }));

    const lb = created.LoadBalancers?.[0];
    expect(lb).toMatchObject({
      LoadBalancerArn: expect.stringMatching(
        /^arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer\/app\/web-alb\/[0-9a-f]{16}$/,
      ),
      DNSName: expect.stringMatching(/^web-alb-\d+\.ap-northeast-2\.elb\.amazonaws\.com$/),
      CanonicalHostedZoneId: 'ZWKZPGTI48KDX',
      Scheme: 'internet-facing',
      Type: 'application',
      VpcId: vpcId,
      State: { Code: 'provisioning' },
      IpAddressType: 'ipv4',
      SecurityGroups: [expect.stringMatching(/^sg-/)],
      AvailabilityZones: [
        { ZoneName: 'ap-northeast-2a', SubnetId: subnetIds[0], LoadBalancerAddresses: [] },
        { ZoneName: 'ap-northeast-2c', SubnetId: subnetIds[1], LoadBalancerAddresses: [] },
      ],
    });
    expect(lb?.CreatedTime).toBeInstanceOf(Date);
    expect(described.LoadBalancers?.[0]?.State).toEqual({ Code: 'active' });
  });

  it('returns the same load balancer for the same settings and refuses the name for different ones', async () => {
    const { subnetIds } = await network(sim.clients);
    const first = await elbv2().send(new CreateLoadBalancerCommand({ Name: 'web-alb', Subnets: subnetIds }));

    const again = await elbv2().send(new CreateLoadBalancerCommand({ Name: 'web-alb', Subnets: subnetIds }));
    const different = await awsError(
      elbv2().send(
        new CreateLoadBalancerCommand({ Name: 'web-alb', Subnets: subnetIds, Scheme: 'internal' }),
      ),
    );

    expect(again.LoadBalancers?.[0]?.LoadBalancerArn).toBe(first.LoadBalancers?.[0]?.LoadBalancerArn);
    expect(different).toMatchObject({
      name: 'DuplicateLoadBalancerNameException',
      code: 'DuplicateLoadBalancerName',
      message: 'A load balancer with the specified name already exists.',
    });
  });

  it('needs subnets in two availability zones that exist', async () => {
    const { subnetIds } = await network(sim.clients);

    const oneZone = await awsError(
      elbv2().send(new CreateLoadBalancerCommand({ Name: 'a', Subnets: [subnetIds[0]] })),
    );
    const unknown = await awsError(
      elbv2().send(
        new CreateLoadBalancerCommand({ Name: 'b', Subnets: [subnetIds[0], 'subnet-0000000000000000f'] }),
      ),
    );

    expect(oneZone).toMatchObject({
      code: 'ValidationError',
      message: 'At least two subnets in two different Availability Zones must be specified',
    });
    expect(unknown).toMatchObject({ name: 'SubnetNotFoundException', status: 400 });
  });

  it('pages load balancers with PageSize and answers unknown ones with LoadBalancerNotFound', async () => {
    const { subnetIds } = await network(sim.clients);
    for (const name of ['alb-1', 'alb-2', 'alb-3']) {
      await elbv2().send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnetIds }));
    }

    const names: string[][] = [];
    for await (const page of paginateDescribeLoadBalancers({ client: elbv2() }, { PageSize: 2 })) {
      names.push((page.LoadBalancers ?? []).map((lb) => lb.LoadBalancerName ?? ''));
    }
    const unknown = await awsError(elbv2().send(new DescribeLoadBalancersCommand({ Names: ['nope'] })));

    expect(names).toEqual([['alb-1', 'alb-2'], ['alb-3']]);
    expect(unknown).toMatchObject({ name: 'LoadBalancerNotFoundException', code: 'LoadBalancerNotFound' });
  });

  it('deletes its listeners with it, freeing the target group', async () => {
    const seed = await buildSeedTopology(sim.clients);

    await elbv2().send(new DeleteLoadBalancerCommand({ LoadBalancerArn: seed.loadBalancerArn }));
    const group = await elbv2().send(
      new DescribeTargetGroupsCommand({ TargetGroupArns: [seed.targetGroupArn] }),
    );
    const listeners = await awsError(
      elbv2().send(new DescribeListenersCommand({ ListenerArns: [seed.httpListenerArn] })),
    );
    await elbv2().send(new DeleteLoadBalancerCommand({ LoadBalancerArn: seed.loadBalancerArn }));
    await elbv2().send(new DeleteTargetGroupCommand({ TargetGroupArn: seed.targetGroupArn }));

    expect(group.TargetGroups?.[0]?.LoadBalancerArns).toEqual([]);
    expect(listeners.code).toBe('ListenerNotFound');
  });
});

describe('target groups', () => {
  it('fills the Application Load Balancer health check defaults', async () => {
    const { vpcId } = await network(sim.clients);

    const created = await elbv2().send(
      new CreateTargetGroupCommand({ Name: 'web-8080', Protocol: 'HTTP', Port: 8080, VpcId: vpcId }),
    );

    expect(created.TargetGroups?.[0]).toEqual({
      TargetGroupArn: expect.stringMatching(/:targetgroup\/web-8080\/[0-9a-f]{16}$/),
      TargetGroupName: 'web-8080',
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: vpcId,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 5,
      UnhealthyThresholdCount: 2,
      HealthCheckPath: '/',
      Matcher: { HttpCode: '200' },
      LoadBalancerArns: [],
      TargetType: 'instance',
      ProtocolVersion: 'HTTP1',
      IpAddressType: 'ipv4',
    });
  });

  it('modifies the health check and matcher, and validates their ranges', async () => {
    const seed = await buildSeedTopology(sim.clients);

    const modified = await elbv2().send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: seed.targetGroupArn,
        HealthCheckPath: '/healthz',
        HealthCheckIntervalSeconds: 10,
        Matcher: { HttpCode: '200-299' },
      }),
    );
    const invalid = await awsError(
      elbv2().send(
        new ModifyTargetGroupCommand({ TargetGroupArn: seed.targetGroupArn, HealthCheckTimeoutSeconds: 10 }),
      ),
    );

    expect(modified.TargetGroups?.[0]).toMatchObject({
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 10,
      Matcher: { HttpCode: '200-299' },
      LoadBalancerArns: [seed.loadBalancerArn],
    });
    expect(invalid).toMatchObject({
      code: 'ValidationError',
      message: 'Health check timeout must be smaller than the interval',
    });
  });

  it('lists the groups of a load balancer and pages them', async () => {
    const seed = await buildSeedTopology(sim.clients);
    for (const name of ['tg-a', 'tg-b']) {
      await elbv2().send(
        new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: seed.vpcId }),
      );
    }

    const ofLoadBalancer = await elbv2().send(
      new DescribeTargetGroupsCommand({ LoadBalancerArn: seed.loadBalancerArn }),
    );
    const pages: number[] = [];
    for await (const page of paginateDescribeTargetGroups({ client: elbv2() }, { PageSize: 2 })) {
      pages.push(page.TargetGroups?.length ?? 0);
    }

    expect(ofLoadBalancer.TargetGroups?.map((tg) => tg.TargetGroupName)).toEqual(['web-8080']);
    expect(pages).toEqual([2, 1]);
  });

  it('refuses to delete a group a listener forwards to, and deletes it once free', async () => {
    const seed = await buildSeedTopology(sim.clients);

    const inUse = await awsError(
      elbv2().send(new DeleteTargetGroupCommand({ TargetGroupArn: seed.targetGroupArn })),
    );
    await elbv2().send(new DeleteListenerCommand({ ListenerArn: seed.httpsListenerArn }));
    await elbv2().send(new DeleteTargetGroupCommand({ TargetGroupArn: seed.targetGroupArn }));
    const gone = await awsError(
      elbv2().send(new DescribeTargetGroupsCommand({ TargetGroupArns: [seed.targetGroupArn] })),
    );

    expect(inUse).toMatchObject({
      name: 'ResourceInUseException',
      code: 'ResourceInUse',
      message: `Target group '${seed.targetGroupArn}' is currently in use by a listener or a rule`,
    });
    expect(gone).toMatchObject({
      name: 'TargetGroupNotFoundException',
      message: 'One or more target groups not found',
    });
  });
});

describe('listeners', () => {
  let seed: SeedTopology;
  beforeEach(async () => {
    seed = await buildSeedTopology(sim.clients);
  });

  it('reports a redirect given only protocol and status with the placeholders AWS fills', async () => {
    const modified = await elbv2().send(
      new ModifyListenerCommand({
        ListenerArn: seed.httpListenerArn,
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_302' } }],
      }),
    );

    expect(modified.Listeners?.[0]?.DefaultActions).toEqual([
      {
        Type: 'redirect',
        RedirectConfig: {
          Protocol: 'HTTPS',
          Port: '#{port}',
          Host: '#{host}',
          Path: '/#{path}',
          Query: '#{query}',
          StatusCode: 'HTTP_302',
        },
      },
    ]);
  });

  it('reports a forward both as TargetGroupArn and as a one-group ForwardConfig, however it was given', async () => {
    const expected = [
      {
        Type: 'forward',
        TargetGroupArn: seed.targetGroupArn,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: seed.targetGroupArn, Weight: 1 }],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ];

    const https = await elbv2().send(new DescribeListenersCommand({ ListenerArns: [seed.httpsListenerArn] }));
    const viaConfig = await elbv2().send(
      new ModifyListenerCommand({
        ListenerArn: seed.httpListenerArn,
        DefaultActions: [
          { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: seed.targetGroupArn }] } },
        ],
      }),
    );

    expect(https.Listeners?.[0]?.DefaultActions).toEqual(expected);
    expect(viaConfig.Listeners?.[0]?.DefaultActions).toEqual(expected);
  });

  it('keeps the HTTPS listener certificate and policy, and gives a default policy when none is named', async () => {
    const https = await elbv2().send(new DescribeListenersCommand({ ListenerArns: [seed.httpsListenerArn] }));
    const created = await elbv2().send(
      new CreateListenerCommand({
        LoadBalancerArn: seed.loadBalancerArn,
        Port: 8443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: seed.certificateArn }],
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
      }),
    );

    expect(https.Listeners?.[0]).toMatchObject({
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: seed.certificateArn }],
    });
    expect(created.Listeners?.[0]?.SslPolicy).toBe('ELBSecurityPolicy-2016-08');
  });

  it('requires a certificate for HTTPS', async () => {
    const error = await awsError(
      elbv2().send(
        new CreateListenerCommand({
          LoadBalancerArn: seed.loadBalancerArn,
          Port: 8443,
          Protocol: 'HTTPS',
          DefaultActions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
        }),
      ),
    );

    expect(error).toMatchObject({ name: 'ValidationError', status: 400 });
  });

  it('rejects a second listener on a port with different settings, and returns the same one for the same settings', async () => {
    const redirect = {
      Type: 'redirect' as const,
      RedirectConfig: {
        Protocol: 'HTTPS',
        Port: '443',
        Host: '#{host}',
        Path: '/#{path}',
        Query: '#{query}',
        StatusCode: 'HTTP_301' as const,
      },
    };
    const same = await elbv2().send(
      new CreateListenerCommand({
        LoadBalancerArn: seed.loadBalancerArn,
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [redirect],
      }),
    );
    const different = await awsError(
      elbv2().send(
        new CreateListenerCommand({
          LoadBalancerArn: seed.loadBalancerArn,
          Port: 80,
          Protocol: 'HTTP',
          DefaultActions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
        }),
      ),
    );

    expect(same.Listeners?.[0]?.ListenerArn).toBe(seed.httpListenerArn);
    expect(different).toMatchObject({
      name: 'DuplicateListenerException',
      message: 'A listener with the specified port already exists.',
    });
  });

  it('turns a forward to an unknown target group into TargetGroupNotFound', async () => {
    const unknown = seed.targetGroupArn.replace(/[0-9a-f]{16}$/, '0000000000000000');

    const error = await awsError(
      elbv2().send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpListenerArn,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: unknown }],
        }),
      ),
    );

    expect(error).toMatchObject({
      name: 'TargetGroupNotFoundException',
      message: `Target group '${unknown}' not found`,
    });
  });

  it('replaces an HTTPS forward with a fixed response, keeping certificate and policy', async () => {
    const modified = await elbv2().send(
      new ModifyListenerCommand({
        ListenerArn: seed.httpsListenerArn,
        DefaultActions: [
          {
            Type: 'fixed-response',
            FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'maintenance' },
          },
        ],
      }),
    );

    expect(modified.Listeners?.[0]).toMatchObject({
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: seed.certificateArn }],
      DefaultActions: [
        {
          Type: 'fixed-response',
          FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'maintenance' },
        },
      ],
    });
  });

  it('pages listeners with PageSize and needs a load balancer or listener ARNs', async () => {
    const ports: number[][] = [];
    for await (const page of paginateDescribeListeners(
      { client: elbv2() },
      { LoadBalancerArn: seed.loadBalancerArn, PageSize: 1 },
    )) {
      ports.push((page.Listeners ?? []).map((l) => l.Port ?? 0));
    }
    const neither = await awsError(elbv2().send(new DescribeListenersCommand({})));

    expect(ports).toEqual([[443], [80]]);
    expect(neither).toMatchObject({
      code: 'ValidationError',
      message: 'You must specify either listener ARNs or a load balancer ARN',
    });
  });

  it('deletes a listener, after which it is ListenerNotFound', async () => {
    await elbv2().send(new DeleteListenerCommand({ ListenerArn: seed.httpListenerArn }));

    const error = await awsError(
      elbv2().send(new DeleteListenerCommand({ ListenerArn: seed.httpListenerArn })),
    );

    expect(error).toMatchObject({
      name: 'ListenerNotFoundException',
      message: 'The specified listener does not exist.',
    });
  });
});

describe('rules', () => {
  let seed: SeedTopology;
  beforeEach(async () => {
    seed = await buildSeedTopology(sim.clients);
  });

  const pathRule = (priority: number, path = '/*') =>
    new CreateRuleCommand({
      ListenerArn: seed.httpListenerArn,
      Priority: priority,
      Conditions: [{ Field: 'path-pattern', Values: [path] }],
      Actions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
    });

  it('reports a path condition with Values and PathPatternConfig', async () => {
    const created = await elbv2().send(pathRule(1));

    expect(created.Rules?.[0]).toMatchObject({
      Priority: '1',
      IsDefault: false,
      Conditions: [{ Field: 'path-pattern', Values: ['/*'], PathPatternConfig: { Values: ['/*'] } }],
    });
    expect(created.Rules?.[0]?.RuleArn).toMatch(
      new RegExp(`^${seed.httpListenerArn.replace(':listener/', ':listener-rule/')}/[0-9a-f]{16}$`),
    );
  });

  it('lists rules by priority and then the default rule, which follows the listener default actions', async () => {
    await elbv2().send(pathRule(20, '/b/*'));
    await elbv2().send(pathRule(10, '/a/*'));
    await elbv2().send(
      new ModifyListenerCommand({
        ListenerArn: seed.httpListenerArn,
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_302' } }],
      }),
    );

    const rules =
      (await elbv2().send(new DescribeRulesCommand({ ListenerArn: seed.httpListenerArn }))).Rules ?? [];

    expect(rules.map((r) => [r.Priority, r.IsDefault])).toEqual([
      ['10', false],
      ['20', false],
      ['default', true],
    ]);
    expect(rules[2]?.Conditions).toEqual([]);
    expect(rules[2]?.Actions?.[0]?.RedirectConfig?.StatusCode).toBe('HTTP_302');
  });

  it('pages rules with PageSize and Marker', async () => {
    await elbv2().send(pathRule(1, '/a'));
    await elbv2().send(pathRule(2, '/b'));

    const first = await elbv2().send(
      new DescribeRulesCommand({ ListenerArn: seed.httpListenerArn, PageSize: 2 }),
    );
    const second = await elbv2().send(
      new DescribeRulesCommand({ ListenerArn: seed.httpListenerArn, PageSize: 2, Marker: first.NextMarker }),
    );

    expect(first.Rules?.map((r) => r.Priority)).toEqual(['1', '2']);
    expect(second.Rules?.map((r) => r.Priority)).toEqual(['default']);
    expect(second.NextMarker).toBeUndefined();
  });

  it('refuses a priority in use, and reorders rules with SetRulePriorities', async () => {
    const a = (await elbv2().send(pathRule(1, '/a'))).Rules?.[0]?.RuleArn ?? '';
    const b = (await elbv2().send(pathRule(2, '/b'))).Rules?.[0]?.RuleArn ?? '';

    const taken = await awsError(elbv2().send(pathRule(2, '/c')));
    const swapped = await elbv2().send(
      new SetRulePrioritiesCommand({
        RulePriorities: [
          { RuleArn: a, Priority: 2 },
          { RuleArn: b, Priority: 1 },
        ],
      }),
    );

    expect(taken).toMatchObject({
      name: 'PriorityInUseException',
      message: 'The specified priority is in use.',
    });
    expect(swapped.Rules?.map((r) => [r.RuleArn, r.Priority])).toEqual([
      [a, '2'],
      [b, '1'],
    ]);
  });

  it('modifies a rule and deletes it; the default rule cannot be deleted', async () => {
    const arn = (await elbv2().send(pathRule(1))).Rules?.[0]?.RuleArn ?? '';
    const defaultRule = (
      await elbv2().send(new DescribeRulesCommand({ ListenerArn: seed.httpListenerArn }))
    ).Rules?.at(-1);

    const modified = await elbv2().send(
      new ModifyRuleCommand({
        RuleArn: arn,
        Conditions: [{ Field: 'host-header', Values: ['example.com'] }],
      }),
    );
    await elbv2().send(new DeleteRuleCommand({ RuleArn: arn }));
    const deletedAgain = await awsError(elbv2().send(new DeleteRuleCommand({ RuleArn: arn })));
    const deleteDefault = await awsError(
      elbv2().send(new DeleteRuleCommand({ RuleArn: defaultRule?.RuleArn ?? '' })),
    );

    expect(modified.Rules?.[0]?.Conditions).toEqual([
      { Field: 'host-header', Values: ['example.com'], HostHeaderConfig: { Values: ['example.com'] } },
    ]);
    expect(deletedAgain).toMatchObject({
      name: 'RuleNotFoundException',
      message: 'The specified rule does not exist.',
    });
    expect(deleteDefault).toMatchObject({
      name: 'OperationNotPermittedException',
      code: 'OperationNotPermitted',
    });
  });

  it('makes the target group list the load balancer when a rule forwards to it', async () => {
    const other = await elbv2().send(
      new CreateTargetGroupCommand({ Name: 'other', Protocol: 'HTTP', Port: 80, VpcId: seed.vpcId }),
    );
    const otherArn = other.TargetGroups?.[0]?.TargetGroupArn ?? '';

    await elbv2().send(
      new CreateRuleCommand({
        ListenerArn: seed.httpListenerArn,
        Priority: 5,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/other/*'] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: otherArn }],
      }),
    );
    const described = await elbv2().send(new DescribeTargetGroupsCommand({ Names: ['other'] }));

    expect(described.TargetGroups?.[0]?.LoadBalancerArns).toEqual([seed.loadBalancerArn]);
  });
});

describe('tags', () => {
  it('adds and describes tags on load balancers, target groups and listeners', async () => {
    const seed = await buildSeedTopology(sim.clients);
    const arns = [seed.loadBalancerArn, seed.targetGroupArn, seed.httpListenerArn];

    await elbv2().send(new AddTagsCommand({ ResourceArns: arns, Tags: [{ Key: 'team', Value: 'edge' }] }));
    await elbv2().send(
      new AddTagsCommand({ ResourceArns: [seed.loadBalancerArn], Tags: [{ Key: 'team', Value: 'web' }] }),
    );
    const described = await elbv2().send(new DescribeTagsCommand({ ResourceArns: arns }));

    expect(described.TagDescriptions).toEqual([
      { ResourceArn: seed.loadBalancerArn, Tags: [{ Key: 'team', Value: 'web' }] },
      { ResourceArn: seed.targetGroupArn, Tags: [{ Key: 'team', Value: 'edge' }] },
      { ResourceArn: seed.httpListenerArn, Tags: [{ Key: 'team', Value: 'edge' }] },
    ]);
  });

  it('rejects characters ELB tags do not allow and resources that do not exist', async () => {
    const seed = await buildSeedTopology(sim.clients);

    const badValue = await awsError(
      elbv2().send(
        new AddTagsCommand({ ResourceArns: [seed.loadBalancerArn], Tags: [{ Key: 'k', Value: '<script>' }] }),
      ),
    );
    const unknown = await awsError(
      elbv2().send(
        new DescribeTagsCommand({
          ResourceArns: [seed.loadBalancerArn.replace(/[0-9a-f]{16}$/, '0000000000000000')],
        }),
      ),
    );

    expect(badValue.code).toBe('ValidationError');
    expect(unknown.code).toBe('LoadBalancerNotFound');
  });
});
