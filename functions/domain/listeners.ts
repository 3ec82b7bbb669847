/**
 * The guard's decisions: what the binding's two listeners should be, whether they drifted, and the ordered
 * steps that put them back without ever making the site worse. Pure: observed state in, plan out.
 */
import { hash } from './hash.ts';
import type { Action, Listener, Rule } from './model.ts';
import type { Binding } from './settings.ts';
import type { HttpsSeen } from './state.ts';
import { strongerPolicy } from './tls.ts';

export type ListenerRole = 'http' | 'https';

/** An action reduced to what decides its behaviour, with AWS's defaults filled in. */
export type NormalizedAction =
  | {
      readonly type: 'redirect';
      readonly protocol: string;
      readonly port: string;
      readonly host: string;
      readonly path: string;
      readonly query: string;
      readonly statusCode: string;
    }
  | { readonly type: 'forward'; readonly targetGroups: readonly string[] }
  | { readonly type: 'fixed-response'; readonly statusCode: string }
  | { readonly type: 'authenticate'; readonly kind: string }
  | { readonly type: 'other'; readonly kind: string };

/**
 * Normalizes an action the way ELB reports it. AWS fills unset redirect fields with the `#{…}` placeholders
 * (ELB API reference, RedirectActionConfig) and reports a forward both as `TargetGroupArn` and
 * `ForwardConfig`; a group with weight 0 receives no traffic, so only weighted groups count.
 */
export function normalizeAction(action: Action): NormalizedAction {
  switch (action.Type) {
    case 'redirect': {
      const redirect = action.RedirectConfig ?? {};
      return {
        type: 'redirect',
        protocol: (redirect.Protocol ?? '#{protocol}').toUpperCase().replace('#{PROTOCOL}', '#{protocol}'),
        port: redirect.Port ?? '#{port}',
        host: redirect.Host ?? '#{host}',
        path: redirect.Path ?? '/#{path}',
        query: redirect.Query ?? '#{query}',
        statusCode: redirect.StatusCode ?? '',
      };
    }
    case 'forward': {
      const weighted = (action.ForwardConfig?.TargetGroups ?? [])
        .filter((group) => group.TargetGroupArn && (group.Weight ?? 1) > 0)
        .map((group) => group.TargetGroupArn as string);
      const groups = weighted.length > 0 ? weighted : action.TargetGroupArn ? [action.TargetGroupArn] : [];
      return { type: 'forward', targetGroups: [...new Set(groups)].sort() };
    }
    case 'fixed-response':
      return { type: 'fixed-response', statusCode: action.FixedResponseConfig?.StatusCode ?? '' };
    case 'authenticate-oidc':
    case 'authenticate-cognito':
      return { type: 'authenticate', kind: action.Type };
    default:
      return { type: 'other', kind: action.Type };
  }
}

/** Actions in the order ELB runs them (by `Order`, then as listed). */
function inOrder(actions: readonly Action[]): Action[] {
  return actions
    .map((action, index) => ({ action, index }))
    .sort((a, b) => (a.action.Order ?? a.index + 1) - (b.action.Order ?? b.index + 1) || a.index - b.index)
    .map(({ action }) => action);
}

function desiredRedirect(binding: Binding): Action {
  const redirect = binding.http.redirect;
  return {
    Type: 'redirect',
    RedirectConfig: {
      Protocol: redirect.protocol,
      Port: redirect.port,
      Host: redirect.host,
      Path: redirect.path,
      Query: redirect.query,
      StatusCode: redirect.statusCode,
    },
  };
}

function desiredForward(binding: Binding): Action {
  return { Type: 'forward', TargetGroupArn: binding.targetGroupArn };
}

/** True when the HTTP listener's default actions are exactly the configured redirect. */
export function isDesiredRedirect(actions: readonly Action[], binding: Binding): boolean {
  const [only, ...rest] = actions;
  if (!only || rest.length > 0) return false;
  const observed = normalizeAction(only);
  const desired = normalizeAction(desiredRedirect(binding));
  return JSON.stringify(observed) === JSON.stringify(desired);
}

/**
 * True when the HTTPS listener's default actions end in a forward that sends traffic to our group: as its
 * only weighted group (`https.forward: exact`), or among others (`includes-target-group`, a canary).
 * Authentication actions before it are kept: removing them would lower security.
 */
export function isDesiredForward(actions: readonly Action[], binding: Binding): boolean {
  const ordered = inOrder(actions);
  const last = ordered.at(-1);
  if (!last) return false;
  const leading = ordered.slice(0, -1).map(normalizeAction);
  if (leading.some((action) => action.type !== 'authenticate')) return false;
  const final = normalizeAction(last);
  if (final.type !== 'forward' || !final.targetGroups.includes(binding.targetGroupArn)) return false;
  return binding.https.forward === 'includes-target-group' || final.targetGroups.length === 1;
}

/** A rule on the HTTP listener that serves plain HTTP instead of sending clients to HTTPS. */
function servesPlainHttp(rule: Rule): boolean {
  if (rule.isDefault) return false;
  return rule.actions.some((action) => {
    const normalized = normalizeAction(action);
    if (normalized.type === 'redirect') return normalized.protocol !== 'HTTPS';
    return normalized.type === 'forward' || normalized.type === 'fixed-response';
  });
}

export type DriftKind = 'missing' | 'protocol' | 'default-action' | 'foreign-rule' | 'certificates';

export interface Drift {
  readonly listener: ListenerRole;
  readonly kind: DriftKind;
  /** One line a person reads in an alert: what is wrong. */
  readonly summary: string;
  /** The listener (or rule) as it was: enough to undo a repair by hand. */
  readonly before?: Listener | Rule | undefined;
}

export type RepairStep =
  | {
      readonly type: 'create-listener';
      readonly listener: ListenerRole;
      readonly request: ListenerRequest;
    }
  | {
      readonly type: 'modify-listener';
      readonly listener: ListenerRole;
      readonly listenerArn: string;
      readonly request: ListenerRequest;
      readonly before: Listener;
    }
  | {
      readonly type: 'delete-rule';
      readonly listener: 'http';
      readonly ruleArn: string;
      readonly before: Rule;
    }
  | {
      readonly type: 'add-certificates';
      readonly listener: 'https';
      readonly listenerArn: string;
      readonly certificateArns: readonly string[];
      readonly before: Listener;
    };

/** The writable part of a listener, in ELB API terms. Fields left out are not changed. */
export interface ListenerRequest {
  readonly port: number;
  readonly protocol?: 'HTTP' | 'HTTPS';
  readonly defaultActions: readonly Action[];
  readonly certificateArns?: readonly string[];
  readonly sslPolicy?: string;
  readonly mutualAuthentication?: Readonly<Record<string, unknown>> | undefined;
  /** Added after creation with AddListenerCertificates: CreateListener takes only the default one. */
  readonly sniCertificateArns?: readonly string[];
}

export interface Blocked {
  readonly listener: ListenerRole;
  readonly reason: 'no-certificate' | 'https-cannot-serve' | 'tls-on-http-port' | 'needs-client-secret';
  /** What a person needs to know and do. */
  readonly detail: string;
}

export interface Finding {
  readonly listener: 'http';
  readonly kind: 'foreign-rule';
  readonly ruleArn: string;
  readonly summary: string;
  readonly before: Rule;
}

export interface ListenerPlan {
  readonly drifts: readonly Drift[];
  /** Ordered: HTTPS first, so the redirect never points at a listener that cannot serve. */
  readonly steps: readonly RepairStep[];
  /** Drift that must not be repaired automatically, with why. */
  readonly blocked: readonly Blocked[];
  /** Drift to report only (`foreignRules: report`). */
  readonly findings: readonly Finding[];
}

export interface ObservedListeners {
  /** Every listener of the binding's load balancer. */
  readonly listeners: readonly Listener[];
  /** Rules of the HTTP listener (including its default rule), when it exists. */
  readonly httpRules: readonly Rule[];
  /** The HTTPS listener as last seen, when remembered: a recreation is never weaker than it. */
  readonly httpsSeen?: HttpsSeen | undefined;
  /**
   * The SNI certificates of the HTTPS listener, read only when it is not the one remembered (recreated since):
   * those it had before and lacks now are put back.
   */
  readonly httpsSni?: readonly string[] | undefined;
}

export function findListeners(binding: Binding, listeners: readonly Listener[]) {
  return {
    http: listeners.find((listener) => listener.port === binding.http.port),
    https: listeners.find((listener) => listener.port === binding.https.port),
  };
}

/** Computes the drift of both listeners and the repair steps, in a safe order. */
export function planListeners(binding: Binding, observed: ObservedListeners): ListenerPlan {
  const { http, https } = findListeners(binding, observed.listeners);
  // HTTPS first: whether it can serve decides whether port 80 may be touched.
  const secure = planHttps(binding, https, observed.httpsSeen, observed.httpsSni);
  const plain = planHttp(binding, http, observed.httpRules);
  const blocked = [...secure.blocked, ...plain.blocked];
  const steps = [...secure.steps];
  if (plain.steps.length > 0) {
    if (secure.canServe) steps.push(...plain.steps);
    else {
      blocked.push({
        listener: 'http',
        reason: 'https-cannot-serve',
        detail: `port ${binding.http.port} is left as it is: HTTPS on port ${binding.https.port} cannot serve (no listener with a certificate forwarding to the target group), so a redirect would take the site down; someone may have changed port ${binding.http.port} on purpose`,
      });
    }
  }
  return { drifts: [...secure.drifts, ...plain.drifts], steps, blocked, findings: plain.findings };
}

interface ListenerPart {
  readonly drifts: Drift[];
  readonly steps: RepairStep[];
  readonly blocked: Blocked[];
}

/** The HTTPS listener: its drift, its repair, and whether it can serve once repaired. */
function planHttps(
  binding: Binding,
  https: Listener | undefined,
  seen: HttpsSeen | undefined,
  sni?: readonly string[],
): ListenerPart & { canServe: boolean } {
  const certificate = binding.https.certificateArn;
  const noCertificate = (detail: string): Blocked => ({
    listener: 'https',
    reason: 'no-certificate',
    detail,
  });
  if (!https) return planHttpsRecreation(binding, seen);
  const canServe = https.certificateArns.length > 0;
  if (https.protocol !== 'HTTPS') {
    const summary = `port ${https.port} speaks ${https.protocol}, not HTTPS`;
    const drifts: Drift[] = [{ listener: 'https', kind: 'protocol', summary, before: https }];
    if (!certificate) {
      const detail = `cannot switch port ${https.port} back to HTTPS: no certificate is configured (set https.certificateArn)`;
      return { drifts, steps: [], blocked: [noCertificate(detail)], canServe: false };
    }
    const request: ListenerRequest = {
      port: https.port,
      protocol: 'HTTPS',
      defaultActions: repairedForwardActions(https.defaultActions, binding),
      certificateArns: [certificate],
      sslPolicy: binding.https.sslPolicy,
    };
    const step: RepairStep = {
      type: 'modify-listener',
      listener: 'https',
      listenerArn: https.arn,
      before: https,
      request,
    };
    return { drifts, steps: [step], blocked: [], canServe: true };
  }
  const part = { ...lostCertificates(https, seen, sni), blocked: [], canServe };
  if (isDesiredForward(https.defaultActions, binding)) return part;
  const summary = `port ${https.port} ${describeActions(https.defaultActions)} instead of forwarding to the target group`;
  const request = { port: https.port, defaultActions: repairedForwardActions(https.defaultActions, binding) };
  return {
    ...part,
    drifts: [{ listener: 'https', kind: 'default-action', summary, before: https }, ...part.drifts],
    steps: [
      { type: 'modify-listener', listener: 'https', listenerArn: https.arn, before: https, request },
      ...part.steps,
    ],
  };
}

/** SNI certificates a recreated HTTPS listener lacks that the one before it had (known only when read). */
function lostCertificates(
  https: Listener,
  seen: HttpsSeen | undefined,
  sni: readonly string[] | undefined,
): { drifts: Drift[]; steps: RepairStep[] } {
  if (!seen || !sni || seen.arn === https.arn) return { drifts: [], steps: [] };
  const missing = seen.sniCertificateArns.filter((arn) => !sni.includes(arn));
  if (missing.length === 0) return { drifts: [], steps: [] };
  const summary = `port ${https.port} lacks ${missing.length} SNI certificate${missing.length === 1 ? '' : 's'} the listener before it had`;
  return {
    drifts: [{ listener: 'https', kind: 'certificates', summary, before: https }],
    steps: [
      {
        type: 'add-certificates',
        listener: 'https',
        listenerArn: https.arn,
        certificateArns: missing,
        before: https,
      },
    ],
  };
}

/**
 * A deleted HTTPS listener comes back never weaker than it was last seen: the stronger security policy, its
 * SNI certificates, its mutual TLS and its authentication. One that authenticated with OIDC cannot come back
 * from here: CreateListener needs the client secret, which AWS never returns.
 */
function planHttpsRecreation(
  binding: Binding,
  seen: HttpsSeen | undefined,
): ListenerPart & { canServe: boolean } {
  const port = binding.https.port;
  const drifts: Drift[] = [{ listener: 'https', kind: 'missing', summary: `no listener on port ${port}` }];
  const certificate = binding.https.certificateArn;
  const blockedBy = (reason: Blocked['reason'], detail: string) => ({
    drifts,
    steps: [],
    blocked: [{ listener: 'https' as const, reason, detail }],
    canServe: false,
  });
  if (!certificate)
    return blockedBy(
      'no-certificate',
      `cannot recreate the HTTPS listener on port ${port}: no certificate is configured (set https.certificateArn for this binding)`,
    );
  const authentication = inOrder(seen?.defaultActions ?? []).filter(
    (action) => normalizeAction(action).type === 'authenticate',
  );
  if (authentication.some((action) => action.Type === 'authenticate-oidc'))
    return blockedBy(
      'needs-client-secret',
      `cannot recreate the HTTPS listener on port ${port}: it authenticated users with OIDC, and recreating that needs the client secret, which AWS never returns; recreating it without authentication would open the site. Recreate it with your infrastructure code`,
    );
  const request: ListenerRequest = {
    port,
    protocol: 'HTTPS',
    defaultActions: repairedForwardActions(authentication, binding),
    certificateArns: [certificate],
    sslPolicy: strongerPolicy(binding.https.sslPolicy, seen?.sslPolicy),
    ...(seen?.mutualAuthentication ? { mutualAuthentication: seen.mutualAuthentication } : {}),
    ...(seen && seen.sniCertificateArns.length > 0 ? { sniCertificateArns: seen.sniCertificateArns } : {}),
  };
  return {
    drifts,
    steps: [{ type: 'create-listener', listener: 'https', request }],
    blocked: [],
    canServe: true,
  };
}

/** The HTTP listener: the redirect, and rules that serve plain HTTP. */
function planHttp(
  binding: Binding,
  http: Listener | undefined,
  rules: readonly Rule[],
): ListenerPart & { findings: Finding[] } {
  const redirect = desiredRedirect(binding);
  if (!http) {
    const request: ListenerRequest = {
      port: binding.http.port,
      protocol: 'HTTP',
      defaultActions: [redirect],
    };
    return {
      drifts: [{ listener: 'http', kind: 'missing', summary: `no listener on port ${binding.http.port}` }],
      steps: [{ type: 'create-listener', listener: 'http', request }],
      blocked: [],
      findings: [],
    };
  }
  if (http.protocol !== 'HTTP') {
    // TLS on port 80 is odd but not plain HTTP; switching it would drop a certificate, so report only.
    const summary = `port ${http.port} speaks ${http.protocol}, not HTTP`;
    const detail = `port ${http.port} speaks ${http.protocol}; the controller never removes a certificate, so it leaves this listener as it is`;
    return {
      drifts: [{ listener: 'http', kind: 'protocol', summary, before: http }],
      steps: [],
      blocked: [{ listener: 'http', reason: 'tls-on-http-port', detail }],
      findings: [],
    };
  }
  const part = { drifts: [] as Drift[], steps: [] as RepairStep[], blocked: [], findings: [] as Finding[] };
  if (!isDesiredRedirect(http.defaultActions, binding)) {
    const summary = `port ${http.port} ${describeActions(http.defaultActions)} instead of redirecting to HTTPS (${describeRedirect(binding)})`;
    part.drifts.push({ listener: 'http', kind: 'default-action', summary, before: http });
    const request = { port: http.port, defaultActions: [redirect] };
    part.steps.push({
      type: 'modify-listener',
      listener: 'http',
      listenerArn: http.arn,
      before: http,
      request,
    });
  }
  for (const rule of rules.filter(servesPlainHttp)) {
    const summary = `rule ${rule.priority} on port ${http.port} ${describeActions(rule.actions)} over plain HTTP`;
    if (binding.http.foreignRules === 'remove') {
      part.drifts.push({ listener: 'http', kind: 'foreign-rule', summary, before: rule });
      part.steps.push({ type: 'delete-rule', listener: 'http', ruleArn: rule.arn, before: rule });
    } else {
      part.findings.push({
        listener: 'http',
        kind: 'foreign-rule',
        ruleArn: rule.arn,
        summary,
        before: rule,
      });
    }
  }
  return part;
}

/** Keeps leading authentication actions and ends with the forward to our target group. */
function repairedForwardActions(actions: readonly Action[], binding: Binding): Action[] {
  const leading = inOrder(actions)
    .filter((action) => normalizeAction(action).type === 'authenticate')
    .map(keepClientSecret);
  if (leading.length === 0) return [desiredForward(binding)];
  const orders = leading.map((action, index) => action.Order ?? index + 1);
  return [...leading, { ...desiredForward(binding), Order: Math.max(...orders) + 1 }];
}

/** "forwards to web-8080", "redirects 302 to HTTPS:#{port}", "answers 503" … for alert text. */
export function describeActions(actions: readonly Action[]): string {
  if (actions.length === 0) return 'has no action';
  return inOrder(actions)
    .map((action) => {
      const normalized = normalizeAction(action);
      switch (normalized.type) {
        case 'redirect':
          return `redirects ${normalized.statusCode.replace('HTTP_', '')} to ${normalized.protocol}:${normalized.port}`;
        case 'forward':
          return `forwards to ${normalized.targetGroups.map(targetGroupName).join(', ') || 'no target group'}`;
        case 'fixed-response':
          return `answers ${normalized.statusCode} (fixed response)`;
        case 'authenticate':
          return `authenticates (${normalized.kind})`;
        default:
          return `runs a ${normalized.kind} action`;
      }
    })
    .join(', then ');
}

function describeRedirect(binding: Binding): string {
  const redirect = binding.http.redirect;
  return `${redirect.statusCode.replace('HTTP_', '')} to ${redirect.protocol}:${redirect.port}`;
}

/** `web-8080` from a target group ARN. */
export function targetGroupName(arn: string): string {
  return /targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/**
 * A stable fingerprint of a listener's drift: the same wrong state always gives the same value, so a drift
 * that must be left alone (approved actor, paused, dry-run) is reported once, not every sweep.
 */
export function driftFingerprint(plan: Pick<ListenerPlan, 'drifts' | 'findings'>): string {
  const parts = [
    ...plan.drifts.map((drift) => [drift.listener, drift.kind, fingerprintOf(drift.before)]),
    ...plan.findings.map((finding) => ['http', finding.kind, fingerprintOf(finding.before)]),
  ];
  return parts.length === 0 ? '' : hash(JSON.stringify(parts));
}

function fingerprintOf(before: Listener | Rule | undefined): unknown {
  if (!before) return null;
  if ('defaultActions' in before) {
    return [before.protocol, before.defaultActions.map(normalizeAction), before.certificateArns.length > 0];
  }
  return [before.arn, before.actions.map(normalizeAction)];
}

/**
 * DescribeListeners never returns an OIDC action's client secret, and ModifyListener requires it unless
 * `UseExistingClientSecret` is true: an authentication action sent back is told to keep the secret it has.
 * (ELB API reference, AuthenticateOidcActionConfig: "If you are modifying a rule, you can omit this
 * parameter if you set UseExistingClientSecret to true.")
 */
function keepClientSecret(action: Action): Action {
  if (action.Type !== 'authenticate-oidc' || !action.AuthenticateOidcConfig) return action;
  const { ClientSecret: _secret, ...config } = action.AuthenticateOidcConfig;
  return { ...action, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } };
}
