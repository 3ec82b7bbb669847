/**
 * The hub's work across accounts and regions: bindings are grouped by their load balancer's account and
 * region, and each group runs the unchanged use-cases with the configuration narrowed to it and the clients
 * of its account and region (a member's role, clients and ELB budget, or the hub's own). A member whose role
 * cannot be assumed fails alone: one alert naming the account and the role, repeated only as a reminder,
 * settled once the role works again.
 */
import {
  groupByScope,
  hubScope,
  narrowTo,
  type Scope,
  type ScopedBindings,
  sameScope,
  scopeOfBinding,
} from '../domain/accounts.ts';
import { memberUnreachableAlert } from '../domain/alert-kinds.ts';
import type { AlertKind } from '../domain/alerts.ts';
import { awsErrorCode, errorText, isTransient, MemberAccessError } from '../errors.ts';
import { METRIC } from '../telemetry.ts';
import { throwIfFailed } from './binding-run.ts';
import { BindingState } from './binding-state.ts';
import { type Deps, mapLimit, type ScopedClients } from './context.ts';
import { Notifier } from './notify.ts';
import { type BindingResult, type InvocationResult, newBindingResult } from './results.ts';
import { type SweepOptions, sweep } from './sweep.ts';

const UNREACHABLE_TOPIC = 'member-access';

/** Where a member's own notices are kept: no binding name has a ":", so no binding's records mix with them. */
const memberStateKey = (scope: Scope) => `member:${scope.account}:${scope.region}`;

/** The sweep of every account and region, each with its own clients; one member's failure stops no other. */
export async function sweepFleet(deps: Deps, options: SweepOptions = {}): Promise<InvocationResult> {
  const { clientsFor } = deps;
  if (!clientsFor) return sweep(deps, options);
  const selected = options.bindings
    ? deps.config.bindings.filter((binding) => options.bindings?.includes(binding.name))
    : deps.config.bindings;
  const hub = hubScope(deps.config);
  const groups = groupByScope(selected);
  const [home] = groups.filter((group) => sameScope(group.scope, hub));
  // Discovery runs in the hub's sweep (its own account and region): it has one even with no explicit binding.
  const hubGroup = home ?? (deps.config.discovery.length > 0 ? { scope: hub, bindings: [] } : undefined);
  // Each member spends its own API budget: running them side by side takes no one's share.
  const outcomes = await mapLimit(
    groups.filter((group) => group !== hubGroup),
    deps.config.limits.concurrentBindings,
    async (group) => {
      const scoped = await reach(deps, clientsFor, group);
      if ('failed' in scoped) return scoped.failed;
      return (await sweep(scoped.deps, { ...options, throwOnTransient: false })).bindings;
    },
  );
  // The hub's own sweep last, as it always ran: its discovery's summary and failure are the invocation's.
  const own = hubGroup
    ? await sweep({ ...deps, config: narrowTo(deps.config, hub) }, options)
    : { bindings: [] };
  const bindings = [...own.bindings, ...outcomes.flat()];
  if (options.throwOnTransient !== false) throwIfFailed(bindings);
  return { ...own, function: 'sweep', eventId: options.eventId, mode: deps.config.mode, bindings };
}

/**
 * Runs an event's use-case with the bindings and clients of the event's account and region: an event of one
 * account never reaches another's bindings, whatever its ARNs or tags look like.
 */
export function inEventScope<
  E extends { readonly id: string; readonly account: string; readonly region: string },
  R extends InvocationResult,
>(functionName: 'guard' | 'register', run: (deps: Deps, event: E) => Promise<R>) {
  return async (deps: Deps, event: E): Promise<R | InvocationResult> => {
    const { clientsFor } = deps;
    if (!clientsFor) return run(deps, event);
    const scope = { account: event.account, region: event.region };
    const bindings = deps.config.bindings.filter((binding) => sameScope(scopeOfBinding(binding), scope));
    // Nothing guarded there: the use-case ignores the event without a call, and no role is assumed.
    if (bindings.length === 0) return run({ ...deps, config: narrowTo(deps.config, scope) }, event);
    const scoped = await reach(deps, clientsFor, { scope, bindings });
    if ('deps' in scoped) return run(scoped.deps, event);
    return {
      function: functionName,
      eventId: event.id,
      mode: deps.config.mode,
      ignored: `the member role of account ${scope.account} in ${scope.region} cannot be assumed`,
      bindings: scoped.failed,
    };
  };
}

/** The deps of a group's account and region, or its bindings' failed results once the failure is reported. */
async function reach(
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
  return { deps: { ...deps, ...clients, config: narrowTo(deps.config, group.scope) } };
}

async function reportUnreachable(
  deps: Deps,
  group: ScopedBindings,
  error: MemberAccessError,
): Promise<BindingResult[]> {
  const { scope } = group;
  const code = awsErrorCode(error.cause) ?? 'Error';
  deps.telemetry.log.error('member role cannot be assumed; its bindings are skipped', {
    account: scope.account,
    region: scope.region,
    roleArn: error.roleArn,
    error: errorText(error.cause),
  });
  deps.telemetry.count(METRIC.bindingFailures, group.bindings.length);
  const result = newBindingResult(memberStateKey(scope));
  const notifier = new Notifier(deps, await BindingState.load(deps.state, memberStateKey(scope)), result);
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
  // An alert that could not go out fails the invocation at the end, after every other member ran.
  return failedResults(group, error, notifier.failures.length > 0, result.alerts);
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
async function settleUnreachable(deps: Deps, scope: Scope): Promise<void> {
  if (sameScope(scope, hubScope(deps.config))) return;
  const state = await BindingState.load(deps.state, memberStateKey(scope));
  const notifier = new Notifier(deps, state, newBindingResult(memberStateKey(scope)));
  if (!notifier.lastNotice(UNREACHABLE_TOPIC)) return;
  deps.telemetry.log.info('member role assumed again', { account: scope.account, region: scope.region });
  await notifier.clearNotice(UNREACHABLE_TOPIC);
}
