/**
 * The domain's vocabulary for what the operator configured: a binding (one guarded load balancer) and the
 * controller-wide settings. The configuration schema (config.ts) produces values of these types; the domain
 * depends only on them, never on the schema or on how the configuration was loaded.
 */

export interface RedirectSettings {
  readonly protocol: 'HTTPS';
  readonly port: string;
  readonly statusCode: 'HTTP_301' | 'HTTP_302';
  readonly host: string;
  readonly path: string;
  readonly query: string;
}

export interface HealthCheckSettings {
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly port: string;
  readonly path: string;
  readonly matcher: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface Binding {
  readonly name: string;
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  readonly targetPort: number;
  readonly instanceSelector: { readonly tags: Readonly<Record<string, string>> };
  readonly http: {
    readonly port: number;
    /** Rules on the HTTP listener that serve plain HTTP: removed, or only reported. */
    readonly foreignRules: 'remove' | 'report';
    readonly redirect: RedirectSettings;
  };
  readonly https: {
    readonly port: number;
    readonly sslPolicy: string;
    readonly certificateArn?: string | undefined;
    /**
     * `includes-target-group`: any forward that sends a non-zero weight to the bound group is in order (a
     * canary or blue/green weighting is left alone); `exact`: the bound group must be the only weighted one.
     */
    readonly forward: 'exact' | 'includes-target-group';
  };
  /** Enforced only when given. */
  readonly healthCheck?: HealthCheckSettings | undefined;
}

/** What a discovery policy fills in when a load balancer's tags leave it out. */
export interface DiscoveryDefaults {
  readonly targetPort?: number | undefined;
  readonly instanceSelector?: { readonly tags: Readonly<Record<string, string>> } | undefined;
  readonly http?:
    | (Omit<Binding['http'], 'redirect'> & {
        readonly redirect: Omit<RedirectSettings, 'port'> & { readonly port?: string | undefined };
      })
    | undefined;
  readonly https?: Binding['https'] | undefined;
  readonly healthCheck?: HealthCheckSettings | undefined;
}

/** Bindings declared once: every load balancer whose tags include `selector.tags` (domain/discovery.ts). */
export interface DiscoveryPolicy {
  readonly name: string;
  readonly selector: { readonly tags: Readonly<Record<string, string>> };
  readonly defaults: DiscoveryDefaults;
}

export type Mode = 'enforce' | 'dry-run';

/** A member account whose load balancers the hub guards in the listed regions, through a role it assumes. */
export interface MemberSettings {
  readonly account: string;
  readonly regions: readonly string[];
  /** The role to assume in each region. @default `AlbWardenMember-<region>`, the member stack's role */
  readonly roleName?: string | undefined;
  /** Passed to AssumeRole when the member role's trust requires `sts:ExternalId`. */
  readonly externalId?: string | undefined;
  /** Discovery policies run in each of the member's regions, with its role. @default [] */
  readonly discovery?: readonly DiscoveryPolicy[] | undefined;
}

export interface CircuitBreakerSettings {
  readonly maxRepairs: number;
  readonly windowMinutes: number;
}

/** How much the controller does at once, and how much of the account's ELB API it takes. */
export interface LimitSettings {
  /** Bindings one invocation works on at once. */
  readonly concurrentBindings: number;
  /** The controller's share of each ELB API bucket. */
  readonly apiShare: number;
  /** The sweep workers' part of `apiShare`; the event functions keep the rest. */
  readonly sweepFraction: number;
  /** Sweep workers running at once. */
  readonly sweepWorkers: number;
}

export interface AlertSettings {
  readonly topicArn: string;
  readonly stateTable: string;
  readonly unhealthyAfterSweeps: number;
  readonly remindEveryMinutes: number;
  readonly stuckAfterMinutes: number;
  readonly criticalBelowHealthyFraction: number;
  readonly flapping: { readonly transitions: number; readonly windowMinutes: number };
  readonly contextMinutes: number;
}

export interface WardenSettings {
  readonly mode: Mode;
  readonly controllerRoleArns: readonly string[];
  readonly alerts: AlertSettings;
  readonly safety: { readonly maxDeregisterFraction: number };
  readonly approvedActors: readonly string[];
  /**
   * How long drift that no event explains waits for its CloudTrail event before it is repaired, while
   * `approvedActors` is set: an approved change is never reverted for arriving late. 0: no wait.
   */
  readonly approvalGraceMinutes: number;
  readonly circuitBreaker: CircuitBreakerSettings;
  /**
   * AWS services that deregister targets for their own operations (`invokedBy` or a service-linked role's
   * service), and how long such a target is held before the controller registers it again.
   */
  readonly coOwners: { readonly services: readonly string[]; readonly holdMinutes: number };
  readonly eventPipeline: { readonly warnAfterUnreportedDrifts: number };
  readonly limits: LimitSettings;
  readonly bindings: readonly Binding[];
  /** Policies that make bindings of tagged load balancers, beside the explicit `bindings`. */
  readonly discovery: readonly DiscoveryPolicy[];
  /** Accounts and regions besides the hub's own (its alert topic's) whose bindings the hub guards. */
  readonly members: readonly MemberSettings[];
}
