/** Auto Scaling groups over the EC2 Auto Scaling API (SDK v3): which target groups each group has attached. */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { awsCall } from '../errors.ts';
import type { ScalingGroups } from '../ports.ts';
import { API_LIMITS, chunk } from './batches.ts';
import { SdkAdapter } from './sdk-adapter.ts';

export class AwsScalingGroups extends SdkAdapter<AutoScalingClient> implements ScalingGroups {
  async attachedTargetGroups(names: readonly string[]): Promise<Map<string, ReadonlySet<string>>> {
    const attached = new Map<string, ReadonlySet<string>>();
    for (const batch of chunk([...new Set(names)], API_LIMITS.autoScalingGroupsPage)) {
      let token: string | undefined;
      do {
        const output = await awsCall('DescribeAutoScalingGroups', () =>
          this.client.send(
            new DescribeAutoScalingGroupsCommand({
              AutoScalingGroupNames: batch,
              MaxRecords: API_LIMITS.autoScalingGroupsPage,
              NextToken: token,
            }),
          ),
        );
        for (const group of output.AutoScalingGroups ?? []) {
          if (!group.AutoScalingGroupName) continue;
          // Target groups attached either way: AttachLoadBalancerTargetGroups or AttachTrafficSources (elbv2).
          const arns = [
            ...(group.TargetGroupARNs ?? []),
            ...(group.TrafficSources ?? [])
              .filter((source) => (source.Type ?? 'elbv2') === 'elbv2')
              .map((source) => source.Identifier ?? ''),
          ].filter((arn) => arn !== '');
          attached.set(group.AutoScalingGroupName, new Set(arns));
        }
        token = output.NextToken;
      } while (token);
    }
    return attached;
  }
}

/** The SDK client the adapter runs on, and the adapter: deps.ts makes both on the port's first call. */
export const clientAndAdapter = { Client: AutoScalingClient, Adapter: AwsScalingGroups };
