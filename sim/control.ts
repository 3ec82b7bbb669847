/**
 * A typed client for the simulator's control API, usable against a simulator in another process.
 *
 *   const control = new SimControl('http://127.0.0.1:4590');
 *   await control.faults({ service: 'elbv2', action: 'DescribeTargetHealth', error: 'Throttling', count: 1 });
 */

import type { DeliveryRule } from './cloudtrail.ts';
import type { EventBridgeEvent, IdentityOptions } from './events.ts';
import type { AnyService, ServiceName } from './faults.ts';
import type { TargetState } from './services/elbv2-health.ts';
import type { Forwarding } from './services/eventbridge.ts';
import type { PublishedMessage } from './services/sns.ts';
import type { SettingsInput } from './settings.ts';
import type { ThrottlingState } from './throttling.ts';
import type { CallCounts } from './world.ts';

export type SimService = ServiceName;

export interface EventHistoryRequest {
  readonly delayMs?: number;
  readonly throttle?: boolean;
}

export interface EventHistoryState {
  readonly delayMs: number;
  readonly throttle: boolean;
  readonly recorded: number;
}

export interface TargetHealthRequest {
  readonly targetGroupArn: string;
  readonly targetId: string;
  /** `healthy` clears an earlier override. */
  readonly state: TargetState;
  /** Defaults to AWS's reason for the state, e.g. Target.FailedHealthChecks for unhealthy. */
  readonly reasonCode?: string;
  /** Defaults to AWS's description of the reason code. */
  readonly description?: string;
}

export type FaultRequest =
  | { readonly service: AnyService; readonly action: string; readonly error: string; readonly count?: number }
  | { readonly latencyMs: number }
  | { readonly clear: true };

export type { EventBridgeEvent as SimEvent } from './events.ts';
export type { PublishedMessage } from './services/sns.ts';
export type { CallCounts } from './world.ts';

export type SettingsRequest = SettingsInput;

export type { IdentityOptions } from './events.ts';
export type { BucketState, ThrottlingState } from './throttling.ts';

export type CloudTrailRequest =
  | {
      readonly eventName?: string;
      readonly delayMs?: number;
      readonly drop?: boolean;
      readonly duplicates?: number;
      readonly count?: number;
    }
  | { readonly clear: true };

export interface CloudTrailState {
  readonly rules: readonly (DeliveryRule & { remaining?: number })[];
  readonly pending: readonly { eventName: string; eventTime: string; releaseAt: string }[];
  readonly dropped: number;
}

/** A datapoint AWS itself writes (Lambda's `Invocations`, `Errors`); `timestamp` defaults to the simulator's now. */
export interface MetricDatapoint {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  /** @default 1 */
  readonly value?: number;
  /** ISO time. */
  readonly timestamp?: string;
}

/** A control call the simulator refused; `status` is the HTTP status, the message its explanation. */
export class SimControlError extends Error {
  override readonly name = 'SimControlError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Another account's or region's world; what is left out is the simulator's own. */
export interface WorldSelector {
  readonly account?: string;
  readonly region?: string;
}

/** An account the simulator knows: its organization and the regions used so far. */
export interface SimAccount {
  readonly account: string;
  readonly organizationId?: string;
  readonly regions: readonly string[];
}

export type { Forwarding } from './services/eventbridge.ts';

/** Sends one control request (`path` with its query) and returns the reply's status and body. */
export type ControlTransport = (
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
) => Promise<{ readonly status: number; readonly text: string }>;

/** The control API over HTTP, as any other tool drives it. */
function httpTransport(endpoint: string): ControlTransport {
  return async (method, path, body) => {
    const response = await fetch(`${endpoint}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }),
    });
    return { status: response.status, text: await response.text() };
  };
}

export class SimControl {
  readonly endpoint: string;
  readonly selector: WorldSelector;
  readonly #send: ControlTransport;

  /** `transport`: how requests reach the simulator. @default HTTP to `endpoint` */
  constructor(endpoint: string, selector: WorldSelector = {}, transport?: ControlTransport) {
    this.endpoint = endpoint.replace(/\/$/, '');
    this.selector = selector;
    this.#send = transport ?? httpTransport(this.endpoint);
  }

  /**
   * The same control API acting on another account's or region's world: `control.in({account}).identity(…)`
   * makes the key sign that account's requests, `.events()` reads that world's bus.
   */
  in(selector: WorldSelector): SimControl {
    return new SimControl(this.endpoint, { ...this.selector, ...selector }, this.#send);
  }

  /** Makes `account` a member of an AWS Organizations organization (`o-…`), or of none with null. */
  async organization(account: string, organizationId: string | null): Promise<SimAccount[]> {
    return (
      (await this.#call('POST', '/_sim/accounts', { account, organizationId })) as { accounts: SimAccount[] }
    ).accounts;
  }

  async accounts(): Promise<SimAccount[]> {
    return ((await this.#call('GET', '/_sim/accounts')) as { accounts: SimAccount[] }).accounts;
  }

  /** What this world's rules forwarded to other accounts' or regions' buses, and what they refused. */
  async forwardings(): Promise<Forwarding[]> {
    return ((await this.#call('GET', '/_sim/forwarding')) as { forwardings: Forwarding[] }).forwardings;
  }

  /**
   * Empties the world: resources, events, messages, identities, faults and call counts; settings return to
   * the simulator's start options. The clock keeps its offset, so time never runs backwards.
   */
  async reset(): Promise<void> {
    await this.#call('POST', '/_sim/reset', {});
  }

  /**
   * Makes requests signed with `accessKeyId` appear in CloudTrail as `arn` (a role session or a user);
   * `rolePath` and `invokedBy` make it a service role or an AWS service's call.
   */
  async identity(accessKeyId: string, arn: string, options: IdentityOptions = {}): Promise<void> {
    await this.#call('POST', '/_sim/identities', { accessKeyId, arn, ...options });
  }

  /** Adds a CloudTrail delivery rule (delay, drop, duplicate) or clears them with `{clear: true}`. */
  async cloudTrail(request: CloudTrailRequest): Promise<CloudTrailState> {
    return (await this.#call('POST', '/_sim/cloudtrail', request)) as CloudTrailState;
  }

  async cloudTrailState(): Promise<CloudTrailState> {
    return (await this.#call('GET', '/_sim/cloudtrail')) as CloudTrailState;
  }

  /**
   * CloudTrail event history (LookupEvents): how long after a call its event becomes visible (5 min by
   * default, as AWS documents) and whether lookups are throttled at AWS's 2 per second (off by default).
   */
  async eventHistory(request: EventHistoryRequest = {}): Promise<EventHistoryState> {
    return (await this.#call('POST', '/_sim/event-history', request)) as EventHistoryState;
  }

  async targetHealth(request: TargetHealthRequest): Promise<void> {
    await this.#call('POST', '/_sim/target-health', request);
  }

  async faults(request: FaultRequest): Promise<void> {
    await this.#call('POST', '/_sim/faults', request);
  }

  async calls(): Promise<CallCounts> {
    return (await this.#call('GET', '/_sim/calls')) as CallCounts;
  }

  async resetCalls(): Promise<void> {
    await this.#call('POST', '/_sim/calls', { reset: true });
  }

  /** Events recorded after position `after`, and the cursor to pass next time. */
  async events(after = 0): Promise<{ events: EventBridgeEvent[]; cursor: number }> {
    return (await this.#call('GET', `/_sim/events?after=${after}`)) as {
      events: EventBridgeEvent[];
      cursor: number;
    };
  }

  /** Makes ACM hold a certificate (listeners may then use it), or, with `deleted`, no longer hold it. */
  async certificate(certificateArn: string, options: { deleted?: boolean } = {}): Promise<void> {
    await this.#call('POST', '/_sim/certificates', {
      certificateArn,
      ...(options.deleted ? { delete: true } : {}),
    });
  }

  /** Runs DynamoDB's TTL deletion now: every item whose TTL has passed is deleted; answers how many. */
  async ttlSweep(): Promise<{ deleted: number }> {
    return (await this.#call('POST', '/_sim/dynamodb/ttl-sweep', {})) as { deleted: number };
  }

  async sns(): Promise<{ messages: PublishedMessage[] }> {
    return (await this.#call('GET', '/_sim/sns')) as { messages: PublishedMessage[] };
  }

  /** Moves the simulator's clock forward, so time-based transitions happen without waiting. */
  async clock(advanceMs: number): Promise<{ now: string; offsetMs: number }> {
    return (await this.#call('POST', '/_sim/clock', { advanceMs })) as { now: string; offsetMs: number };
  }

  /** Records datapoints in AWS's own namespaces, which PutMetricData refuses. */
  async metrics(datapoints: readonly MetricDatapoint[]): Promise<void> {
    await this.#call('POST', '/_sim/metrics', { datapoints });
  }

  /** Records a deployed CloudFormation stack with these outputs, for DescribeStacks. */
  async stack(stackName: string, outputs: Readonly<Record<string, string>>): Promise<void> {
    await this.#call('POST', '/_sim/stacks', { stackName, outputs });
  }

  /** Confirms a pending (email) subscription, as its recipient does by following the link. */
  async confirmSubscription(topicArn: string, endpoint: string): Promise<void> {
    await this.#call('POST', '/_sim/sns-confirmations', { topicArn, endpoint });
  }

  /**
   * Turns AWS's request-rate throttling on or off (`enabled`), or fills every bucket and zeroes the count of
   * refused calls (`reset`); answers the buckets and that count.
   */
  async throttling(request: { enabled?: boolean; reset?: true }): Promise<ThrottlingState> {
    return (await this.#call('POST', '/_sim/throttling', request)) as ThrottlingState;
  }

  async throttlingState(): Promise<ThrottlingState> {
    return (await this.#call('GET', '/_sim/throttling')) as ThrottlingState;
  }

  async settings(request: SettingsRequest): Promise<void> {
    await this.#call('POST', '/_sim/settings', request);
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const selector = new URLSearchParams(
      Object.entries(this.selector).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ).toString();
    const separator = path.includes('?') ? '&' : '?';
    const { status, text } = await this.#send(
      method,
      `${path}${selector ? `${separator}${selector}` : ''}`,
      body === undefined ? undefined : JSON.stringify(body),
    );
    const reply = JSON.parse(text) as { error?: string };
    if (status < 200 || status > 299)
      throw new SimControlError(status, `${method} ${path}: ${reply.error ?? `HTTP ${status}`}`);
    return reply;
  }
}
