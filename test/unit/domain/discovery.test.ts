import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBinding, parseConfig } from '../../../functions/config.ts';
import {
  DISCOVERY_TAG,
  discoverBindings,
  parseSelector,
  selects,
  type TaggedResource,
} from '../../../functions/domain/discovery.ts';
import type { Binding, DiscoveryPolicy } from '../../../functions/domain/settings.ts';
import { ACCOUNT, REGION, seedConfig, TOPIC_ARN } from '../../support/builders.ts';

const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const lbArn = (name: string, id: string) => `${ELB}:loadbalancer/app/${name}/${id}`;
const tgArn = (name: string, id: string) => `${ELB}:targetgroup/${name}/${id}`;

function policies(...documents: Record<string, unknown>[]): readonly DiscoveryPolicy[] {
  return parseConfig({
    alerts: { topicArn: TOPIC_ARN, stateTable: 'state' },
    discovery: documents,
  }).discovery;
}

const fleet = policies({
  name: 'fleet',
  selector: { tags: { 'alb-warden:guard': 'true' } },
  defaults: { instanceSelector: { tags: { Role: 'web' } }, https: { port: 8443 } },
});

function lb(name: string, tags: Record<string, string>, id = '0123456789abcdef'): TaggedResource {
  return { arn: lbArn(name, id), tags: { 'alb-warden:guard': 'true', ...tags } };
}

const SHOP_TG = tgArn('shop', 'aaaaaaaaaaaaaaaa');

describe('discoverBindings', () => {
  it('makes a binding of a selected load balancer from its tags and the policy defaults', () => {
    const shop = lb('shop', { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.targetPort]: '9000' });

    const outcome = discoverBindings(fleet, [shop], [], checkBinding);

    expect(outcome.problems).toEqual([]);
    expect(outcome.bindings).toEqual([
      {
        policy: 'fleet',
        binding: expect.objectContaining({
          name: 'shop',
          loadBalancerArn: shop.arn,
          targetGroupArn: SHOP_TG,
          targetPort: 9000,
          instanceSelector: { tags: { Role: 'web' } },
          https: expect.objectContaining({ port: 8443 }),
          http: expect.objectContaining({ port: 80, redirect: expect.objectContaining({ port: '8443' }) }),
        }),
      },
    ]);
  });

  it('takes the port and instance selector from the target group, and its name from binding-name', () => {
    const shop = lb('shop', { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.bindingName]: 'shop-eu' });
    const group = {
      arn: SHOP_TG,
      tags: { [DISCOVERY_TAG.targetPort]: '8081', [DISCOVERY_TAG.instanceSelector]: 'App=shop, Env=prod' },
    };

    const [found] = discoverBindings(fleet, [shop, group], [], checkBinding).bindings;

    expect(found?.binding).toMatchObject({
      name: 'shop-eu',
      targetPort: 8081,
      instanceSelector: { tags: { App: 'shop', Env: 'prod' } },
    });
  });

  it.each([
    [{}, DISCOVERY_TAG.targetGroup, /is missing: tag the load balancer with its target group's ARN/],
    [
      { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.targetPort]: 'http' },
      DISCOVERY_TAG.targetPort,
      /must be a port number, got "http"/,
    ],
    [
      { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.targetPort]: '70000' },
      DISCOVERY_TAG.targetPort,
      /at most 65535|<=65535/,
    ],
    [
      { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.instanceSelector]: 'Role' },
      DISCOVERY_TAG.instanceSelector,
      /must be Key=Value pairs/,
    ],
    [
      { [DISCOVERY_TAG.targetGroup]: 'shop' },
      DISCOVERY_TAG.targetGroup,
      /must be an ARN like arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/,
    ],
    [
      { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.bindingName]: 'no spaces' },
      DISCOVERY_TAG.bindingName,
      /must be 1-32 letters/,
    ],
  ])('reports the tags %j as a problem with %s, and makes no binding', (tags, tag, message) => {
    const shop = lb('shop', tags);

    const outcome = discoverBindings(fleet, [shop], [], checkBinding);

    expect(outcome.bindings).toEqual([]);
    expect(outcome.problems).toEqual([
      { loadBalancerArn: shop.arn, policies: ['fleet'], tag, message: expect.stringMatching(message) },
    ]);
    expect(outcome.problems[0]?.message.startsWith(tag)).toBe(true);
  });

  it('reports a port the load balancer and its target group disagree on', () => {
    const shop = lb('shop', { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.targetPort]: '8080' });
    const group = { arn: SHOP_TG, tags: { [DISCOVERY_TAG.targetPort]: '9090' } };

    const outcome = discoverBindings(fleet, [shop, group], [], checkBinding);

    expect(outcome.bindings).toEqual([]);
    expect(outcome.problems).toEqual([
      expect.objectContaining({
        tag: DISCOVERY_TAG.targetPort,
        message: `${DISCOVERY_TAG.targetPort} says "8080" on the load balancer and "9090" on its target group: remove one or make them agree`,
      }),
    ]);
  });

  it('reports a selected Network Load Balancer: only Application Load Balancers are guarded', () => {
    const nlb = {
      arn: `${ELB}:loadbalancer/net/tcp/0123456789abcdef`,
      tags: { 'alb-warden:guard': 'true', [DISCOVERY_TAG.targetGroup]: SHOP_TG },
    };

    const outcome = discoverBindings(fleet, [nlb], [], checkBinding);

    expect(outcome.bindings).toEqual([]);
    expect(outcome.problems).toEqual([
      expect.objectContaining({
        tag: undefined,
        message: expect.stringMatching(/^the load balancer must be an ARN like .*Application Load Balancer/),
      }),
    ]);
  });

  it('requires an instance selector tag when the policy has no default', () => {
    const bare = policies({ name: 'bare', selector: { tags: { 'alb-warden:guard': 'true' } } });
    const shop = lb('shop', { [DISCOVERY_TAG.targetGroup]: SHOP_TG });

    const outcome = discoverBindings(bare, [shop], [], checkBinding);

    expect(outcome.problems.map((problem) => problem.message)).toEqual([
      `${DISCOVERY_TAG.instanceSelector} is missing and discovery policy "bare" has no defaults.instanceSelector: tag the load balancer or its target group with Key=Value,Key=Value`,
    ]);
  });

  it('names both policies and the load balancer when two policies select it, and binds it to neither', () => {
    const two = policies(
      { name: 'fleet', selector: { tags: { 'alb-warden:guard': 'true' } }, defaults: {} },
      { name: 'team-web', selector: { tags: { team: 'web' } }, defaults: {} },
    );
    const shop = lb('shop', { team: 'web', [DISCOVERY_TAG.targetGroup]: SHOP_TG });

    const outcome = discoverBindings(two, [shop], [], checkBinding);

    expect(outcome.bindings).toEqual([]);
    expect(outcome.problems).toEqual([
      {
        loadBalancerArn: shop.arn,
        policies: ['fleet', 'team-web'],
        message:
          'selected by discovery policies "fleet" and "team-web": a load balancer belongs to one policy only; narrow their selectors',
      },
    ]);
  });

  it('leaves a load balancer with an explicit binding to it: the explicit binding wins', () => {
    const explicit = seedConfig().bindings[0] as Binding;
    const tagged = { arn: explicit.loadBalancerArn, tags: { 'alb-warden:guard': 'true' } };

    const outcome = discoverBindings(fleet, [tagged], [explicit], checkBinding);

    expect(outcome.bindings).toEqual([]);
    expect(outcome.problems).toEqual([]);
    expect(outcome.shadowed).toEqual([
      { loadBalancerArn: explicit.loadBalancerArn, policy: 'fleet', binding: explicit.name },
    ]);
  });

  it('derives another valid name when the load balancer name is taken, and refuses a taken binding-name tag', () => {
    const explicit = seedConfig().bindings[0] as Binding; // named "web"
    const derived = lb('web', { [DISCOVERY_TAG.targetGroup]: SHOP_TG }, '1111111111111111');
    const asked = lb(
      'other',
      { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.bindingName]: 'web' },
      '2222222222222222',
    );

    const outcome = discoverBindings(fleet, [derived, asked], [explicit], checkBinding);

    expect(outcome.bindings.map((found) => found.binding.name)).toEqual(['web-1111111111111111']);
    expect(outcome.problems).toEqual([
      expect.objectContaining({
        loadBalancerArn: asked.arn,
        tag: DISCOVERY_TAG.bindingName,
        message: `${DISCOVERY_TAG.bindingName} "web" is already the name of an explicit binding: binding names must be unique`,
      }),
    ]);
  });

  it('keeps the names held elsewhere (another account’s discovered bindings) as taken as explicit ones', () => {
    const elsewhere = new Map([['shop', 'a binding discovered in 210987654321/eu-west-1']]);
    const derived = lb('shop', { [DISCOVERY_TAG.targetGroup]: SHOP_TG }, '3333333333333333');
    const asked = lb(
      'other',
      { [DISCOVERY_TAG.targetGroup]: SHOP_TG, [DISCOVERY_TAG.bindingName]: 'shop' },
      '4444444444444444',
    );

    const outcome = discoverBindings(fleet, [derived, asked], [], checkBinding, elsewhere);

    expect(outcome.bindings.map((found) => found.binding.name)).toEqual(['shop-3333333333333333']);
    expect(outcome.problems.map((problem) => problem.message)).toEqual([
      `${DISCOVERY_TAG.bindingName} "shop" is already the name of a binding discovered in 210987654321/eu-west-1: binding names must be unique`,
    ]);
  });
});

describe('parseSelector', () => {
  it('reads Key=Value pairs, trimming spaces and keeping "=" inside values', () => {
    expect(parseSelector('Role=web, Env=a=b')).toEqual({ Role: 'web', Env: 'a=b' });
  });

  it.each(['', 'Role', '=web', 'Role=web,Role=api'])('rejects "%s"', (text) => {
    expect(typeof parseSelector(text)).toBe('string');
  });
});

// Load balancers with tags drawn from the vocabulary, valid and broken values alike.
const names = fc.constantFrom('web', 'api', 'shop', 'shop-eu', 'a', 'web-1111111111111111');
const hexId = fc.stringMatching(/^[0-9a-f]{16}$/);
const groupArns = fc.constantFrom(SHOP_TG, tgArn('api', 'bbbbbbbbbbbbbbbb'), 'not-an-arn');
const tagArb = fc.record(
  {
    guard: fc.constantFrom('true', 'false'),
    team: fc.constantFrom('web', 'api'),
    [DISCOVERY_TAG.targetGroup]: groupArns,
    [DISCOVERY_TAG.targetPort]: fc.constantFrom('8080', '9000', 'x', '0'),
    [DISCOVERY_TAG.instanceSelector]: fc.constantFrom('Role=web', 'Role=api,Env=prod', 'broken'),
    [DISCOVERY_TAG.bindingName]: names,
  },
  { requiredKeys: [] },
);
const lbArb = fc.tuple(names, hexId, tagArb).map(([name, id, tags]): TaggedResource => {
  const { guard, team, ...rest } = tags;
  return {
    arn: lbArn(name, id),
    tags: {
      ...(guard === undefined ? {} : { 'alb-warden:guard': guard }),
      ...(team === undefined ? {} : { team }),
      ...(rest as Record<string, string>),
    },
  };
});
const groupArb = fc.record({
  arn: fc.constantFrom(SHOP_TG, tgArn('api', 'bbbbbbbbbbbbbbbb')),
  tags: fc.record(
    {
      [DISCOVERY_TAG.targetPort]: fc.constantFrom('8080', '9000'),
      [DISCOVERY_TAG.instanceSelector]: fc.constantFrom('Role=web', 'Role=api'),
    },
    { requiredKeys: [] },
  ),
});
const policySets = fc.constantFrom(
  fleet,
  policies(
    {
      name: 'fleet',
      selector: { tags: { 'alb-warden:guard': 'true' } },
      defaults: { instanceSelector: { tags: { Role: 'web' } } },
    },
    { name: 'team-api', selector: { tags: { team: 'api' } } },
  ),
);
const explicitSets = fc.constantFrom([], seedConfig().bindings as Binding[]);
const world = fc.record({
  policies: policySets,
  lbs: fc.uniqueArray(lbArb, { selector: (resource) => resource.arn, maxLength: 12 }),
  groups: fc.uniqueArray(groupArb, { selector: (resource) => resource.arn, maxLength: 2 }),
  explicit: explicitSets,
});

describe('discoverBindings, for any tags', () => {
  it('makes only bindings the configuration rules accept, with names unique beside the explicit ones', () => {
    fc.assert(
      fc.property(world, ({ policies, lbs, groups, explicit }) => {
        const { bindings } = discoverBindings(policies, [...lbs, ...groups], explicit, checkBinding);
        for (const { binding } of bindings) expect(checkBinding(binding)).toEqual({ binding });
        const all = [...explicit, ...bindings.map((found) => found.binding)].map((binding) => binding.name);
        expect(new Set(all).size).toBe(all.length);
      }),
    );
  });

  it('accounts for every selected load balancer exactly once: bound, a problem, or left to its explicit binding', () => {
    fc.assert(
      fc.property(world, ({ policies, lbs, groups, explicit }) => {
        const outcome = discoverBindings(policies, [...lbs, ...groups], explicit, checkBinding);
        const selected = lbs.filter((resource) =>
          policies.some((policy) => selects(policy.selector.tags, resource.tags)),
        );
        const bound = outcome.bindings.map((found) => found.binding.loadBalancerArn);
        const troubled = [...new Set(outcome.problems.map((problem) => problem.loadBalancerArn))];
        const shadowed = outcome.shadowed.map((entry) => entry.loadBalancerArn);
        expect([...bound, ...troubled, ...shadowed].sort()).toEqual(
          selected.map((resource) => resource.arn).sort(),
        );
      }),
    );
  });

  it('never binds a load balancer two policies select, and names every policy that selected it', () => {
    fc.assert(
      fc.property(world, ({ policies, lbs, groups, explicit }) => {
        const outcome = discoverBindings(policies, [...lbs, ...groups], explicit, checkBinding);
        for (const resource of lbs) {
          const selecting = policies.filter((policy) => selects(policy.selector.tags, resource.tags));
          if (selecting.length < 2) continue;
          expect(outcome.bindings.some((found) => found.binding.loadBalancerArn === resource.arn)).toBe(
            false,
          );
          expect(outcome.problems).toContainEqual(
            expect.objectContaining({
              loadBalancerArn: resource.arn,
              policies: selecting.map((policy) => policy.name),
            }),
          );
        }
      }),
    );
  });

  it('gives the same answer whatever the order the tagging API lists resources in', () => {
    fc.assert(
      fc.property(world, fc.func(fc.integer()), ({ policies, lbs, groups, explicit }, order) => {
        const resources = [...lbs, ...groups];
        const shuffled = [...resources].sort((a, b) => order(a.arn) - order(b.arn));
        expect(discoverBindings(policies, shuffled, explicit, checkBinding)).toEqual(
          discoverBindings(policies, resources, explicit, checkBinding),
        );
      }),
    );
  });

  it('names the tag at fault in every problem about tags', () => {
    fc.assert(
      fc.property(world, ({ policies, lbs, groups, explicit }) => {
        const { problems } = discoverBindings(policies, [...lbs, ...groups], explicit, checkBinding);
        for (const problem of problems) {
          if (problem.tag !== undefined) expect(problem.message.startsWith(problem.tag)).toBe(true);
          else
            expect(problem.message).toMatch(
              /^(selected by discovery policies|discovery policy|the load balancer)/,
            );
        }
      }),
    );
  });
});
