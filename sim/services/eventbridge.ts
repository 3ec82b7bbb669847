/**
 * EventBridge rules and targets on the default event bus: what routes events to the controller's functions.
 * Rules are ENABLED unless created otherwise; a target may carry its dead-letter queue.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html
 *
 * Rules whose target is another account's or region's event bus forward the events they match there
 * (sim/accounts.ts), if that bus's resource policy allows the sender; the policy is set with PutPermission.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AwsError } from '../errors.ts';
import { type EventPattern, matchesEventPattern } from '../event-pattern.ts';
import type { EventBridgeEvent } from '../events.ts';
import type { Call, Environment } from './context.ts';
import { type JsonBody, objectList, optionalString, requiredString } from './json-input.ts';

interface Rule {
  readonly name: string;
  readonly arn: string;
  eventPattern: string | undefined;
  scheduleExpression: string | undefined;
  description: string | undefined;
  state: 'ENABLED' | 'DISABLED';
  readonly targets: Map<string, JsonBody>;
}

type Handler = (body: JsonBody, call: Call) => JsonBody;

/** `arn:aws:events:REGION:ACCOUNT:event-bus/NAME` */
export const EVENT_BUS_ARN = /^arn:aws:events:([a-z0-9-]+):(\d{12}):event-bus\/([.\-_A-Za-z0-9/]+)$/;

/** One attempt to forward an event to another bus, as the sender's bus made it. */
export interface Forwarding {
  readonly rule: string;
  readonly targetArn: string;
  readonly eventId: string;
  readonly delivered: boolean;
  /** Why it was not delivered. */
  readonly reason?: string;
}

interface BusStatement {
  readonly Sid: string;
  readonly [key: string]: unknown;
}

export class EventBridgeService {
  readonly #env: Environment;
  readonly #rules = new Map<string, Rule>();
  #statements: BusStatement[] = [];
  readonly #forwardings: Forwarding[] = [];

  readonly handlers: Readonly<Record<string, Handler>> = {
    PutRule: (body) => this.#putRule(body),
    DescribeRule: (body) => this.#describe(this.#rule(requiredString(body, 'Name'))),
    EnableRule: (body) => {
      this.#rule(requiredString(body, 'Name')).state = 'ENABLED';
      return {};
    },
    DisableRule: (body) => {
      this.#rule(requiredString(body, 'Name')).state = 'DISABLED';
      return {};
    },
    // A rule with targets cannot be deleted (ValidationException), as at AWS.
    DeleteRule: (body) => {
      const rule = this.#rules.get(requiredString(body, 'Name'));
      if (rule && rule.targets.size > 0)
        throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
      if (rule) this.#rules.delete(rule.name);
      return {};
    },
    PutTargets: (body) => this.#putTargets(body),
    RemoveTargets: (body) => {
      const rule = this.#rule(requiredString(body, 'Rule'));
      for (const id of (body.Ids as unknown[] | undefined) ?? []) rule.targets.delete(String(id));
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListTargetsByRule.html
    ListTargetsByRule: (body) => ({
      Targets: [...this.#rule(requiredString(body, 'Rule')).targets.values()],
    }),
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html
    PutPermission: (body) => {
      this.#putPermission(body);
      return {};
    },
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RemovePermission.html
    RemovePermission: (body) => {
      this.#checkBus(body);
      if (body.RemoveAllPermissions === true) this.#statements = [];
      else {
        const sid = requiredString(body, 'StatementId');
        if (!this.#statements.some((statement) => statement.Sid === sid))
          throw new AwsError('ResourceNotFoundException', 'Statement with the provided id does not exist.');
        this.#statements = this.#statements.filter((statement) => statement.Sid !== sid);
      }
      return {};
    },
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeEventBus.html
    DescribeEventBus: (body) => {
      this.#checkBus(body);
      return {
        Name: 'default',
        Arn: this.busArn,
        ...(this.#statements.length > 0 ? { Policy: JSON.stringify(this.#policy()) } : {}),
      };
    },
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListRuleNamesByTarget.html
    ListRuleNamesByTarget: (body) => {
      const arn = requiredString(body, 'TargetArn');
      return {
        RuleNames: [...this.#rules.values()]
          .filter((rule) => [...rule.targets.values()].some((target) => target.Arn === arn))
          .map((rule) => rule.name),
      };
    },
  };

  constructor(env: Environment) {
    this.#env = env;
  }

  get busArn(): string {
    return `arn:aws:events:${this.#env.region}:${this.#env.account}:event-bus/default`;
  }

  /** The event bus targets of the enabled rules that match `event`: where it is forwarded. */
  forwardTargets(event: EventBridgeEvent): { rule: string; targetArn: string }[] {
    return [...this.#rules.values()]
      .filter((rule) => rule.state === 'ENABLED' && rule.eventPattern !== undefined)
      .filter((rule) => matchesEventPattern(JSON.parse(rule.eventPattern ?? '{}') as EventPattern, event))
      .flatMap((rule) =>
        [...rule.targets.values()]
          .map((target) => String(target.Arn))
          .filter((arn) => EVENT_BUS_ARN.test(arn) && arn !== this.busArn)
          .map((targetArn) => ({ rule: rule.name, targetArn })),
      );
  }

  /**
   * Whether this bus accepts events another account's rule sends: its resource policy must allow that
   * account (by account, or by `aws:PrincipalOrgID`) events:PutEvents. A bus's own account needs no policy.
   */
  async admits(sender: { account: string; organizationId?: string | undefined }): Promise<boolean> {
    if (sender.account === this.#env.account) return true;
    if (this.#statements.length === 0) return false;
    const outcome = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${sender.account}:root`,
          action: 'events:PutEvents',
          resource: { resource: this.busArn, accountId: this.#env.account },
          contextVariables: {
            'aws:PrincipalAccount': sender.account,
            ...(sender.organizationId ? { 'aws:PrincipalOrgID': sender.organizationId } : {}),
          },
        },
        identityPolicies: [{ name: 'sender', policy: SEND_ANYWHERE }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: this.#policy(),
      },
      {},
    );
    return outcome.resultType !== 'error' && outcome.overallResult === 'Allowed';
  }

  recordForwarding(forwarding: Forwarding): void {
    this.#forwardings.push(forwarding);
  }

  /** Every forwarding attempt of this bus's rules, oldest first. */
  get forwardings(): readonly Forwarding[] {
    return [...this.#forwardings];
  }

  #policy(): { Version: string; Statement: BusStatement[] } {
    return { Version: '2012-10-17', Statement: this.#statements };
  }

  #checkBus(body: JsonBody): void {
    const name = optionalString(body, 'EventBusName') ?? 'default';
    if (name !== 'default' && name !== this.busArn)
      throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
  }

  /**
   * A whole policy (`Policy`), or one statement: `Principal` an account id or `*` (with a `Condition` on
   * `aws:PrincipalOrgID`, every account of that organization), `Action` events:PutEvents, `StatementId`.
   */
  #putPermission(body: JsonBody): void {
    this.#checkBus(body);
    const policy = optionalString(body, 'Policy');
    if (policy !== undefined) {
      let parsed: { Statement?: unknown };
      try {
        parsed = JSON.parse(policy) as { Statement?: unknown };
      } catch {
        throw new AwsError('MalformedPolicyDocumentException', 'The policy document is not valid JSON.');
      }
      this.#statements = [parsed.Statement ?? []].flat() as BusStatement[];
      return;
    }
    const sid = requiredString(body, 'StatementId');
    const action = requiredString(body, 'Action');
    const principal = requiredString(body, 'Principal');
    if (action !== 'events:PutEvents')
      throw new AwsError('ValidationException', `Provided value in parameter 'action' is not supported.`);
    if (principal !== '*' && !/^\d{12}$/.test(principal))
      throw new AwsError(
        'ValidationException',
        `Value '${principal}' at 'principal' failed to satisfy constraint`,
      );
    const condition = body.Condition as { Type?: unknown; Key?: unknown; Value?: unknown } | undefined;
    if (principal === '*' && !condition)
      throw new AwsError(
        'ValidationException',
        'A Condition on aws:PrincipalOrgID is required when the principal is *.',
      );
    if (condition && (condition.Type !== 'StringEquals' || condition.Key !== 'aws:PrincipalOrgID'))
      throw new AwsError(
        'ValidationException',
        'Condition Type must be StringEquals and Key must be aws:PrincipalOrgID.',
      );
    const statement: BusStatement = {
      Sid: sid,
      Effect: 'Allow',
      Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
      Action: action,
      Resource: this.busArn,
      ...(condition
        ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': String(condition.Value) } } }
        : {}),
    };
    this.#statements = [...this.#statements.filter((existing) => existing.Sid !== sid), statement];
  }

  #putRule(body: JsonBody): JsonBody {
    const name = requiredString(body, 'Name');
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name))
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint`,
      );
    const eventPattern = optionalString(body, 'EventPattern');
    const scheduleExpression = optionalString(body, 'ScheduleExpression');
    if (!eventPattern && !scheduleExpression)
      throw new AwsError(
        'ValidationException',
        'Parameter(s) EventPattern or ScheduleExpression must be specified.',
      );
    if (eventPattern) {
      try {
        JSON.parse(eventPattern);
      } catch {
        throw new AwsError('InvalidEventPatternException', 'Event pattern is not valid.');
      }
    }
    const state = optionalString(body, 'State') ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED')
      throw new AwsError('ValidationException', `Value '${state}' at 'state' failed to satisfy constraint`);
    const existing = this.#rules.get(name);
    const rule: Rule = existing ?? {
      name,
      arn: `arn:aws:events:${this.#env.region}:${this.#env.account}:rule/${name}`,
      eventPattern,
      scheduleExpression,
      description: undefined,
      state,
      targets: new Map(),
    };
    Object.assign(rule, {
      eventPattern,
      scheduleExpression,
      state,
      description: optionalString(body, 'Description'),
    });
    this.#rules.set(name, rule);
    return { RuleArn: rule.arn };
  }

  #rule(name: string): Rule {
    const rule = this.#rules.get(name);
    if (!rule)
      throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus default.`);
    return rule;
  }

  #putTargets(body: JsonBody): JsonBody {
    const rule = this.#rule(requiredString(body, 'Rule'));
    const targets = objectList(body, 'Targets');
    if (targets.length === 0 || targets.length > 10)
      throw new AwsError(
        'ValidationException',
        "Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10",
      );
    for (const target of targets) rule.targets.set(requiredString(target, 'Id'), target);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  #describe(rule: Rule): JsonBody {
    return {
      Name: rule.name,
      Arn: rule.arn,
      ...(rule.eventPattern ? { EventPattern: rule.eventPattern } : {}),
      ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
      ...(rule.description ? { Description: rule.description } : {}),
      State: rule.state,
      EventBusName: 'default',
      CreatedBy: this.#env.account,
    };
  }
}

/** The sending rule's role may put events on any bus: the receiving bus's policy decides. */
const SEND_ANYWHERE = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }],
};
