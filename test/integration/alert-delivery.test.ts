/**
 * Delivering alerts through the simulated SNS: FIFO topics (message group, deduplication of an alert sent
 * again after a lost response), permanent Publish errors (a deleted topic, a disabled KMS key) and what the
 * NoHealthyTargets alert tells the on-call.
 */
import { CreateTopicCommand, DeleteTopicCommand } from '@aws-sdk/client-sns';
import { afterEach, expect, it } from 'vitest';
import type { AlertPublisher } from '../../functions/ports.ts';
import { AlertsRefusedError, InvocationIncompleteError } from '../../functions/use-cases/binding-run.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { simulatorOnly } from './harness.ts';
import { launchWebFleet, startWarden, type Warden } from './warden.ts';

/** Skipped against another endpoint (WARDEN_IT_ENDPOINT): they set target health and read messages through the control API. */

const ACCOUNT = '123456789012';
const REGION = 'ap-northeast-2';
const FIFO_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alb-warden-alerts.fifo`;

let warden: Warden;
afterEach(() => warden.stop());

const control = () => {
  if (!warden.world.control) throw new Error('needs the simulator');
  return warden.world.control;
};

/** Three registered instances past their initial health check; `unhealthy` of them fail their checks. */
async function fleet(unhealthy: number, topicArn?: string): Promise<string[]> {
  warden = await startWarden(topicArn ? { alerts: { topicArn, stateTable: 'alb-warden-alert-state' } } : {});
  if (topicArn)
    await warden.world.clients.sns.send(
      new CreateTopicCommand({ Name: 'alb-warden-alerts.fifo', Attributes: { FifoTopic: 'true' } }),
    );
  const ids = await launchWebFleet(warden, 3);
  for (const id of ids.slice(0, unhealthy))
    await control().targetHealth({
      targetGroupArn: warden.seed.targetGroupArn,
      targetId: id,
      state: 'unhealthy',
    });
  return ids;
}

/** A publisher whose responses are lost: SNS takes the message, the controller sees a timeout. */
function losingResponses(real: AlertPublisher, count: number): AlertPublisher {
  let left = count;
  return {
    async publish(topicArn, alert) {
      await real.publish(topicArn, alert);
      if (left-- > 0) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    },
  };
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

simulatorOnly('a FIFO alert topic', () => {
  it('gets the binding as message group, and a copy re-sent after a lost response is not delivered twice', async () => {
    await fleet(1, FIFO_TOPIC);
    const lossy = { ...warden.deps, alerts: losingResponses(warden.deps.alerts, 1) };

    await sweep(lossy);
    const lost = await outcome(sweep(lossy));
    const resent = await outcome(sweep(lossy));

    expect(lost).toBeInstanceOf(InvocationIncompleteError);
    expect(resent).toBeUndefined();
    const { messages } = await control().sns();
    expect(messages.map((message) => [message.topicArn, message.messageGroupId])).toEqual([
      [FIFO_TOPIC, 'web'],
    ]);
    expect(messages[0]?.messageAttributes.kind?.Value).toBe('TargetUnhealthy');
    expect(warden.telemetry.logs.map((log) => log.message)).toContain('parked alert sent');
  });

  it('a standard topic delivers the same re-sent copy twice (no deduplication id is sent to it)', async () => {
    await fleet(1);
    const lossy = { ...warden.deps, alerts: losingResponses(warden.deps.alerts, 1) };

    await sweep(lossy);
    await outcome(sweep(lossy));
    await sweep(lossy);

    const { messages } = await control().sns();
    expect(messages.map((message) => message.messageAttributes.kind?.Value)).toEqual([
      'TargetUnhealthy',
      'TargetUnhealthy',
    ]);
    expect(messages[0]).not.toHaveProperty('messageGroupId');
  });
});

simulatorOnly('an alert topic SNS refuses for good', () => {
  it('a deleted topic fails the sweep as not transient, three times at most for the same alert', async () => {
    await fleet(1);
    await warden.world.clients.sns.send(new DeleteTopicCommand({ TopicArn: warden.config.alerts.topicArn }));

    const errors = [];
    for (let round = 0; round < 5; round++) errors.push(await outcome(warden.sweep()));

    // Sweep 1 only counts the first bad observation; 2–4 try the alert; then it is dropped.
    expect(errors.map((error) => (error as Error | undefined)?.name)).toEqual([
      undefined,
      'AlertsRefusedError',
      'AlertsRefusedError',
      'AlertsRefusedError',
      undefined,
    ]);
    expect((errors[1] as AlertsRefusedError).message).toMatch(
      /SNS refused alert TargetUnhealthy for web .*NotFound: Topic does not exist/,
    );
    expect(
      warden.telemetry.logs.some((log) => log.message === 'alert dropped: SNS refused it for good'),
    ).toBe(true);
  });

  it('a disabled KMS key refuses the alert until it is enabled again, then the alert goes out', async () => {
    await fleet(1);
    await warden.sweep();
    await control().faults({ service: 'sns', action: 'Publish', error: 'KMSDisabled', count: 1 });

    const refused = await outcome(warden.sweep());
    const mended = await outcome(warden.sweep());

    expect(refused).toBeInstanceOf(AlertsRefusedError);
    expect(mended).toBeUndefined();
    expect((await warden.alerts()).map((alert) => alert.kind)).toEqual(['TargetUnhealthy']);
  });
});

simulatorOnly('NoHealthyTargets', () => {
  it('says the load balancer fails open to every registered target', async () => {
    await fleet(3);
    for (let round = 0; round < 3; round++) await warden.sweep();

    const alert = (await warden.alerts()).find((candidate) => candidate.kind === 'NoHealthyTargets');

    expect(alert?.subject).toBe('[CRITICAL] web: no healthy target in web-8080');
    expect(alert?.text).toContain('has 3 registered targets and none is healthy.');
    expect(alert?.text).toContain(
      'fails open: with no healthy target it sends requests to all registered targets',
    );
    expect(alert?.text).not.toContain('cannot serve the site');
  });
});
