/**
 * An event that finds its resource already in order came late: the sweep repaired the change first. It still
 * names who made it (one follow-up, never a second page), and it forgives the event pipeline that count.
 */
import { attributionAlert, unattributedRepairs, whoMadeIt, withActor } from '../domain/attribution.ts';
import { decode, KEY, repairLogExpiry } from '../domain/state.ts';
import { forgiveUnreported } from './pipeline.ts';
import type { RepairContext } from './repair.ts';

export async function explainLateEvent(
  context: RepairContext,
  part: 'listeners' | 'health-check',
): Promise<void> {
  const { deps, binding, state, notifier, trigger } = context;
  if (trigger.type !== 'event' || !trigger.actor) return;
  if (part === 'listeners') await forgiveUnreported(deps, state);
  const now = deps.now();
  const log = decode.repairs(state.data(KEY.repairs));
  const keys = part === 'listeners' ? (['http', 'https'] as const) : (['health-check'] as const);
  const repairs = unattributedRepairs(log, keys, trigger.actor, now);
  if (repairs.length === 0) return;
  // Rewriting the log is the claim: of two copies of the same late event, only the one that lands alerts.
  const written = await state.save(
    KEY.repairs,
    withActor(log, repairs, whoMadeIt(trigger.actor)),
    repairLogExpiry(now, deps.config),
  );
  if (!written) return;
  await notifier.send(
    attributionAlert({
      binding,
      now,
      mode: deps.config.mode,
      actor: trigger.actor,
      repairs,
      approvedActors: deps.config.approvedActors,
      graceMinutes: deps.config.approvalGraceMinutes,
    }),
  );
}
