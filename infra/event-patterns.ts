/**
 * The event patterns of the controller's EventBridge rules, as plain data in EventBridge's own JSON form:
 * the Warden stack deploys them, and the simulated worlds route the simulator's events with them.
 */
import { GUARDED_EVENT_NAMES, SPOT_INSTANCE_ACTIONS } from '../functions/domain/events.ts';
import { INSTANCE_STATES as ALL_INSTANCE_STATES } from '../functions/domain/model.ts';

/**
 * EC2 states the register function acts on: the code's own list, less `pending` (register ignores it; the
 * `running` event follows), so those events are never delivered at all.
 */
export const INSTANCE_STATES = ALL_INSTANCE_STATES.filter((state) => state !== 'pending');

/**
 * EC2 instance state changes and Spot interruption warnings, to the register function: a state change
 * carries `state`, a warning `instance-action` (both parsed in functions/domain/events.ts).
 */
export const INSTANCE_STATE_PATTERN = {
  source: ['aws.ec2'],
  'detail-type': ['EC2 Instance State-change Notification', 'EC2 Spot Instance Interruption Warning'],
  detail: { $or: [{ state: [...INSTANCE_STATES] }, { 'instance-action': [...SPOT_INSTANCE_ACTIONS] }] },
} as const;

/** Successful ELB API calls the guard acts on, by anyone but the controller's roles, to the guard function. */
export function apiCallPattern(controllerRoleArns: readonly string[]) {
  return {
    source: ['aws.elasticloadbalancing'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['elasticloadbalancing.amazonaws.com'],
      // The CloudTrail event names the guard's router handles (functions/domain/events.ts).
      eventName: [...GUARDED_EVENT_NAMES],
      errorCode: [{ exists: false }],
      // An IAM user or the root user has no session issuer: `anything-but` alone would not match a field
      // that is absent, so absence is matched explicitly.
      $or: [
        {
          userIdentity: {
            sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [...controllerRoleArns] }] } },
          },
        },
        { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } } },
      ],
    },
  } as const;
}

export type RuleTarget = 'register' | 'guard';

/** The deployed event rules: which function each pattern delivers to. */
export function eventRules(
  controllerRoleArns: readonly string[],
): readonly { readonly target: RuleTarget; readonly pattern: Readonly<Record<string, unknown>> }[] {
  return [
    { target: 'register', pattern: INSTANCE_STATE_PATTERN },
    { target: 'guard', pattern: apiCallPattern(controllerRoleArns) },
  ];
}
