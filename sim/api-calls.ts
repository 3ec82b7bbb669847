/** CloudTrail's record of an ELBv2 write call, whether a client or an AWS service inside the simulator made it. */
import type { AwsError } from './errors.ts';
import type { ApiCall, Caller } from './events.ts';
import { isReadOnlyAction } from './history.ts';
import { uuid } from './ids.ts';
import { type QueryTree, toCloudTrailParameters } from './protocols/query.ts';
import { elbv2CloudTrailValue } from './services/elbv2.ts';

export interface Elbv2Call {
  readonly action: string;
  readonly query: QueryTree;
  readonly at: number;
  readonly caller: Caller;
  readonly requestId?: string;
  /** The client's address and user agent; an AWS service's calls show the service's name for both. */
  readonly sourceIPAddress?: string;
  readonly userAgent?: string;
  readonly result: Record<string, unknown> | undefined;
  readonly failure: AwsError | undefined;
}

export function elbv2ApiCall(call: Elbv2Call): ApiCall {
  return {
    ...servedApiCall({ ...call, eventSource: 'elasticloadbalancing.amazonaws.com' }),
    responseElements:
      call.result && Object.keys(call.result).length > 0
        ? (camelCase(call.result) as Record<string, unknown>)
        : null,
  };
}

/** A response as CloudTrail records it in `responseElements`: camelCase names, ISO times. */
function camelCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCase);
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([key, member]) => [key.charAt(0).toLowerCase() + key.slice(1), camelCase(member)]),
  );
}

/**
 * CloudTrail's record of any other call the simulator serves, for the event history: who, what, when and
 * whether it failed. Request parameters are kept for ELB calls only (the others' CloudTrail forms are not
 * modelled), response elements for none (CloudTrail leaves them out of reads).
 */
export function servedApiCall(call: Omit<Elbv2Call, 'result'> & { readonly eventSource: string }): ApiCall {
  const { invokedBy } = call.caller;
  return {
    eventSource: call.eventSource,
    eventName: call.action,
    at: call.at,
    requestId: call.requestId ?? uuid(),
    identity: call.caller.userIdentity,
    sourceIPAddress: invokedBy ?? call.sourceIPAddress ?? '127.0.0.1',
    userAgent: invokedBy ?? call.userAgent ?? '',
    requestParameters:
      call.eventSource === 'elasticloadbalancing.amazonaws.com'
        ? toCloudTrailParameters(call.query, elbv2CloudTrailValue)
        : null,
    responseElements: null,
    readOnly: isReadOnlyAction(call.action),
    ...(call.failure ? { error: { code: call.failure.code, message: call.failure.message } } : {}),
  };
}
