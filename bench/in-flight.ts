/**
 * How many bindings a run had in flight at once, counted, not timed. The controller's ports are wrapped:
 * every call that belongs to one binding (its state records, its load balancer, listeners and target group)
 * opens or extends that binding's window, from its first call's start to its last call's end, in the order
 * things happened. The most windows open at one point is the number of bindings in flight.
 *
 * Calls shared by bindings (the selector's DescribeInstances, a batched DescribeTargetGroups, alerts) are
 * not attributed: they run before the bindings do, under their own bound.
 */

import type { LoadBalancing, StateStore } from '../functions/ports.ts';
import type { Deps } from '../functions/use-cases/context.ts';

export interface InFlight {
  readonly deps: Deps;
  /** The most bindings in flight at once. */
  max(): number;
  /** Bindings that made at least one attributed call. */
  seen(): number;
}

export function trackBindingsInFlight(deps: Deps): InFlight {
  const byArn = new Map<string, string>();
  for (const binding of deps.config.bindings) {
    byArn.set(binding.loadBalancerArn, binding.name);
    byArn.set(binding.targetGroupArn, binding.name);
  }
  let tick = 0;
  const windows = new Map<string, { first: number; last: number }>();
  const track = async <T>(binding: string | undefined, call: () => Promise<T>): Promise<T> => {
    if (binding === undefined) return call();
    const window = windows.get(binding) ?? { first: tick, last: tick };
    windows.set(binding, window);
    tick++;
    try {
      return await call();
    } finally {
      window.last = tick++;
    }
  };
  const owner = (arn: string) => byArn.get(arn);

  const { elb, state } = deps;
  const trackedElb: LoadBalancing = {
    describeTargetHealth: (arn, targets) => track(owner(arn), () => elb.describeTargetHealth(arn, targets)),
    registerTargets: (arn, targets) => track(owner(arn), () => elb.registerTargets(arn, targets)),
    deregisterTargets: (arn, targets) => track(owner(arn), () => elb.deregisterTargets(arn, targets)),
    describeTargetGroups: (arns) =>
      track(arns.length === 1 ? owner(arns[0] ?? '') : undefined, () => elb.describeTargetGroups(arns)),
    modifyHealthCheck: (arn, check) => track(owner(arn), () => elb.modifyHealthCheck(arn, check)),
    deregistrationDelaySeconds: (arn) => track(owner(arn), () => elb.deregistrationDelaySeconds(arn)),
    listListeners: (lbArn) =>
      track(owner(lbArn), async () => {
        const listeners = await elb.listListeners(lbArn);
        const name = owner(lbArn);
        if (name) for (const listener of listeners) byArn.set(listener.arn, name);
        return listeners;
      }),
    listRules: (listenerArn) => track(owner(listenerArn), () => elb.listRules(listenerArn)),
    createListener: (lbArn, request) => track(owner(lbArn), () => elb.createListener(lbArn, request)),
    modifyListener: (arn, request) => track(owner(arn), () => elb.modifyListener(arn, request)),
    deleteRule: (arn) => track(undefined, () => elb.deleteRule(arn)),
    listCertificates: (arn) => track(owner(arn), () => elb.listCertificates(arn)),
    addCertificates: (arn, certificates) => track(owner(arn), () => elb.addCertificates(arn, certificates)),
  };
  const trackedState: StateStore = {
    load: (binding) => track(binding, () => state.load(binding)),
    put: (binding, record) => track(binding, () => state.put(binding, record)),
    remove: (binding, key, version) => track(binding, () => state.remove(binding, key, version)),
    putUnlessMarked: (binding, record) => track(binding, () => state.putUnlessMarked(binding, record)),
    putAll: (binding, records) => track(binding, () => state.putAll(binding, records)),
    removeAll: (binding, keys) => track(binding, () => state.removeAll(binding, keys)),
    lease: (binding, ...rest) => track(binding, () => state.lease(binding, ...rest)),
    release: (binding, holder) => track(binding, () => state.release(binding, holder)),
  };

  return {
    deps: { ...deps, elb: trackedElb, state: trackedState },
    max() {
      const points = [...windows.values()].flatMap(({ first, last }) => [
        { at: first, open: 1 },
        { at: last, open: -1 },
      ]);
      points.sort((a, b) => a.at - b.at || a.open - b.open);
      let open = 0;
      let most = 0;
      for (const point of points) {
        open += point.open;
        most = Math.max(most, open);
      }
      return most;
    },
    seen: () => windows.size,
  };
}
