/**
 * What the demo checks each step against: AWS's own answers (DescribeListeners, DescribeRules,
 * DescribeTargetHealth) through the observer's clients, and the simulator's records (published SNS messages,
 * CloudTrail events, call counts). Never the controller's result objects.
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Stage } from './stage.ts';

export interface ListenerView {
  readonly port: number;
  readonly protocol: string;
  readonly arn: string;
  readonly action: string;
}

export interface TargetView {
  readonly id: string;
  readonly port: number;
  readonly state: string;
  readonly reason?: string | undefined;
}

export interface AlertView {
  readonly subject: string;
  readonly kind: string;
  readonly severity: string;
  /** What an email subscriber reads (the message's `email` entry). */
  readonly text: string;
}

export interface ApiCallView {
  readonly eventName: string;
  readonly actor: string;
  readonly issuer?: string | undefined;
  readonly failed: boolean;
}

/** The redirect the seed configures and the controller must keep, as AWS reports it. */
export const EXPECTED_REDIRECT = 'redirect HTTP_301 to HTTPS:443 #{host} /#{path} ?#{query}';

export function describeAction(actions: readonly Action[] | undefined): string {
  const [action, ...more] = actions ?? [];
  if (!action) return 'no action';
  const extra = more.length > 0 ? ` (+${more.length} more)` : '';
  switch (action.Type) {
    case 'redirect': {
      const r = action.RedirectConfig;
      return `redirect ${r?.StatusCode} to ${r?.Protocol}:${r?.Port} ${r?.Host} ${r?.Path} ?${r?.Query}${extra}`;
    }
    case 'forward': {
      const arn = action.TargetGroupArn ?? action.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn ?? '?';
      return `forward to ${arn.split('/')[1] ?? arn}${extra}`;
    }
    case 'fixed-response':
      return `fixed-response ${action.FixedResponseConfig?.StatusCode}${extra}`;
    default:
      return `${action.Type}${extra}`;
  }
}

export class Observer {
  readonly #stage: Stage;

  constructor(stage: Stage) {
    this.#stage = stage;
  }

  async listeners(): Promise<ListenerView[]> {
    const { elbv2 } = this.#stage.observer;
    const output = await elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: this.#stage.seed.loadBalancerArn }),
    );
    return (output.Listeners ?? [])
      .map((listener) => ({
        port: listener.Port ?? 0,
        protocol: listener.Protocol ?? '',
        arn: listener.ListenerArn ?? '',
        action: describeAction(listener.DefaultActions),
      }))
      .sort((a, b) => a.port - b.port);
  }

  async listener(port: number): Promise<ListenerView | undefined> {
    return (await this.listeners()).find((listener) => listener.port === port);
  }

  /** The rules of the HTTP:80 listener other than its default rule. */
  async httpRules(): Promise<{ priority: string; action: string; arn: string }[]> {
    const http = await this.listener(80);
    if (!http) return [];
    const output = await this.#stage.observer.elbv2.send(new DescribeRulesCommand({ ListenerArn: http.arn }));
    return (output.Rules ?? [])
      .filter((rule) => !rule.IsDefault)
      .map((rule) => ({
        priority: rule.Priority ?? '',
        action: describeAction(rule.Actions),
        arn: rule.RuleArn ?? '',
      }));
  }

  /** Registered targets, draining ones left out (they are on their way out). */
  async targets(): Promise<TargetView[]> {
    const output = await this.#stage.observer.elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: this.#stage.seed.targetGroupArn }),
    );
    return (output.TargetHealthDescriptions ?? [])
      .map((description) => ({
        id: description.Target?.Id ?? '',
        port: description.Target?.Port ?? 0,
        state: description.TargetHealth?.State ?? '',
        reason: description.TargetHealth?.Reason,
      }))
      .filter((target) => target.state !== 'draining')
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Every message published to the alert topic so far, as subscribers receive it. */
  async alerts(): Promise<AlertView[]> {
    const { messages } = await this.#stage.simulator.control.sns();
    return messages
      .filter((message) => message.topicArn === this.#stage.topicArn)
      .map((message) => {
        const body = parseMessage(message.message, message.messageStructure);
        return {
          subject: message.subject ?? '',
          kind: message.messageAttributes.kind?.Value ?? '',
          severity: message.messageAttributes.severity?.Value ?? '',
          text: body,
        };
      });
  }

  /** CloudTrail's record of ELB write calls, as the simulator emitted them to EventBridge. */
  async apiCalls(): Promise<ApiCallView[]> {
    const { events } = await this.#stage.simulator.control.events(0);
    return events
      .filter((event) => event['detail-type'] === 'AWS API Call via CloudTrail')
      .map((event) => {
        const identity = event.detail.userIdentity as
          | { arn?: string; sessionContext?: { sessionIssuer?: { arn?: string } } }
          | undefined;
        return {
          eventName: String(event.detail.eventName),
          actor: identity?.arn ?? 'unknown',
          issuer: identity?.sessionContext?.sessionIssuer?.arn,
          failed: event.detail.errorCode !== undefined,
        };
      });
  }
}

function parseMessage(message: string, structure: string | null): string {
  if (structure !== 'json') return message;
  try {
    const entries = JSON.parse(message) as Record<string, unknown>;
    const text = entries.email ?? entries.default;
    return typeof text === 'string' ? text : message;
  } catch {
    return message;
  }
}
