/**
 * The most each AWS call the adapters make takes or returns at once, from its API reference: the adapters page
 * and batch by these, so a run makes as few calls as AWS allows.
 */
export const API_LIMITS = {
  /** EC2 DescribeInstances MaxResults: 5–1000. */
  ec2InstancesPage: 1000,
  /** EC2 takes at most 200 values in one filter. */
  ec2FilterValues: 200,
  /** EC2 Auto Scaling DescribeAutoScalingGroups MaxRecords: 1–100 (and as many names a call). */
  autoScalingGroupsPage: 100,
  /** CloudTrail LookupEvents MaxResults: 1–50. */
  cloudTrailEventsPage: 50,
  /** DynamoDB BatchWriteItem: 25 put or delete requests a call. */
  dynamoDbWriteBatch: 25,
  /** ELB DescribeListeners, DescribeRules and DescribeListenerCertificates PageSize: 1–400. */
  elbPage: 400,
  /** SQS SendMessageBatch: 10 entries a call. */
  sqsSendBatch: 10,
  /** Resource Groups Tagging API GetResources ResourcesPerPage: 1–100 (and as many ARNs a call). */
  taggingPage: 100,
} as const;

/** Splits a list into batches of at most `size`: every AWS call that takes a list has a limit. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}
