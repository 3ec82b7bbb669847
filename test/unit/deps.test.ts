/**
 * The deps' AWS clients: every client the controller makes is built from the same settings, the injected retry
 * strategy included (the tests' zero-delay strategy counts retries instead of waiting them out).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Provider, RetryStrategyV2 } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkOperatorAws } from '../../functions/cli/doctor/adapters/sdk.ts';
import { createDeps } from '../../functions/deps.ts';
import { zeroDelayRetries } from '../../testkit/world.ts';
import { RENDERED_ALERT, seedConfig, TG_ARN, TOPIC_ARN } from '../support/builders.ts';
import { recordingTelemetry } from '../support/fake-world.ts';

const CLIENTS = [
  ElasticLoadBalancingV2Client,
  EC2Client,
  AutoScalingClient,
  ResourceGroupsTaggingAPIClient,
  CloudTrailClient,
  SNSClient,
  DynamoDBClient,
] as const;
// Every command answers with an empty output: the test reads which clients were made, not what they return.
const mocks = CLIENTS.map((client) => {
  // One client type for all: the mocks' typing is per client, and no output is read here.
  const mock = mockClient(client as typeof SNSClient);
  mock.onAnyCommand().resolves({});
  return mock;
});
// The mocks patch the SDK's client classes for the whole worker: later test files use real clients.
afterAll(() => {
  for (const mock of mocks) mock.restore();
});

const injected = new Set<RetryStrategyV2>();
function retryStrategy(maxAttempts: Provider<number>): RetryStrategyV2 {
  const strategy = zeroDelayRetries(maxAttempts);
  injected.add(strategy);
  return strategy;
}

/** Whether the client that made a mocked call runs with an injected retry strategy. */
async function usesInjected(mock: (typeof mocks)[number], call: number): Promise<boolean> {
  const client = mock.call(call).thisValue as { config: { retryStrategy: () => Promise<RetryStrategyV2> } };
  return injected.has(await client.config.retryStrategy());
}

beforeEach(() => {
  for (const mock of mocks) mock.resetHistory();
});

describe('createDeps', () => {
  it('gives every AWS client of the hub the injected retry strategy', async () => {
    const deps = createDeps(seedConfig(), {
      telemetry: recordingTelemetry(),
      aws: {
        region: 'ap-northeast-2',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        retryStrategy,
      },
    });

    if (!deps.tagging || !deps.history) throw new Error('createDeps made no tagging or history port');
    // One call a port: each port's client is made on its first call.
    await deps.elb.describeTargetGroups([TG_ARN]);
    await deps.instances.describe(['i-0123456789abcdef0']);
    await deps.scaling.attachedTargetGroups(['web-asg']);
    await deps.tagging.tagsOf([TG_ARN]);
    await deps.history.changesTo(TG_ARN, 0, 10);
    await deps.alerts.publish(TOPIC_ARN, RENDERED_ALERT);
    await deps.state.load('web');

    const clientStrategies = await Promise.all(
      mocks.map(async (mock, index) => [CLIENTS[index]?.name, await usesInjected(mock, 0)]),
    );
    expect(clientStrategies).toEqual(CLIENTS.map((client) => [client.name, true]));
  });
});

describe("the doctor's AWS clients", () => {
  it('take the injected retry strategy too', async () => {
    const aws = new SdkOperatorAws({
      region: 'ap-northeast-2',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      retryStrategy,
    });

    await aws.trails();

    const cloudtrail = mocks[CLIENTS.indexOf(CloudTrailClient)];
    if (!cloudtrail) throw new Error('CloudTrail is not mocked');
    expect(cloudtrail.calls()).toHaveLength(1);
    expect(await usesInjected(cloudtrail, 0)).toBe(true);
  });
});
