/**
 * EventBridge events, parsed at the edge. Parsing never throws: an event of an unexpected shape becomes
 * `ignored` with a reason the handler logs, so a bad event can never crash-loop a function.
 */
import * as z from 'zod';
import { arnParts, listenerArnOfRule, loadBalancerKey } from './arn.ts';
import { type Actor, INSTANCE_STATES, type InstanceState } from './model.ts';
import type { Binding, WardenSettings as WardenConfig } from './settings.ts';

/** EventBridge's own limit on an event's size; anything larger did not come from EventBridge. */
const MAX_EVENT_BYTES = 256 * 1024;

export type ParsedEvent =
  | {
      readonly type: 'instance-state';
      readonly id: string;
      readonly instanceId: string;
      readonly state: InstanceState;
      /** When EC2 emitted the event (the envelope's `time`, ISO 8601), when given. */
      readonly time?: string | undefined;
      readonly account: string;
      readonly region: string;
    }
  | {
      readonly type: 'api-call';
      readonly id: string;
      readonly eventName: string;
      readonly actor: Actor;
      readonly errorCode?: string | undefined;
      readonly readOnly: boolean;
      readonly requestParameters: Readonly<Record<string, unknown>>;
      readonly account: string;
      readonly region: string;
    }
  | {
      readonly type: 'spot-interruption';
      readonly id: string;
      readonly instanceId: string;
      /** What EC2 will do two minutes later: `terminate`, `stop` or `hibernate`. */
      readonly instanceAction: string;
      readonly account: string;
      readonly region: string;
    }
  | { readonly type: 'scheduled'; readonly id: string; readonly time: string }
  | { readonly type: 'ignored'; readonly id?: string | undefined; readonly reason: string };

const envelope = z.object({
  id: z.string().min(1).max(128),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1).max(32),
  time: z.string().optional(),
  detail: z.record(z.string(), z.unknown()),
});

const instanceDetail = z.object({
  'instance-id': z.string().regex(/^i-[0-9a-f]{8,17}$/),
  state: z.enum(INSTANCE_STATES as [InstanceState, ...InstanceState[]]),
});

/** What EC2 does to an interrupted Spot Instance. https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html */
export const SPOT_INSTANCE_ACTIONS = ['terminate', 'stop', 'hibernate'] as const;

const spotWarningDetail = z.object({
  'instance-id': z.string().regex(/^i-[0-9a-f]{8,17}$/),
  'instance-action': z.enum(SPOT_INSTANCE_ACTIONS),
});

const apiCallDetail = z.object({
  eventSource: z.literal('elasticloadbalancing.amazonaws.com'),
  eventName: z.string().min(1).max(128),
  eventID: z.string().optional(),
  eventTime: z.string().optional(),
  sourceIPAddress: z.string().max(256).optional(),
  errorCode: z.string().optional(),
  readOnly: z.boolean().optional(),
  userIdentity: z.object({
    arn: z.string().max(2048).optional(),
    type: z.string().optional(),
    invokedBy: z.string().max(256).optional(),
    sessionContext: z
      .object({ sessionIssuer: z.object({ arn: z.string().max(2048).optional() }).optional() })
      .optional(),
  }),
  requestParameters: z.record(z.string(), z.unknown()).nullable().optional(),
});

export function parseEvent(raw: unknown, size = approximateSize(raw)): ParsedEvent {
  const id =
    typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
      ? (raw as { id: string }).id.slice(0, 128)
      : undefined;
  if (size > MAX_EVENT_BYTES)
    return {
      type: 'ignored',
      id,
      reason: `event of ${size} bytes is larger than EventBridge allows (${MAX_EVENT_BYTES})`,
    };
  const parsed = envelope.safeParse(raw);
  if (!parsed.success)
    return { type: 'ignored', id, reason: `not an EventBridge event: ${describeIssues(parsed.error)}` };
  const event = parsed.data;
  switch (event['detail-type']) {
    case 'EC2 Instance State-change Notification':
      return parseEc2Event(event, instanceDetail, 'instance state-change', (detail) => ({
        type: 'instance-state',
        instanceId: detail['instance-id'],
        state: detail.state,
        time: event.time,
      }));
    case 'EC2 Spot Instance Interruption Warning':
      return parseEc2Event(event, spotWarningDetail, 'Spot interruption warning', (detail) => ({
        type: 'spot-interruption',
        instanceId: detail['instance-id'],
        instanceAction: detail['instance-action'],
      }));
    case 'AWS API Call via CloudTrail':
      return parseApiCall(event);
    case 'Scheduled Event':
      return { type: 'scheduled', id: event.id, time: event.time ?? '' };
    default:
      return {
        type: 'ignored',
        id: event.id,
        reason: `unhandled detail-type "${event['detail-type'].slice(0, 100)}"`,
      };
  }
}

type Envelope = z.infer<typeof envelope>;
type Ec2Event = Extract<ParsedEvent, { type: 'instance-state' | 'spot-interruption' }>;

/** An EC2 event about one instance: from `aws.ec2`, with a detail of the expected shape. */
function parseEc2Event<T>(
  event: Envelope,
  schema: z.ZodType<T>,
  what: string,
  build: (detail: T) => Omit<Ec2Event, 'id' | 'account' | 'region'>,
): ParsedEvent {
  if (event.source !== 'aws.ec2')
    return { type: 'ignored', id: event.id, reason: `unexpected source ${event.source}` };
  const detail = schema.safeParse(event.detail);
  if (!detail.success)
    return {
      type: 'ignored',
      id: event.id,
      reason: `malformed ${what} detail: ${describeIssues(detail.error)}`,
    };
  return { ...build(detail.data), id: event.id, account: event.account, region: event.region } as Ec2Event;
}

function parseApiCall(event: Envelope): ParsedEvent {
  return parseCloudTrailRecord(event.detail, event);
}

export type ApiCallEvent = Extract<ParsedEvent, { type: 'api-call' }>;

/**
 * A CloudTrail record of an ELB call (an EventBridge event's `detail`, or event history's `CloudTrailEvent`)
 * as the guard reads it; `ignored` when it is not one.
 */
export function parseCloudTrailRecord(
  record: unknown,
  from: { readonly id: string; readonly account: string; readonly region: string },
): ApiCallEvent | Extract<ParsedEvent, { type: 'ignored' }> {
  const detail = apiCallDetail.safeParse(record);
  if (!detail.success)
    return {
      type: 'ignored',
      id: from.id,
      reason: `malformed CloudTrail detail: ${describeIssues(detail.error)}`,
    };
  const call = detail.data;
  const identity = call.userIdentity;
  return {
    type: 'api-call',
    id: from.id,
    eventName: call.eventName,
    errorCode: call.errorCode,
    readOnly: call.readOnly ?? false,
    requestParameters: call.requestParameters ?? {},
    account: from.account,
    region: from.region,
    actor: {
      arn: identity.arn ?? `${identity.type ?? 'unknown'} principal`,
      issuerArn: identity.sessionContext?.sessionIssuer?.arn,
      invokedBy: identity.invokedBy,
      sourceIp: call.sourceIPAddress,
      eventTime: call.eventTime,
      eventName: call.eventName,
      eventId: call.eventID,
    },
  };
}

function approximateSize(raw: unknown): number {
  try {
    return JSON.stringify(raw)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
    .join('; ');
}

/** The CloudTrail event names the guard acts on: the calls that can change a listener, a rule or a target group. */
export const GUARDED_EVENT_NAMES = [
  'CreateListener',
  'ModifyListener',
  'DeleteListener',
  'CreateRule',
  'ModifyRule',
  'DeleteRule',
  'SetRulePriorities',
  'ModifyTargetGroup',
  'DeregisterTargets',
  'DeleteTargetGroup',
] as const;

export type GuardScope = 'listeners' | 'health-check' | 'registration' | 'target-group-deleted';

const SCOPE_OF: Record<(typeof GUARDED_EVENT_NAMES)[number], GuardScope> = {
  CreateListener: 'listeners',
  ModifyListener: 'listeners',
  DeleteListener: 'listeners',
  CreateRule: 'listeners',
  ModifyRule: 'listeners',
  DeleteRule: 'listeners',
  SetRulePriorities: 'listeners',
  ModifyTargetGroup: 'health-check',
  DeregisterTargets: 'registration',
  DeleteTargetGroup: 'target-group-deleted',
};

export type ApiCallRoute =
  | { readonly action: 'reconcile'; readonly scope: GuardScope; readonly bindings: readonly Binding[] }
  | {
      /** An AWS service deregistered targets for its own operation: they are held, not registered again. */
      readonly action: 'hold';
      readonly service: string;
      /** A target without a port is on the target group's port. */
      readonly targets: readonly { readonly id: string; readonly port?: number | undefined }[];
      readonly bindings: readonly Binding[];
    }
  | { readonly action: 'ignore'; readonly reason: string };

/**
 * Maps a CloudTrail API call to the bindings it concerns, through the ARNs it carries: a listener or rule
 * ARN contains its load balancer's id; target group calls carry the group's ARN. Costs no AWS call.
 */
export function routeApiCall(
  config: WardenConfig,
  event: Extract<ParsedEvent, { type: 'api-call' }>,
): ApiCallRoute {
  if (event.errorCode)
    return { action: 'ignore', reason: `the call failed (${event.errorCode.slice(0, 64)}): nothing changed` };
  if (event.readOnly) return { action: 'ignore', reason: 'read-only call' };
  const scope = SCOPE_OF[event.eventName as keyof typeof SCOPE_OF];
  if (!scope)
    return { action: 'ignore', reason: `${event.eventName.slice(0, 64)} is not a call the guard watches` };
  if (isControllerActor(config, event.actor))
    return { action: 'ignore', reason: "the controller's own change" };

  const arns = arnsIn(event.requestParameters);
  let bindings: Binding[];
  if (scope === 'listeners') {
    const keys = new Set(arns.map(loadBalancerKey).filter((key) => key !== undefined));
    bindings = config.bindings.filter((binding) => keys.has(loadBalancerKey(binding.loadBalancerArn) ?? ''));
  } else {
    const groups = new Set(arns);
    bindings = config.bindings.filter((binding) => groups.has(binding.targetGroupArn));
  }
  if (bindings.length === 0)
    return { action: 'ignore', reason: 'concerns no guarded load balancer or target group' };
  const service =
    scope === 'registration' ? coOwnerService(config.coOwners.services, event.actor) : undefined;
  if (service) return { action: 'hold', service, targets: targetsIn(event.requestParameters), bindings };
  return { action: 'reconcile', scope, bindings };
}

/**
 * The AWS service behind a call, when it is one of `services`: CloudTrail names it in `invokedBy` for calls
 * a service makes on a principal's behalf (CodeDeploy with its service role), and a service-linked role's
 * session issuer has the path `/aws-service-role/<service>/` (Auto Scaling, Elastic Beanstalk).
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html
 */
export function coOwnerService(services: readonly string[], actor: Actor): string | undefined {
  if (actor.invokedBy && services.includes(actor.invokedBy)) return actor.invokedBy;
  const linked = /^arn:[^:]+:iam::\d{12}:role\/aws-service-role\/([^/]+)\//.exec(actor.issuerArn ?? '');
  return linked?.[1] && services.includes(linked[1]) ? linked[1] : undefined;
}

/** The part of a binding an ELB call can change, for the calls the guard watches. */
export function guardScopeOf(eventName: string): GuardScope | undefined {
  return SCOPE_OF[eventName as keyof typeof SCOPE_OF];
}

/** The `targets` of a Register/DeregisterTargets call's request parameters. */
export function targetsIn(parameters: Readonly<Record<string, unknown>>): { id: string; port?: number }[] {
  const targets: unknown[] = Array.isArray(parameters.targets) ? parameters.targets.slice(0, 1000) : [];
  return targets.flatMap((entry) => {
    const { id, port } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >;
    if (typeof id !== 'string') return [];
    return [typeof port === 'number' ? { id, port } : { id }];
  });
}

/** What a call touched, for scoping an approval: its ELB ARNs, and `port:N` for a listener it created. */
export function touchedBy(event: Extract<ParsedEvent, { type: 'api-call' }>): string[] {
  const port = event.requestParameters.port;
  return [...arnsIn(event.requestParameters), ...(typeof port === 'number' ? [`port:${port}`] : [])];
}

/** Every ELB ARN among the request parameters (listenerArn, ruleArn, loadBalancerArn, targetGroupArn, rulePriorities[].ruleArn). */
function arnsIn(parameters: Readonly<Record<string, unknown>>): string[] {
  const arns: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 4) return;
    if (typeof value === 'string') {
      if (arnParts(value)?.service === 'elasticloadbalancing') {
        arns.push(value);
        const listener = listenerArnOfRule(value);
        if (listener) arns.push(listener);
      }
    } else if (Array.isArray(value)) {
      for (const item of value.slice(0, 200)) visit(item, depth + 1);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (/arn$/i.test(key) || typeof item === 'object') visit(item, depth + 1);
      }
    }
  };
  visit(parameters, 0);
  return arns;
}

/** The controller's own writes come back as events; they must never trigger another repair. */
export function isControllerActor(config: Pick<WardenConfig, 'controllerRoleArns'>, actor: Actor): boolean {
  const own = new Set(config.controllerRoleArns);
  if (actor.issuerArn && own.has(actor.issuerArn)) return true;
  if (own.has(actor.arn)) return true;
  // Without a session issuer, an assumed-role session ARN still names its role.
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(actor.arn);
  if (!session) return false;
  const [, partition, account, roleName] = session;
  return config.controllerRoleArns.some((role) => {
    const parts = arnParts(role);
    if (!parts) return false;
    return (
      parts.partition === partition &&
      parts.account === account &&
      parts.resource.split('/').at(-1) === roleName
    );
  });
}

/** Whether an actor matches one of `approvedActors` (ARN patterns with `*`), by session or by role. */
export function isApprovedActor(patterns: readonly string[], actor: Actor): string | undefined {
  for (const pattern of patterns) {
    const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
    if (regex.test(actor.arn) || (actor.issuerArn && regex.test(actor.issuerArn))) return pattern;
  }
  return undefined;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
