/**
 * Listeners and their rules. Every listener has a default rule (priority "default", no conditions) whose
 * actions are the listener's default actions; it can be modified but not deleted or reprioritized.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
 */
import { AwsError } from '../errors.ts';
import { hex } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import { forwardedGroups, parseActions, parseConditions } from './elbv2-actions.ts';
import { paginate, sameMembers } from './elbv2-requests.ts';
import { parseTags, type TagStore } from './elbv2-tags.ts';

interface Listener {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly defaultRuleArn: string;
  port: number;
  protocol: string;
  certificates: string[];
  sslPolicy: string | undefined;
  defaultActions: XmlObject[];
}

interface Rule {
  readonly arn: string;
  readonly listenerArn: string;
  priority: number;
  conditions: XmlObject[];
  actions: XmlObject[];
}

/** What the listeners need from the rest of ELBv2. */
export interface ListenerDependencies {
  /** A full ELBv2 ARN for a resource path such as `listener/app/NAME/ID/ID`. */
  arn(resource: string): string;
  /** Throws LoadBalancerNotFound unless the load balancer exists. */
  requireLoadBalancer(arn: string): void;
  targetGroupExists(arn: string): boolean;
  readonly tags: TagStore;
}

type Handler = (input: QueryInput) => XmlObject;

// Security policy given to an HTTPS listener created through the API without one
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-2016-08';

export class ListenerBook {
  readonly #deps: ListenerDependencies;
  readonly #listeners = new Map<string, Listener>();
  readonly #rules = new Map<string, Rule>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateListener: (input) => this.#createListener(input),
    DescribeListeners: (input) => this.#describeListeners(input),
    ModifyListener: (input) => this.#modifyListener(input),
    DeleteListener: (input) => this.#deleteListener(input),
    CreateRule: (input) => this.#createRule(input),
    DescribeRules: (input) => this.#describeRules(input),
    ModifyRule: (input) => this.#modifyRule(input),
    DeleteRule: (input) => this.#deleteRule(input),
    SetRulePriorities: (input) => this.#setRulePriorities(input),
  };

  constructor(deps: ListenerDependencies) {
    this.#deps = deps;
  }

  /** Whether any listener or rule forwards to the target group. */
  forwardsTo(targetGroupArn: string): boolean {
    return this.loadBalancersUsing(targetGroupArn).length > 0;
  }

  /** The load balancers whose listeners or rules forward to the target group (its `LoadBalancerArns`). */
  loadBalancersUsing(targetGroupArn: string): string[] {
    const arns = new Set<string>();
    for (const listener of this.#listeners.values()) {
      const actions = [
        ...listener.defaultActions,
        ...this.#rulesOf(listener.arn).flatMap((rule) => rule.actions),
      ];
      if (actions.some((action) => forwardedGroups(action).includes(targetGroupArn))) {
        arns.add(listener.loadBalancerArn);
      }
    }
    return [...arns];
  }

  /** Deletes a load balancer's listeners and their rules, as DeleteLoadBalancer does. */
  removeLoadBalancer(loadBalancerArn: string): void {
    for (const listener of [...this.#listeners.values()].filter(
      (l) => l.loadBalancerArn === loadBalancerArn,
    )) {
      this.#remove(listener);
    }
  }

  // ---- listeners ----

  #createListener(input: QueryInput): XmlObject {
    const loadBalancerArn = input.required('LoadBalancerArn');
    this.#deps.requireLoadBalancer(loadBalancerArn);
    const port = listenerPort(input.int('Port'));
    const protocol = listenerProtocol(input.str('Protocol'));
    const certificates = input.list('Certificates').map((cert) => cert.str('CertificateArn') ?? '');
    const sslPolicy = protocol === 'HTTPS' ? (input.str('SslPolicy') ?? DEFAULT_SSL_POLICY) : undefined;
    if (protocol === 'HTTPS' && certificates.length === 0) {
      throw new AwsError('ValidationError', 'A certificate must be specified for HTTPS listeners');
    }
    const defaultActions = this.#actions(input.list('DefaultActions'), 'defaultActions');
    const existing = [...this.#listeners.values()].find(
      (l) => l.loadBalancerArn === loadBalancerArn && l.port === port,
    );
    // CreateListener is idempotent: the same settings on the same port return the existing listener.
    if (existing) {
      const same =
        existing.protocol === protocol &&
        existing.sslPolicy === sslPolicy &&
        sameMembers(existing.certificates, certificates) &&
        JSON.stringify(existing.defaultActions) === JSON.stringify(defaultActions);
      if (!same)
        throw new AwsError('DuplicateListener', 'A listener with the specified port already exists.');
      return { Listeners: [listenerXml(existing)] };
    }
    const lbPath = loadBalancerArn.split(':loadbalancer/')[1];
    const listenerId = hex(16);
    const listener: Listener = {
      arn: this.#deps.arn(`listener/${lbPath}/${listenerId}`),
      loadBalancerArn,
      defaultRuleArn: this.#deps.arn(`listener-rule/${lbPath}/${listenerId}/${hex(16)}`),
      port,
      protocol,
      certificates: protocol === 'HTTPS' ? certificates : [],
      sslPolicy,
      defaultActions,
    };
    this.#listeners.set(listener.arn, listener);
    this.#deps.tags.create(listener.arn, parseTags(input.list('Tags')));
    this.#deps.tags.create(listener.defaultRuleArn);
    return { Listeners: [listenerXml(listener)] };
  }

  #actions(items: readonly QueryInput[], field: string): XmlObject[] {
    return parseActions(items, field, (arn) => this.#deps.targetGroupExists(arn));
  }

  #describeListeners(input: QueryInput): XmlObject {
    const loadBalancerArn = input.str('LoadBalancerArn');
    const arns = input.strings('ListenerArns');
    if ((loadBalancerArn === undefined) === (arns.length === 0)) {
      throw new AwsError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
    }
    let selected: Listener[];
    if (loadBalancerArn !== undefined) {
      this.#deps.requireLoadBalancer(loadBalancerArn);
      selected = [...this.#listeners.values()].filter((l) => l.loadBalancerArn === loadBalancerArn);
    } else {
      selected = arns.map((arn) => this.#listener(arn, 'One or more listeners not found'));
    }
    const { page, nextMarker } = paginate(selected, input);
    return { Listeners: page.map(listenerXml), NextMarker: nextMarker };
  }

  #modifyListener(input: QueryInput): XmlObject {
    const listener = this.#listener(input.required('ListenerArn'));
    const port = input.has('Port') ? listenerPort(input.int('Port')) : listener.port;
    const protocol = input.has('Protocol') ? listenerProtocol(input.str('Protocol')) : listener.protocol;
    const taken = [...this.#listeners.values()].some(
      (other) =>
        other !== listener && other.loadBalancerArn === listener.loadBalancerArn && other.port === port,
    );
    if (taken) throw new AwsError('DuplicateListener', 'A listener with the specified port already exists.');
    const given = input.list('Certificates').map((cert) => cert.str('CertificateArn') ?? '');
    const certificates = protocol === 'HTTPS' ? (given.length > 0 ? given : listener.certificates) : [];
    if (protocol === 'HTTPS' && certificates.length === 0) {
      throw new AwsError('ValidationError', 'A certificate must be specified for HTTPS listeners');
    }
    const defaultActions = input.has('DefaultActions')
      ? this.#actions(input.list('DefaultActions'), 'defaultActions')
      : listener.defaultActions;
    listener.port = port;
    listener.protocol = protocol;
    listener.certificates = certificates;
    listener.sslPolicy =
      protocol === 'HTTPS' ? (input.str('SslPolicy') ?? listener.sslPolicy ?? DEFAULT_SSL_POLICY) : undefined;
    listener.defaultActions = defaultActions;
    return { Listeners: [listenerXml(listener)] };
  }

  #deleteListener(input: QueryInput): XmlObject {
    this.#remove(this.#listener(input.required('ListenerArn')));
    return {};
  }

  #remove(listener: Listener): void {
    for (const rule of this.#rulesOf(listener.arn)) {
      this.#rules.delete(rule.arn);
      this.#deps.tags.delete(rule.arn);
    }
    this.#listeners.delete(listener.arn);
    this.#deps.tags.delete(listener.arn);
    this.#deps.tags.delete(listener.defaultRuleArn);
  }

  #listener(arn: string, message = 'The specified listener does not exist.'): Listener {
    const listener = this.#listeners.get(arn);
    if (!listener) throw new AwsError('ListenerNotFound', message);
    return listener;
  }

  #ownerOfDefaultRule(ruleArn: string): Listener | undefined {
    return [...this.#listeners.values()].find((listener) => listener.defaultRuleArn === ruleArn);
  }

  // ---- rules ----

  #createRule(input: QueryInput): XmlObject {
    const listener = this.#listener(input.required('ListenerArn'));
    const priority = rulePriority(input.int('Priority'));
    const conditions = requiredConditions(input);
    const actions = this.#actions(input.list('Actions'), 'actions');
    if (this.#rulesOf(listener.arn).some((rule) => rule.priority === priority)) {
      throw new AwsError('PriorityInUse', 'The specified priority is in use.');
    }
    const rule: Rule = {
      arn: `${listener.defaultRuleArn.split('/').slice(0, -1).join('/')}/${hex(16)}`,
      listenerArn: listener.arn,
      priority,
      conditions,
      actions,
    };
    this.#rules.set(rule.arn, rule);
    this.#deps.tags.create(rule.arn, parseTags(input.list('Tags')));
    return { Rules: [ruleXml(rule)] };
  }

  #rulesOf(listenerArn: string): Rule[] {
    return [...this.#rules.values()].filter((rule) => rule.listenerArn === listenerArn);
  }

  /** Rules by priority, then the listener's default rule. */
  #describeRules(input: QueryInput): XmlObject {
    const listenerArn = input.str('ListenerArn');
    const arns = input.strings('RuleArns');
    if ((listenerArn === undefined) === (arns.length === 0)) {
      throw new AwsError('ValidationError', 'You must specify either listener ARNs or rule ARNs');
    }
    let rules: XmlObject[];
    if (listenerArn !== undefined) {
      const listener = this.#listener(listenerArn);
      const ordered = this.#rulesOf(listener.arn).sort((a, b) => a.priority - b.priority);
      rules = [...ordered.map(ruleXml), defaultRuleXml(listener)];
    } else {
      rules = arns.map((arn) => {
        const rule = this.#rules.get(arn);
        if (rule) return ruleXml(rule);
        const owner = this.#ownerOfDefaultRule(arn);
        if (owner) return defaultRuleXml(owner);
        throw new AwsError('RuleNotFound', 'One or more rules not found');
      });
    }
    const { page, nextMarker } = paginate(rules, input);
    return { Rules: page, NextMarker: nextMarker };
  }

  /** Modifying the default rule changes the listener's default actions; its conditions cannot be set. */
  #modifyRule(input: QueryInput): XmlObject {
    const arn = input.required('RuleArn');
    const owner = this.#ownerOfDefaultRule(arn);
    if (owner) {
      if (input.has('Conditions')) {
        throw new AwsError('OperationNotPermitted', 'You cannot specify conditions for the default rule');
      }
      if (input.has('Actions')) owner.defaultActions = this.#actions(input.list('Actions'), 'actions');
      return { Rules: [defaultRuleXml(owner)] };
    }
    const rule = this.#rule(arn);
    if (input.has('Conditions')) rule.conditions = requiredConditions(input);
    if (input.has('Actions')) rule.actions = this.#actions(input.list('Actions'), 'actions');
    return { Rules: [ruleXml(rule)] };
  }

  #deleteRule(input: QueryInput): XmlObject {
    const arn = input.required('RuleArn');
    if (this.#ownerOfDefaultRule(arn)) {
      throw new AwsError('OperationNotPermitted', 'The default rule cannot be deleted');
    }
    this.#rule(arn);
    this.#rules.delete(arn);
    this.#deps.tags.delete(arn);
    return {};
  }

  /** All priorities are checked before any changes, so swapping two rules' priorities works. */
  #setRulePriorities(input: QueryInput): XmlObject {
    const changes = input.list('RulePriorities').map((item) => {
      const arn = item.required('RuleArn');
      if (this.#ownerOfDefaultRule(arn)) {
        throw new AwsError('OperationNotPermitted', 'The default rule priority cannot be changed');
      }
      return { rule: this.#rule(arn), priority: rulePriority(item.int('Priority')) };
    });
    const seen = new Set<number>();
    for (const { priority } of changes) {
      if (seen.has(priority)) {
        throw new AwsError('ValidationError', `Priority '${priority}' was provided multiple times`);
      }
      seen.add(priority);
    }
    const moving = new Set(changes.map(({ rule }) => rule));
    for (const { rule, priority } of changes) {
      const others = this.#rulesOf(rule.listenerArn).filter((other) => !moving.has(other));
      if (others.some((other) => other.priority === priority)) {
        throw new AwsError('PriorityInUse', 'The specified priority is in use.');
      }
    }
    for (const { rule, priority } of changes) rule.priority = priority;
    return { Rules: changes.map(({ rule }) => ruleXml(rule)) };
  }

  #rule(arn: string): Rule {
    const rule = this.#rules.get(arn);
    if (!rule) throw new AwsError('RuleNotFound', 'The specified rule does not exist.');
    return rule;
  }
}

function listenerXml(listener: Listener): XmlObject {
  return {
    ListenerArn: listener.arn,
    LoadBalancerArn: listener.loadBalancerArn,
    Port: listener.port,
    Protocol: listener.protocol,
    Certificates:
      listener.certificates.length > 0
        ? listener.certificates.map((CertificateArn) => ({ CertificateArn }))
        : undefined,
    SslPolicy: listener.sslPolicy,
    DefaultActions: listener.defaultActions,
  };
}

function ruleXml(rule: Rule): XmlObject {
  return {
    RuleArn: rule.arn,
    Priority: String(rule.priority),
    Conditions: rule.conditions,
    Actions: rule.actions,
    IsDefault: false,
  };
}

function defaultRuleXml(listener: Listener): XmlObject {
  return {
    RuleArn: listener.defaultRuleArn,
    Priority: 'default',
    Conditions: [],
    Actions: listener.defaultActions,
    IsDefault: true,
  };
}

function requiredConditions(input: QueryInput): XmlObject[] {
  const conditions = parseConditions(input.list('Conditions'));
  if (conditions.length === 0)
    throw new AwsError('ValidationError', 'A rule must have at least one condition');
  return conditions;
}

function listenerPort(port: number | undefined): number {
  if (port === undefined || port < 1 || port > 65535) {
    throw new AwsError('ValidationError', 'A listener port between 1 and 65535 must be specified');
  }
  return port;
}

function listenerProtocol(protocol: string | undefined): string {
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
    throw new AwsError(
      'ValidationError',
      `Listener protocol '${protocol ?? ''}' must be one of 'HTTPS, HTTP' for an application load balancer`,
    );
  }
  return protocol;
}

function rulePriority(priority: number | undefined): number {
  if (priority === undefined || priority < 1 || priority > 50000) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${priority ?? 'null'}' at 'priority' failed to satisfy constraint: ` +
        'Member must have value between 1 and 50000',
    );
  }
  return priority;
}
