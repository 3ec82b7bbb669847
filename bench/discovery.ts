/**
 * Figure 7: what discovery by tag costs a sweep, on the simulator. N load balancers, each tagged for a
 * discovery policy with its own tagged target group; then the calls of the controller's discovery (the
 * Resource Groups Tagging API's GetResources, its own throttling bucket) beside the ELB-only alternative
 * (DescribeLoadBalancers, 400 a page, then DescribeTags, 20 ARNs a call, for the load balancers and their
 * target groups), which spends the ELB describe bucket the sweep itself needs.
 */
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingV2Client,
  paginateDescribeLoadBalancers,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { chunk } from '../functions/adapters/batches.ts';
import { parseConfig } from '../functions/config.ts';
import { createDeps } from '../functions/deps.ts';
import { DISCOVERY_TAG } from '../functions/domain/discovery.ts';
import { mapLimit, silentTelemetry } from '../functions/use-cases/context.ts';
import { discoverFleet } from '../functions/use-cases/discovery.ts';
import { startSimulator } from '../sim/index.ts';
import { createClients, destroyClients, SIM_SECRET } from '../testkit/world.ts';

export const DISCOVERY_SCALES = [10, 100, 1000] as const;

/** ELB's describe bucket refills 10 tokens a second; the controller's default share is 0.25 of it. */
const DESCRIBE_REFILL_PER_S = 10;
const DEFAULT_API_SHARE = 0.25;
const GUARD = { 'alb-warden:guard': 'true' };

export interface DiscoveryFigure {
  readonly loadBalancers: number;
  /** GetResources calls of one discovery (per policy: one per 100 load balancers; one per 100 target groups). */
  readonly taggingCalls: number;
  /** Bindings it found: every load balancer. */
  readonly discovered: number;
  readonly discoveryMs: number;
  /** DescribeLoadBalancers + DescribeTags calls the ELB-only alternative makes for the same answer. */
  readonly elbAlternativeCalls: number;
  /** Seconds of the controller's share of the ELB describe bucket the alternative would spend per sweep. */
  readonly elbAlternativeBudgetS: number;
}

export async function measureDiscovery(loadBalancers: number): Promise<DiscoveryFigure> {
  const simulator = await startSimulator();
  const clients = createClients(simulator.endpoint, simulator.region, 'AKIABENCHDISCOVERY01');
  try {
    await createFleet(clients, loadBalancers);
    const deps = createDeps(
      parseConfig({
        alerts: {
          topicArn: `arn:aws:sns:${simulator.region}:${simulator.account}:alerts`,
          stateTable: 'state',
        },
        discovery: [
          {
            name: 'fleet',
            selector: { tags: GUARD },
            defaults: { instanceSelector: { tags: { Role: 'web' } } },
          },
        ],
      }),
      {
        telemetry: silentTelemetry,
        aws: {
          endpoint: simulator.endpoint,
          region: simulator.region,
          credentials: { accessKeyId: 'AKIABENCHDISCOVERY01', secretAccessKey: SIM_SECRET },
        },
      },
    );
    await simulator.control.resetCalls();
    const started = performance.now();
    const found = await discoverFleet(deps);
    const discoveryMs = Math.round(performance.now() - started);
    const taggingCalls = (await simulator.control.calls()) as Record<string, Record<string, number>>;
    await simulator.control.resetCalls();
    const alternative = await describeAndTag(clients.elbv2);
    const elbCalls = (await simulator.control.calls()).elbv2;
    if (alternative !== found.bindings.length)
      throw new Error(
        `the alternative found ${alternative} load balancers, discovery ${found.bindings.length}`,
      );
    const elbAlternativeCalls = Object.values(elbCalls).reduce((sum, count) => sum + count, 0);
    return {
      loadBalancers,
      taggingCalls: taggingCalls.tagging?.GetResources ?? 0,
      discovered: found.bindings.length,
      discoveryMs,
      elbAlternativeCalls,
      elbAlternativeBudgetS:
        Math.round((elbAlternativeCalls / (DESCRIBE_REFILL_PER_S * DEFAULT_API_SHARE)) * 10) / 10,
    };
  } finally {
    destroyClients(clients);
    await simulator.stop();
  }
}

/** N load balancers, each tagged for the policy and naming its own target group, which carries the port. */
async function createFleet(clients: ReturnType<typeof createClients>, count: number): Promise<void> {
  const vpc = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const VpcId = vpc.Vpc?.VpcId ?? '';
  const subnets = await Promise.all(
    ['ap-northeast-2a', 'ap-northeast-2c'].map(async (zone, index) => {
      const subnet = await clients.ec2.send(
        new CreateSubnetCommand({ VpcId, CidrBlock: `10.0.${index + 1}.0/24`, AvailabilityZone: zone }),
      );
      return subnet.Subnet?.SubnetId ?? '';
    }),
  );
  await mapLimit(
    Array.from({ length: count }, (_, index) => index),
    16,
    async (index) => {
      const group = await clients.elbv2.send(
        new CreateTargetGroupCommand({
          Name: `tg-${index}`,
          Protocol: 'HTTP',
          Port: 8080,
          VpcId,
          Tags: [{ Key: DISCOVERY_TAG.targetPort, Value: '8080' }],
        }),
      );
      await clients.elbv2.send(
        new CreateLoadBalancerCommand({
          Name: `lb-${index}`,
          Subnets: subnets,
          Tags: [
            ...Object.entries(GUARD).map(([Key, Value]) => ({ Key, Value })),
            { Key: DISCOVERY_TAG.targetGroup, Value: group.TargetGroups?.[0]?.TargetGroupArn ?? '' },
          ],
        }),
      );
    },
  );
}

/** The ELB-only way to the same tags: every load balancer, then its tags and its target group's, 20 a call. */
async function describeAndTag(elbv2: ElasticLoadBalancingV2Client): Promise<number> {
  const arns: string[] = [];
  for await (const page of paginateDescribeLoadBalancers({ client: elbv2 }, { PageSize: 400 })) {
    for (const lb of page.LoadBalancers ?? []) if (lb.LoadBalancerArn) arns.push(lb.LoadBalancerArn);
  }
  const groups: string[] = [];
  let selected = 0;
  for (const batch of chunk(arns, 20)) {
    const output = await elbv2.send(new DescribeTagsCommand({ ResourceArns: batch }));
    for (const description of output.TagDescriptions ?? []) {
      const tags = new Map((description.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
      if (tags.get('alb-warden:guard') !== 'true') continue;
      selected++;
      const group = tags.get(DISCOVERY_TAG.targetGroup);
      if (group) groups.push(group);
    }
  }
  for (const batch of chunk(groups, 20)) await elbv2.send(new DescribeTagsCommand({ ResourceArns: batch }));
  return selected;
}
