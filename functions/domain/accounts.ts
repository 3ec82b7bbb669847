/**
 * Where a binding lives: the account and region of its load balancer. The hub (the account and region of its
 * alert topic) acts with its own credentials; every other account and region is a member, reached through the
 * role the member stack creates there.
 */
import { arnParts } from './arn.ts';
import type { Binding, DiscoveryPolicy, MemberSettings, WardenSettings } from './settings.ts';

/** The member role's name without its region: `AlbWardenMember-<region>` (IAM names are account-wide). */
export const MEMBER_ROLE_PREFIX = 'AlbWardenMember';

export function defaultMemberRoleName(region: string): string {
  return `${MEMBER_ROLE_PREFIX}-${region}`;
}

export interface Scope {
  readonly account: string;
  readonly region: string;
}

export function scopeKey(scope: Scope): string {
  return `${scope.account}/${scope.region}`;
}

export function scopeOfBinding(binding: Binding): Scope {
  const parts = arnParts(binding.loadBalancerArn);
  return { account: parts?.account ?? '', region: parts?.region ?? '' };
}

/** The hub's own account and region: those of its alert topic, which lives beside its functions. */
export function hubScope(config: Pick<WardenSettings, 'alerts'>): Scope {
  const parts = arnParts(config.alerts.topicArn);
  return { account: parts?.account ?? '', region: parts?.region ?? '' };
}

export function sameScope(a: Scope, b: Scope): boolean {
  return a.account === b.account && a.region === b.region;
}

/** The role to assume in a member account and region. */
export interface MemberAccess {
  readonly scope: Scope;
  readonly roleArn: string;
  readonly externalId?: string | undefined;
}

/** How the hub reaches `scope`: undefined for its own account and region (its own credentials). */
export function memberAccess(config: WardenSettings, scope: Scope): MemberAccess | undefined {
  if (sameScope(scope, hubScope(config))) return undefined;
  const member = config.members.find(
    (entry: MemberSettings) => entry.account === scope.account && entry.regions.includes(scope.region),
  );
  if (!member) return undefined;
  const partition = arnParts(config.alerts.topicArn)?.partition ?? 'aws';
  return {
    scope,
    roleArn: `arn:${partition}:iam::${scope.account}:role/${member.roleName ?? defaultMemberRoleName(scope.region)}`,
    externalId: member.externalId,
  };
}

/** The bindings of one account and region, in configuration order. */
export interface ScopedBindings {
  readonly scope: Scope;
  readonly bindings: readonly Binding[];
}

export function groupByScope(bindings: readonly Binding[]): ScopedBindings[] {
  const groups = new Map<string, { scope: Scope; bindings: Binding[] }>();
  for (const binding of bindings) {
    const scope = scopeOfBinding(binding);
    const key = scopeKey(scope);
    const group = groups.get(key) ?? { scope, bindings: [] };
    group.bindings.push(binding);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The configuration as one account and region's work sees it: only that scope's bindings, and only its
 * discovery policies (the hub's own in `discovery`, a member's in its one `members` entry).
 */
export function narrowTo(config: WardenSettings, scope: Scope): WardenSettings {
  const hub = sameScope(scope, hubScope(config));
  return {
    ...config,
    bindings: config.bindings.filter((binding) => sameScope(scopeOfBinding(binding), scope)),
    discovery: hub ? config.discovery : [],
    members: hub
      ? []
      : config.members
          .filter((member) => member.account === scope.account && member.regions.includes(scope.region))
          .map((member) => ({ ...member, regions: [scope.region] })),
  };
}

/** An account and region where discovery runs, with its policies. */
export interface DiscoveryScope {
  readonly scope: Scope;
  readonly policies: readonly DiscoveryPolicy[];
}

/** Where discovery runs: the hub's own account and region first, then each member's regions, in order. */
export function discoveryScopes(config: WardenSettings): DiscoveryScope[] {
  const hub = hubScope(config);
  const scopes: DiscoveryScope[] =
    config.discovery.length > 0 ? [{ scope: hub, policies: config.discovery }] : [];
  for (const member of config.members) {
    const policies = member.discovery ?? [];
    if (policies.length === 0) continue;
    for (const region of member.regions)
      scopes.push({ scope: { account: member.account, region }, policies });
  }
  return scopes;
}
