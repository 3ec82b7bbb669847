/**
 * The registration part of a binding's plan, as a value: from what was observed (instances, targets, the
 * controller's ownership records, holds) and the mode, the decision with its reason, the AWS steps (register,
 * then deregister), the notice to claim and the records to keep or forget. `status`, a dry-run and an
 * enforcing sweep compute this same value; only an enforcing executor makes its AWS calls. Pure.
 */
import { registrationFailedAlert } from './alert-kinds.ts';
import type { PlanClaims } from './claims.ts';
import { type Target, type TargetHealth, targetKey } from './model.ts';
import { settledBy, TOPIC } from './notices.ts';
import { planRegistration, type RegistrationInput, type RegistrationPlan } from './registration.ts';
import type { Mode } from './settings.ts';
import { decode, KEY } from './state.ts';

/** An ownership record younger than this may belong to a registration this sweep could not see yet. */
const OWNERSHIP_GRACE_MS = 10 * 60_000;

export type RegistrationStep =
  | {
      readonly type: 'register';
      readonly targets: readonly Target[];
      /** Per instance id, the run (launch time) its ownership is recorded for. */
      readonly launches: ReadonlyMap<string, string>;
    }
  | { readonly type: 'deregister'; readonly targets: readonly Target[] };

export interface RegistrationPartPlan extends PlanClaims {
  readonly part: 'registration';
  readonly mode: Mode;
  readonly decision: {
    readonly kind: 'in-sync' | 'apply' | 'would-apply' | 'blocked';
    readonly reason: string;
  };
  /** The keyed three-way diff the decision rests on. */
  readonly diff: RegistrationPlan;
  readonly steps: readonly RegistrationStep[];
  /** Ownership records of targets that left the group another way (by hand, terminated long ago). */
  readonly forgetOwned: readonly string[];
}

export interface RegistrationObservation extends RegistrationInput {
  /** The controller's ownership records, by `id:port`, when they were read (only for targets outside the selector). */
  readonly ownership?: ReadonlyMap<string, { readonly data: unknown }> | undefined;
  /** Set when the target group's VPC was read now: it is remembered so no sweep asks twice. */
  readonly newVpc?: { readonly meta: object; readonly vpcId: string } | undefined;
}

export interface RegistrationPlanInput {
  readonly observed: RegistrationObservation;
  readonly mode: Mode;
  readonly now: number;
}

export function planRegistrationPart({ observed, mode, now }: RegistrationPlanInput): RegistrationPartPlan {
  const { binding } = observed;
  const diff = planRegistration(observed);
  const base = {
    part: 'registration' as const,
    mode,
    diff,
    keep: observed.newVpc
      ? [{ key: KEY.meta, data: { ...observed.newVpc.meta, targetGroupVpcId: observed.newVpc.vpcId } }]
      : [],
    forget: diff.releasedHolds.map(KEY.hold),
    forgetOwned: [],
    steps: [],
    notices: [],
    settle: [],
  };
  if (diff.withheld) {
    const { reason, detail } = diff.withheld;
    const alert = registrationFailedAlert({
      binding,
      now,
      mode,
      critical: true,
      headline:
        reason === 'safety-limit'
          ? 'deregistrations withheld by the safety limit'
          : 'the instance selector matches nothing',
      detail,
    });
    return {
      ...base,
      decision: { kind: 'blocked', reason: detail },
      notices: [{ topic: TOPIC.withheld, fingerprint: reason, alert }],
    };
  }
  const waiting = waitingOnes(diff);
  if (diff.toRegister.length === 0 && diff.toDeregister.length === 0) {
    return {
      ...base,
      decision: {
        kind: 'in-sync',
        reason: waiting ? `nothing to do now; ${waiting}` : 'every running matching instance is a target',
      },
      forgetOwned: staleOwnership(observed, now),
      settle: settledBy('registration'),
    };
  }
  const steps: RegistrationStep[] = [];
  if (diff.toRegister.length > 0) {
    const launches = new Map(
      observed.matching.map((instance) => [instance.id, instance.launchTime ?? UNKNOWN_LAUNCH]),
    );
    steps.push({ type: 'register', targets: diff.toRegister, launches });
  }
  if (diff.toDeregister.length > 0)
    steps.push({ type: 'deregister', targets: diff.toDeregister.map((entry) => entry.target) });
  const counts = `${diff.toRegister.length} to register, ${diff.toDeregister.length} to deregister`;
  const what = waiting ? `${counts}; ${waiting}` : counts;
  return mode === 'enforce'
    ? { ...base, decision: { kind: 'apply', reason: what }, steps }
    : {
        ...base,
        decision: { kind: 'would-apply', reason: `dry-run mode: ${what}, nothing is changed` },
        steps,
      };
}

/** The run of an instance whose launch time is not known. */
export const UNKNOWN_LAUNCH = 'unknown-launch';

function staleOwnership(observed: RegistrationObservation, now: number): string[] {
  if (!observed.ownership) return [];
  const registered = new Set(
    observed.registered.filter((target: TargetHealth) => target.state !== 'draining').map(targetKey),
  );
  return [...observed.ownership]
    .filter(([key, record]) => {
      const owned = decode.owned(record.data);
      return !registered.has(key) && (!owned || now - owned.registeredAt > OWNERSHIP_GRACE_MS);
    })
    .map(([key]) => KEY.owned(key));
}

/** The missing targets that wait (held, draining, left for the sweep), counted; '' when none does. */
function waitingOnes(diff: RegistrationPlan): string {
  const waiting = [
    [diff.held.length, 'held by the service that took them out'],
    [diff.draining.length, 'draining before anyone knows who deregistered them'],
    [diff.leftForSweep.length, 'left for the sweep to ask event history'],
  ] as const;
  const parts = waiting.filter(([count]) => count > 0).map(([count, what]) => `${count} ${what}`);
  return parts.length === 0 ? '' : `missing: ${parts.join(', ')}`;
}
