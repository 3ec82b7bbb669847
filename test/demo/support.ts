/** Reading the simulator's records for the demo's tests: published alerts, CloudTrail, call counts. */
import type { CallCounts, SimControl } from '../../sim/control.ts';

export interface PublishedAlert {
  readonly subject: string;
  readonly kind: string;
  readonly severity: string;
  readonly text: string;
}

export async function alertsOf(control: SimControl, topicArn: string): Promise<PublishedAlert[]> {
  const { messages } = await control.sns();
  return messages
    .filter((message) => message.topicArn === topicArn)
    .map((message) => ({
      subject: message.subject ?? '',
      kind: message.messageAttributes.kind?.Value ?? '',
      severity: message.messageAttributes.severity?.Value ?? '',
      text: (JSON.parse(message.message) as { email: string }).email,
    }));
}

/** The successful ELB write calls CloudTrail attributes to the controller's role, in order. */
export async function controllerCalls(control: SimControl, roleArn: string): Promise<string[]> {
  const { events } = await control.events(0);
  return events
    .filter((event) => event['detail-type'] === 'AWS API Call via CloudTrail')
    .filter((event) => event.detail.errorCode === undefined)
    .filter((event) => {
      const identity = event.detail.userIdentity as { sessionContext?: { sessionIssuer?: { arn?: string } } };
      return identity.sessionContext?.sessionIssuer?.arn === roleArn;
    })
    .map((event) => String(event.detail.eventName));
}

const READ = /^(Describe|List|Get|Query|Scan|BatchGet)/;

/** Write calls made between two snapshots of the call counter, as `service Action ×n`. */
export function mutatingCalls(before: CallCounts, after: CallCounts): string[] {
  return Object.entries(after).flatMap(([service, actions]) =>
    Object.entries(actions)
      .map(
        ([action, count]) =>
          [
            action,
            count - ((before as Record<string, Record<string, number>>)[service]?.[action] ?? 0),
          ] as const,
      )
      .filter(([action, delta]) => delta > 0 && !READ.test(action))
      .map(([action, delta]) => `${service} ${action} ×${delta}`),
  );
}
