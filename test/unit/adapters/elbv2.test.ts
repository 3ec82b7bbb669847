import {
  CreateListenerCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidTargetException,
  ModifyListenerCommand,
  RegisterTargetsCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ElbV2LoadBalancing } from '../../../functions/adapters/elbv2.ts';
import { AwsCallError, isAwsError } from '../../../functions/errors.ts';
import { CERT_ARN, HTTP_LISTENER_ARN, LB_ARN, redirect301, TG_ARN } from '../../support/builders.ts';

const elb = mockClient(ElasticLoadBalancingV2Client);
const adapter = () => new ElbV2LoadBalancing(new ElasticLoadBalancingV2Client({ region: 'ap-northeast-2' }));
const targets = (count: number) =>
  Array.from({ length: count }, (_, index) => ({
    id: `i-${index.toString(16).padStart(17, '0')}`,
    port: 8080,
  }));

beforeEach(() => elb.reset());
// The mock patches the SDK's client class for the whole worker: later test files use real clients.
afterAll(() => elb.restore());

describe('registerTargets', () => {
  it('sends at most 200 targets per call', async () => {
    elb.on(RegisterTargetsCommand).resolves({});
    const result = await adapter().registerTargets(TG_ARN, targets(450));
    const sizes = elb.commandCalls(RegisterTargetsCommand).map((call) => call.args[0].input.Targets?.length);
    expect(sizes).toEqual([200, 200, 50]);
    expect(result.done).toHaveLength(450);
  });

  it('drops the instance AWS names as invalid and registers the rest of the batch', async () => {
    const [good1, bad, good2] = targets(3) as [
      { id: string; port: number },
      { id: string; port: number },
      { id: string; port: number },
    ];
    // Message form as AWS sends it for a stopped instance (ELB API reference, RegisterTargets errors).
    const refusal = new InvalidTargetException({
      message: `The following targets are not in a running state and cannot be registered: '${bad.id}'`,
      $metadata: {},
    });
    elb.on(RegisterTargetsCommand).rejectsOnce(refusal).resolves({});
    const result = await adapter().registerTargets(TG_ARN, [good1, bad, good2]);
    expect(result.done).toEqual([good1, good2]);
    expect(result.rejected).toEqual([
      {
        target: bad,
        code: expect.stringMatching(/^InvalidTarget/),
        message: expect.stringContaining(bad.id),
      },
    ]);
    expect(elb).toHaveReceivedNthCommandWith(RegisterTargetsCommand, 2, {
      Targets: [
        { Id: good1.id, Port: 8080 },
        { Id: good2.id, Port: 8080 },
      ],
    });
  });

  it('rejects the whole batch, without looping, when the refusal names none of its targets', async () => {
    elb
      .on(RegisterTargetsCommand)
      .rejects(new InvalidTargetException({ message: 'Targets are invalid', $metadata: {} }));
    const result = await adapter().registerTargets(TG_ARN, targets(2));
    expect(result.done).toEqual([]);
    expect(result.rejected).toHaveLength(2);
    expect(elb).toHaveReceivedCommandOnce(RegisterTargetsCommand);
  });

  it('throws other errors with the action and the AWS code', async () => {
    elb
      .on(RegisterTargetsCommand)
      .rejects(
        new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }),
      );
    const failure = adapter().registerTargets(TG_ARN, targets(1));
    await expect(failure).rejects.toBeInstanceOf(AwsCallError);
    await expect(failure).rejects.toThrow(/RegisterTargets failed .*TargetGroupNotFound/);
  });
});

describe('describe calls', () => {
  it('follows NextMarker through every page of listeners', async () => {
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce({
        Listeners: [
          {
            ListenerArn: HTTP_LISTENER_ARN,
            Port: 80,
            Protocol: 'HTTP',
            DefaultActions: [redirect301 as never],
          },
        ],
        NextMarker: 'm1',
      })
      .resolvesOnce({
        Listeners: [
          { ListenerArn: 'arn2', Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERT_ARN }] },
        ],
      });
    const listeners = await adapter().listListeners(LB_ARN);
    expect(listeners.map((listener) => [listener.port, listener.certificateArns])).toEqual([
      [80, []],
      [443, [CERT_ARN]],
    ]);
    expect(elb).toHaveReceivedNthCommandWith(DescribeListenersCommand, 2, { Marker: 'm1' });
  });

  it('reads rules with their default rule', async () => {
    elb.on(DescribeRulesCommand).resolves({
      Rules: [{ RuleArn: 'r', Priority: 'default', IsDefault: true, Actions: [], Conditions: [] }],
    });
    expect(await adapter().listRules(HTTP_LISTENER_ARN)).toEqual([
      { arn: 'r', priority: 'default', isDefault: true, actions: [], conditions: [] },
    ]);
  });

  it('maps target health, keeping the reason code and description', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        {
          Target: { Id: 'i-1', Port: 8080 },
          TargetHealth: {
            State: 'unhealthy',
            Reason: 'Target.ResponseCodeMismatch',
            Description: 'Health checks failed',
          },
        },
      ],
    });
    expect(await adapter().describeTargetHealth(TG_ARN)).toEqual([
      {
        id: 'i-1',
        port: 8080,
        state: 'unhealthy',
        reasonCode: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed',
      },
    ]);
  });

  it('leaves out target groups that do not exist, asking one by one when a batch fails', async () => {
    const other = TG_ARN.replace('73e2d6bc24d8a067', '0000000000000000');
    elb
      .on(DescribeTargetGroupsCommand)
      .rejectsOnce(new TargetGroupNotFoundException({ message: 'not found', $metadata: {} }))
      .resolvesOnce({
        TargetGroups: [{ TargetGroupArn: TG_ARN, VpcId: 'vpc-1', Matcher: { HttpCode: '404' } }],
      })
      .rejectsOnce(new TargetGroupNotFoundException({ message: 'not found', $metadata: {} }));
    const groups = await adapter().describeTargetGroups([TG_ARN, other]);
    expect(groups.map((group) => [group.arn, group.vpcId, group.healthCheck.matcher])).toEqual([
      [TG_ARN, 'vpc-1', '404'],
    ]);
  });
});

describe('deregistrationDelaySeconds', () => {
  it("reads the group's deregistration_delay.timeout_seconds", async () => {
    elb.on(DescribeTargetGroupAttributesCommand, { TargetGroupArn: TG_ARN }).resolves({
      Attributes: [
        { Key: 'stickiness.enabled', Value: 'false' },
        { Key: 'deregistration_delay.timeout_seconds', Value: '1800' },
      ],
    });
    expect(await adapter().deregistrationDelaySeconds(TG_ARN)).toBe(1800);
  });

  it("falls back to ELB's default of 300 s when the attribute is missing or unreadable", async () => {
    elb
      .on(DescribeTargetGroupAttributesCommand)
      .resolvesOnce({ Attributes: [] })
      .resolvesOnce({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: 'soon' }] });
    expect(await adapter().deregistrationDelaySeconds(TG_ARN)).toBe(300);
    expect(await adapter().deregistrationDelaySeconds(TG_ARN)).toBe(300);
  });

  it('names the call and the AWS code when it fails', async () => {
    elb
      .on(DescribeTargetGroupAttributesCommand)
      .rejects(new TargetGroupNotFoundException({ message: 'not found', $metadata: {} }));
    const error = await adapter()
      .deregistrationDelaySeconds(TG_ARN)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).message).toMatch(/^DescribeTargetGroupAttributes failed/);
    expect(isAwsError(error, 'TargetGroupNotFound')).toBe(true);
  });
});

describe('listener writes', () => {
  it('creates an HTTPS listener with the certificate and policy', async () => {
    elb
      .on(CreateListenerCommand)
      .resolves({ Listeners: [{ ListenerArn: 'new', Port: 443, Protocol: 'HTTPS' }] });
    await adapter().createListener(LB_ARN, {
      port: 443,
      protocol: 'HTTPS',
      defaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }],
      certificateArns: [CERT_ARN],
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
    expect(elb.commandCalls(CreateListenerCommand)[0]?.args[0].input).toEqual({
      LoadBalancerArn: LB_ARN,
      Port: 443,
      Protocol: 'HTTPS',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }],
      Certificates: [{ CertificateArn: CERT_ARN }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
  });

  it('modifies only the default actions when nothing else is asked', async () => {
    elb
      .on(ModifyListenerCommand)
      .resolves({ Listeners: [{ ListenerArn: HTTP_LISTENER_ARN, LoadBalancerArn: LB_ARN, Port: 80 }] });
    await adapter().modifyListener(HTTP_LISTENER_ARN, { port: 80, defaultActions: [redirect301] });
    const input = elb.commandCalls(ModifyListenerCommand)[0]?.args[0].input;
    expect(input).toEqual({ ListenerArn: HTTP_LISTENER_ARN, DefaultActions: [redirect301] });
  });

  it('treats deleting a rule that is already gone as done', async () => {
    elb
      .on(DeleteRuleCommand)
      .rejects(new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} }));
    await expect(adapter().deleteRule('arn:rule')).resolves.toBeUndefined();
  });
});
