/**
 * Sending alerts without losing or repeating them. A state change is claimed in the state table before its
 * alert goes out (a conditional write: of two concurrent invocations only one wins and sends); an alert that
 * SNS refuses is parked in the binding's outbox and sent by the next invocation.
 */
import { type Alert, type RenderedAlert, renderAlert } from '../domain/alerts.ts';
import { decode, expiresIn, KEY, type Notice, noticeDue, PREFIX } from '../domain/state.ts';
import { errorText } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import type { BindingState } from './binding-state.ts';
import type { Deps } from './context.ts';
import type { BindingResult } from './results.ts';

export class Notifier {
  private readonly deps: Deps;
  private readonly state: BindingState;
  private readonly result: BindingResult;
  /** Alerts that could not be sent or parked: the invocation must fail loudly. */
  readonly failures: Error[] = [];

  constructor(deps: Deps, state: BindingState, result: BindingResult) {
    this.deps = deps;
    this.state = state;
    this.result = result;
  }

  /** Publishes an alert whose state change was already claimed. Never throws: failures are parked. */
  async send(alert: Alert): Promise<void> {
    const rendered = renderAlert(alert);
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
      log.error('alert not sent; parked in the outbox for the next invocation', {
        kind: alert.kind,
        binding: alert.binding,
        error: errorText(error),
      });
      await this.park(rendered, 1, error);
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
    if (!noticeDue(previous, fingerprint, now, remind)) return false;
    const notice: Notice = { fingerprint, sentAt: now };
    if (!(await this.state.save(key, notice, expiresIn(now, 30)))) return false;
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

  /** Sends what earlier invocations could not. Each parked alert is claimed (deleted) before it is sent. */
  async drainOutbox(): Promise<void> {
    for (const [id, record] of this.state.withPrefix(PREFIX.outbox)) {
      const parked = decode.outbox(record.data);
      if (!(await this.state.delete(KEY.outbox(id)))) continue;
      if (!parked) continue;
      try {
        await this.publish(parked.topicArn, parked.alert);
        this.result.alerts.push(parked.alert.attributes.kind);
        this.deps.telemetry.count(METRIC.alertsSent);
        this.deps.telemetry.log.info('parked alert sent', {
          kind: parked.alert.attributes.kind,
          attempts: parked.attempts + 1,
        });
      } catch (error) {
        await this.park(parked.alert, parked.attempts + 1, error);
      }
    }
  }

  /** One SNS Publish; in an operator's preview, only noted as an alert that would go out. */
  private async publish(topicArn: string, alert: RenderedAlert): Promise<void> {
    if (this.deps.preview) this.deps.preview.wouldAlert.push(alert);
    else await this.deps.alerts.publish(topicArn, alert);
  }

  private async park(alert: RenderedAlert, attempts: number, cause: unknown): Promise<void> {
    const now = this.deps.now();
    const id = `${now.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      await this.state.save(
        KEY.outbox(id),
        { topicArn: this.deps.config.alerts.topicArn, alert, attempts },
        expiresIn(now, 7),
      );
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
