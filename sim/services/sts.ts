/**
 * AWS STS (awsQuery, `https://sts.<region>.amazonaws.com`): AssumeRole and GetCallerIdentity.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 *
 * AssumeRole finds the role in the target account's IAM and evaluates its trust policy with
 * @cloud-copilot/iam-simulate, the caller as the principal and the request's context keys: `aws:PrincipalArn`
 * (the session issuer's role for a role session), `aws:PrincipalAccount`, `aws:PrincipalOrgID` (the caller
 * account's organization, when it belongs to one) and `sts:ExternalId` (when given). The caller's own
 * identity policies are not evaluated: every caller may call sts:AssumeRole. A missing role and a trust policy
 * that does not allow the caller both answer AccessDenied, as STS does.
 */
import { randomBytes } from 'node:crypto';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AwsError } from '../errors.ts';
import { principalId } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import type { Call, Environment } from './context.ts';
import type { RoleForSts } from './iam.ts';

/** Temporary credentials STS issued: requests signed with the key act as the role session. */
export interface StsSession {
  readonly accessKeyId: string;
  /** The role's account, where the session acts. */
  readonly account: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` */
  readonly arn: string;
  readonly rolePath: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** What STS needs from the simulator beyond one world: every account's roles and organizations. */
export interface StsDirectory {
  role(account: string, name: string): RoleForSts | undefined;
  organizationOf(account: string): string | undefined;
  startSession(session: StsSession): void;
}

type Handler = (input: QueryInput, call: Call) => XmlObject | Promise<XmlObject>;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/(?:[\x21-\x2e\x30-\x7e]+\/)*)([\w+=,.@-]{1,64})$/;
const DEFAULT_DURATION_SECONDS = 3600;
const MIN_DURATION_SECONDS = 900;
const MAX_DURATION_SECONDS = 43_200;
/** "Role chaining limits your … role session to a maximum of one hour." */
const CHAINED_MAX_DURATION_SECONDS = 3600;

export class StsService {
  readonly #env: Environment;

  readonly handlers: Readonly<Record<string, Handler>>;

  constructor(env: Environment, directory: StsDirectory | undefined) {
    this.#env = env;
    this.handlers = directory
      ? {
          AssumeRole: (input, call) => this.#assumeRole(directory, input, call),
          GetCallerIdentity: (_input, call) => {
            const identity = callerOf(call);
            return {
              UserId: String(identity.principalId ?? ''),
              Account: String(identity.accountId ?? this.#env.account),
              Arn: String(identity.arn ?? ''),
            };
          },
        }
      : {};
  }

  async #assumeRole(directory: StsDirectory, input: QueryInput, call: Call): Promise<XmlObject> {
    const roleArn = input.required('RoleArn');
    const sessionName = input.required('RoleSessionName');
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
      throw validation('roleSessionName', sessionName, 'satisfy regular expression pattern: [\\w+=,.@-]*');
    const externalId = input.str('ExternalId');
    if (externalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(externalId))
      throw validation('externalId', externalId, 'satisfy regular expression pattern: [\\w+=,.@:/-]*');
    const duration = input.int('DurationSeconds') ?? DEFAULT_DURATION_SECONDS;
    if (duration < MIN_DURATION_SECONDS)
      throw validation('durationSeconds', String(duration), 'have value greater than or equal to 900');
    if (duration > MAX_DURATION_SECONDS)
      throw validation('durationSeconds', String(duration), 'have value less than or equal to 43200');

    const identity = callerOf(call);
    const callerArn = String(identity.arn);
    const denied = new AwsError(
      'AccessDenied',
      `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
    const parsed = ROLE_ARN.exec(roleArn);
    if (!parsed) throw new AwsError('ValidationError', `${roleArn} is invalid`);
    const [, account = '', , name = ''] = parsed;
    const role = directory.role(account, name);
    if (!role || role.arn !== roleArn) throw denied;
    if (!(await trusts(role, identity, directory, externalId))) throw denied;

    const chained = identity.type === 'AssumedRole';
    if (chained && duration > CHAINED_MAX_DURATION_SECONDS)
      throw new AwsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      );
    if (duration > role.maxSessionDuration)
      throw new AwsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );

    const accessKeyId = `ASIA${base32(16)}`;
    const arn = `arn:aws:sts::${account}:assumed-role/${role.name}/${sessionName}`;
    const expiresAt = call.now + duration * 1000;
    directory.startSession({
      accessKeyId,
      account,
      arn,
      rolePath: role.path,
      issuedAt: call.now,
      expiresAt,
    });
    return {
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: randomBytes(30).toString('base64'),
        SessionToken: randomBytes(96).toString('base64'),
        Expiration: new Date(expiresAt),
      },
      AssumedRoleUser: { AssumedRoleId: `${principalId('AROA', role.arn)}:${sessionName}`, Arn: arn },
      PackedPolicySize: 0,
    };
  }
}

function callerOf(call: Call): Readonly<Record<string, unknown>> {
  if (!call.caller)
    throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  return call.caller.userIdentity;
}

/** Whether the role's trust policy lets this caller assume it, with the context STS supplies. */
async function trusts(
  role: RoleForSts,
  identity: Readonly<Record<string, unknown>>,
  directory: StsDirectory,
  externalId: string | undefined,
): Promise<boolean> {
  const account = String(identity.accountId);
  const issuer = (identity.sessionContext as { sessionIssuer?: { arn?: string } } | undefined)?.sessionIssuer;
  const organization = directory.organizationOf(account);
  const context: Record<string, string> = {
    'aws:PrincipalArn': issuer?.arn ?? String(identity.arn),
    'aws:PrincipalAccount': account,
    ...(organization ? { 'aws:PrincipalOrgID': organization } : {}),
    ...(externalId === undefined ? {} : { 'sts:ExternalId': externalId }),
  };
  const outcome = await runSimulation(
    {
      request: {
        principal: String(identity.arn),
        action: 'sts:AssumeRole',
        resource: { resource: role.arn, accountId: role.arn.split(':')[4] ?? '' },
        contextVariables: context,
      },
      identityPolicies: [{ name: 'caller', policy: ANY_ASSUME_ROLE }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: role.trustPolicy,
    },
    {},
  );
  return outcome.resultType !== 'error' && outcome.overallResult === 'Allowed';
}

const ANY_ASSUME_ROLE = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
};

function validation(member: string, value: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must ${constraint}`,
  );
}

/** Upper-case base32, the alphabet of AWS access key ids. */
function base32(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return [...randomBytes(length)].map((byte) => alphabet[byte % 32]).join('');
}
