/**
 * Reaching a member account and region: its clients (its role's credentials), or, when the role cannot be
 * assumed, one alert naming the account, the region and the role, repeated only as a reminder and settled once
 * the role works again. Its bindings are then reported failed; no other account or region is affected.
 */
import { hubScope, narrowTo, type Scope, type ScopedBindings, sameScope } from '../domain/accounts.ts';
import { memberUnreachableAlert } from '../domain/alert-kinds.ts';
import type { AlertKind } from '../domain/alerts.ts';
import { awsErrorCode, errorText, isTransient, MemberAccessError } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import { BindingState } from './binding-state.ts';
import type { Deps, ScopedClients } from './context.ts';
import { Notifier } from './notify.ts';
import { type BindingResult, newBindingResult } from './results.ts';

const UNREACHABLE_TOPIC = 'member-access';

/** Where a member's own notices are kept: no binding name has a ":", so no binding's records mix with them. */
const memberStateKey = (scope: Scope) => `member:${scope.account}:${scope.region}`;

/** A member's own notices; an operator's preview keeps its writes in memory. */
function memberState(deps: Deps, scope: Scope): Promise<BindingState> {
  return BindingState.load(deps.state, memberStateKey(scope), deps.preview !== undefined);
}

/** The deps of a group's account and region, or its bindings' failed results once the failure is reported. */
export async function reach(
  deps: Deps,
  clientsFor: (scope: Scope) => Promise<ScopedClients | undefined>,
  group: ScopedBindings,
): Promise<{ readonly deps: Deps } | { readonly failed: BindingResult[] }> {
  let clients: ScopedClients | undefined;
  try {
    clients = await clientsFor(group.scope);
  } catch (error) {
    if (!(error instanceof MemberAccessError)) throw error;
    // STS throttling or a 5xx says nothing about the role: the invocation fails at the end and is retried.
    if (isTransient(error)) return { failed: failedResults(group, error, true) };
    return { failed: await reportUnreachable(deps, group, error) };
  }
  if (clients) await settleUnreachable(deps, group.scope);
  return { deps: scopedDeps(deps, group.scope, clients) };
}

/** `deps` narrowed to one account and region, with its clients (undefined: the hub's own). */
function scopedDeps(deps: Deps, scope: Scope, clients: ScopedClients | undefined): Deps {
  const config = narrowTo(deps.config, scope);
  return clients ? { ...withMemberClients(deps, clients), config } : { ...deps, config };
}

/**
 * `deps` working in a member account and region through its clients. What only the hub's account answers is
 * dropped: the hub's tagging client (it would discover in the hub's account) and the hub's CloudTrail event
 * history, which never shows a member's calls (asking it would only spend the hub's LookupEvents rate).
 */
export function withMemberClients(deps: Deps, clients: ScopedClients): Deps {
  return { ...deps, ...clients, tagging: clients.tagging, history: undefined };
}

async function reportUnreachable(
  deps: Deps,
  group: ScopedBindings,
  error: MemberAccessError,
): Promise<BindingResult[]> {
  deps.telemetry.log.error('member role cannot be assumed; its bindings are skipped', {
    account: group.scope.account,
    region: group.scope.region,
    roleArn: error.roleArn,
    error: errorText(error.cause),
  });
  deps.telemetry.count(METRIC.bindingFailures, group.bindings.length);
  const { alerts, refused } = await alertUnreachable(deps, group, error);
  // An alert that could not go out fails the invocation at the end, after every other member ran.
  return failedResults(group, error, refused, alerts);
}

/**
 * The member alert for a role that cannot be assumed, sent once (a reminder later), kept with the member's
 * own notices. `refused`: it could not be sent, and goes out with the next run.
 */
export async function alertUnreachable(
  deps: Deps,
  group: ScopedBindings,
  error: MemberAccessError,
): Promise<{ readonly alerts: readonly AlertKind[]; readonly refused: boolean }> {
  const { scope } = group;
  const code = awsErrorCode(error.cause) ?? 'Error';
  const result = newBindingResult(memberStateKey(scope));
  const notifier = new Notifier(deps, await memberState(deps, scope), result);
  await notifier.notice(
    UNREACHABLE_TOPIC,
    `${error.roleArn} ${code}`,
    memberUnreachableAlert({
      ...scope,
      roleArn: error.roleArn,
      bindings: group.bindings,
      now: deps.now(),
      mode: deps.config.mode,
      error: { code, message: errorText(error.cause) },
    }),
  );
  return { alerts: result.alerts, refused: notifier.failures.length > 0 };
}

function failedResults(
  group: ScopedBindings,
  error: MemberAccessError,
  transient: boolean,
  alerts: readonly AlertKind[] = [],
): BindingResult[] {
  const failure = { code: awsErrorCode(error.cause), message: error.message, transient };
  return group.bindings.map((binding, index) => ({
    ...newBindingResult(binding.name),
    status: 'failed' as const,
    alerts: index === 0 ? [...alerts] : [],
    error: failure,
  }));
}

/** The role works (again): a member reported unreachable is news again the next time it fails. */
export async function settleUnreachable(deps: Deps, scope: Scope): Promise<void> {
  if (sameScope(scope, hubScope(deps.config))) return;
  const notifier = new Notifier(
    deps,
    await memberState(deps, scope),
    newBindingResult(memberStateKey(scope)),
  );
  if (!notifier.lastNotice(UNREACHABLE_TOPIC)) return;
  deps.telemetry.log.info('member role assumed again', { account: scope.account, region: scope.region });
  await notifier.clearNotice(UNREACHABLE_TOPIC);
}
