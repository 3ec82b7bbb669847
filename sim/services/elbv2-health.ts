/**
 * Registered targets and what DescribeTargetHealth reports for them, with AWS's states, reason codes and
 * descriptions (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 * and https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
 */
import type { XmlObject } from '../protocols/xml.ts';
import type { Environment } from './context.ts';
import type { Ec2Service, InstanceStateName } from './ec2.ts';

const TARGET_STATES = ['initial', 'healthy', 'unhealthy', 'unused', 'draining', 'unavailable'] as const;
export type TargetState = (typeof TARGET_STATES)[number];

/** The description AWS gives with each reason code. */
const REASON_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'Elb.RegistrationInProgress': 'Target registration is in progress',
  'Elb.InitialHealthChecking': 'Initial health checks in progress',
  'Elb.InternalError': 'Health checks failed due to an internal error',
  'Target.ResponseCodeMismatch': 'Health checks failed with these codes: [502]',
  'Target.Timeout': 'Request timed out',
  'Target.FailedHealthChecks': 'Health checks failed',
  'Target.NotRegistered': 'Target is not registered to the target group',
  'Target.NotInUse': 'Target group is not configured to receive traffic from the load balancer',
  'Target.DeregistrationInProgress': 'Target deregistration is in progress',
  'Target.InvalidState': 'Target is in the stopped state',
  'Target.IpUnusable': 'The IP address cannot be used as a target, as it is in use by a load balancer',
  'Target.HealthCheckDisabled': 'Health checks are disabled',
};

const DEFAULT_REASONS: Readonly<Record<Exclude<TargetState, 'healthy'>, string>> = {
  initial: 'Elb.InitialHealthChecking',
  unhealthy: 'Target.FailedHealthChecks',
  unused: 'Target.NotInUse',
  draining: 'Target.DeregistrationInProgress',
  unavailable: 'Elb.InternalError',
};

export interface HealthOverride {
  readonly state: Exclude<TargetState, 'healthy'>;
  readonly reasonCode: string;
  readonly description: string;
}

/** Thrown for a target-health request the simulator cannot honour; the message names the bad field. */
export class HealthOverrideError extends Error {
  override readonly name = 'HealthOverrideError';
}

/**
 * The override a control-API request asks for, with AWS's reason code and description for the state
 * filled in where the request leaves them out; undefined for `healthy`, which clears the override.
 */
export function healthOverride(
  state: unknown,
  reasonCode: unknown,
  description: unknown,
): HealthOverride | undefined {
  if (typeof state !== 'string' || !(TARGET_STATES as readonly string[]).includes(state)) {
    throw new HealthOverrideError(
      `state must be one of ${TARGET_STATES.join(', ')}, got ${JSON.stringify(state)}`,
    );
  }
  if (state === 'healthy') return undefined;
  const reason = reasonCode ?? DEFAULT_REASONS[state as HealthOverride['state']];
  if (typeof reason !== 'string' || REASON_DESCRIPTIONS[reason] === undefined) {
    throw new HealthOverrideError(
      `reasonCode must be one of ${Object.keys(REASON_DESCRIPTIONS).join(', ')}, got ${JSON.stringify(reasonCode)}`,
    );
  }
  if (description !== undefined && typeof description !== 'string') {
    throw new HealthOverrideError(`description must be a string, got ${JSON.stringify(description)}`);
  }
  return {
    state: state as HealthOverride['state'],
    reasonCode: reason,
    description: description ?? REASON_DESCRIPTIONS[reason] ?? '',
  };
}

interface Registration {
  readonly id: string;
  readonly port: number;
  registeredAt: number;
  /** When deregistration began (by DeregisterTargets, or by the instance terminating). */
  drainingSince: number | undefined;
  /** The group's deregistration delay when draining began: AWS applies the value in force then. */
  drainMs: number;
}

export interface TargetGroupView {
  readonly arn: string;
  readonly port: number;
  readonly healthCheck: {
    readonly port: string;
    readonly enabled: boolean;
    readonly intervalSeconds: number;
  };
}

export interface GroupUsage {
  /** Whether any load balancer's listener forwards to the group. */
  readonly inUse: boolean;
  /** Availability zones enabled on those load balancers. */
  readonly zones: ReadonlySet<string>;
}

export class TargetHealthBook {
  readonly #env: Environment;
  readonly #ec2: Ec2Service;
  readonly #registrations = new Map<string, Map<string, Registration>>();
  readonly #overrides = new Map<string, HealthOverride>();

  constructor(env: Environment, ec2: Ec2Service) {
    this.#env = env;
    this.#ec2 = ec2;
  }

  /**
   * A deregistered target is `draining` while connection draining runs, for the target group's deregistration
   * delay (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-register-targets.html,
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay),
   * and gone once the delay has passed. A target whose instance no longer
   * exists (a terminated instance EC2 has stopped reporting) is deregistered by ELB itself.
   * Not modelled: the simulator carries no traffic, and drains every target as one with connections open would;
   * at AWS a target with no in-flight requests and no active connections finishes deregistering at once (the
   * second page above).
   */
  advance(now: number, deregistrationDelayMs: (groupArn: string) => number): void {
    for (const [groupArn, registrations] of this.#registrations) {
      for (const [key, registration] of registrations) {
        if (registration.drainingSince === undefined && !this.#ec2.instance(registration.id)) {
          registration.drainingSince = now;
          registration.drainMs = deregistrationDelayMs(groupArn);
        }
        if (
          registration.drainingSince !== undefined &&
          registration.drainingSince + registration.drainMs <= now
        ) {
          registrations.delete(key);
        }
      }
    }
  }

  /** Whether the target is draining: deregistered, its delay not over (Auto Scaling waits for that to end). */
  isDraining(groupArn: string, id: string): boolean {
    return [...this.#of(groupArn).values()].some((r) => r.id === id && r.drainingSince !== undefined);
  }

  #of(groupArn: string): Map<string, Registration> {
    let registrations = this.#registrations.get(groupArn);
    if (!registrations) {
      registrations = new Map();
      this.#registrations.set(groupArn, registrations);
    }
    return registrations;
  }

  /** How many targets the group would count after registering `targets` (draining ones still count). */
  countAfterRegistering(groupArn: string, targets: readonly { id: string; port: number }[]): number {
    const keys = new Set(this.#of(groupArn).keys());
    for (const target of targets) keys.add(`${target.id}:${target.port}`);
    return keys.size;
  }

  /**
   * Registering an already registered target changes nothing; a draining one is registered afresh.
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-register-targets.html asks
   * to wait for the deregistration delay only for targets registered by IP address, which this model does not
   * serve; for an instance target AWS documents neither a refusal nor a wait, and "afresh" is our reading of
   * that silence.
   */
  register(groupArn: string, targets: readonly { id: string; port: number }[], now: number): void {
    const registrations = this.#of(groupArn);
    for (const { id, port } of targets) {
      const existing = registrations.get(`${id}:${port}`);
      if (existing && existing.drainingSince === undefined) continue;
      registrations.set(`${id}:${port}`, {
        id,
        port,
        registeredAt: now,
        drainingSince: undefined,
        drainMs: 0,
      });
    }
  }

  /** "If the specified target does not exist, the action returns successfully." (DeregisterTargets) */
  deregister(
    groupArn: string,
    targets: readonly { id: string; port: number }[],
    now: number,
    drainMs: number,
  ): void {
    const registrations = this.#of(groupArn);
    for (const { id, port } of targets) {
      const registration = registrations.get(`${id}:${port}`);
      if (registration && registration.drainingSince === undefined) {
        registration.drainingSince = now;
        registration.drainMs = drainMs;
      }
    }
  }

  forgetGroup(groupArn: string): void {
    this.#registrations.delete(groupArn);
    for (const key of [...this.#overrides.keys()]) {
      if (key.startsWith(`${groupArn}\n`)) this.#overrides.delete(key);
    }
  }

  override(groupArn: string, targetId: string, override: HealthOverride | undefined): void {
    const key = `${groupArn}\n${targetId}`;
    if (override) this.#overrides.set(key, override);
    else this.#overrides.delete(key);
  }

  /** TargetHealthDescriptions for every registered target, or for the targets asked about. */
  describe(
    group: TargetGroupView,
    asked: readonly { id: string; port: number | undefined }[],
    now: number,
    usage: GroupUsage,
  ): XmlObject[] {
    const registrations = [...this.#of(group.arn).values()];
    if (asked.length === 0)
      return registrations.map((r) =>
        this.#description(group, r.id, r.port, this.#health(group, r, now, usage)),
      );
    return asked.flatMap(({ id, port }) => {
      const matching = registrations.filter((r) => r.id === id && (port === undefined || r.port === port));
      if (matching.length === 0) {
        return [this.#description(group, id, port ?? group.port, reported('unused', 'Target.NotRegistered'))];
      }
      return matching.map((r) => this.#description(group, r.id, r.port, this.#health(group, r, now, usage)));
    });
  }

  #description(group: TargetGroupView, id: string, port: number, health: XmlObject): XmlObject {
    return {
      Target: { Id: id, Port: port },
      HealthCheckPort: group.healthCheck.port === 'traffic-port' ? String(port) : group.healthCheck.port,
      TargetHealth: health,
      AdministrativeOverride: {
        State: 'no_override',
        Reason: 'AdministrativeOverride.NoOverride',
        Description: 'No override is currently active on target',
      },
    };
  }

  /** The first condition that applies, in the order AWS's own checks take precedence. */
  #health(group: TargetGroupView, registration: Registration, now: number, usage: GroupUsage): XmlObject {
    if (registration.drainingSince !== undefined)
      return reported('draining', 'Target.DeregistrationInProgress');
    const instance = this.#ec2.instance(registration.id);
    if (instance?.state !== 'running') return invalidState(instance?.state);
    if (!usage.inUse) return reported('unused', 'Target.NotInUse');
    if (!usage.zones.has(instance.availabilityZone)) {
      return {
        State: 'unused',
        Reason: 'Target.NotInUse',
        Description: 'Target is in an Availability Zone that is not enabled for the load balancer',
      };
    }
    if (!group.healthCheck.enabled) return reported('unavailable', 'Target.HealthCheckDisabled');
    // Registration, then the initial health check: "After your target is registered, it must pass one
    // health check to be considered healthy" (target-group-health-checks.html), one interval later.
    const runningSince = instance.runningSince ?? 0;
    const registered = registration.registeredAt + this.#env.settings().delays.targetRegistrationMs;
    if (registration.registeredAt >= runningSince && now < registered) {
      return reported('initial', 'Elb.RegistrationInProgress');
    }
    const checkingSince = Math.max(registered, runningSince);
    if (now < checkingSince + group.healthCheck.intervalSeconds * 1000) {
      return reported('initial', 'Elb.InitialHealthChecking');
    }
    const override = this.#overrides.get(`${group.arn}\n${registration.id}`);
    if (override)
      return { State: override.state, Reason: override.reasonCode, Description: override.description };
    return { State: 'healthy' };
  }
}

/** The Target.InvalidState descriptions of the target health reason code table, by instance state. */
function invalidState(instanceState: InstanceStateName | undefined): XmlObject {
  const description =
    instanceState === 'stopping' || instanceState === 'stopped'
      ? 'Target is in the stopped state'
      : instanceState === 'shutting-down' || instanceState === 'terminated'
        ? 'Target is in the terminated state'
        : 'Target is in an invalid state';
  return { State: 'unused', Reason: 'Target.InvalidState', Description: description };
}

function reported(state: TargetState, reason: string): XmlObject {
  return { State: state, Reason: reason, Description: REASON_DESCRIPTIONS[reason] };
}
