/**
 * TaggedResources over the Resource Groups Tagging API (SDK v3): GetResources pages of 100 resources, ARN
 * lists in batches of 100, as
 * https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html allows.
 */
import {
  GetResourcesCommand,
  type GetResourcesCommandInput,
  type GetResourcesCommandOutput,
  ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';
import type { TaggedResource } from '../domain/discovery.ts';
import { awsCall } from '../errors.ts';
import type { TaggedResources } from '../ports.ts';
import { API_LIMITS, chunk } from './batches.ts';
import { SdkAdapter } from './sdk-adapter.ts';

export class TaggingApiResources
  extends SdkAdapter<ResourceGroupsTaggingAPIClient>
  implements TaggedResources
{
  async loadBalancersTagged(tags: Readonly<Record<string, string>>): Promise<TaggedResource[]> {
    const found: TaggedResource[] = [];
    let token = '';
    do {
      const output = await this.send({
        TagFilters: Object.entries(tags).map(([Key, value]) => ({ Key, Values: [value] })),
        ResourceTypeFilters: ['elasticloadbalancing:loadbalancer'],
        ResourcesPerPage: API_LIMITS.taggingPage,
        ...(token === '' ? {} : { PaginationToken: token }),
      });
      found.push(...resources(output));
      token = output.PaginationToken ?? '';
    } while (token !== '');
    return found;
  }

  async tagsOf(arns: readonly string[]): Promise<TaggedResource[]> {
    const found: TaggedResource[] = [];
    for (const batch of chunk([...new Set(arns)], API_LIMITS.taggingPage)) {
      found.push(...resources(await this.send({ ResourceARNList: batch })));
    }
    return found;
  }

  private send(input: GetResourcesCommandInput): Promise<GetResourcesCommandOutput> {
    return awsCall('GetResources', () => this.client.send(new GetResourcesCommand(input)));
  }
}

function resources(output: GetResourcesCommandOutput): TaggedResource[] {
  return (output.ResourceTagMappingList ?? []).flatMap((mapping) =>
    mapping.ResourceARN
      ? [
          {
            arn: mapping.ResourceARN,
            tags: Object.fromEntries((mapping.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
          },
        ]
      : [],
  );
}

/** The SDK client the adapter runs on, and the adapter: deps.ts makes both on the port's first call. */
export const clientAndAdapter = { Client: ResourceGroupsTaggingAPIClient, Adapter: TaggingApiResources };
