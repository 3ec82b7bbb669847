/**
 * Discovery's use case: what it reads (tagging API calls), what it writes (only changes), and how event
 * handlers read the recorded set (once per execution environment per minute).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/config.ts';
import { DISCOVERY_TAG, type TaggedResource } from '../../../functions/domain/discovery.ts';
import type { StateRecord, TaggedResources } from '../../../functions/ports.ts';
import type { Deps } from '../../../functions/use-cases/context.ts';
import {
  DISCOVERY_PARTITION,
  discoverFleet,
  discoverForSweep,
  RECORDED_TTL_MS,
  withRecordedDiscovery,
} from '../../../functions/use-cases/discovery.ts';
import { discoverEverywhere } from '../../../functions/use-cases/member-discovery.ts';
import { LB_ARN, seedConfig, TG_ARN, TOPIC_ARN } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';

const SHOP_LB = LB_ARN.replace('web-alb/50dc6c495c0c9188', 'shop/1111111111111111');

/** A tagging API in memory that counts its calls. */
class FakeTagging implements TaggedResources {
  resources: TaggedResource[] = [];
  calls = { loadBalancersTagged: 0, tagsOf: 0 };

  async loadBalancersTagged(tags: Readonly<Record<string, string>>): Promise<TaggedResource[]> {
    this.calls.loadBalancersTagged++;
    return this.resources.filter(
      (resource) =>
        resource.arn.includes(':loadbalancer/') &&
        Object.entries(tags).every(([key, value]) => resource.tags[key] === value),
    );
  }

  async tagsOf(arns: readonly string[]): Promise<TaggedResource[]> {
    this.calls.tagsOf++;
    return this.resources.filter((resource) => arns.includes(resource.arn));
  }
}

function setup(explicit = false) {
  const config = parseConfig({
    alerts: { topicArn: TOPIC_ARN, stateTable: 'state' },
    bindings: explicit ? seedConfig().bindings : [],
    discovery: [
      {
        name: 'fleet',
        selector: { tags: { 'alb-warden:guard': 'true' } },
        defaults: { instanceSelector: { tags: { Role: 'web' } } },
      },
    ],
  });
  const tagging = new FakeTagging();
  const made = fakeDeps(new FakeWorld(), config);
  const writes: StateRecord[] = [];
  const loads: string[] = [];
  const { state } = made;
  const put = state.put.bind(state);
  const load = state.load.bind(state);
  state.put = async (binding, record) => {
    writes.push(record);
    return put(binding, record);
  };
  state.load = async (binding) => {
    loads.push(binding);
    return load(binding);
  };
  return { ...made, deps: { ...made.deps, tagging }, tagging, writes, loads };
}

const shop = (tags: Record<string, string> = {}): TaggedResource => ({
  arn: SHOP_LB,
  tags: { 'alb-warden:guard': 'true', [DISCOVERY_TAG.targetGroup]: TG_ARN, ...tags },
});

describe('discoverFleet', () => {
  it('asks the tagging API once per policy and once for the target groups, and never ELB', async () => {
    const { deps, tagging } = setup();
    tagging.resources = [shop(), { arn: TG_ARN, tags: { [DISCOVERY_TAG.targetPort]: '9000' } }];

    const found = await discoverFleet(deps);

    expect(tagging.calls).toEqual({ loadBalancersTagged: 1, tagsOf: 1 });
    expect(found.effective.map((binding) => [binding.name, binding.targetPort])).toEqual([['shop', 9000]]);
  });

  it('puts explicit bindings first, and an explicit binding of a tagged load balancer wins', async () => {
    const { deps, tagging } = setup(true);
    tagging.resources = [shop(), { arn: LB_ARN, tags: { 'alb-warden:guard': 'true' } }];

    const found = await discoverFleet(deps);

    expect(found.effective.map((binding) => binding.name)).toEqual(['web', 'shop']);
    expect(found.shadowed).toEqual([{ loadBalancerArn: LB_ARN, policy: 'fleet', binding: 'web' }]);
  });

  it('makes no call without discovery policies', async () => {
    const { deps, tagging } = setup();
    const explicitOnly = { ...deps, config: seedConfig() };

    const found = await discoverFleet(explicitOnly);

    expect(tagging.calls).toEqual({ loadBalancersTagged: 0, tagsOf: 0 });
    expect(found.effective).toBe(explicitOnly.config.bindings);
  });
});

/**
 * The hub's discovery, as a single-account sweep runs it (discoverForSweep) and as the deployed functions run it,
 * whose deps always carry member clients (discoverEverywhere): both must record, forget and alert alike.
 */
const sweepsDiscovery: [string, (deps: Deps) => Promise<{ deps: Deps; failure?: unknown }>][] = [
  ['discoverForSweep', discoverForSweep],
  ['discoverEverywhere', (deps) => discoverEverywhere({ ...deps, clientsFor: async () => undefined })],
];

describe.each(sweepsDiscovery)('%s', (_, discover) => {
  it('records the discovered set once, then writes nothing while it does not change', async () => {
    const { deps, tagging, writes } = setup();
    tagging.resources = [shop()];

    await discover(deps);
    const afterFirst = writes.length;
    await discover(deps);
    await discover(deps);

    expect(afterFirst).toBe(1);
    expect(writes).toHaveLength(1);
  });

  it('forgets a load balancer that is no longer tagged', async () => {
    const { deps, tagging, state } = setup();
    tagging.resources = [shop()];
    await discover(deps);

    tagging.resources = [];
    const { deps: swept } = await discover(deps);
    const records = await state.load(DISCOVERY_PARTITION);

    expect(swept.config.bindings).toEqual([]);
    expect(records.filter((record) => record.key.startsWith('found#') && !record.deleted)).toEqual([]);
  });

  it('records nothing in an operator preview', async () => {
    const { deps, tagging, writes } = setup();
    tagging.resources = [shop()];

    await discover({ ...deps, preview: { wouldAlert: [] } });

    expect(writes).toEqual([]);
  });
});

describe.each(sweepsDiscovery)('discovery problems (%s)', (_, discover) => {
  it('alert once; an alert SNS could not take goes out with the next sweep, and discovery still holds', async () => {
    const { deps, tagging } = setup();
    tagging.resources = [shop({ [DISCOVERY_TAG.targetPort]: 'x' }), { ...shop(), arn: LB_ARN }];
    const sent: string[] = [];
    let down = true;
    const flaky = {
      ...deps,
      alerts: {
        publish: async (_topic: string, alert: { subject: string }) => {
          if (down) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client' });
          sent.push(alert.subject);
        },
      },
    };

    const first = await discover(flaky);
    down = false;
    const second = await discover(flaky);
    const third = await discover(flaky);

    expect(String(first.failure)).toMatch(/parked for the next invocation/);
    expect(first.deps.config.bindings.map((binding) => binding.name)).toEqual(['web-alb']);
    expect(second.failure).toBeUndefined();
    expect(third.failure).toBeUndefined();
    expect(sent).toEqual(['[WARNING] shop: tags cannot make a binding: not guarded']);
  });
});

describe('withRecordedDiscovery (the event handlers)', () => {
  it('reads the recorded set once per execution environment and minute', async () => {
    const { deps, tagging, loads, clock } = setup();
    tagging.resources = [shop()];
    await discoverForSweep(deps);
    loads.length = 0;

    const first = await withRecordedDiscovery(deps);
    const cached = await withRecordedDiscovery(deps);
    tagging.resources = [];
    await discoverForSweep(deps);
    loads.length = 0;
    clock.now += RECORDED_TTL_MS - 1;
    const stillCached = await withRecordedDiscovery(deps);
    clock.now += 1;
    const refreshed = await withRecordedDiscovery(deps);

    expect(first.config.bindings.map((binding) => binding.name)).toEqual(['shop']);
    expect(cached.config.bindings.map((binding) => binding.name)).toEqual(['shop']);
    expect(stillCached.config.bindings.map((binding) => binding.name)).toEqual(['shop']);
    expect(refreshed.config.bindings).toEqual([]);
    expect(loads).toEqual([DISCOVERY_PARTITION]);
    expect(tagging.calls.loadBalancersTagged).toBe(2); // the two sweeps only
  });

  it('costs nothing without discovery policies', async () => {
    const { deps, loads } = setup();
    const explicitOnly = { ...deps, config: seedConfig() };

    const same = await withRecordedDiscovery(explicitOnly);

    expect(same).toBe(explicitOnly);
    expect(loads).toEqual([]);
  });
});
