/**
 * The EventBridge events AWS would emit for what happens in the simulator, and the identities that
 * CloudTrail attributes API calls to. Shapes follow the recorded samples in test/fixtures/events/.
 */
import { isoSeconds, principalId, uuid } from './ids.ts';

export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Append-only log read with a cursor: the position to pass as `after` next time. */
export class EventLog {
  readonly #events: EventBridgeEvent[] = [];
  readonly #onAppend: ((event: EventBridgeEvent) => void) | undefined;

  /** `onAppend` sees every event that happens here (the bus's rules may forward it elsewhere). */
  constructor(onAppend?: (event: EventBridgeEvent) => void) {
    this.#onAppend = onAppend;
  }

  append(event: EventBridgeEvent): void {
    this.#events.push(event);
    this.#onAppend?.(event);
  }

  /** An event another account's or region's bus forwarded here: recorded, never forwarded again. */
  receive(event: EventBridgeEvent): void {
    this.#events.push(event);
  }

  after(position: number): { events: EventBridgeEvent[]; cursor: number } {
    return { events: this.#events.slice(position), cursor: this.#events.length };
  }
}

interface Scope {
  readonly account: string;
  readonly region: string;
}

/** https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html */
export function instanceStateChangeEvent(
  scope: Scope,
  instanceId: string,
  state: string,
  at: number,
): EventBridgeEvent {
  return {
    version: '0',
    id: uuid(),
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: scope.account,
    time: isoSeconds(at),
    region: scope.region,
    resources: [`arn:aws:ec2:${scope.region}:${scope.account}:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, state },
  };
}

export interface ApiCall {
  readonly eventSource: string;
  readonly eventName: string;
  readonly at: number;
  readonly requestId: string;
  readonly identity: UserIdentity;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  /** null for the calls the simulator records without their parameters (see recordServedCall). */
  readonly requestParameters: Record<string, unknown> | null;
  readonly responseElements: Record<string, unknown> | null;
  readonly error?: { readonly code: string; readonly message: string };
  /** A read (Describe*, List*, Get*): CloudTrail's `readOnly`. */
  readonly readOnly?: boolean;
}

/**
 * An "AWS API Call via CloudTrail" event for a management call.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */
export function apiCallEvent(scope: Scope, call: ApiCall): EventBridgeEvent {
  const service = call.eventSource.replace(/\.amazonaws\.com$/, '');
  return {
    version: '0',
    id: uuid(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${service}`,
    account: scope.account,
    time: isoSeconds(call.at),
    region: scope.region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: call.identity,
      eventTime: isoSeconds(call.at),
      eventSource: call.eventSource,
      eventName: call.eventName,
      awsRegion: scope.region,
      sourceIPAddress: call.sourceIPAddress,
      userAgent: call.userAgent,
      ...(call.error ? { errorCode: call.error.code, errorMessage: call.error.message } : {}),
      requestParameters: call.requestParameters,
      responseElements: call.responseElements,
      requestID: call.requestId,
      eventID: uuid(),
      readOnly: call.readOnly ?? false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: scope.account,
      eventCategory: 'Management',
      // The simulator serves plain HTTP; these are what the regional HTTPS endpoint would have recorded.
      tlsDetails: {
        tlsVersion: 'TLSv1.3',
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        clientProvidedHostHeader: `${service}.${scope.region}.amazonaws.com`,
      },
    },
  };
}

export type UserIdentity = Readonly<Record<string, unknown>>;

/** Who made a call, as CloudTrail records it: the userIdentity and, for an AWS service, its name. */
export interface Caller {
  readonly userIdentity: UserIdentity;
  /** Set for calls an AWS service made on the account's behalf; CloudTrail then records the service's name. */
  readonly invokedBy?: string;
}

const ASSUMED_ROLE = /^arn:aws:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;
const IAM_USER = /^arn:aws:iam::(\d{12}):user\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
const ROOT = /^arn:aws:iam::(\d{12}):root$/;
// IAM paths: "/" or "/segment/…/" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
export const IAM_PATH = /^\/(?:[\x21-\x2e\x30-\x7e]+\/)*$/;
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com$/;

/** Thrown for an ARN an access key cannot belong to. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

export interface IdentityOptions {
  /**
   * The IAM path of the role behind an assumed-role ARN, which the STS ARN leaves out but the session
   * issuer's ARN keeps: `/aws-service-role/autoscaling.amazonaws.com/`, `/aws-reserved/sso.amazonaws.com/`.
   */
  readonly rolePath?: string;
  /** The AWS service making the calls (`codedeploy.amazonaws.com`), recorded as `invokedBy`. */
  readonly invokedBy?: string;
}

interface Mapping {
  readonly arn: string;
  readonly since: number;
  readonly rolePath: string;
  readonly invokedBy: string | undefined;
}

/**
 * Access keys mapped to principals, so tests can act as "a person", "the controller" or an AWS service.
 * CloudTrail's userIdentity forms, `invokedBy` among them:
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 */
export class Identities {
  readonly #byKey = new Map<string, Mapping>();
  readonly #account: string;

  constructor(account: string) {
    this.#account = account;
  }

  map(accessKeyId: string, arn: string, at: number, options: IdentityOptions = {}): UserIdentity {
    if (!ASSUMED_ROLE.test(arn) && !IAM_USER.test(arn) && !ROOT.test(arn)) {
      throw new IdentityError(
        `arn ${JSON.stringify(arn)} is not a principal an access key can belong to; use ` +
          'arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:user/NAME or arn:aws:iam::ACCOUNT:root',
      );
    }
    const { rolePath = '/', invokedBy } = options;
    if (typeof rolePath !== 'string' || !IAM_PATH.test(rolePath)) {
      throw new IdentityError(
        `rolePath must be an IAM path that begins and ends with "/", such as /aws-service-role/autoscaling.amazonaws.com/, got ${JSON.stringify(rolePath)}`,
      );
    }
    if (rolePath !== '/' && !ASSUMED_ROLE.test(arn)) {
      throw new IdentityError('rolePath applies to an assumed-role arn only');
    }
    if (invokedBy !== undefined && (typeof invokedBy !== 'string' || !SERVICE_PRINCIPAL.test(invokedBy))) {
      throw new IdentityError(
        `invokedBy must be a service principal such as codedeploy.amazonaws.com, got ${JSON.stringify(invokedBy)}`,
      );
    }
    this.#byKey.set(accessKeyId, { arn, since: at, rolePath, invokedBy });
    return this.resolve(accessKeyId).userIdentity;
  }

  clear(): void {
    this.#byKey.clear();
  }

  /** The caller for a signing key; an unmapped key is an IAM user named after the key. */
  resolve(accessKeyId: string): Caller {
    const mapped = this.#byKey.get(accessKeyId);
    const arn = mapped?.arn ?? `arn:aws:iam::${this.#account}:user/${accessKeyId}`;
    const role = ASSUMED_ROLE.exec(arn);
    if (role) {
      const [, accountId = '', roleName = '', session = ''] = role;
      const userIdentity = assumedRole({
        accountId,
        roleName,
        session,
        rolePath: mapped?.rolePath ?? '/',
        accessKeyId,
        since: mapped?.since ?? 0,
        invokedBy: mapped?.invokedBy,
      });
      return mapped?.invokedBy ? { userIdentity, invokedBy: mapped.invokedBy } : { userIdentity };
    }
    const root = ROOT.exec(arn);
    if (root)
      return { userIdentity: { type: 'Root', principalId: root[1], arn, accountId: root[1], accessKeyId } };
    const user = IAM_USER.exec(arn);
    return {
      userIdentity: {
        type: 'IAMUser',
        principalId: principalId('AIDA', arn),
        arn,
        accountId: user?.[1] ?? this.#account,
        accessKeyId,
        userName: user?.[2] ?? accessKeyId,
      },
    };
  }

  /**
   * An AWS service calling through its service-linked role in this account, e.g. Auto Scaling's
   * AWSServiceRoleForAutoScaling (https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html).
   */
  serviceLinkedRole(service: string, roleName: string, session: string, since: number): Caller {
    const userIdentity = assumedRole({
      accountId: this.#account,
      roleName,
      session,
      rolePath: `/aws-service-role/${service}/`,
      accessKeyId: principalId('ASIA', `${service}/${roleName}`),
      since,
      invokedBy: service,
    });
    return { userIdentity, invokedBy: service };
  }
}

function assumedRole(role: {
  readonly accountId: string;
  readonly roleName: string;
  readonly session: string;
  readonly rolePath: string;
  readonly accessKeyId: string;
  readonly since: number;
  readonly invokedBy: string | undefined;
}): UserIdentity {
  const roleArn = `arn:aws:iam::${role.accountId}:role${role.rolePath}${role.roleName}`;
  const roleId = principalId('AROA', roleArn);
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${role.session}`,
    arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${role.session}`,
    accountId: role.accountId,
    accessKeyId: role.accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleId,
        arn: roleArn,
        accountId: role.accountId,
        userName: role.roleName,
      },
      attributes: { creationDate: isoSeconds(role.since), mfaAuthenticated: 'false' },
    },
    ...(role.invokedBy ? { invokedBy: role.invokedBy } : {}),
  };
}
