/** Alerts about a member account and region as a whole, rather than one of its bindings. */
import type { MemberUnreachableInput } from './alert-kinds.ts';
import { type Alert, clean, formatTime } from './alerts.ts';
import { DISCOVERY_TAG } from './discovery.ts';

export interface MemberDiscoveryFailedInput extends Omit<MemberUnreachableInput, 'bindings'> {
  /** The bindings discovered there before, still guarded. */
  readonly kept: readonly string[];
}

/**
 * The hub reached a member but could not read its tags (the role lacks `tag:GetResources`, say): nothing new
 * is found there, what was found before is still guarded.
 */
export function memberDiscoveryFailedAlert(input: MemberDiscoveryFailedInput): Alert {
  const kept = input.kept.map((name) => clean(name, 32));
  return {
    kind: 'DiscoveryProblem',
    severity: 'warning',
    binding: `${input.account}/${input.region}`,
    time: formatTime(input.now),
    headline: `discovery failed with role ${clean(input.roleArn.split('/').pop(), 64)}`,
    lines: [
      `The hub assumed ${clean(input.roleArn)} in account ${input.account}, region ${input.region}, but could not read the load balancers' tags there, so no load balancer tagged since is guarded.`,
      `AWS said: ${clean(input.error.code ?? 'error', 64)}: ${clean(input.error.message, 600)}`,
      kept.length > 0
        ? `Still guarded, as discovered before: ${kept.join(', ')}.`
        : 'Nothing was discovered there before.',
      `Check that the member role allows tag:GetResources (the member stack's role does), then wait for the next sweep. The tags read are ${Object.values(DISCOVERY_TAG).join(', ')}. Other accounts and regions are not affected.`,
    ],
    loadBalancerArn: '',
    targetGroupArn: '',
    mode: input.mode,
    details: {
      account: input.account,
      region: input.region,
      roleArn: input.roleArn,
      kept,
      error: input.error,
    },
  };
}
