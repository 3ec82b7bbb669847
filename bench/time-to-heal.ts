/**
 * Figure 8: what the approval design costs in time to heal when the sweep finds drift before any event
 * (the CloudTrail event late or lost). A sweep runs every simulated minute after the change; time is the
 * simulator's clock, so nothing waits for real. CloudTrail's event history shows a call `historyDelay` after
 * it (5 min, AWS's documented average, by default). Cases: no approvedActors; approvedActors with the grace
 * alone (no event history lookup); approvedActors with the lookup; and an approved actor's own change, with
 * and without the lookup.
 */
import type { Deps } from '../functions/use-cases/context.ts';
import { sweep } from '../functions/use-cases/sweep.ts';
import { driftEvent } from './events.ts';
import { converge, startWorld } from './world.ts';

const GRACE_MINUTES = 10;
const MAX_SWEEPS = 20;
/** The person's role: approved in the cases that say so, a deployment role otherwise. */
const PERSON_ROLE = 'arn:aws:iam::*:role/AdministratorAccess';
const DEPLOY_ROLE = 'arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*';

export interface HealCase {
  readonly case: string;
  readonly approvedActors: boolean;
  readonly lookup: boolean;
  readonly changeBy: 'approved actor' | 'person';
  /** What the sweeps did: `repaired` the change, or `accepted` it (reported, left alone). */
  readonly outcome: 'repaired' | 'accepted' | 'undecided';
  /** Minutes from the change to the sweep that decided (sweep every minute; upper bound). */
  readonly minutes: number | null;
  readonly lookups: number;
}

export interface TimeToHeal {
  readonly sweepEveryMinutes: 1;
  readonly approvalGraceMinutes: number;
  readonly historyDelayMinutes: number;
  readonly cases: readonly HealCase[];
}

const CASES = [
  { case: 'no approvedActors', approvedActors: false, lookup: true, changeBy: 'person' },
  { case: 'approvedActors, grace only', approvedActors: true, lookup: false, changeBy: 'person' },
  { case: 'approvedActors, event history lookup', approvedActors: true, lookup: true, changeBy: 'person' },
  { case: 'approved change, grace only', approvedActors: true, lookup: false, changeBy: 'approved actor' },
  {
    case: 'approved change, event history lookup',
    approvedActors: true,
    lookup: true,
    changeBy: 'approved actor',
  },
] as const;

export async function measureTimeToHeal(): Promise<TimeToHeal> {
  const cases: HealCase[] = [];
  let historyDelayMinutes = 0;
  for (const spec of CASES) {
    const approvedActors = !spec.approvedActors
      ? []
      : spec.changeBy === 'approved actor'
        ? [PERSON_ROLE]
        : [DEPLOY_ROLE];
    const world = await startWorld({
      bindings: 1,
      instancesPerBinding: 2,
      config: { approvedActors, approvalGraceMinutes: GRACE_MINUTES },
    });
    try {
      historyDelayMinutes = (await world.control.eventHistory()).delayMs / 60_000;
      let offset = (await world.control.clock(0)).offsetMs;
      const real = world.deps({ apiShare: 1 }, { now: () => Date.now() + offset });
      const lookups = { count: 0 };
      const deps: Deps = spec.lookup ? counting(real, lookups) : { ...real, history: undefined };
      await converge(world, deps);
      // The listener was created minutes before it is changed, and a sweep saw it in order in between.
      offset = (await world.control.clock(5 * 60_000)).offsetMs;
      await sweep(deps);
      lookups.count = 0;
      const [binding] = world.bindings;
      if (!binding) throw new Error('no binding');
      await driftEvent(world, binding);
      let outcome: HealCase['outcome'] = 'undecided';
      let minutes: number | null = null;
      for (let minute = 1; minute <= MAX_SWEEPS && outcome === 'undecided'; minute++) {
        offset = (await world.control.clock(60_000)).offsetMs;
        const result = await sweep(deps);
        const seen = result.bindings[0]?.listeners?.outcome;
        if (seen === 'repaired' || seen === 'reported' || seen === 'accepted') {
          outcome = seen === 'repaired' ? 'repaired' : 'accepted';
          minutes = minute;
        }
      }
      cases.push({ ...spec, outcome, minutes, lookups: lookups.count });
    } finally {
      await world.stop();
    }
  }
  return { sweepEveryMinutes: 1, approvalGraceMinutes: GRACE_MINUTES, historyDelayMinutes, cases };
}

/** The deps with their event history lookups counted. */
function counting(deps: Deps, lookups: { count: number }): Deps {
  const history = deps.history;
  if (!history) return deps;
  return {
    ...deps,
    history: {
      changesTo: (...args) => {
        lookups.count += 1;
        return history.changesTo(...args);
      },
    },
  };
}
