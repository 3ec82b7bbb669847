/** Why the controller is looking: an event (with who caused it), the schedule, or an operator. */
import type { Actor } from './model.ts';

export type Trigger =
  | {
      readonly type: 'event';
      readonly eventId: string;
      readonly actor?: Actor | undefined;
      /** What the call named: ELB ARNs (a rule's listener too) and `port:N` for a listener it created. */
      readonly touched?: readonly string[] | undefined;
      /** The targets a person's DeregisterTargets took out (no port: the target group's port). */
      readonly deregistered?:
        | readonly { readonly id: string; readonly port?: number | undefined }[]
        | undefined;
    }
  | { readonly type: 'sweep' }
  | { readonly type: 'manual'; readonly by: string };

/** Who made the change, when the trigger is an event that says so. */
export function actorOf(trigger: Trigger): Actor | undefined {
  return trigger.type === 'event' ? trigger.actor : undefined;
}

/** How a drift was found when no event said who made it, for the alert's "who changed it" line. */
export function foundBy(trigger: Trigger): string | undefined {
  return trigger.type === 'manual' ? `\`alb-warden reconcile\` run by ${trigger.by}` : undefined;
}
