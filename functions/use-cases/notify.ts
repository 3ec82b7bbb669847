/**
 * Sending alerts without losing or repeating them. A state change is claimed in the state table before its
 * alert goes out (a conditional write: of two concurrent invocations only one wins and sends); an alert SNS
 * could not take for a passing reason is parked in the binding's outbox and sent by the next invocation, one
 * it refused for good fails the invocation loudly (see `undelivered`).
 */
import { hubScope } from '../domain/accounts.ts';
import { type Alert, type RenderedAlert, renderAlert } from '../domain/alerts.ts';
import {
  decode,
  expiresIn,
  expiresSoon,
  KEY,
  type Notice,
  noticeDue,
  type OutboxRecord,
  PREFIX,
} from '../domain/state.ts';
import { AlertRefusedError, errorText, isPermanentPublishError } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import type { Deps } from './context.ts';
import type { BindingResult } from './results.ts';

/** How long a notice outlives its last report or refresh. */
const NOTICE_DAYS = 30;
/** Attempts in all for an alert SNS refused for good: the first send and two later invocations. */
const MAX_REFUSALS = 3;

export class Notifier {
  private readonly deps: Deps;
  private readonly state: BindingState;
  private readonly result: BindingResult;
  /** Alerts not sent (parked, refused or lost): the invocation must fail loudly. */
  readonly failures: Error[] = [];

  constructor(deps: Deps, state: BindingState, result: BindingResult) {
    this.deps = deps;
    this.state = state;
    this.result = result;
  }

  /** Publishes an alert whose state change was already claimed. Never throws: see `undelivered`. */
  async send(alert: Alert): Promise<void> {
    const rendered = renderAlert(alert, { home: hubScope(this.deps.config) });
    const { log } = this.deps.telemetry;
    try {
      await this.publish(this.deps.config.alerts.topicArn, rendered);
      this.result.alerts.push(alert.kind);
      this.deps.telemetry.count(METRIC.alertsSent);
      log.info('alert sent', {
        kind: alert.kind,
        severity: alert.severity,
        binding: alert.binding,
        subject: rendered.subject,
      });
    } catch (error) {
      this.deps.telemetry.count(METRIC.alertFailures);
      await this.undelivered(
        { topicArn: this.deps.config.alerts.topicArn, alert: rendered, attempts: 0, refusals: 0 },
        error,
      );
    }
  }

  /**
   * Reports a state that is left alone (approved change, pause, dry-run, a blocked repair, a failure): once
   * per distinct state (`fingerprint`), again only as a reminder. Returns whether it was sent now.
   */
  async notice(
    topic: string,
    fingerprint: string,
    alert: Alert,
    options: { remindEveryMinutes?: number | undefined } = {},
  ): Promise<boolean> {
    const now = this.deps.now();
    const key = KEY.notice(topic);
    const previous = decode.notice(this.state.data(key));
    const remind = options.remindEveryMinutes ?? this.deps.config.alerts.remindEveryMinutes;
    if (!noticeDue(previous, fingerprint, now, remind)) {
      // The state is still there: keep its notice past its TTL, or its deletion would report it again.
      if (previous && expiresSoon(this.state.expiresAt(key), now))
        await this.state.save(key, previous, expiresIn(now, NOTICE_DAYS));
      return false;
    }
    const notice: Notice = { fingerprint, sentAt: now };
    if (!(await this.state.save(key, notice, expiresIn(now, NOTICE_DAYS)))) return false;
    await this.send(alert);
    return true;
  }

  /** The notice last recorded on a topic. */
  lastNotice(topic: string): Notice | undefined {
    return decode.notice(this.state.data(KEY.notice(topic)));
  }

  /** Forgets a topic once its state is resolved, so the same state later is reported again. */
  async clearNotice(topic: string): Promise<void> {
    if (this.state.has(KEY.notice(topic))) await this.state.delete(KEY.notice(topic));
  }

  /**
   * Sends what earlier invocations could not, to the topic configured now (a deleted topic may have been
   * replaced). Each parked alert is claimed (deleted) before it is sent.
   */
  async drainOutbox(): Promise<void> {
    const topicArn = this.deps.config.alerts.topicArn;
    for (const [id, record] of this.state.withPrefix(PREFIX.outbox)) {
      const parked = decode.outbox(record.data);
      if (!(await this.state.delete(KEY.outbox(id)))) continue;
      if (!parked) continue;
      try {
        await this.publish(topicArn, parked.alert);
        this.result.alerts.push(parked.alert.attributes.kind);
        this.deps.telemetry.count(METRIC.alertsSent);
        this.deps.telemetry.log.info('parked alert sent', {
          kind: parked.alert.attributes.kind,
          attempts: parked.attempts + 1,
        });
      } catch (error) {
        await this.undelivered({ ...parked, topicArn }, error);
      }
    }
  }

  /** One SNS Publish; in an operator's preview, only noted as an alert that would go out. */
  private async publish(topicArn: string, alert: RenderedAlert): Promise<void> {
    if (this.deps.preview) this.deps.preview.wouldAlert.push(alert);
    else await this.deps.alerts.publish(topicArn, alert);
  }

  /**
   * An alert SNS did not take. Throttling, 5xx and timeouts: parked and retried by the next invocation for as
   * long as the outbox keeps it. A refusal no retry fixes (topic deleted, KMS key unusable, no permission,
   * a request the topic cannot take): the invocation fails with AlertRefusedError, so the function's Errors
   * alarm tells a person, and the alert is parked for at most MAX_REFUSALS attempts in all, so a quickly mended
   * topic still delivers it while a broken one does not fail every later invocation on old alerts. Past the
   * bound it is dropped, its text logged in full.
   */
  private async undelivered(record: OutboxRecord, cause: unknown): Promise<void> {
    const { log } = this.deps.telemetry;
    const { alert } = record;
    const permanent = isPermanentPublishError(cause);
    const next = {
      ...record,
      attempts: record.attempts + 1,
      refusals: (record.refusals ?? 0) + (permanent ? 1 : 0),
    };
    const facts = { kind: alert.attributes.kind, binding: alert.attributes.binding, error: errorText(cause) };
    if (!permanent) {
      log.error('alert not sent; parked in the outbox for the next invocation', facts);
      await this.park(next, cause);
      return;
    }
    this.failures.push(
      new AlertRefusedError(
        `SNS refused alert ${alert.attributes.kind} for ${alert.attributes.binding} (${errorText(cause)}): fix the topic ${record.topicArn}, its KMS key or the controller's permission to publish`,
        { cause },
      ),
    );
    if (next.refusals >= MAX_REFUSALS) {
      log.error('alert dropped: SNS refused it for good', {
        ...facts,
        refusals: next.refusals,
        subject: alert.subject,
        text: alert.text,
      });
      return;
    }
    log.error('alert refused by SNS; parked for a bounded number of attempts', {
      ...facts,
      refusals: next.refusals,
      maxRefusals: MAX_REFUSALS,
    });
    await this.park(next, cause);
  }

  private async park(record: OutboxRecord, cause: unknown): Promise<void> {
    const now = this.deps.now();
    const { alert } = record;
    const id = `${now.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      await this.state.save(KEY.outbox(id), record, expiresIn(now, 7));
      if (!isPermanentPublishError(cause))
        this.failures.push(
          new Error(
            `alert ${alert.attributes.kind} not sent (${errorText(cause)}); parked for the next invocation`,
          ),
        );
    } catch (error) {
      this.deps.telemetry.log.error('alert lost: neither sent nor parked', {
        kind: alert.attributes.kind,
        subject: alert.subject,
        error: errorText(error),
      });
      this.failures.push(
        new Error(
          `alert ${alert.attributes.kind} neither sent (${errorText(cause)}) nor parked (${errorText(error)})`,
        ),
      );
    }
  }
}
