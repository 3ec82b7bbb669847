/** What tests that drive the simulator's Auto Scaling groups ask of them, the way an operator would. */
import {
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';

export interface GroupMember {
  readonly id: string;
  readonly state: string;
}

/** The group's own instances (not its warm pool's) with their lifecycle states. */
export async function groupMembers(client: AutoScalingClient, group: string): Promise<GroupMember[]> {
  const output = await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
  return (output.AutoScalingGroups?.[0]?.Instances ?? []).map((member) => ({
    id: member.InstanceId ?? '',
    state: member.LifecycleState ?? '',
  }));
}

/** Lets an instance waiting on the group's lifecycle hook go on. */
export async function continueLifecycle(
  client: AutoScalingClient,
  group: string,
  hook: string,
  instanceId: string | undefined,
): Promise<void> {
  await client.send(
    new CompleteLifecycleActionCommand({
      AutoScalingGroupName: group,
      LifecycleHookName: hook,
      InstanceId: instanceId,
      LifecycleActionResult: 'CONTINUE',
    }),
  );
}

/**
 * A group of 0 to 4 instances from the seed's `web` launch template, tagged `Role=web` at launch (the
 * selector's tag), with `targetGroupArns` attached.
 */
export async function createWebGroup(
  client: AutoScalingClient,
  group: { name: string; desired: number; subnetIds: readonly string[]; targetGroupArns: readonly string[] },
): Promise<void> {
  await client.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: group.name,
      MinSize: 0,
      MaxSize: 4,
      DesiredCapacity: group.desired,
      LaunchTemplate: { LaunchTemplateName: 'web', Version: '$Latest' },
      VPCZoneIdentifier: group.subnetIds.join(','),
      ...(group.targetGroupArns.length > 0 ? { TargetGroupARNs: [...group.targetGroupArns] } : {}),
      Tags: [{ Key: 'Role', Value: 'web', PropagateAtLaunch: true }],
    }),
  );
}
