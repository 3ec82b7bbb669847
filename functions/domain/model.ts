/**
 * What the controller observes, in AWS's own terms. Listener actions keep the ELB API's PascalCase shape so
 * a before-image in an alert can be pasted into `aws elbv2 modify-listener --default-actions` to undo a repair.
 */
import type { HealthCheckSettings } from './settings.ts';

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export const INSTANCE_STATES: readonly InstanceState[] = [
  'pending',
  'running',
  'stopping',
  'stopped',
  'shutting-down',
  'terminated',
];

export interface Instance {
  readonly id: string;
  readonly state: InstanceState;
  readonly vpcId?: string | undefined;
  readonly availabilityZone?: string | undefined;
  /** When the instance last started (EC2 updates it on every start): one run of the instance. */
  readonly launchTime?: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

/** A target group member, as `id:port` identifies it. */
export interface Target {
  readonly id: string;
  readonly port: number;
}

export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface TargetHealth extends Target {
  readonly state: TargetHealthState;
  readonly reasonCode?: string | undefined;
  readonly description?: string | undefined;
}

export interface RedirectAction {
  readonly Protocol?: string;
  readonly Port?: string;
  readonly Host?: string;
  readonly Path?: string;
  readonly Query?: string;
  readonly StatusCode?: string;
}

export interface ForwardConfig {
  readonly TargetGroups?: readonly { readonly TargetGroupArn?: string; readonly Weight?: number }[];
  readonly TargetGroupStickinessConfig?: { readonly Enabled?: boolean; readonly DurationSeconds?: number };
}

export interface FixedResponseAction {
  readonly StatusCode?: string;
  readonly ContentType?: string;
  readonly MessageBody?: string;
}

/** An ELBv2 listener or rule action (the fields the controller reads; others pass through untouched). */
export interface Action {
  readonly Type: string;
  readonly Order?: number;
  readonly TargetGroupArn?: string;
  readonly ForwardConfig?: ForwardConfig;
  readonly RedirectConfig?: RedirectAction;
  readonly FixedResponseConfig?: FixedResponseAction;
  /** Passed through as ELB returned it, but for the client secret (see keepClientSecret). */
  readonly AuthenticateOidcConfig?: {
    readonly ClientSecret?: string;
    readonly UseExistingClientSecret?: boolean;
    readonly [field: string]: unknown;
  };
}

export interface Listener {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly port: number;
  readonly protocol: string;
  readonly sslPolicy?: string | undefined;
  readonly certificateArns: readonly string[];
  readonly defaultActions: readonly Action[];
  /** Mutual TLS (`MutualAuthentication` in the ELB API), kept as AWS returned it. */
  readonly mutualAuthentication?: Readonly<Record<string, unknown>> | undefined;
}

export interface Rule {
  readonly arn: string;
  readonly priority: string;
  readonly isDefault: boolean;
  readonly conditions: readonly unknown[];
  readonly actions: readonly Action[];
}

/**
 * A target group's health check as ELB reports it: the fields a binding's health check sets, any of them
 * missing, with any protocol ELB has (TCP, say), not only the two a binding may ask for.
 */
export type TargetGroupHealthCheck = Partial<Omit<HealthCheckSettings, 'protocol'>> & {
  readonly protocol?: string | undefined;
};

export interface TargetGroup {
  readonly arn: string;
  readonly vpcId?: string | undefined;
  readonly loadBalancerArns: readonly string[];
  readonly healthCheck: TargetGroupHealthCheck;
}

/** Who made a change, from a CloudTrail record. */
export interface Actor {
  /** `userIdentity.arn`: the session or user that made the call. */
  readonly arn: string;
  /** `sessionContext.sessionIssuer.arn` for assumed roles: the role behind the session. */
  readonly issuerArn?: string | undefined;
  /** `userIdentity.invokedBy`: the AWS service that made the call on the principal's behalf. */
  readonly invokedBy?: string | undefined;
  readonly sourceIp?: string | undefined;
  readonly eventTime?: string | undefined;
  readonly eventName?: string | undefined;
  readonly eventId?: string | undefined;
}

export const targetKey = (target: Target): string => `${target.id}:${target.port}`;
