import {
  AddTagsCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DescribeTagsCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetResourcesCommand,
  paginateGetResources,
  ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_SECRET } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';
import { awsError, network, useSim } from './support.ts';

const sim = useSim();
let made: ResourceGroupsTaggingAPIClient[] = [];

function tagging(): ResourceGroupsTaggingAPIClient {
  const client = new ResourceGroupsTaggingAPIClient({
    endpoint: sim.endpoint,
    region: 'ap-northeast-2',
    credentials: { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: SIM_SECRET },
  });
  made.push(client);
  return client;
}

afterEach(() => {
  for (const client of made) client.destroy();
  made = [];
});

async function loadBalancer(name: string, tags: Record<string, string> = {}): Promise<string> {
  const { subnetIds } = await network(sim.clients);
  const created = await sim.clients.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Subnets: subnetIds,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return created.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
}

const arnsOf = (output: { ResourceTagMappingList?: { ResourceARN?: string }[] }) =>
  (output.ResourceTagMappingList ?? []).map((mapping) => mapping.ResourceARN);

describe('GetResources', () => {
  it('ANDs tag filters, ORs the values of one filter, and matches any value of a key given alone', async () => {
    const a = await loadBalancer('a', { 'alb-warden:guard': 'true', team: 'web' });
    const b = await loadBalancer('b', { 'alb-warden:guard': 'true', team: 'api' });
    const c = await loadBalancer('c', { 'alb-warden:guard': 'false', team: 'web' });
    await loadBalancer('d', { team: 'web' });

    const guarded = await tagging().send(
      new GetResourcesCommand({ TagFilters: [{ Key: 'alb-warden:guard', Values: ['true'] }] }),
    );
    const guardedWeb = await tagging().send(
      new GetResourcesCommand({
        TagFilters: [
          { Key: 'alb-warden:guard', Values: ['true'] },
          { Key: 'team', Values: ['web'] },
        ],
      }),
    );
    const eitherTeam = await tagging().send(
      new GetResourcesCommand({
        TagFilters: [{ Key: 'alb-warden:guard' }, { Key: 'team', Values: ['web', 'api'] }],
      }),
    );

    expect(arnsOf(guarded).sort()).toEqual([a, b].sort());
    expect(arnsOf(guardedWeb)).toEqual([a]);
    expect(arnsOf(eitherTeam).sort()).toEqual([a, b, c].sort());
    expect(guardedWeb.ResourceTagMappingList?.[0]?.Tags).toEqual([
      { Key: 'alb-warden:guard', Value: 'true' },
      { Key: 'team', Value: 'web' },
    ]);
    expect(guardedWeb.PaginationToken).toBe('');
  });

  it('filters by resource type and by ARN list', async () => {
    const lb = await loadBalancer('web', { env: 'prod' });
    const { vpcId } = await network(sim.clients);
    const group = await sim.clients.elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'web-8080',
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: vpcId,
        Tags: [{ Key: 'env', Value: 'prod' }],
      }),
    );
    const groupArn = group.TargetGroups?.[0]?.TargetGroupArn ?? '';

    const lbs = await tagging().send(
      new GetResourcesCommand({ ResourceTypeFilters: ['elasticloadbalancing:loadbalancer'] }),
    );
    const groups = await tagging().send(
      new GetResourcesCommand({ ResourceTypeFilters: ['elasticloadbalancing:targetgroup'] }),
    );
    const everything = await tagging().send(
      new GetResourcesCommand({ ResourceTypeFilters: ['elasticloadbalancing'] }),
    );
    const listed = await tagging().send(new GetResourcesCommand({ ResourceARNList: [groupArn] }));

    expect(arnsOf(lbs)).toEqual([lb]);
    expect(arnsOf(groups)).toEqual([groupArn]);
    expect(arnsOf(everything).sort()).toEqual([lb, groupArn].sort());
    expect(arnsOf(listed)).toEqual([groupArn]);
  });

  it('pages by ResourcesPerPage and ends with an empty token', async () => {
    const arns: string[] = [];
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) arns.push(await loadBalancer(name, { fleet: 'yes' }));

    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of paginateGetResources(
      { client: tagging() },
      { TagFilters: [{ Key: 'fleet' }], ResourcesPerPage: 2 },
    )) {
      pages.push(page.ResourceTagMappingList?.length ?? 0);
      seen.push(...(arnsOf(page) as string[]));
    }

    expect(pages).toEqual([2, 2, 1]);
    expect(seen.sort()).toEqual(arns.sort());
  });

  it('lists a resource whose tags were all removed with an empty tag set, and forgets a deleted one', async () => {
    const kept = await loadBalancer('kept', { owner: 'me' });
    const gone = await loadBalancer('gone', { owner: 'me' });
    await sim.clients.elbv2.send(new RemoveTagsCommand({ ResourceArns: [kept], TagKeys: ['owner'] }));
    await sim.clients.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: gone }));

    const all = await tagging().send(new GetResourcesCommand({}));
    const owned = await tagging().send(new GetResourcesCommand({ TagFilters: [{ Key: 'owner' }] }));

    expect(all.ResourceTagMappingList).toEqual([{ ResourceARN: kept, Tags: [] }]);
    expect(owned.ResourceTagMappingList).toEqual([]);
  });

  it.each([
    [{ ResourceARNList: ['arn:x'], ResourcesPerPage: 10 }, /cannot be combined/],
    [{ ResourcesPerPage: 101 }, /between 1 and 100/],
    [{ ResourcesPerPage: 0 }, /between 1 and 100/],
    [
      { TagFilters: [{ Key: 'k', Values: Array.from({ length: 21 }, (_, i) => `v${i}`) }] },
      /at most 20 values/,
    ],
  ])('rejects %j with InvalidParameterException', async (input, message) => {
    const failure = await awsError(tagging().send(new GetResourcesCommand(input)));

    expect(failure).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(failure.message).toMatch(message);
  });

  it('rejects a pagination token it did not issue', async () => {
    const failure = await awsError(
      tagging().send(new GetResourcesCommand({ PaginationToken: 'bm90LWEtdG9rZW4=' })),
    );

    expect(failure.name).toBe('PaginationTokenExpiredException');
  });
});

describe('ELB tags', () => {
  it('takes at most 20 resources in one DescribeTags call', async () => {
    const arn = await loadBalancer('web', { a: '1' });

    const twenty = await sim.clients.elbv2.send(
      new DescribeTagsCommand({ ResourceArns: Array.from({ length: 20 }, () => arn) }),
    );
    const failure = await awsError(
      sim.clients.elbv2.send(
        new DescribeTagsCommand({ ResourceArns: Array.from({ length: 21 }, () => arn) }),
      ),
    );

    expect(twenty.TagDescriptions).toHaveLength(20);
    expect(failure).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(failure.message).toMatch(/less than or equal to 20/);
  });

  it('removes tag keys with RemoveTags; a key the resource does not carry is no error', async () => {
    const arn = await loadBalancer('web', { a: '1', b: '2' });
    await sim.clients.elbv2.send(
      new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'c', Value: '3' }] }),
    );

    await sim.clients.elbv2.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: ['a', 'missing'] }));
    const described = await sim.clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));

    expect(described.TagDescriptions?.[0]?.Tags).toEqual([
      { Key: 'b', Value: '2' },
      { Key: 'c', Value: '3' },
    ]);
  });
});
