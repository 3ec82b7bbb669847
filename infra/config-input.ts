/**
 * The configuration document a deployment takes (`AlbWarden` props.config, cdk.json context "config"): the
 * functions' WardenConfig without what the deployment creates (`controllerRoleArns`, `alerts.topicArn`,
 * `alerts.stateTable`). Written out rather than inferred from the schema so the package's type declarations
 * stand alone; test/infra/config-input.test.ts fails when the two disagree.
 */

export interface AlbWardenConfig {
  /** `enforce` repairs; `dry-run` only reports what it would do. @default 'enforce' */
  readonly mode?: 'enforce' | 'dry-run';
  /** The load balancers to guard (up to 1000); at least one binding or one discovery policy. @default [] */
  readonly bindings?: readonly BindingInput[];
  /** Policies that guard every load balancer carrying their tags (up to 20). @default [] */
  readonly discovery?: readonly DiscoveryPolicyInput[];
  /**
   * Member accounts and regions the hub guards through the member stack's role; a binding outside the hub's
   * account and region needs one. @default []
   */
  readonly members?: readonly MemberInput[];
  /** When and how often target health alerts fire. @default - each field's default */
  readonly alerts?: AlertsInput;
  /** Limits on what one run may do. @default - each field's default */
  readonly safety?: {
    /** The largest share of a group's targets one run may deregister. @default 0.5 */
    readonly maxDeregisterFraction?: number;
  };
  /** ARN patterns (`*` wildcards) of principals whose listener changes are kept, not repaired. @default [] */
  readonly approvedActors?: readonly string[];
  /** How long unexplained drift waits for its CloudTrail event while `approvedActors` is set. @default 10 */
  readonly approvalGraceMinutes?: number;
  /** Stops repairing a binding that keeps drifting back. @default - each field's default */
  readonly circuitBreaker?: {
    /** Repairs of one binding within the window before the breaker opens. @default 3 */
    readonly maxRepairs?: number;
    /** @default 30 */
    readonly windowMinutes?: number;
  };
  /** AWS services whose target deregistrations are respected, and for how long. @default - each field's default */
  readonly coOwners?: {
    /** Service principals (`invokedBy` or a service-linked role's service). @default autoscaling, codedeploy, elasticbeanstalk */
    readonly services?: readonly string[];
    /** How long a target such a service took out is not registered again. @default 65 */
    readonly holdMinutes?: number;
  };
  /** @default - each field's default */
  readonly eventPipeline?: {
    /** Drift repaired by the sweep that no event reported, this often a day, warns of a broken event pipeline. @default 2 */
    readonly warnAfterUnreportedDrifts?: number;
  };
  /** @default - each field's default */
  readonly limits?: {
    /** Bindings a sweep works on at once. @default 4 */
    readonly concurrentBindings?: number;
    /** Share of each ELB API throttling bucket the controller may use. @default 0.25 */
    readonly apiShare?: number;
    /** The sweep workers' part of apiShare; guard and register keep the rest. @default 0.5 */
    readonly sweepFraction?: number;
    /** Sweep workers at once: the sweep queue's maximum concurrency (2 or more). @default 2 */
    readonly sweepWorkers?: number;
  };
}

export interface AlertsInput {
  /** Consecutive sweeps a target stays unhealthy before it is alerted. @default 2 */
  readonly unhealthyAfterSweeps?: number;
  /** Reminder interval while a condition lasts; 0: never. @default 60 */
  readonly remindEveryMinutes?: number;
  /** `initial`/`draining` longer than this counts as unhealthy. @default 10 */
  readonly stuckAfterMinutes?: number;
  /** Unhealthy alerts are critical below this share of healthy targets. @default 0.5 */
  readonly criticalBelowHealthyFraction?: number;
  /** @default - each field's default */
  readonly flapping?: {
    /** Healthy↔unhealthy switches within the window that make one TargetFlapping. @default 4 */
    readonly transitions?: number;
    /** @default 30 */
    readonly windowMinutes?: number;
  };
  /** How far back an alert lists the controller's recent changes. @default 30 */
  readonly contextMinutes?: number;
}

export interface BindingInput {
  /** 1-32 letters, digits, `-` or `_`, unique. */
  readonly name: string;
  /** The Application Load Balancer's ARN (or a deploy-time value). */
  readonly loadBalancerArn: string;
  /** The target group's ARN, in the load balancer's account and region. */
  readonly targetGroupArn: string;
  /** The port instances are registered on. @default 8080 */
  readonly targetPort?: number;
  /** Which instances belong in the target group. */
  readonly instanceSelector: InstanceSelectorInput;
  /** The HTTP listener. @default - each field's default */
  readonly http?: {
    /** @default 80 */
    readonly port?: number;
    /** Rules on the HTTP listener that serve plain HTTP: removed, or only reported. @default 'remove' */
    readonly foreignRules?: 'remove' | 'report';
    /** The redirect the listener must answer with. @default { protocol: 'HTTPS' } (301, host, path, query kept) */
    readonly redirect?: RedirectInput;
  };
  /** The HTTPS listener. @default - each field's default */
  readonly https?: {
    /** @default 443 */
    readonly port?: number;
    /** @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' */
    readonly sslPolicy?: string;
    /** The certificate the listener must present. @default - not enforced */
    readonly certificateArn?: string;
    /** `exact`: the bound group is the only weighted one. @default 'includes-target-group' */
    readonly forward?: 'exact' | 'includes-target-group';
  };
  /** The target group's health check, enforced when given. @default - not enforced */
  readonly healthCheck?: HealthCheckInput;
}

export interface DiscoveryPolicyInput {
  /** 1-32 letters, digits, `-` or `_`, unique among policies. */
  readonly name: string;
  /** The load balancers this policy guards: those carrying all these tags (1 to 50). */
  readonly selector: { readonly tags: Readonly<Record<string, string>> };
  /** What a load balancer's `alb-warden:*` tags leave out. @default - each binding field's default */
  readonly defaults?: Pick<BindingInput, 'targetPort' | 'http' | 'https' | 'healthCheck'> & {
    /** Instances for load balancers without an `alb-warden:instance-selector` tag. @default - the tag is required */
    readonly instanceSelector?: InstanceSelectorInput;
  };
}

export interface InstanceSelectorInput {
  /** Instances carrying all these tags (at least one). */
  readonly tags: Readonly<Record<string, string>>;
}

export interface RedirectInput {
  readonly protocol: 'HTTPS';
  /** @default - https.port */
  readonly port?: string;
  /** @default 'HTTP_301' */
  readonly statusCode?: 'HTTP_301' | 'HTTP_302';
  /** @default '#{host}' */
  readonly host?: string;
  /** @default '/#{path}' */
  readonly path?: string;
  /** @default '#{query}' */
  readonly query?: string;
}

export interface HealthCheckInput {
  /** @default 'HTTP' */
  readonly protocol?: 'HTTP' | 'HTTPS';
  /** @default 'traffic-port' */
  readonly port?: string;
  readonly path: string;
  /** HTTP codes like "200", "200,404" or "200-299". */
  readonly matcher: string;
  /** @default 30 */
  readonly intervalSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 5 */
  readonly healthyThreshold?: number;
  /** @default 2 */
  readonly unhealthyThreshold?: number;
}

export interface MemberInput {
  /** The member's 12-digit account id. */
  readonly account: string;
  /** The regions of the account whose bindings the hub guards. */
  readonly regions: readonly string[];
  /** The role to assume in each region. @default `AlbWardenMember-<region>`, the member stack's role */
  readonly roleName?: string;
  /** Passed to AssumeRole when the member role's trust requires `sts:ExternalId`. */
  readonly externalId?: string;
  /** Discovery policies run in each of the member's regions with its role. @default [] */
  readonly discovery?: readonly DiscoveryPolicyInput[];
}
