/**
 * Listeners and their rules. Every listener has a default rule (priority "default", no conditions) whose
 * actions are the listener's default actions; it can be modified but not deleted or reprioritized.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
 */
import { AwsError } from '../errors.ts';
import { hex } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import {
  forwardedGroups,
  isAuthenticate,
  parseActions,
  parseConditions,
  withoutSecrets,
} from './elbv2-actions.ts';
import { paginate, sameMembers } from './elbv2-requests.ts';
import { parseTags, type TagStore } from './elbv2-tags.ts';
import { DEFAULT_SSL_POLICY, mutualAuthentication, sslPolicy } from './elbv2-tls.ts';

interface Listener {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly defaultRuleArn: string;
  port: number;
  protocol: string;
  /** The default certificate (one for HTTPS, none for HTTP). */
  certificates: string[];
  /** The certificate list for SNI (AddListenerCertificates), without the default. */
  sniCertificates: string[];
  sslPolicy: string | undefined;
  mutualAuthentication: XmlObject | undefined;
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
  /** Whether ACM (or IAM) holds the certificate. */
  certificateExists(arn: string): boolean;
  readonly tags: TagStore;
}

type Handler = (input: QueryInput) => XmlObject;

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
    DescribeListenerCertificates: (input) => this.#describeListenerCertificates(input),
    AddListenerCertificates: (input) => this.#changeListenerCertificates(input, 'add'),
    RemoveListenerCertificates: (input) => this.#changeListenerCertificates(input, 'remove'),
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
    const https = protocol === 'HTTPS';
    const certificates = https ? this.#defaultCertificate(input) : [];
    const policy = https ? sslPolicy(input.str('SslPolicy') ?? DEFAULT_SSL_POLICY) : undefined;
    const mtls = this.#mutualAuthentication(input, protocol, undefined);
    const defaultActions = this.#actions(input.list('DefaultActions'), 'defaultActions', protocol, undefined);
    const existing = [...this.#listeners.values()].find(
      (l) => l.loadBalancerArn === loadBalancerArn && l.port === port,
    );
    // CreateListener is idempotent: the same settings on the same port return the existing listener.
    if (existing) {
      const same =
        existing.protocol === protocol &&
        existing.sslPolicy === policy &&
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
      certificates,
      sniCertificates: [],
      sslPolicy: policy,
      mutualAuthentication: mtls,
      defaultActions,
    };
    this.#listeners.set(listener.arn, listener);
    this.#deps.tags.create(listener.arn, parseTags(input.list('Tags')));
    this.#deps.tags.create(listener.defaultRuleArn);
    return { Listeners: [listenerXml(listener)] };
  }

  /**
   * An HTTPS listener's default certificate: "You must provide exactly one certificate" (CreateListener),
   * one that ACM or IAM holds, or CertificateNotFound.
   */
  #defaultCertificate(input: QueryInput, current: readonly string[] = []): string[] {
    const given = input.list('Certificates').map((cert) => cert.str('CertificateArn') ?? '');
    const certificates = given.length > 0 ? given : [...current];
    if (certificates.length === 0) {
      throw new AwsError('ValidationError', 'A certificate must be specified for HTTPS listeners');
    }
    if (certificates.length > 1) {
      throw new AwsError(
        'ValidationError',
        'Exactly one default certificate must be specified; add more with AddListenerCertificates',
      );
    }
    this.#requireCertificates(given);
    return certificates;
  }

  #requireCertificates(arns: readonly string[]): void {
    for (const arn of arns) {
      if (!this.#deps.certificateExists(arn)) {
        throw new AwsError('CertificateNotFound', `Certificate '${arn}' not found`);
      }
    }
  }

  /** Mutual TLS applies to HTTPS listeners only; an HTTPS listener without it reports mode off. */
  #mutualAuthentication(
    input: QueryInput,
    protocol: string,
    current: XmlObject | undefined,
  ): XmlObject | undefined {
    const config = input.child('MutualAuthentication');
    if (protocol !== 'HTTPS') {
      if (config) {
        throw new AwsError('ValidationError', 'Mutual authentication is supported on HTTPS listeners only');
      }
      return undefined;
    }
    return config ? mutualAuthentication(config) : (current ?? { Mode: 'off' });
  }

  /** Parses actions; authenticate actions are "supported only on HTTPS listeners" (listener-authenticate-users). */
  #actions(
    items: readonly QueryInput[],
    field: string,
    protocol: string,
    replacing: readonly XmlObject[] | undefined,
  ): XmlObject[] {
    const actions = parseActions(items, field, {
      targetGroupExists: (arn) => this.#deps.targetGroupExists(arn),
      ...(replacing ? { replacing } : {}),
    });
    requireHttpsForAuthentication(actions, protocol);
    return actions;
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
    const https = protocol === 'HTTPS';
    const certificates = https ? this.#defaultCertificate(input, listener.certificates) : [];
    const policy = https
      ? sslPolicy(input.str('SslPolicy') ?? listener.sslPolicy ?? DEFAULT_SSL_POLICY)
      : undefined;
    const mtls = this.#mutualAuthentication(input, protocol, listener.mutualAuthentication);
    const defaultActions = input.has('DefaultActions')
      ? this.#actions(input.list('DefaultActions'), 'defaultActions', protocol, listener.defaultActions)
      : listener.defaultActions;
    requireHttpsForAuthentication(defaultActions, protocol);
    for (const rule of this.#rulesOf(listener.arn)) requireHttpsForAuthentication(rule.actions, protocol);
    listener.port = port;
    listener.protocol = protocol;
    listener.certificates = certificates;
    if (!https) listener.sniCertificates = [];
    listener.sslPolicy = policy;
    listener.mutualAuthentication = mtls;
    listener.defaultActions = defaultActions;
    return { Listeners: [listenerXml(listener)] };
  }

  /** The default certificate (IsDefault) and the SNI list of an HTTPS listener. */
  #describeListenerCertificates(input: QueryInput): XmlObject {
    const listener = this.#listener(input.required('ListenerArn'));
    const all = [
      ...listener.certificates.map((CertificateArn) => ({ CertificateArn, IsDefault: true })),
      ...listener.sniCertificates.map((CertificateArn) => ({ CertificateArn, IsDefault: false })),
    ];
    const { page, nextMarker } = paginate(all, input);
    return { Certificates: page, NextMarker: nextMarker };
  }

  /** Add/RemoveListenerCertificates change the SNI list; the default certificate is changed with ModifyListener. */
  #changeListenerCertificates(input: QueryInput, change: 'add' | 'remove'): XmlObject {
    const listener = this.#listener(input.required('ListenerArn'));
    const arns = input.list('Certificates').map((cert) => cert.str('CertificateArn') ?? '');
    if (arns.length === 0) {
      throw new AwsError(
        'ValidationError',
        "1 validation error detected: Value null at 'certificates' failed to satisfy constraint: Member must not be null",
      );
    }
    if (listener.protocol !== 'HTTPS') {
      throw new AwsError('OperationNotPermitted', 'Certificates can be added only to HTTPS listeners');
    }
    if (change === 'remove') {
      if (arns.some((arn) => listener.certificates.includes(arn))) {
        throw new AwsError(
          'OperationNotPermitted',
          'The default certificate cannot be removed; change it with ModifyListener',
        );
      }
      listener.sniCertificates = listener.sniCertificates.filter((arn) => !arns.includes(arn));
      return {};
    }
    this.#requireCertificates(arns);
    for (const arn of arns) {
      if (!listener.sniCertificates.includes(arn) && !listener.certificates.includes(arn)) {
        listener.sniCertificates.push(arn);
      }
    }
    return { Certificates: arns.map((CertificateArn) => ({ CertificateArn, IsDefault: false })) };
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
    const actions = this.#actions(input.list('Actions'), 'actions', listener.protocol, undefined);
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
      if (input.has('Actions')) {
        owner.defaultActions = this.#actions(
          input.list('Actions'),
          'actions',
          owner.protocol,
          owner.defaultActions,
        );
      }
      return { Rules: [defaultRuleXml(owner)] };
    }
    const rule = this.#rule(arn);
    if (input.has('Conditions')) rule.conditions = requiredConditions(input);
    if (input.has('Actions')) {
      const protocol = this.#listener(rule.listenerArn).protocol;
      rule.actions = this.#actions(input.list('Actions'), 'actions', protocol, rule.actions);
    }
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
    DefaultActions: withoutSecrets(listener.defaultActions),
    MutualAuthentication: listener.mutualAuthentication,
  };
}

function requireHttpsForAuthentication(actions: readonly XmlObject[], protocol: string): void {
  if (protocol !== 'HTTPS' && actions.some(isAuthenticate)) {
    throw new AwsError(
      'InvalidLoadBalancerAction',
      'Authenticate actions are supported only on HTTPS listeners',
    );
  }
}

function ruleXml(rule: Rule): XmlObject {
  return {
    RuleArn: rule.arn,
    Priority: String(rule.priority),
    Conditions: rule.conditions,
    Actions: withoutSecrets(rule.actions),
    IsDefault: false,
  };
}

function defaultRuleXml(listener: Listener): XmlObject {
  return {
    RuleArn: listener.defaultRuleArn,
    Priority: 'default',
    Conditions: [],
    Actions: withoutSecrets(listener.defaultActions),
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
