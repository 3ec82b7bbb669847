/**
 * What the doctor reads about a deployed controller, in its own terms, and the narrow interface it reads it
 * through (adapters/sdk.ts with the operator's credentials; tests may use it against the simulator).
 */

export const FUNCTION_NAMES = ['register', 'guard', 'sweep'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The deployed controller, from the Warden stack's outputs. */
export interface Deployment {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly topicArn: string;
  readonly tableName: string;
  /**
   * The role each function's work runs under (the stack's `ControllerRoleArns`, in register, guard, sweep
   * order; a fourth, the sweep worker's, stands for the sweep: its scheduler only queues bindings).
   */
  readonly roleArns: Readonly<Record<FunctionName, string>>;
  readonly functions: Readonly<
    Record<FunctionName, { readonly name: string; readonly deadLetterQueueUrl: string }>
  >;
}

export interface Trail {
  readonly name: string;
  readonly arn: string;
  readonly homeRegion: string;
  readonly multiRegion: boolean;
  readonly organization: boolean;
}

export interface EventSelectors {
  readonly basic?: readonly {
    readonly ReadWriteType?: string | undefined;
    readonly IncludeManagementEvents?: boolean | undefined;
  }[];
  readonly advanced?: readonly {
    readonly FieldSelectors?: readonly {
      readonly Field?: string | undefined;
      readonly Equals?: readonly string[] | undefined;
      readonly NotEquals?: readonly string[] | undefined;
    }[];
  }[];
}

export interface RuleInfo {
  readonly name: string;
  readonly state: string;
  readonly scheduleExpression?: string | undefined;
  readonly targets: readonly { readonly arn: string; readonly deadLetterArn?: string | undefined }[];
}

export interface Datapoint {
  readonly at: number;
  readonly value: number;
}

export interface Subscription {
  readonly protocol: string;
  readonly endpoint: string;
  readonly confirmed: boolean;
}

export type Decision = 'allowed' | 'implicitDeny' | 'explicitDeny';

export interface OperatorAws {
  /** The stack's outputs, or undefined when there is no such stack. */
  stackOutputs(stackName: string): Promise<Readonly<Record<string, string>> | undefined>;
  region(): Promise<string>;
  trails(): Promise<Trail[]>;
  isLogging(trailArn: string): Promise<boolean>;
  eventSelectors(trailArn: string): Promise<EventSelectors>;
  /** Every rule with a target of this ARN, described with its targets. */
  rulesTargeting(targetArn: string): Promise<RuleInfo[]>;
  /** Messages waiting and in flight, or undefined when the queue does not exist. */
  queueDepth(queueUrl: string): Promise<number | undefined>;
  /** A Lambda metric (AWS/Lambda, FunctionName) summed per `periodSeconds`, newest first. */
  lambdaMetric(
    functionName: string,
    metric: 'Invocations' | 'Errors',
    from: number,
    to: number,
    periodSeconds: number,
  ): Promise<Datapoint[]>;
  /** The topic's attributes, or undefined when it does not exist. */
  topicAttributes(topicArn: string): Promise<Readonly<Record<string, string>> | undefined>;
  subscriptions(topicArn: string): Promise<Subscription[]>;
  /** The key's policy, or undefined when the key does not exist. */
  keyPolicy(keyId: string): Promise<string | undefined>;
  /** IAM's decision for each action on each of its resources, for the role. */
  simulate(
    roleArn: string,
    requests: readonly { readonly action: string; readonly resources: readonly string[] }[],
  ): Promise<{ action: string; resource: string; decision: Decision }[]>;
  /** A queue the drill receives alerts on; returns its URL and ARN. */
  createQueue(name: string, topicArn: string): Promise<{ url: string; arn: string }>;
  deleteQueue(url: string): Promise<void>;
  subscribeQueue(topicArn: string, queueArn: string): Promise<string>;
  unsubscribe(subscriptionArn: string): Promise<void>;
  /** Receives and deletes what waits on the queue: the message bodies. */
  drain(url: string): Promise<string[]>;
}
