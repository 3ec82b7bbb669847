/**
 * Listener and rule actions and rule conditions, read from a request and stored in the form AWS reports
 * them: defaults filled in and second forms added.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RuleCondition.html
 */
import { AwsError } from '../errors.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';

const ACTION_TYPES = ['forward', 'authenticate-oidc', 'authenticate-cognito', 'redirect', 'fixed-response'];
const TERMINAL_ACTION_TYPES = ['forward', 'redirect', 'fixed-response'];
const UNAUTHENTICATED_BEHAVIOURS = ['deny', 'allow', 'authenticate'];
const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

export interface ActionContext {
  readonly targetGroupExists: (arn: string) => boolean;
  /**
   * The actions being replaced (a listener's default actions or a rule's), whose OIDC client secret
   * `UseExistingClientSecret` keeps; undefined when creating.
   */
  readonly replacing?: readonly XmlObject[];
}

/**
 * Reads `Actions.member.N` / `DefaultActions.member.N`. `field` is the request member name used in
 * validation messages. Authenticate actions keep their client secret in the stored form; `withoutSecrets`
 * gives the form the API reports.
 */
export function parseActions(
  items: readonly QueryInput[],
  field: string,
  context: ActionContext,
): XmlObject[] {
  if (items.length === 0) {
    throw new AwsError('ValidationError', `At least one action must be specified in '${field}'`);
  }
  const actions = items.map((item, index) => parseAction(item, `${field}.${index + 1}.member`, context));
  const terminal = actions.filter((action) => TERMINAL_ACTION_TYPES.includes(String(action.Type)));
  if (terminal.length !== 1) {
    throw new AwsError(
      'InvalidLoadBalancerAction',
      'Exactly one forward, redirect or fixed-response action must be specified',
    );
  }
  // "Order … is required for rules with multiple actions. The action with the lowest value for order
  // is performed first." The final action comes last (API_Action).
  if (actions.length > 1 && actions.some((action) => action.Order === undefined)) {
    throw new AwsError(
      'ValidationError',
      'An order must be specified for every action when there are several',
    );
  }
  const sorted = [...actions].sort((a, b) => Number(a.Order ?? 0) - Number(b.Order ?? 0));
  if (sorted.at(-1) !== terminal[0]) {
    throw new AwsError(
      'InvalidLoadBalancerAction',
      'The forward, redirect or fixed-response action must be the last action to be performed',
    );
  }
  return sorted;
}

/** Actions as DescribeListeners and DescribeRules report them: "ClientSecret" is never returned. */
export function withoutSecrets(actions: readonly XmlObject[]): XmlObject[] {
  return actions.map((action) => {
    const config = action.AuthenticateOidcConfig as XmlObject | undefined;
    if (!config) return action;
    const { ClientSecret: _secret, ...reported } = config;
    return { ...action, AuthenticateOidcConfig: reported };
  });
}

export function isAuthenticate(action: XmlObject): boolean {
  return String(action.Type).startsWith('authenticate-');
}

function parseAction(item: QueryInput, at: string, context: ActionContext): XmlObject {
  const type = item.str('Type');
  if (type === undefined || !ACTION_TYPES.includes(type)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${type ?? 'null'}' at '${at}.type' failed to satisfy constraint: ` +
        `Member must satisfy enum value set: [${ACTION_TYPES.join(', ')}]`,
    );
  }
  const order = item.int('Order');
  if (order !== undefined && (order < 1 || order > 50000)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${order}' at '${at}.order' failed to satisfy constraint: Member must have value between 1 and 50000`,
    );
  }
  const base = { Type: type, ...(order === undefined ? {} : { Order: order }) };
  if (type === 'forward') return { ...base, ...forward(item, context.targetGroupExists) };
  if (type === 'redirect') return { ...base, RedirectConfig: redirect(item.child('RedirectConfig')) };
  if (type === 'authenticate-oidc') {
    return { ...base, AuthenticateOidcConfig: oidc(item.child('AuthenticateOidcConfig'), context) };
  }
  if (type === 'authenticate-cognito') {
    return { ...base, AuthenticateCognitoConfig: cognito(item.child('AuthenticateCognitoConfig')) };
  }
  return { ...base, FixedResponseConfig: fixedResponse(item.child('FixedResponseConfig')) };
}

/**
 * An OIDC authenticate action with its defaults (API_AuthenticateOidcActionConfig): "ClientSecret … is
 * required if you are creating a rule. If you are modifying a rule, you can omit this parameter if you set
 * UseExistingClientSecret to true."
 */
function oidc(config: QueryInput | undefined, context: ActionContext): XmlObject {
  const required = (name: string): string => {
    const value = config?.str(name);
    if (value === undefined || value === '') {
      throw new AwsError('ValidationError', `AuthenticateOidcConfig.${name} must be specified`);
    }
    return value;
  };
  const endpoints = ['Issuer', 'AuthorizationEndpoint', 'TokenEndpoint', 'UserInfoEndpoint'].map((name) => {
    const value = required(name);
    if (!/^https:\/\/[^/\s]+/.test(value)) {
      throw new AwsError(
        'ValidationError',
        `AuthenticateOidcConfig.${name} must be a full HTTPS URL, got '${value}'`,
      );
    }
    return [name, value] as const;
  });
  const clientId = required('ClientId');
  const useExisting = config?.bool('UseExistingClientSecret') === true;
  let clientSecret = config?.str('ClientSecret');
  if (clientSecret === undefined && useExisting) {
    const existing = context.replacing
      ?.map((action) => (action.AuthenticateOidcConfig as XmlObject | undefined)?.ClientSecret)
      .find((secret) => typeof secret === 'string');
    if (existing === undefined) {
      throw new AwsError(
        'InvalidLoadBalancerAction',
        'UseExistingClientSecret can only be used when modifying an action that already has a client secret',
      );
    }
    clientSecret = String(existing);
  }
  if (clientSecret === undefined || clientSecret === '') {
    throw new AwsError(
      'InvalidLoadBalancerAction',
      'A client secret must be specified for an authenticate-oidc action, unless UseExistingClientSecret is true when modifying it',
    );
  }
  return {
    ...Object.fromEntries(endpoints),
    ClientId: clientId,
    ClientSecret: clientSecret,
    ...sessionSettings(config),
  };
}

function cognito(config: QueryInput | undefined): XmlObject {
  const required = (name: string): string => {
    const value = config?.str(name);
    if (value === undefined || value === '') {
      throw new AwsError('ValidationError', `AuthenticateCognitoConfig.${name} must be specified`);
    }
    return value;
  };
  return {
    UserPoolArn: required('UserPoolArn'),
    UserPoolClientId: required('UserPoolClientId'),
    UserPoolDomain: required('UserPoolDomain'),
    ...sessionSettings(config),
  };
}

/** The settings both authenticate actions share, with their documented defaults (extra parameters are not kept). */
function sessionSettings(config: QueryInput | undefined): XmlObject {
  const timeout = config?.int('SessionTimeout') ?? 604800;
  if (timeout < 1 || timeout > 604800) {
    throw new AwsError(
      'ValidationError',
      `SessionTimeout must be between 1 and 604800 seconds, got ${timeout}`,
    );
  }
  const behaviour = config?.str('OnUnauthenticatedRequest') ?? 'authenticate';
  if (!UNAUTHENTICATED_BEHAVIOURS.includes(behaviour)) {
    throw new AwsError(
      'ValidationError',
      `OnUnauthenticatedRequest must be one of ${UNAUTHENTICATED_BEHAVIOURS.join(', ')}, got '${behaviour}'`,
    );
  }
  return {
    SessionCookieName: config?.str('SessionCookieName') ?? 'AWSELBAuthSessionCookie',
    Scope: config?.str('Scope') ?? 'openid',
    SessionTimeout: timeout,
    OnUnauthenticatedRequest: behaviour,
  };
}

/** A forward is reported both as TargetGroupArn (when it has one group) and as a ForwardConfig. */
function forward(item: QueryInput, targetGroupExists: (arn: string) => boolean): XmlObject {
  const single = item.str('TargetGroupArn');
  const config = item.child('ForwardConfig');
  const groups = (config?.list('TargetGroups') ?? []).map((group) => ({
    TargetGroupArn: group.str('TargetGroupArn') ?? '',
    Weight: group.int('Weight') ?? 1,
  }));
  if (groups.length === 0 && single === undefined) {
    throw new AwsError('ValidationError', 'A target group ARN must be specified for a forward action');
  }
  // "If you specify both ForwardConfig and TargetGroupArn, you can specify only one target group using
  // ForwardConfig and it must be the same target group specified in TargetGroupArn." (API_Action)
  if (
    single !== undefined &&
    groups.length > 0 &&
    (groups.length > 1 || groups[0]?.TargetGroupArn !== single)
  ) {
    throw new AwsError(
      'ValidationError',
      'You cannot specify both a target group ARN and a forward config with a different target group',
    );
  }
  const targetGroups = groups.length > 0 ? groups : [{ TargetGroupArn: single ?? '', Weight: 1 }];
  for (const { TargetGroupArn } of targetGroups) {
    if (!targetGroupExists(TargetGroupArn)) {
      throw new AwsError('TargetGroupNotFound', `Target group '${TargetGroupArn}' not found`);
    }
  }
  const stickiness = config?.child('TargetGroupStickinessConfig');
  const enabled = stickiness?.bool('Enabled') ?? false;
  const duration = stickiness?.int('DurationSeconds');
  return {
    TargetGroupArn: targetGroups.length === 1 ? targetGroups[0]?.TargetGroupArn : undefined,
    ForwardConfig: {
      TargetGroups: targetGroups,
      TargetGroupStickinessConfig: enabled
        ? { Enabled: true, DurationSeconds: duration }
        : { Enabled: false },
    },
  };
}

/** Unset redirect components keep the request's own: `#{protocol}`, `#{port}`, `#{host}`, `/#{path}`, `#{query}`. */
function redirect(config: QueryInput | undefined): XmlObject {
  const statusCode = config?.str('StatusCode');
  if (statusCode !== 'HTTP_301' && statusCode !== 'HTTP_302') {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${statusCode ?? 'null'}' at 'redirectConfig.statusCode' failed to ` +
        'satisfy constraint: Member must satisfy enum value set: [HTTP_301, HTTP_302]',
    );
  }
  return {
    Protocol: config?.str('Protocol') ?? '#{protocol}',
    Port: config?.str('Port') ?? '#{port}',
    Host: config?.str('Host') ?? '#{host}',
    Path: config?.str('Path') ?? '/#{path}',
    Query: config?.str('Query') ?? '#{query}',
    StatusCode: statusCode,
  };
}

function fixedResponse(config: QueryInput | undefined): XmlObject {
  const statusCode = config?.str('StatusCode') ?? '';
  if (!/^[245]\d\d$/.test(statusCode)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${statusCode}' at 'fixedResponseConfig.statusCode' failed to ` +
        'satisfy constraint: Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$',
    );
  }
  const contentType = config?.str('ContentType');
  if (contentType !== undefined && !CONTENT_TYPES.includes(contentType)) {
    throw new AwsError(
      'ValidationError',
      `Content type '${contentType}' must be one of ${CONTENT_TYPES.join(', ')}`,
    );
  }
  const messageBody = config?.str('MessageBody');
  if (messageBody !== undefined && Buffer.byteLength(messageBody) > 1024) {
    throw new AwsError('ValidationError', 'The fixed response message body must be at most 1024 bytes');
  }
  return { MessageBody: messageBody, StatusCode: statusCode, ContentType: contentType };
}

/** Target group ARNs an action forwards to. */
export function forwardedGroups(action: XmlObject): string[] {
  const config = action.ForwardConfig as { TargetGroups?: { TargetGroupArn: string }[] } | undefined;
  return (config?.TargetGroups ?? []).map((group) => group.TargetGroupArn);
}

const CONDITION_FIELDS: Readonly<Record<string, string>> = {
  'host-header': 'HostHeaderConfig',
  'path-pattern': 'PathPatternConfig',
  'http-header': 'HttpHeaderConfig',
  'http-request-method': 'HttpRequestMethodConfig',
  'query-string': 'QueryStringConfig',
  'source-ip': 'SourceIpConfig',
};

/** host-header and path-pattern conditions are reported with both `Values` and their `…Config.Values`. */
export function parseConditions(items: readonly QueryInput[]): XmlObject[] {
  return items.map((item) => {
    const field = item.str('Field') ?? '';
    const configName = CONDITION_FIELDS[field];
    if (!configName) {
      throw new AwsError(
        'ValidationError',
        `Condition field '${field}' must be one of '[${Object.keys(CONDITION_FIELDS).join(', ')}]'`,
      );
    }
    const config = item.child(configName);
    if (field === 'http-header') {
      return {
        Field: field,
        HttpHeaderConfig: {
          HttpHeaderName: config?.str('HttpHeaderName'),
          Values: config?.strings('Values') ?? [],
        },
      };
    }
    if (field === 'query-string') {
      const values = (config?.list('Values') ?? []).map((pair) => ({
        Key: pair.str('Key'),
        Value: pair.str('Value'),
      }));
      return { Field: field, QueryStringConfig: { Values: values } };
    }
    const values = config?.strings('Values') ?? item.strings('Values');
    if (values.length === 0) {
      throw new AwsError('ValidationError', `A '${field}' condition must have at least one value`);
    }
    const both = field === 'host-header' || field === 'path-pattern';
    return { Field: field, ...(both ? { Values: values } : {}), [configName]: { Values: values } };
  });
}
