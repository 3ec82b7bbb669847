/** What tests that drive the simulator's Auto Scaling groups ask of them, the way an operator would. */
import {
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
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
