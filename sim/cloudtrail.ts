/**
 * How recorded CloudTrail events reach EventBridge. AWS delivers them "on a best effort basis": an event
 * may come late, out of order, more than once or never
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-delivery-level.html).
 * By default every event is released at once; delivery rules delay, drop or duplicate chosen events,
 * and a delayed event is released once the clock passes its eventTime plus the delay.
 */
import type { EventBridgeEvent, EventLog } from './events.ts';
import { uuid } from './ids.ts';

export interface DeliveryRule {
  /** The CloudTrail eventName it applies to; every event when absent. */
  readonly eventName?: string;
  readonly delayMs: number;
  readonly drop: boolean;
  /** Extra copies delivered with the event (EventBridge ids differ, the CloudTrail eventID is the same). */
  readonly duplicates: number;
  /** How many more events it applies to; unlimited when absent. */
  remaining?: number;
}

interface Pending {
  readonly releaseAt: number;
  readonly sequence: number;
  readonly event: EventBridgeEvent;
}

/** Thrown for a delivery rule the simulator cannot honour; the message names the bad field. */
export class DeliveryRuleError extends Error {
  override readonly name = 'DeliveryRuleError';
}

const FIELDS = ['eventName', 'delayMs', 'drop', 'duplicates', 'count', 'clear'];

export class CloudTrailDelivery {
  readonly #rules: DeliveryRule[] = [];
  #pending: Pending[] = [];
  #sequence = 0;
  #dropped = 0;

  /** Applies a control-API body: a rule `{eventName?, delayMs?, drop?, duplicates?, count?}` or `{clear: true}`. */
  configure(body: Record<string, unknown>): void {
    const unknown = Object.keys(body).filter((key) => !FIELDS.includes(key));
    if (unknown.length > 0) {
      throw new DeliveryRuleError(`unknown field(s) ${unknown.join(', ')}; known: ${FIELDS.join(', ')}`);
    }
    if (body.clear === true) {
      this.#rules.length = 0;
      if (Object.keys(body).length === 1) return;
    }
    const { eventName, delayMs = 0, drop = false, duplicates = 0, count } = body;
    if (
      eventName !== undefined &&
      (typeof eventName !== 'string' || !/^[A-Z][A-Za-z0-9]+$/.test(eventName))
    ) {
      throw new DeliveryRuleError(
        `eventName must be an API action name such as ModifyListener, got ${JSON.stringify(eventName)}`,
      );
    }
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new DeliveryRuleError(`delayMs must be a non-negative number, got ${JSON.stringify(delayMs)}`);
    }
    if (typeof drop !== 'boolean')
      throw new DeliveryRuleError(`drop must be a boolean, got ${JSON.stringify(drop)}`);
    if (typeof duplicates !== 'number' || !Number.isInteger(duplicates) || duplicates < 0) {
      throw new DeliveryRuleError(
        `duplicates must be a non-negative integer, got ${JSON.stringify(duplicates)}`,
      );
    }
    if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) {
      throw new DeliveryRuleError(`count must be a positive integer, got ${JSON.stringify(count)}`);
    }
    // The newest rule wins: a rule for one call is added over a standing delay.
    this.#rules.unshift({
      ...(eventName === undefined ? {} : { eventName }),
      delayMs,
      drop,
      duplicates,
      ...(count === undefined ? {} : { remaining: count }),
    });
  }

  /** Hands a recorded event to EventBridge as the matching rule says; `at` is its eventTime. */
  deliver(event: EventBridgeEvent, eventName: string, at: number, log: EventLog, now: number): void {
    const rule = this.#rules.find((candidate) => (candidate.eventName ?? eventName) === eventName);
    if (rule?.remaining !== undefined) {
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.#rules.splice(this.#rules.indexOf(rule), 1);
    }
    if (rule?.drop) {
      this.#dropped += 1;
      return;
    }
    const releaseAt = at + (rule?.delayMs ?? 0);
    const copies = [
      event,
      ...Array.from({ length: rule?.duplicates ?? 0 }, () => ({ ...event, id: uuid() })),
    ];
    for (const copy of copies) this.#pending.push({ releaseAt, sequence: this.#sequence++, event: copy });
    this.release(now, log);
  }

  /** Moves every event due by `now` to the log, earliest release first. */
  release(now: number, log: EventLog): void {
    const due = this.#pending
      .filter((entry) => entry.releaseAt <= now)
      .sort((a, b) => a.releaseAt - b.releaseAt || a.sequence - b.sequence);
    if (due.length === 0) return;
    this.#pending = this.#pending.filter((entry) => entry.releaseAt > now);
    for (const entry of due) log.append(entry.event);
  }

  state(): {
    rules: DeliveryRule[];
    pending: { eventName: unknown; eventTime: unknown; releaseAt: string }[];
    dropped: number;
  } {
    return {
      rules: this.#rules.map((rule) => ({ ...rule })),
      pending: this.#pending.map((entry) => ({
        eventName: entry.event.detail.eventName,
        eventTime: entry.event.detail.eventTime,
        releaseAt: new Date(entry.releaseAt).toISOString(),
      })),
      dropped: this.#dropped,
    };
  }
}
