/**
 * The controller's view of AWS: narrow interfaces named after the domain. Adapters implement them with the
 * AWS SDK and hide pagination, batching and retries; tests and the demo can implement them in memory.
 */
import type { RenderedAlert } from './domain/alerts.ts';
import type { TaggedResource } from './domain/discovery.ts';
import type { ApiCallEvent } from './domain/events.ts';
import type { ListenerRequest } from './domain/listeners.ts';
import type {
  Instance,
  Listener,
  Rule,
  Target,
  TargetGroup,
  TargetGroupHealthCheck,
  TargetHealth,
} from './domain/model.ts';
import type { RecordWrite } from './domain/state.ts';

export type { RecordWrite };

export interface Instances {
  /** Every instance (any state) carrying all of `tags`, across all pages. */
  findByTags(tags: Readonly<Record<string, string>>): Promise<Instance[]>;
  /** The instances EC2 still returns among `ids`; ids it no longer knows are left out, not an error. */
  describe(ids: readonly string[]): Promise<Instance[]>;
}

export interface ScalingGroups {
  /**
   * The target groups each of the named Auto Scaling groups has attached (as target groups or as ELB traffic
   * sources); a group that does not exist is left out.
   */
  attachedTargetGroups(names: readonly string[]): Promise<Map<string, ReadonlySet<string>>>;
}

export interface TargetWriteResult {
  readonly done: readonly Target[];
  /** Targets AWS refused one by one (InvalidTarget names them), with its error; the rest of the batch went through. */
  readonly rejected: readonly { readonly target: Target; readonly code: string; readonly message: string }[];
}

export interface LoadBalancing {
  describeTargetHealth(targetGroupArn: string, targets?: readonly Target[]): Promise<TargetHealth[]>;
  registerTargets(targetGroupArn: string, targets: readonly Target[]): Promise<TargetWriteResult>;
  deregisterTargets(targetGroupArn: string, targets: readonly Target[]): Promise<TargetWriteResult>;
  /** The groups that exist among `arns`; a missing one is left out. */
  describeTargetGroups(arns: readonly string[]): Promise<TargetGroup[]>;
  modifyHealthCheck(targetGroupArn: string, healthCheck: TargetGroupHealthCheck): Promise<void>;
  /** How long ELB drains a deregistered target of the group (`deregistration_delay.timeout_seconds`). */
  deregistrationDelaySeconds(targetGroupArn: string): Promise<number>;
  listListeners(loadBalancerArn: string): Promise<Listener[]>;
  listRules(listenerArn: string): Promise<Rule[]>;
  /** The listener's certificates besides its default one (SNI). */
  listCertificates(listenerArn: string): Promise<string[]>;
  addCertificates(listenerArn: string, certificateArns: readonly string[]): Promise<void>;
  createListener(loadBalancerArn: string, request: ListenerRequest): Promise<Listener>;
  modifyListener(listenerArn: string, request: ListenerRequest): Promise<Listener>;
  deleteRule(ruleArn: string): Promise<void>;
}

/** ELB resources by their tags, through the Resource Groups Tagging API (not the ELB API's budget). */
export interface TaggedResources {
  /** Every load balancer carrying all of `tags`, with all its tags, across all pages. */
  loadBalancersTagged(tags: Readonly<Record<string, string>>): Promise<TaggedResource[]>;
  /** The tags of the resources among `arns` that carry or carried a tag; the others are left out. */
  tagsOf(arns: readonly string[]): Promise<TaggedResource[]>;
}

export interface AlertPublisher {
  /** One SNS Publish per alert. */
  publish(topicArn: string, alert: RenderedAlert): Promise<void>;
}

/** A versioned record in the state table, under one binding. */
export interface StateRecord extends RecordWrite {
  /** Incremented by every write; 0 means "not stored yet". */
  readonly version: number;
  /** A record `remove` deleted: it has no data, only the version the next writer must expect. */
  readonly deleted?: boolean | undefined;
}

export interface StateStore {
  /** Everything recorded for a binding: one Query (all pages). */
  load(binding: string): Promise<StateRecord[]>;
  /**
   * Writes `record` as version `record.version + 1` only if the stored version is still `record.version`
   * (0: only if absent). Returns false when another writer got there first; nothing is written then.
   */
  put(binding: string, record: StateRecord): Promise<boolean>;
  /**
   * Deletes the record only if its stored version is `version`; false when another writer got there first.
   * `load` may keep returning it, marked `deleted`, with the version a later `put` must expect.
   */
  remove(binding: string, key: string, version: number): Promise<boolean>;
  /**
   * Writes the record unless it exists with the same `marker`. Returns false when it did: the same thing was
   * recorded before (a duplicate event), so the caller has nothing to do.
   */
  putUnlessMarked(binding: string, record: RecordWrite & { readonly marker: string }): Promise<boolean>;
  /** Unconditional batch writes for records only the controller's own AWS writes decide (ownership). */
  putAll(binding: string, records: readonly RecordWrite[]): Promise<void>;
  removeAll(binding: string, keys: readonly string[]): Promise<void>;
  /**
   * Takes the binding's sweep lease for `holder` until `untilMs` if it is free, expired at `nowMs`, or already
   * the holder's (a retried request). False when another holder has it.
   */
  lease(binding: string, holder: string, untilMs: number, nowMs: number): Promise<boolean>;
  /** Gives the lease back if `holder` still has it; a lease taken over meanwhile is left alone. */
  release(binding: string, holder: string): Promise<void>;
}

/** The sweep workers' queue: one message per group of binding names. */
export interface SweepQueue {
  send(groups: readonly (readonly string[])[]): Promise<void>;
}

/**
 * Who changed a resource lately, from CloudTrail's event history: asked only about drift or a missing target
 * that nothing else explains. Events appear there minutes after the call, so an empty answer proves nothing.
 */
export interface ChangeHistory {
  /**
   * The ELB write calls the history names `resource` in (an ARN, or an instance id), made at or after `since`
   * (epoch ms), newest first: one lookup, one page of at most `limit` calls.
   */
  changesTo(resource: string, since: number, limit: number): Promise<ApiCallEvent[]>;
}
