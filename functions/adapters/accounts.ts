/**
 * Credentials for a member account and region: STS AssumeRole into the member role, cached while they are
 * valid and asked for again shortly before they expire, so a sweep a minute costs one AssumeRole an hour per
 * member and region, not one a call.
 *
 * Our own cache rather than `fromTemporaryCredentials` (@aws-sdk/credential-providers): the sweep asks for
 * the credentials before a member's work starts, so a refused role fails that member once, before any of its
 * bindings, and the expiry is decided on the controller's injectable clock, which tests move.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import type { MemberAccess } from '../domain/accounts.ts';
import { errorText, MemberAccessError } from '../errors.ts';

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface AssumeRoleRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly externalId?: string | undefined;
}

export type AssumeRole = (request: AssumeRoleRequest) => Promise<TemporaryCredentials>;

/** Asked for again this long before they expire (the SDK refreshes its own identities 5 minutes early). */
export const REFRESH_BEFORE_MS = 10 * 60_000;

export class RoleCredentials {
  private readonly assumeRole: AssumeRole;
  private readonly access: MemberAccess;
  private readonly now: () => number;
  private current: TemporaryCredentials | undefined;
  private pending: Promise<TemporaryCredentials> | undefined;

  constructor(assumeRole: AssumeRole, access: MemberAccess, now: () => number) {
    this.assumeRole = assumeRole;
    this.access = access;
    this.now = now;
  }

  /** Valid credentials: the cached ones, or new ones when they are missing or about to expire. */
  get(): Promise<TemporaryCredentials> {
    const current = this.current;
    if (current && current.expiration.getTime() - this.now() > REFRESH_BEFORE_MS)
      return Promise.resolve(current);
    this.pending ??= this.assume().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async assume(): Promise<TemporaryCredentials> {
    const { scope, roleArn, externalId } = this.access;
    try {
      this.current = await this.assumeRole({
        roleArn,
        // Shows in the member's CloudTrail as the session of the hub's role.
        sessionName: `alb-warden-${scope.region}`,
        externalId,
      });
      return this.current;
    } catch (cause) {
      this.current = undefined;
      throw new MemberAccessError(
        `cannot assume ${roleArn} (account ${scope.account}, ${scope.region}): ${errorText(cause)}`,
        { cause, account: scope.account, region: scope.region, roleArn },
      );
    }
  }
}
