/**
 * An AWS service deregistered targets for its own operation (a scaling activity, a CodeDeploy BlockTraffic,
 * an Elastic Beanstalk deployment): the plan holds them out for `coOwners.holdMinutes` from the call, so
 * neither the sweep nor a later event registers them again while the operation can be in progress. Pure.
 */
import type { ServiceHold } from './history.ts';
import { targetKey } from './model.ts';
import type { Binding, Mode } from './settings.ts';
import { MINUTE } from './time.ts';

export interface ServiceHoldInput {
  readonly binding: Binding;
  readonly service: string;
  /** The targets the call named; a target without a port is on the binding's port. */
  readonly targets: readonly { readonly id: string; readonly port?: number | undefined }[];
  /** When the service made the call (CloudTrail's `eventTime`); the event's arrival when unknown. */
  readonly eventTime: string | undefined;
  readonly holdMinutes: number;
  readonly mode: Mode;
  readonly now: number;
}

export interface ServiceHoldPlan {
  readonly part: 'service-hold';
  readonly mode: Mode;
  readonly decision: { readonly kind: 'hold' | 'over'; readonly reason: string };
  /** `id:port` of the targets the call named. */
  readonly keys: readonly string[];
  /** The holds to keep, by `id:port`: none when the operation's hold is over already (a late event). */
  readonly holds: ReadonlyMap<string, ServiceHold>;
}

export function planServiceHold(input: ServiceHoldInput): ServiceHoldPlan {
  const { binding, service, now } = input;
  // A call time in the future is a clock skew: the hold starts no later than now.
  const at = Math.min(now, Date.parse(input.eventTime ?? '') || now);
  const until = at + input.holdMinutes * MINUTE;
  const keys = input.targets.map((target) =>
    targetKey({ id: target.id, port: target.port ?? binding.targetPort }),
  );
  const base = { part: 'service-hold' as const, mode: input.mode, keys };
  if (until <= now)
    return {
      ...base,
      decision: {
        kind: 'over',
        reason: `the hold for ${service}'s operation ended before the event arrived`,
      },
      holds: new Map(),
    };
  return {
    ...base,
    decision: {
      kind: 'hold',
      reason: `held out for ${service}'s operation until ${new Date(until).toISOString()}`,
    },
    holds: new Map(keys.map((key) => [key, { service, at, until }])),
  };
}
