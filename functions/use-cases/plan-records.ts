/** What every executor does with a plan's state claims, whatever its part: one way each. */
import type { Keep, NoticeClaim } from '../domain/claims.ts';
import { expiresIn } from '../domain/state.ts';
import type { BindingState } from './binding-state.ts';
import type { Notifier } from './notify.ts';

/** Claims each notice; its alert goes out only if the claim lands. */
export async function claimNotices(notifier: Notifier, notices: readonly NoticeClaim[]): Promise<void> {
  for (const claim of notices) {
    await notifier.notice(claim.topic, claim.fingerprint, claim.alert, {
      remindEveryMinutes: claim.remindEveryMinutes,
    });
  }
}

/** Writes the records a plan keeps, each with its lifetime (none: kept until removed). */
export async function keepRecords(state: BindingState, now: number, keep: readonly Keep[]): Promise<void> {
  for (const record of keep)
    await state.save(
      record.key,
      record.data,
      record.days === undefined ? undefined : expiresIn(now, record.days),
    );
}

/** Clears the notices of states that are over: the same state, if it comes back, is news again. */
export async function settle(notifier: Notifier, topics: readonly string[]): Promise<void> {
  for (const topic of topics) await notifier.clearNotice(topic);
}
