/** The state claims every part's plan makes: notices to claim, records to keep or forget, topics to settle. */
import type { Alert } from './alerts.ts';

/** A report to claim in the state table; its alert goes out only if the claim lands. */
export interface NoticeClaim {
  readonly topic: string;
  readonly fingerprint: string;
  readonly alert: Alert;
  readonly remindEveryMinutes?: number | undefined;
}

/** A record the plan keeps, for as long as the condition it stands for lasts (rewritten before it expires). */
export interface Keep {
  readonly key: string;
  readonly data: unknown;
  /** How long it lasts unless rewritten; undefined: until removed. */
  readonly days?: number | undefined;
}

export interface PlanClaims {
  readonly notices: readonly NoticeClaim[];
  readonly keep: readonly Keep[];
  /** Notice topics the plan settles: the states they reported are over. */
  readonly settle: readonly string[];
  /** Records of conditions that are over. */
  readonly forget: readonly string[];
}
