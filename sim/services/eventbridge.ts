/**
 * EventBridge rules and targets on the default event bus: what routes events to the controller's functions.
 * Rules are ENABLED unless created otherwise; a target may carry its dead-letter queue.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html
 */
import { AwsError } from '../errors.ts';
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

export class EventBridgeService {
  readonly #env: Environment;
  readonly #rules = new Map<string, Rule>();

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
