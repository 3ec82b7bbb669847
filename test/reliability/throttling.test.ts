import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientConfig } from '../../functions/deps.ts';
import { type ParsedEvent, parseEvent } from '../../functions/domain/events.ts';
import { InvocationIncompleteError } from '../../functions/use-cases/binding-run.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { CallCounts } from '../../sim/control.ts';
import type { EventFeed } from '../../testkit/events.ts';
import { actionsTheAdaptersCall, type ControllerService } from './support/actions.ts';
import { count, reportFigures } from './support/figures.ts';
import { arrangeMixedWorld, mixedFacts, mixedViolations } from './support/mixed.ts';
import {
  buildWorld,
  closeSimulator,
  controller,
  eventCursor,
  eventsSince,
  launch,
  listenerViolations,
  mutatingCalls,
  openSimulator,
  published,
  registered,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 90_000, maxConcurrency: 40 });
afterAll(() => reportFigures('throttling.test.ts'));

/** How each service says "slow down" (the codes the SDK's retry strategy classifies as throttling). */
const THROTTLE: Readonly<Record<ControllerService, string>> = {
  ec2: 'RequestLimitExceeded',
  elbv2: 'Throttling',
  sns: 'Throttling',
  dynamodb: 'ProvisionedThroughputExceededException',
  autoscaling: 'Throttling',
  tagging: 'ThrottledException',
  // LookupEvents' own error past 2 requests a second (API_LookupEvents).
  cloudtrail: 'ThrottlingException',
};

/** The SDK's attempts per call, as the controller's clients are configured (DynamoDB's default differs). */
async function maxAttempts(service: ControllerService): Promise<number> {
  const settings = clientConfig({ region: 'ap-northeast-2' });
  const client = {
    ec2: () => new EC2Client(settings),
    elbv2: () => new ElasticLoadBalancingV2Client(settings),
    sns: () => new SNSClient(settings),
    dynamodb: () => new DynamoDBClient(settings),
    autoscaling: () => new AutoScalingClient(settings),
    tagging: () => new ResourceGroupsTaggingAPIClient(settings),
    cloudtrail: () => new CloudTrailClient(settings),
  }[service]();
  try {
    return await client.config.maxAttempts();
  } finally {
    client.destroy();
  }
}

async function throttle(
  world: World,
  service: ControllerService,
  action: string,
  times: number,
): Promise<void> {
  await world.control.faults({ service, action, error: THROTTLE[service], count: times });
  count('faults', times);
}

const ACTIONS = actionsTheAdaptersCall();
const split = (key: string) => key.split(':') as [ControllerService, string];
/** Calls of one action; the tagging API and CloudTrail are counted once called. */
const callsOf = (counts: CallCounts, service: ControllerService, action: string) =>
  (counts as Record<string, Record<string, number>>)[service]?.[action] ?? 0;

/** The mixed world's sweep without faults: its calls and the facts it alerts are what every case must match. */
let reference: { facts: string[]; calls: CallCounts };
beforeAll(async () => {
  const sim = await openSimulator();
  try {
    const mixed = await arrangeMixedWorld(sim);
    await sweep(mixed.deps);
    reference = { facts: await mixedFacts(mixed.world), calls: await mixed.world.control.calls() };
    expect(await mixedViolations(mixed)).toEqual([]);
  } finally {
    await closeSimulator(sim);
  }
});

describe('the scenarios', () => {
  it('cover every action the adapters call: the mixed world sweep calls each of them', () => {
    const called = Object.entries(reference.calls).flatMap(([service, actions]) =>
      Object.keys(actions).map((action) => `${service}:${action}`),
    );
    expect(ACTIONS.length).toBeGreaterThanOrEqual(15);
    expect(ACTIONS.filter((action) => !called.includes(action))).toEqual([]);
  });
});

describe.concurrent('a throttling burst the SDK retries through', () => {
  it.each(ACTIONS)('%s: same result, same alerts, only the retried attempts added', async (key) => {
    const [service, action] = split(key);
    const sim = await openSimulator();
    try {
      // Prepare
      const mixed = await arrangeMixedWorld(sim);
      const { world } = mixed;
      const burst = (await maxAttempts(service)) - 1;
      await throttle(world, service, action, burst);

      // Act
      const result = await sweep(mixed.deps);

      // Assess
      expect(result.bindings.map((binding) => [binding.binding, binding.status, binding.error])).toEqual([
        ['web', 'ok', undefined],
      ]);
      const calls = await world.control.calls();
      expect(callsOf(calls, service, action)).toBe(callsOf(reference.calls, service, action) + burst);
      expect(await mixedFacts(world)).toEqual(reference.facts);
      await world.control.resetCalls();
      await sweep(mixed.deps);
      expect(mutatingCalls(await world.control.calls())).toEqual({});
      expect(await mixedViolations(mixed)).toEqual([]);
    } finally {
      await closeSimulator(sim);
    }
  });
});

describe.concurrent('a throttling burst that outlasts the retries', () => {
  const outlast = async (key: string) => {
    const [service, action] = split(key);
    const sim = await openSimulator();
    try {
      // Prepare
      const mixed = await arrangeMixedWorld(sim);
      const { world } = mixed;
      await throttle(world, service, action, await maxAttempts(service));

      // Act
      const first = await sweep(mixed.deps).then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      );

      // Assess: either it coped (and then the job is done), or it failed loudly and the next sweep finishes.
      if (first.error) {
        expect(first.error).toBeInstanceOf(InvocationIncompleteError);
        expect(String(first.error)).toContain(action);
        await sweep(mixed.deps);
      }
      // A recreation cut short before its SNI certificate went on leaves that to the next sweep, which
      // repairs it and reports it as a fact of its own.
      const sniLeftOver =
        first.error && action === 'AddListenerCertificates'
          ? ['web DriftRepaired repaired: port 443 lacks 1 SNI certificate the listener before it had']
          : [];
      expect(await mixedFacts(world)).toEqual([...reference.facts, ...sniLeftOver].sort());
      expect(await mixedViolations(mixed)).toEqual([]);
    } finally {
      await closeSimulator(sim);
    }
  };
  for (const key of ACTIONS) {
    const name = `${key}: fails loudly or copes; the next sweep finishes the job, every fact alerted once`;
    it(name, () => outlast(key));
  }
});

describe.concurrent('throttling on the event paths: the retried event finishes the job', () => {
  async function runningEvent(world: World, since: EventFeed, id: string) {
    const events = (await eventsSince(world, since)).map((raw) => parseEvent(raw));
    const event = events.find(
      (candidate): candidate is Extract<ParsedEvent, { type: 'instance-state' }> =>
        candidate.type === 'instance-state' && candidate.instanceId === id && candidate.state === 'running',
    );
    if (!event) throw new Error(`no running event for ${id}`);
    return event;
  }

  it.each([
    ['ec2', 'DescribeInstances'],
    ['dynamodb', 'PutItem'],
    ['elbv2', 'RegisterTargets'],
  ] as const)('register: %s %s throttled past the retries', async (service, action) => {
    const sim = await openSimulator();
    try {
      // Prepare
      const world = await buildWorld(sim);
      const deps = controller(world);
      const since = await eventCursor(world);
      const [id = ''] = await launch(world, 1, { Role: 'web' });
      const event = await runningEvent(world, since, id);
      await throttle(world, service, action, await maxAttempts(service));

      // Act
      const first = await handleInstanceState(deps, event).then(
        () => undefined,
        (error: unknown) => error,
      );
      const retried = await handleInstanceState(deps, event);

      // Assess
      expect(first).toBeInstanceOf(Error);
      expect(String(first)).toContain(action);
      expect(retried.bindings.map((binding) => binding.status)).toEqual(['ok']);
      expect(await registered(world, world.site('web').targetGroupArn)).toEqual([`${id}:8080`]);
      expect(await published(world)).toEqual([]);
      // Ownership was recorded: the controller deregisters its own target once the tags stop matching.
      await launch(world, 2, { Role: 'web' });
      await sweep(deps);
      await world.clients.ec2.send(
        new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'Role', Value: 'old' }] }),
      );
      await sweep(deps);
      expect(await registered(world, world.site('web').targetGroupArn)).not.toContain(`${id}:8080`);
    } finally {
      await closeSimulator(sim);
    }
  });

  it.each([
    ['elbv2', 'DescribeListeners'],
    ['elbv2', 'ModifyListener'],
    ['dynamodb', 'Query'],
    ['sns', 'Publish'],
  ] as const)('guard: %s %s throttled past the retries', async (service, action) => {
    const sim = await openSimulator();
    try {
      // Prepare
      const world = await buildWorld(sim);
      const deps = controller(world);
      const site = world.site('web');
      const since = await eventCursor(world);
      await world.person.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: site.httpListenerArn,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: site.targetGroupArn }],
        }),
      );
      const [raw] = await eventsSince(world, since);
      const event = parseEvent(raw);
      if (event.type !== 'api-call') throw new Error(`expected the ModifyListener event, got ${event.type}`);
      await throttle(world, service, action, await maxAttempts(service));

      // Act
      const first = await handleApiCall(deps, event).then(
        () => undefined,
        (error: unknown) => error,
      );
      await handleApiCall(deps, event);

      // Assess
      expect(first).toBeInstanceOf(InvocationIncompleteError);
      expect(String(first)).toContain(action);
      expect(await listenerViolations(world, site)).toEqual([]);
      const alerts = await published(world);
      expect(alerts.map((alert) => alert.kind)).toEqual(['DriftRepaired']);
      expect(alerts[0]?.text).toContain('assumed-role/AdministratorAccess/jiwoo.kim');
    } finally {
      await closeSimulator(sim);
    }
  });
});
