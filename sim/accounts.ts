/**
 * Several accounts and regions in one simulator: a World per account and region, made on first use, on one
 * clock. A request is served by the world of its caller's account and its SigV4 signing region; IAM, a global
 * service, by the account's world in the simulator's own region (its home). The caller's account is the one
 * its access key was placed in (through the control API, or by STS for the credentials it issued); any other
 * key belongs to the simulator's own account, as it always did.
 *
 * Events forwarded by a rule to another account's or region's bus land there unchanged (`account` and
 * `region` stay the sender's), if that bus's resource policy allows the sender; an event a bus received from
 * another is not forwarded again ("Sending and receiving events between AWS accounts",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
 */
import { AwsError } from './errors.ts';
import type { Caller, EventBridgeEvent, IdentityOptions } from './events.ts';
import { EVENT_BUS_ARN } from './services/eventbridge.ts';
import type { RoleForSts } from './services/iam.ts';
import type { StsDirectory, StsSession } from './services/sts.ts';
import { Clock, type SimSettings } from './settings.ts';
import { World } from './world.ts';

export const ACCOUNT_ID = /^\d{12}$/;
export const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
/** AWS Organizations ids: `o-` and 10 to 32 lowercase letters or digits. */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/** Thrown for an account, region or organization id the simulator cannot hold. */
export class AccountError extends Error {
  override readonly name = 'AccountError';
}

/** A key placed in an account, with the principal it signs as there (else an IAM user named after it). */
interface PlacedKey {
  readonly account: string;
  readonly identity?: { readonly arn: string; readonly since: number; readonly options: IdentityOptions };
}

/** Services whose state is global to an account; the account's home world answers them. */
const GLOBAL_SERVICES: ReadonlySet<string> = new Set(['iam']);

export class Worlds implements StsDirectory {
  readonly account: string;
  readonly region: string;
  readonly clock = new Clock();
  readonly #settings: SimSettings;
  readonly #worlds = new Map<string, World>();
  readonly #keyAccounts = new Map<string, PlacedKey>();
  readonly #sessions = new Map<string, StsSession>();
  readonly #organizations = new Map<string, string>();
  readonly #initialOrganizations: ReadonlyMap<string, string>;
  readonly #pending = new Set<Promise<void>>();

  constructor(account: string, region: string, settings: SimSettings, organizationId?: string) {
    this.account = account;
    this.region = region;
    this.#settings = settings;
    if (organizationId !== undefined) this.setOrganization(account, organizationId);
    this.#initialOrganizations = new Map(this.#organizations);
    this.world(account, region);
  }

  /** The simulator's own account and region: what requests and control calls reach without saying otherwise. */
  get default(): World {
    return this.world(this.account, this.region);
  }

  /** The world of an account and region, made empty on first use. */
  world(account: string, region: string): World {
    if (!ACCOUNT_ID.test(account))
      throw new AccountError(`account must be 12 digits, got ${JSON.stringify(account)}`);
    if (!REGION_NAME.test(region))
      throw new AccountError(`region must be a region name such as eu-west-1, got ${JSON.stringify(region)}`);
    const key = `${account}/${region}`;
    let world = this.#worlds.get(key);
    if (!world) {
      world = new World(account, region, this.#settings, {
        clock: this.clock,
        sts: this,
        onEvent: (sender, event) => this.#forward(sender, event),
      });
      this.#worlds.set(key, world);
    }
    return world;
  }

  /** Every world made so far, the default first. */
  list(): World[] {
    return [...this.#worlds.values()];
  }

  /** The world that serves a request: the caller's account, the signing region (home for IAM). */
  route(accessKeyId: string, signingRegion: string | undefined, service: string): World {
    const account = this.accountOf(accessKeyId);
    const region = GLOBAL_SERVICES.has(service) || !signingRegion ? this.region : signingRegion;
    return REGION_NAME.test(region) ? this.world(account, region) : this.world(account, this.region);
  }

  accountOf(accessKeyId: string): string {
    return (
      this.#sessions.get(accessKeyId)?.account ?? this.#keyAccounts.get(accessKeyId)?.account ?? this.account
    );
  }

  /** Requests signed with this key come from `account`, as `identity` in each of its regions, from now on. */
  placeKey(accessKeyId: string, account: string, identity?: PlacedKey['identity']): void {
    this.#keyAccounts.set(accessKeyId, { account, ...(identity ? { identity } : {}) });
  }

  /**
   * Who signed a request in `world`: an STS session's role session (until its credentials expire, then
   * ExpiredToken), or whatever the world's identities say.
   */
  callerIn(world: World, accessKeyId: string): Caller {
    const session = this.#sessions.get(accessKeyId);
    if (session) {
      if (world.clock.now() >= session.expiresAt)
        throw new AwsError('ExpiredToken', 'The security token included in the request is expired', 403);
      world.identities.map(accessKeyId, session.arn, session.issuedAt, { rolePath: session.rolePath });
    }
    const placed = this.#keyAccounts.get(accessKeyId)?.identity;
    if (placed) world.identities.map(accessKeyId, placed.arn, placed.since, placed.options);
    return world.identities.resolve(accessKeyId);
  }

  organizationOf(account: string): string | undefined {
    return this.#organizations.get(account);
  }

  /** Makes `account` a member of the organization, or of none with `undefined`. */
  setOrganization(account: string, organizationId: string | undefined): void {
    if (!ACCOUNT_ID.test(account))
      throw new AccountError(`account must be 12 digits, got ${JSON.stringify(account)}`);
    if (organizationId === undefined) {
      this.#organizations.delete(account);
      return;
    }
    if (!ORGANIZATION_ID.test(organizationId))
      throw new AccountError(
        `organizationId must be o- and 10 to 32 lowercase letters or digits, got ${JSON.stringify(organizationId)}`,
      );
    this.#organizations.set(account, organizationId);
  }

  /** Accounts known to the simulator: their organization and the regions used so far. */
  accounts(): { account: string; organizationId?: string; regions: string[] }[] {
    const accounts = new Set([...this.list().map((world) => world.account), ...this.#organizations.keys()]);
    return [...accounts].map((account) => {
      const organizationId = this.#organizations.get(account);
      return {
        account,
        ...(organizationId ? { organizationId } : {}),
        regions: this.list()
          .filter((world) => world.account === account)
          .map((world) => world.region),
      };
    });
  }

  role(account: string, name: string): RoleForSts | undefined {
    return this.world(account, this.region).services.iam.roleForSts(name);
  }

  startSession(session: StsSession): void {
    this.#sessions.set(session.accessKeyId, session);
  }

  /** Applies every time-based change due by now, in every world: they share one clock. */
  advance(): void {
    for (const world of this.#worlds.values()) world.advance();
  }

  /** Waits for the event forwardings under way, so a response is sent only once they have landed. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Empties every world, forgets the other worlds, keys, sessions and organizations set since start. */
  reset(): void {
    for (const [key, world] of this.#worlds) {
      if (world === this.#worlds.get(`${this.account}/${this.region}`)) world.reset();
      else this.#worlds.delete(key);
    }
    this.#keyAccounts.clear();
    this.#sessions.clear();
    this.#organizations.clear();
    for (const [account, id] of this.#initialOrganizations) this.#organizations.set(account, id);
  }

  #forward(sender: World, event: EventBridgeEvent): void {
    for (const { rule, targetArn } of sender.services.events.forwardTargets(event)) {
      const [, region = '', account = '', bus = ''] = EVENT_BUS_ARN.exec(targetArn) ?? [];
      const record = (delivered: boolean, reason?: string) =>
        sender.services.events.recordForwarding({
          rule,
          targetArn,
          eventId: event.id,
          delivered,
          ...(reason ? { reason } : {}),
        });
      if (bus !== 'default' || !REGION_NAME.test(region)) {
        record(false, `the simulator serves default buses only, not ${targetArn}`);
        continue;
      }
      const receiver = this.world(account, region);
      const delivery = receiver.services.events
        .admits({ account: sender.account, organizationId: this.organizationOf(sender.account) })
        .then((admitted) => {
          if (admitted) receiver.events.receive(event);
          record(
            admitted,
            admitted
              ? undefined
              : `the resource policy of ${targetArn} does not allow account ${sender.account}`,
          );
        })
        .finally(() => this.#pending.delete(delivery));
      this.#pending.add(delivery);
    }
  }
}
