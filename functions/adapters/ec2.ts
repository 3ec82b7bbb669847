/** Instances over the EC2 API (SDK v3): tag queries paginated at 1,000 instances a page, read as they stream. */
import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import type { Instance, InstanceState } from '../domain/model.ts';
import { awsCall } from '../errors.ts';
import type { Instances } from '../ports.ts';
import { API_LIMITS, chunk } from './batches.ts';
import { type InstancePage, streamInstances } from './ec2-stream.ts';
import { SdkAdapter } from './sdk-adapter.ts';

export class Ec2Instances extends SdkAdapter<EC2Client> implements Instances {
  findByTags(tags: Readonly<Record<string, string>>): Promise<Instance[]> {
    const filters = Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));
    return this.query(filters);
  }

  async describe(ids: readonly string[]): Promise<Instance[]> {
    // A filter, not InstanceIds: an id EC2 no longer knows is simply absent instead of failing the call.
    const found: Instance[] = [];
    for (const batch of chunk([...new Set(ids)], API_LIMITS.ec2FilterValues)) {
      found.push(...(await this.query([{ Name: 'instance-id', Values: batch }])));
    }
    return found;
  }

  private async query(filters: Filter[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    let token: string | undefined;
    do {
      const command = new DescribeInstancesCommand({
        Filters: filters,
        MaxResults: API_LIMITS.ec2InstancesPage,
        NextToken: token,
      });
      const streamed = streamInstances(command);
      const output = await awsCall('DescribeInstances', () => this.client.send(command));
      const page = streamed() ?? pageOf(output);
      for (const instance of page.instances) instances.push(instance);
      token = page.nextToken;
    } while (token);
    return instances;
  }
}

/** The page from the SDK's own output, when the body did not stream through (a stubbed client). */
function pageOf(output: DescribeInstancesCommandOutput): InstancePage {
  const instances: Instance[] = [];
  for (const reservation of output.Reservations ?? []) {
    for (const instance of reservation.Instances ?? []) {
      if (!instance.InstanceId) continue;
      instances.push({
        id: instance.InstanceId,
        state: (instance.State?.Name ?? 'pending') as InstanceState,
        vpcId: instance.VpcId,
        availabilityZone: instance.Placement?.AvailabilityZone,
        launchTime: instance.LaunchTime?.toISOString(),
        tags: Object.fromEntries(
          (instance.Tags ?? []).flatMap((tag) => (tag.Key ? [[tag.Key, tag.Value ?? '']] : [])),
        ),
      });
    }
  }
  return { instances, nextToken: output.NextToken };
}

/** The SDK client the adapter runs on, and the adapter: deps.ts makes both on the port's first call. */
export const clientAndAdapter = { Client: EC2Client, Adapter: Ec2Instances };
