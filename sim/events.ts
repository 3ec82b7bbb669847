/**
 * The EventBridge events AWS would emit for what happens in the simulator, and the identities that
 * CloudTrail attributes API calls to. Shapes follow the recorded fixtures in shared/fixtures/events/.
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

  append(event: EventBridgeEvent): void {
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
  readonly requestParameters: Record<string, unknown>;
  readonly responseElements: Record<string, unknown> | null;
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * An "AWS API Call via CloudTrail" event for a management write call.
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
      readOnly: false,
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

const ASSUMED_ROLE = /^arn:aws:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;
const IAM_USER = /^arn:aws:iam::(\d{12}):user\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
const ROOT = /^arn:aws:iam::(\d{12}):root$/;

/** Thrown for an ARN an access key cannot belong to. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

/**
 * Access keys mapped to principals, so tests can act as "a person" or as "the controller". CloudTrail's
 * userIdentity forms: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 */
export class Identities {
  readonly #byKey = new Map<string, { arn: string; since: number }>();
  readonly #account: string;

  constructor(account: string) {
    this.#account = account;
  }

  map(accessKeyId: string, arn: string, at: number): UserIdentity {
    if (!ASSUMED_ROLE.test(arn) && !IAM_USER.test(arn) && !ROOT.test(arn)) {
      throw new IdentityError(
        `arn ${JSON.stringify(arn)} is not a principal an access key can belong to; use ` +
          'arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:user/NAME or arn:aws:iam::ACCOUNT:root',
      );
    }
    this.#byKey.set(accessKeyId, { arn, since: at });
    return this.resolve(accessKeyId);
  }

  clear(): void {
    this.#byKey.clear();
  }

  /** The CloudTrail userIdentity for a signing key; an unmapped key is an IAM user named after the key. */
  resolve(accessKeyId: string): UserIdentity {
    const mapped = this.#byKey.get(accessKeyId);
    const arn = mapped?.arn ?? `arn:aws:iam::${this.#account}:user/${accessKeyId}`;
    const role = ASSUMED_ROLE.exec(arn);
    if (role) {
      const [, accountId = '', roleName = '', session = ''] = role;
      const roleArn = `arn:aws:iam::${accountId}:role/${roleName}`;
      const roleId = principalId('AROA', roleArn);
      return {
        type: 'AssumedRole',
        principalId: `${roleId}:${session}`,
        arn,
        accountId,
        accessKeyId,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: roleId, arn: roleArn, accountId, userName: roleName },
          attributes: { creationDate: isoSeconds(mapped?.since ?? 0), mfaAuthenticated: 'false' },
        },
      };
    }
    const root = ROOT.exec(arn);
    if (root) return { type: 'Root', principalId: root[1], arn, accountId: root[1], accessKeyId };
    const user = IAM_USER.exec(arn);
    return {
      type: 'IAMUser',
      principalId: principalId('AIDA', arn),
      arn,
      accountId: user?.[1] ?? this.#account,
      accessKeyId,
      userName: user?.[2] ?? accessKeyId,
    };
  }
}
