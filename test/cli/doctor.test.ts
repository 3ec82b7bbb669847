/**
 * `alb-warden doctor` against a deployed controller on the simulator: every check passes on a healthy
 * deployment, and each way it fails names the fix.
 */
import { writeFileSync } from 'node:fs';
import { DeleteTrailCommand, PutEventSelectorsCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { DeleteListenerCommand, DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DisableRuleCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetTopicAttributesCommand, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SdkOperatorAws } from '../../functions/cli/doctor/adapters/sdk.ts';
import { type DoctorDocument, type DoctorWorld, startDoctorWorld } from './doctor-support.ts';
import { OPERATOR_KEY } from './support.ts';

vi.setConfig({ testTimeout: 30_000 });

let world: DoctorWorld;
beforeEach(async () => {
  world = await startDoctorWorld();
  await world.launchWeb(2);
});
afterEach(() => world.stop());

async function diagnose(args: readonly string[] = []) {
  const run = await world.doctor(['--json', ...args]);
  return { run, document: run.json<DoctorDocument>() };
}

/** The checks of a kind (and binding) that failed. */
const failed = (document: DoctorDocument, check: string) =>
  document.checks.filter((entry) => entry.check === check && !entry.ok);

describe('a healthy deployment', () => {
  it('passes every check and exits 0', async () => {
    const { run, document } = await diagnose();

    expect(run.code).toBe(0);
    expect(document.ok).toBe(true);
    expect(document.checks.map((check) => check.check)).toEqual([
      'trail',
      'rules',
      'rules',
      'rules',
      'dead-letters',
      'dead-letters',
      'dead-letters',
      'functions',
      'functions',
      'functions',
      'alerts',
      'alerts',
      'binding',
      'binding',
      'binding',
      'pipeline',
    ]);
    expect(document.checks.every((check) => check.ok && check.fix === '')).toBe(true);
    expect(
      document.checks.find((check) => check.check === 'binding' && /role/.test(check.detail))?.detail,
    ).toMatch(/^the functions' roles may make all \d+ calls they make on this binding/);
  });

  it('prints one ✓ line per check for a person', async () => {
    const run = await world.doctor([]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^alb-warden doctor: stack AlbWarden in ap-northeast-2 \(account 123456789012\)$/m,
    );
    expect(run.stdout).toMatch(
      /^✓ trail +trail alb-warden-api-calls \(multi-region\) logs management write events/m,
    );
    expect(run.stdout).toMatch(/^✓ binding web +load balancer and its listeners on ports 80 and 443 exist$/m);
    expect(run.stdout).not.toContain('✗');
    expect(run.stdout.trimEnd()).toMatch(/all 16 checks passed$/);
  });
});

describe('the trail', () => {
  it('fails without a trail covering the region, and says how to create one', async () => {
    await world.operator.cloudtrail.send(new DeleteTrailCommand({ Name: 'alb-warden-api-calls' }));

    const { run, document } = await diagnose();

    expect(run.code).toBe(1);
    expect(failed(document, 'trail')).toEqual([
      expect.objectContaining({
        detail: expect.stringMatching(/no CloudTrail trail covers ap-northeast-2/),
        fix: expect.stringContaining('-c createTrail=true'),
      }),
    ]);
  });

  it('fails when the trail is not logging, with the start-logging command', async () => {
    await world.operator.cloudtrail.send(new StopLoggingCommand({ Name: 'alb-warden-api-calls' }));

    const { document } = await diagnose();

    expect(failed(document, 'trail')[0]?.fix).toMatch(
      /^aws cloudtrail start-logging --name arn:aws:cloudtrail:.*:trail\/alb-warden-api-calls$/,
    );
  });

  it('fails when the trail logs only reads, with the selector that adds writes', async () => {
    await world.operator.cloudtrail.send(
      new PutEventSelectorsCommand({
        TrailName: 'alb-warden-api-calls',
        EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }],
      }),
    );

    const { document } = await diagnose();

    expect(failed(document, 'trail')[0]).toMatchObject({
      detail: expect.stringContaining('not management write events'),
      fix: expect.stringContaining('"ReadWriteType":"All","IncludeManagementEvents":true'),
    });
  });
});

describe('the rules and dead-letter queues', () => {
  it('fails on a disabled rule, with the command that enables it', async () => {
    await world.operator.events.send(new DisableRuleCommand({ Name: 'AlbWarden-GuardRule' }));

    const { document } = await diagnose();

    expect(failed(document, 'rules')).toEqual([
      expect.objectContaining({
        detail: expect.stringMatching(/^guard: rule AlbWarden-GuardRule .* is DISABLED$/),
        fix: 'aws events enable-rule --name AlbWarden-GuardRule',
      }),
    ]);
  });

  it('fails when no rule targets a function any more, and says to redeploy', async () => {
    await world.operator.events.send(
      new RemoveTargetsCommand({ Rule: 'AlbWarden-RegisterRule', Ids: ['Target0'] }),
    );

    const { document } = await diagnose();

    expect(failed(document, 'rules')).toEqual([
      expect.objectContaining({
        detail: 'register: no EventBridge rule targets AlbWarden-Register',
        fix: expect.stringContaining('npx cdk deploy AlbWarden'),
      }),
    ]);
  });

  it('fails when events wait in a dead-letter queue, with how to read them', async () => {
    const url = world.outputs.GuardDeadLetterQueueUrl;
    await world.operator.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: '{"detail-type":"AWS API Call via CloudTrail"}' }),
    );

    const { document } = await diagnose();

    expect(failed(document, 'dead-letters')).toEqual([
      expect.objectContaining({
        detail: expect.stringMatching(/^guard: 1 event\(s\) failed every retry/),
        fix: expect.stringContaining(`aws sqs receive-message --queue-url ${url}`),
      }),
    ]);
  });
});

describe('a dead-letter queue that is gone', () => {
  it('fails, and says to redeploy', async () => {
    await world.operator.sqs.send(
      new DeleteQueueCommand({ QueueUrl: world.outputs.SweepDeadLetterQueueUrl }),
    );

    const { document } = await diagnose();

    expect(failed(document, 'dead-letters')).toEqual([
      expect.objectContaining({
        detail: `sweep: dead-letter queue ${world.outputs.SweepDeadLetterQueueUrl} does not exist`,
        fix: expect.stringContaining('npx cdk deploy AlbWarden'),
      }),
    ]);
  });
});

describe('the functions', () => {
  it('fails on errors in the last hour, with the logs to read', async () => {
    await world.invoked('guard', { ago: 120_000, errors: 1 });

    const { document } = await diagnose();

    expect(failed(document, 'functions')).toEqual([
      expect.objectContaining({
        detail: 'guard: 2 invocation(s), 1 error(s) in the last hour',
        fix: 'read the errors: aws logs tail /aws/lambda/AlbWarden-Guard --since 1h',
      }),
    ]);
  });

  it('fails when the sweep has not run within two intervals', async () => {
    world.now += 10 * 60_000;

    const { document } = await diagnose();

    expect(failed(document, 'functions')).toEqual([
      expect.objectContaining({
        detail: expect.stringMatching(
          /^sweep: 1 invocation\(s\), 0 error\(s\) in the last hour; it has not run since .* \(every 60 s expected\)$/,
        ),
        fix: expect.stringContaining('schedule rule is enabled'),
      }),
    ]);
  });
});

describe('the alerts', () => {
  it('fails without a confirmed subscription, and points at the confirmation email', async () => {
    const unconfirmed = await startDoctorWorld({ confirmSubscription: false });
    try {
      const run = await unconfirmed.doctor(['--json']);

      expect(failed(run.json<DoctorDocument>(), 'alerts')).toEqual([
        expect.objectContaining({
          detail: expect.stringContaining('no confirmed subscription (1 pending confirmation)'),
          fix: expect.stringContaining('open the confirmation email'),
        }),
      ]);
    } finally {
      await unconfirmed.stop();
    }
  });

  it('fails when CloudWatch may not use the topic key, and says what the key policy needs', async () => {
    const keyArn = await topicKey(world);
    await world.operator.kms.send(
      new PutKeyPolicyCommand({
        KeyId: keyArn,
        PolicyName: 'default',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::123456789012:root' },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        }),
      }),
    );

    const { document } = await diagnose();

    expect(failed(document, 'alerts')).toEqual([
      expect.objectContaining({
        detail: expect.stringContaining('does not let CloudWatch use kms:Decrypt and kms:GenerateDataKey'),
        fix: expect.stringContaining('cloudwatch.amazonaws.com'),
      }),
    ]);
  });

  it('fails on the AWS managed SNS key, which CloudWatch can never use', async () => {
    await world.warden.world.clients.sns.send(
      new SetTopicAttributesCommand({
        TopicArn: world.outputs.AlertTopicArn,
        AttributeName: 'KmsMasterKeyId',
        AttributeValue: 'alias/aws/sns',
      }),
    );

    const { document } = await diagnose();

    expect(failed(document, 'alerts')[0]?.detail).toContain('AWS managed key alias/aws/sns');
  });
});

describe('a topic that is gone', () => {
  it('fails, and says to redeploy', async () => {
    const gone = world.outputs.AlertTopicArn?.replace(/alerts$/, 'gone') ?? '';

    const { document } = await diagnose(['--output', `AlertTopicArn=${gone}`]);

    expect(failed(document, 'alerts')[0]).toMatchObject({
      detail: `alert topic ${gone} does not exist`,
      fix: expect.stringContaining('npx cdk deploy AlbWarden'),
    });
  });
});

describe('what the operator may not read', () => {
  it('fails the check it could not make, and says which credentials it needs', async () => {
    await world.control.faults({ service: 'cloudtrail', action: 'DescribeTrails', error: 'AccessDenied' });

    const { document } = await diagnose();

    expect(failed(document, 'trail')).toEqual([
      expect.objectContaining({
        detail: expect.stringMatching(/^could not read: .*AccessDenied/),
        fix: expect.stringContaining('ReadOnlyAccess and iam:SimulatePrincipalPolicy'),
      }),
    ]);
    expect(document.checks.filter((check) => !check.ok)).toHaveLength(1);
  });
});

describe('each binding', () => {
  it('fails when no running instance matches the selector in the target group’s VPC', async () => {
    const fresh = await startDoctorWorld();
    try {
      const run = await fresh.doctor(['--json']);

      expect(failed(run.json<DoctorDocument>(), 'binding')).toEqual([
        expect.objectContaining({
          binding: 'web',
          detail: expect.stringMatching(
            /^target group in vpc-\w+; no running instance tagged Role=web there$/,
          ),
          fix: expect.stringMatching(/^launch or tag instances in vpc-\w+ with Role=web/),
        }),
      ]);
    } finally {
      await fresh.stop();
    }
  });

  it('fails when a listener is gone, and says the sweep recreates it', async () => {
    const { Listeners = [] } = await world.warden.world.clients.elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: world.warden.seed.loadBalancerArn }),
    );
    const http = Listeners.find((listener) => listener.Port === 80);
    await world.warden.person.elbv2.send(new DeleteListenerCommand({ ListenerArn: http?.ListenerArn }));

    const { document } = await diagnose();

    expect(failed(document, 'binding')).toEqual([
      expect.objectContaining({
        detail: 'no listener on port 80 of the load balancer',
        fix: expect.stringContaining('alb-warden reconcile --binding web'),
      }),
    ]);
  });

  it('fails when a function’s deployed role may not make a call the adapters make, naming it', async () => {
    await world.operator.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'AlbWarden-GuardRole',
        PolicyName: 'controller',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'elasticloadbalancing:Describe*',
                'ec2:DescribeInstances',
                'autoscaling:DescribeAutoScalingGroups',
              ],
              Resource: '*',
            },
            { Effect: 'Allow', Action: 'elasticloadbalancing:*', Resource: world.warden.seed.targetGroupArn },
            { Effect: 'Allow', Action: 'sns:Publish', Resource: world.outputs.AlertTopicArn },
            { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
          ],
        }),
      }),
    );

    const { document } = await diagnose();
    const [permissions] = failed(document, 'binding');

    expect(permissions?.detail).toMatch(/^the functions' roles may not make 4 of the calls they make: /);
    expect(permissions?.detail).toContain(
      'guard: elasticloadbalancing:AddListenerCertificates on listener/app/web-alb/',
    );
    expect(permissions?.detail).toContain(
      'guard: elasticloadbalancing:CreateListener on loadbalancer/app/web-alb/',
    );
    expect(permissions?.detail).toContain(
      'guard: elasticloadbalancing:DeleteRule on listener-rule/app/web-alb/',
    );
    expect(permissions?.detail).toContain(
      'guard: elasticloadbalancing:ModifyListener on listener/app/web-alb/',
    );
    expect(permissions?.detail).not.toMatch(/(register|sweep): /);
    expect(permissions?.fix).toContain('npx cdk deploy AlbWarden');
  });

  it('fails when the sweep’s role may not look up CloudTrail event history, naming the call', async () => {
    await world.operator.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'AlbWarden-SweepRole',
        PolicyName: 'controller',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'elasticloadbalancing:*',
                'ec2:DescribeInstances',
                'autoscaling:DescribeAutoScalingGroups',
              ],
              Resource: '*',
            },
            { Effect: 'Allow', Action: 'sns:Publish', Resource: world.outputs.AlertTopicArn },
            { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
          ],
        }),
      }),
    );

    const { document } = await diagnose();
    const [permissions] = failed(document, 'binding');

    expect(permissions?.detail).toMatch(/^the functions' roles may not make 1 of the calls they make: /);
    expect(permissions?.detail).toContain('sweep: cloudtrail:LookupEvents on *');
  });

  it('fails when the bound load balancer does not exist', async () => {
    const gone = world.warden.seed.loadBalancerArn.replace(/\/[0-9a-f]{16}$/, '/0000000000000000');
    const config = {
      ...world.warden.config,
      bindings: [{ ...world.warden.config.bindings[0], loadBalancerArn: gone }],
    };
    const file = `${world.dir}/gone.json`;
    writeFileSync(file, JSON.stringify(config));

    const run = await world.doctor(['--json', '--config', file]);

    expect(failed(run.json<DoctorDocument>(), 'binding')[0]).toMatchObject({
      detail: `load balancer ${gone} does not exist`,
      fix: expect.stringContaining('alb-warden validate'),
    });
  });
});

describe('a target group that is gone', () => {
  it('fails, naming it', async () => {
    const gone = world.warden.seed.targetGroupArn.replace(/\/[0-9a-f]{16}$/, '/0000000000000000');
    const file = `${world.dir}/no-group.json`;
    writeFileSync(
      file,
      JSON.stringify({
        ...world.warden.config,
        bindings: [{ ...world.warden.config.bindings[0], targetGroupArn: gone }],
      }),
    );

    const run = await world.doctor(['--json', '--config', file]);

    expect(failed(run.json<DoctorDocument>(), 'binding')[0]).toMatchObject({
      detail: `target group ${gone} does not exist`,
      fix: expect.stringContaining('alb-warden validate'),
    });
  });
});

describe('the event pipeline', () => {
  it('reports how late the events that led to repairs arrived', async () => {
    await world.breakRedirect();
    await world.warden.pump();
    await world.warden.sweep();

    const { document } = await diagnose();
    const pipeline = document.checks.find((check) => check.check === 'pipeline');

    expect(pipeline).toMatchObject({ binding: 'web', ok: true });
    expect(pipeline?.detail).toMatch(
      /^events arrived p50 \d+\.\d s, max \d+\.\d s after the change they report \(1 that led to a repair, last day\); the sweep found drift before any event 0 time\(s\)$/,
    );
  });

  it('fails when the sweep keeps finding drift no event reported', async () => {
    for (let i = 0; i < 2; i++) {
      await world.breakRedirect();
      await world.warden.sweep();
    }

    const { document } = await diagnose();

    expect(failed(document, 'pipeline')).toEqual([
      expect.objectContaining({
        detail: expect.stringContaining('the sweep found drift before any event 2 time(s)'),
        fix: expect.stringContaining('events are not arriving'),
      }),
    ]);
  });
});

describe("the SDK's standard endpoint settings", () => {
  it('reads a queue at AWS_ENDPOINT_URL, not at the host of its URL', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = world.warden.world.endpoint;
    const aws = new SdkOperatorAws({
      region: world.warden.seed.region,
      credentials: { accessKeyId: OPERATOR_KEY, secretAccessKey: 'simulator-secret' },
      maxAttempts: 1,
    });
    try {
      expect(world.outputs.GuardDeadLetterQueueUrl).toMatch(
        /^https:\/\/sqs\.ap-northeast-2\.amazonaws\.com\//,
      );
      expect(await aws.queueDepth(world.outputs.GuardDeadLetterQueueUrl ?? '')).toBe(0);
    } finally {
      aws.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });
});

describe('finding the deployment', () => {
  it('exits 2 when the stack does not exist, saying how to name it', async () => {
    const run = await world.doctor(['--stack', 'Nope']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no stack Nope in ap-northeast-2: pass --stack NAME');
  });

  it('takes the outputs from flags instead of the stack', async () => {
    const flags = Object.entries(world.outputs).flatMap(([key, value]) => ['--output', `${key}=${value}`]);

    const run = await world.doctor(['--json', '--stack', 'Nope', ...flags]);

    expect(run.code).toBe(0);
  });

  it('exits 2 on a malformed --output and on an unknown binding', async () => {
    expect((await world.doctor(['--output', 'oops'])).code).toBe(2);
    const unknown = await world.doctor(['--binding', 'billing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no binding named "billing" (bindings: web)');
  });

  it('prints its help with exit 0', async () => {
    const run = await world.doctor(['--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: alb-warden doctor');
  });
});

async function topicKey(doctorWorld: DoctorWorld): Promise<string> {
  const { Attributes = {} } = await doctorWorld.warden.world.clients.sns.send(
    new GetTopicAttributesCommand({ TopicArn: doctorWorld.outputs.AlertTopicArn }),
  );
  return Attributes.KmsMasterKeyId ?? '';
}
