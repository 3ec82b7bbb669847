/**
 * CPU time of planning: the pure domain functions a sweep runs on what it observed (planRegistration,
 * planListeners, and the stepTarget loop of the alert state machine), on the data the simulator returns for
 * a converged world. Repeated until the measurement is long enough to mean something, then divided.
 */

import { stepTarget } from '../functions/domain/health.ts';
import { planListeners } from '../functions/domain/listeners.ts';
import { targetKey } from '../functions/domain/model.ts';
import { planRegistration } from '../functions/domain/registration.ts';
import { decode, KEY, PREFIX } from '../functions/domain/state.ts';
import type { Deps } from '../functions/use-cases/context.ts';
import { observeListeners } from '../functions/use-cases/repair.ts';

const MIN_CPU_MS = 200;
const MIN_ROUNDS = 3;

export async function planningCpuMs(deps: Deps): Promise<number> {
  const { config } = deps;
  const observed = await Promise.all(
    config.bindings.map(async (binding) => {
      const records = new Map((await deps.state.load(binding.name)).map((record) => [record.key, record]));
      return {
        binding,
        matching: await deps.instances.findByTags(binding.instanceSelector.tags),
        targets: await deps.elb.describeTargetHealth(binding.targetGroupArn),
        listeners: await observeListeners(deps, binding),
        records,
        owned: new Set(
          [...records.keys()]
            .filter((key) => key.startsWith(PREFIX.owned))
            .map((key) => key.slice(PREFIX.owned.length)),
        ),
        vpc: decode.meta(records.get(KEY.meta)?.data).targetGroupVpcId,
      };
    }),
  );
  const now = Date.now();
  const plan = () => {
    for (const binding of observed) {
      planRegistration({
        binding: binding.binding,
        targetGroupVpcId: binding.vpc,
        matching: binding.matching,
        registered: binding.targets,
        owned: binding.owned,
        maxDeregisterFraction: config.safety.maxDeregisterFraction,
      });
      planListeners(binding.binding, binding.listeners);
      const running = new Map(
        binding.matching.map((instance) => [instance.id, instance.state === 'running']),
      );
      for (const target of binding.targets) {
        const key = targetKey(target);
        const previous = decode.target(binding.records.get(KEY.target(key))?.data);
        stepTarget(
          previous,
          { health: target, instanceRunning: running.get(target.id) },
          now,
          config.alerts,
          target,
        );
      }
    }
  };
  plan();
  let rounds = 0;
  const started = process.cpuUsage();
  let used = 0;
  while (rounds < MIN_ROUNDS || used < MIN_CPU_MS) {
    plan();
    rounds++;
    const { user, system } = process.cpuUsage(started);
    used = (user + system) / 1000;
  }
  return used / rounds;
}
