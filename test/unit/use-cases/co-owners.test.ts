/**
 * Co-owners end to end over the ports (FakeWorld): the sweep, the guard and the register function leave an
 * Auto Scaling group's targets to the group, hold targets an AWS service took out, and act on Spot warnings.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, type WardenConfig } from '../../../functions/config.ts';
import { type ParsedEvent, parseEvent } from '../../../functions/domain/events.ts';
import { DRAINING_HOLDER, LEFT_FOR_SWEEP_HOLDER } from '../../../functions/domain/registration.ts';
import { handleApiCall } from '../../../functions/use-cases/guard.ts';
import { handleInstanceState } from '../../../functions/use-cases/register.ts';
import { bindingStatuses } from '../../../functions/use-cases/status.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import { ACCOUNT, instance, OTHER_TG_ARN, seedConfig, TG_ARN } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';
import { fixture } from '../../support/fixtures.ts';
import { spotWarning, stateEvent } from '../../support/instance-events.ts';

const GROUP_TAG = 'aws:autoscaling:groupName';
const ASG_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
const ID = 'i-0abcd1111aaaa2222';
const OTHER = 'i-0abcd3333bbbb4444';
const MINUTE = 60_000;
const OTHER_LB_ARN = `arn:aws:elasticloadbalancing:ap-northeast-2:${ACCOUNT}:loadbalancer/app/canary-alb/0a1b2c3d4e5f6a7b`;

function setup(config: WardenConfig = seedConfig()) {
  const world = new FakeWorld();
  return { world, ...fakeDeps(world, config) };
}

const member = (id: string, group = 'web-asg', state: 'running' | 'stopped' | 'terminated' = 'running') =>
  instance(id, { state, tags: { Role: 'web', [GROUP_TAG]: group } });

/** The recorded DeregisterTargets call of target ID, made by `identity`. */
function deregisteredBy(identity: Record<string, unknown>): Extract<ParsedEvent, { type: 'api-call' }> {
  const raw = fixture('cloudtrail-deregister-targets.json') as { detail: Record<string, unknown> };
  const parsed = parseEvent({
    ...raw,
    detail: { ...raw.detail, userIdentity: { ...(raw.detail.userIdentity as object), ...identity } },
  });
  if (parsed.type !== 'api-call') throw new Error('the fixture is an API call');
  return parsed;
}
const byAutoScaling = () =>
  deregisteredBy({
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling`,
    sessionContext: { sessionIssuer: { arn: ASG_ROLE } },
  });

describe('sweep: targets of an Auto Scaling group that has the target group attached', () => {
  it('does not register a group instance the group has not put in service (Pending:Wait, Standby)', async () => {
    const { world, deps } = setup();
    world.scalingGroups.set('web-asg', new Set([TG_ARN]));
    world.addInstance(member('i-1'));
    world.addInstance(instance('i-2'));

    const result = await sweep(deps);

    expect(world.registered()).toEqual(['i-2:8080']);
    expect(result.bindings[0]?.registration).toMatchObject({
      register: ['i-2:8080'],
      coOwned: { count: 1, groups: ['web-asg'] },
    });
  });

  it('does not deregister a group instance that terminated: the group drains it itself', async () => {
    const { world, deps } = setup();
    world.scalingGroups.set('web-asg', new Set([TG_ARN]));
    for (const id of ['i-1', 'i-2', 'i-3']) world.addInstance(id === 'i-1' ? member(id) : instance(id));
    await world.elb.registerTargets(
      TG_ARN,
      [1, 2, 3].map((n) => ({ id: `i-${n}`, port: 8080 })),
    );
    world.addInstance(member('i-1', 'web-asg', 'terminated'));
    world.calls = [];

    await sweep(deps);

    expect(world.mutatingCalls).toEqual([]);
    expect(world.registered()).toEqual(['i-1:8080', 'i-2:8080', 'i-3:8080']);
  });

  it('registers and deregisters a group instance as its own when the group has another target group', async () => {
    const { world, deps } = setup();
    world.scalingGroups.set('web-asg', new Set([OTHER_TG_ARN]));
    world.addInstance(member('i-1'));

    await sweep(deps);

    expect(world.registered()).toEqual(['i-1:8080']);
  });

  it('reports a group target without the selector tags as co-owned, not foreign', async () => {
    const { world, deps } = setup();
    world.scalingGroups.set('batch-asg', new Set([TG_ARN]));
    world.addInstance(instance('i-9', { tags: { [GROUP_TAG]: 'batch-asg' } }));
    world.addInstance(instance('i-2'));
    await world.elb.registerTargets(TG_ARN, [{ id: 'i-9', port: 8080 }]);

    const result = await sweep(deps);

    expect(result.bindings[0]?.registration).toMatchObject({
      foreign: [],
      coOwned: { count: 1, groups: ['batch-asg'] },
    });
    expect((await bindingStatuses(deps))[0]?.targets).toMatchObject({
      missing: [],
      foreign: [],
      coOwned: { count: 1, groups: ['batch-asg'] },
    });
  });

  it('asks Auto Scaling once per sweep for every group seen, whatever the number of bindings', async () => {
    const seed = seedConfig();
    const [web] = seed.bindings;
    const config = parseConfig({
      ...seed,
      bindings: [
        web,
        { ...web, name: 'canary', loadBalancerArn: OTHER_LB_ARN, targetGroupArn: OTHER_TG_ARN },
      ],
    });
    const { world, deps } = setup(config);
    world.targets.set(OTHER_TG_ARN, new Map());
    world.scalingGroups.set('web-asg', new Set([TG_ARN]));
    world.addInstance(member('i-1'));
    world.addInstance(member('i-2', 'other-asg'));

    const result = await sweep(deps);

    expect(result.bindings.map((binding) => binding.registration?.register)).toEqual([
      ['i-2:8080'],
      ['i-1:8080', 'i-2:8080'],
    ]);
    expect(world.calls.filter((call) => call === 'attachedTargetGroups')).toHaveLength(1);
  });

  it('makes no Auto Scaling call when no instance belongs to a group', async () => {
    const { world, deps } = setup();
    world.addInstance(instance('i-1'));

    await sweep(deps);

    expect(world.calls).not.toContain('attachedTargetGroups');
  });
});

describe('register: instance events of an Auto Scaling group', () => {
  it('leaves a running group instance to the group and reports it co-owned', async () => {
    const { world, deps } = setup();
    world.scalingGroups.set('web-asg', new Set([TG_ARN]));
    world.addInstance(member('i-1'));

    const result = await handleInstanceState(deps, stateEvent('i-1', 'running'));

    expect(world.mutatingCalls).toEqual([]);
    expect(result.bindings[0]?.registration?.coOwned).toEqual({ count: 1, groups: ['web-asg'] });
  });

  it('leaves a terminated group instance registered for the group to drain', async () => {
    const { world, deps } = setup();
    world.scalingGroups.set('web-asg', new Set([TG_ARN]));
    world.addInstance(member('i-1', 'web-asg', 'terminated'));
    await world.elb.registerTargets(TG_ARN, [{ id: 'i-1', port: 8080 }]);
    world.calls = [];

    await handleInstanceState(deps, stateEvent('i-1', 'terminated'));

    expect(world.mutatingCalls).toEqual([]);
  });
});

describe('guard: DeregisterTargets by a co-owning AWS service', () => {
  it('holds the target Auto Scaling took out; neither the guard nor the sweep registers it again', async () => {
    const { world, deps, clock } = setup();
    world.addInstance(instance(ID));

    const result = await handleApiCall(deps, byAutoScaling());
    const swept = await sweep(deps);
    clock.now += 30 * MINUTE;
    await sweep(deps);

    expect(result.bindings[0]?.registration?.held).toEqual([`${ID}:8080 (autoscaling.amazonaws.com)`]);
    expect(swept.bindings[0]?.registration?.held).toEqual([`${ID}:8080 (autoscaling.amazonaws.com)`]);
    expect(world.mutatingCalls).toEqual([]);
  });

  it('registers the target again once the hold has expired (coOwners.holdMinutes)', async () => {
    const { world, deps, clock } = setup(seedConfig({ coOwners: { holdMinutes: 20 } }));
    world.addInstance(instance(ID));
    await handleApiCall(deps, deregisteredBy({ invokedBy: 'codedeploy.amazonaws.com' }));

    clock.now += 19 * MINUTE;
    await sweep(deps);
    expect(world.registered()).toEqual([]);
    clock.now += 2 * MINUTE;
    await sweep(deps);
    expect(world.registered()).toEqual([`${ID}:8080`]);
  });

  it('ends the hold when the owner registers the target again', async () => {
    const { world, deps, state } = setup();
    world.addInstance(instance(ID));
    await handleApiCall(deps, deregisteredBy({ invokedBy: 'elasticbeanstalk.amazonaws.com' }));
    await world.elb.registerTargets(TG_ARN, [{ id: ID, port: 8080 }]);

    await sweep(deps);

    expect((await state.load('web')).filter((record) => record.key.startsWith('hold#'))).toEqual([]);
  });

  it("registers a person's deregistration again at once, as before", async () => {
    const { world, deps } = setup();
    world.addInstance(instance(ID));

    await handleApiCall(deps, deregisteredBy({}));

    expect(world.registered()).toEqual([`${ID}:8080`]);
  });

  it("registers only the targets a person's event names; another missing target is the sweep's to ask about", async () => {
    const { world, deps } = setup();
    world.addInstance(instance(ID));
    world.addInstance(instance(OTHER));

    const guarded = await handleApiCall(deps, deregisteredBy({}));
    const registeredByTheGuard = world.registered();
    const swept = await sweep(deps);

    expect(registeredByTheGuard).toEqual([`${ID}:8080`]);
    expect(guarded.bindings[0]?.registration?.held).toEqual([`${OTHER}:8080 (${LEFT_FOR_SWEEP_HOLDER})`]);
    expect(guarded.bindings[0]?.registration?.decision?.reason).toBe(
      '1 to register, 0 to deregister; missing: 1 left for the sweep to ask event history',
    );
    expect(world.calls.filter((call) => call === 'lookupEvents')).toHaveLength(1);
    expect(swept.bindings[0]?.registration?.register).toEqual([`${OTHER}:8080`]);
    expect(world.registered()).toEqual([`${ID}:8080`, `${OTHER}:8080`]);
  });

  /** The fixture's call was made at 06:21:30Z; the fake target group drains for 300 s. */
  const CALLED_AT = Date.parse('2026-11-20T06:21:30Z');

  const attributeReads = (world: FakeWorld) =>
    world.calls.filter((call) => call === 'describeTargetGroupAttributes').length;

  /**
   * The guard on the person's event `ageMs` after the call (`event` as delivered), with the named target gone
   * from the group; event history already shows the person's call.
   */
  async function guardAfter(ageMs: number, event = deregisteredBy({})) {
    const { world, deps, clock } = setup();
    clock.now = CALLED_AT + ageMs;
    world.addInstance(instance(ID));
    world.eventHistory.push(deregisteredBy({}));
    return { world, deps, guarded: await handleApiCall(deps, event) };
  }

  it('puts back a named target already gone on an event within the delivery window', async () => {
    const { world } = await guardAfter(10_000);

    expect(world.registered()).toEqual([`${ID}:8080`]);
    expect(attributeReads(world)).toBe(0);
  });

  it('leaves it for the sweep on a later event, even within the deregistration delay (300 s here)', async () => {
    const { world, guarded } = await guardAfter(240_000);

    expect(world.registered()).toEqual([]);
    expect(guarded.bindings[0]?.registration?.held).toEqual([`${ID}:8080 (${LEFT_FOR_SWEEP_HOLDER})`]);
    expect(attributeReads(world)).toBe(0);
  });

  it('leaves it for the sweep on an event without a call time', async () => {
    const timeless = deregisteredBy({});
    const { world, guarded } = await guardAfter(10_000, {
      ...timeless,
      actor: { ...timeless.actor, eventTime: undefined },
    });

    expect(world.registered()).toEqual([]);
    expect(guarded.bindings[0]?.registration?.held).toEqual([`${ID}:8080 (${LEFT_FOR_SWEEP_HOLDER})`]);
  });

  it("has a late event's target put back by the sweep once event history names the person", async () => {
    const { world, deps } = await guardAfter(120_000);

    const swept = await sweep(deps);

    expect(swept.bindings[0]?.registration?.register).toEqual([`${ID}:8080`]);
    expect(world.registered()).toEqual([`${ID}:8080`]);
  });

  it('leaves a named target draining long after the call alone: that drain is not the person’s', async () => {
    const { world, deps, clock } = setup();
    clock.now = CALLED_AT + 3_600_000;
    world.addInstance(instance(ID));
    await world.elb.registerTargets(TG_ARN, [{ id: ID, port: 8080 }]);
    world.setHealth(ID, 'draining');
    world.calls = [];

    const guarded = await handleApiCall(deps, deregisteredBy({}));

    expect(world.mutatingCalls).toEqual([]);
    expect(guarded.bindings[0]?.registration?.held).toEqual([`${ID}:8080 (${DRAINING_HOLDER})`]);
  });

  it("registers every missing target on a person's event when no AWS service is to be respected", async () => {
    const { world, deps } = setup(seedConfig({ coOwners: { services: [] } }));
    world.addInstance(instance(ID));
    world.addInstance(instance(OTHER));

    const guarded = await handleApiCall(deps, deregisteredBy({}));

    expect(world.registered()).toEqual([`${ID}:8080`, `${OTHER}:8080`]);
    expect(guarded.bindings[0]?.registration?.held).toBeUndefined();
  });
});

describe('sweep first: a DeregisterTargets the sweep meets before its event', () => {
  const lookups = (world: FakeWorld) => world.calls.filter((call) => call === 'lookupEvents').length;
  /** A few minutes after the fixture's call (06:21:30Z): CloudTrail's event history shows it by now. */
  const afterTheCall = Date.parse('2026-11-20T06:27:00Z');

  it('holds a target an AWS service took out, by the event history, and asks only once', async () => {
    const { world, deps, clock } = setup();
    clock.now = afterTheCall;
    world.addInstance(instance(ID));
    world.eventHistory.push(byAutoScaling());

    const first = await sweep(deps);
    clock.now += MINUTE;
    const second = await sweep(deps);

    expect(first.bindings[0]?.registration?.held).toEqual([`${ID}:8080 (autoscaling.amazonaws.com)`]);
    expect(second.bindings[0]?.registration?.held).toEqual([`${ID}:8080 (autoscaling.amazonaws.com)`]);
    // Nothing to do, and the reason says what is missing instead of "every … instance is a target".
    expect(second.bindings[0]?.registration?.decision).toEqual({
      kind: 'in-sync',
      reason: 'nothing to do now; missing: 1 held by the service that took them out',
    });
    expect(world.mutatingCalls).toEqual([]);
    expect(lookups(world)).toBe(1);
  });

  it('ends that hold when coOwners.holdMinutes have passed since the call', async () => {
    const { world, deps, clock } = setup(seedConfig({ coOwners: { holdMinutes: 20 } }));
    clock.now = afterTheCall;
    world.addInstance(instance(ID));
    world.eventHistory.push(deregisteredBy({ invokedBy: 'codedeploy.amazonaws.com' }));

    await sweep(deps);
    clock.now = Date.parse('2026-11-20T06:42:00Z');
    await sweep(deps);

    expect(world.registered()).toEqual([`${ID}:8080`]);
  });

  it("registers a person's manual deregistration again, as before", async () => {
    const { world, deps, clock } = setup();
    clock.now = afterTheCall;
    world.addInstance(instance(ID));
    world.eventHistory.push(deregisteredBy({}));

    await sweep(deps);

    expect(world.registered()).toEqual([`${ID}:8080`]);
  });

  it('registers the target when the history does not show the call yet, or cannot be read', async () => {
    const { world, deps, clock } = setup();
    clock.now = afterTheCall;
    world.addInstance(instance(ID));
    world.addInstance(instance('i-0abcd3333bbbb4444'));
    world.failures.set('lookupEvents', [
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    ]);

    const result = await sweep(deps);

    expect(result.bindings[0]?.status).toBe('ok');
    expect(world.registered()).toEqual([`${ID}:8080`, 'i-0abcd3333bbbb4444:8080']);
  });

  it('asks nothing when no target is missing, or no AWS service is to be respected', async () => {
    const { world, deps } = setup();
    world.addInstance(instance(ID));
    await sweep(deps);
    await sweep(deps);
    const none = setup(seedConfig({ coOwners: { services: [] } }));
    none.world.addInstance(instance(ID));
    await sweep(none.deps);

    expect(lookups(world)).toBe(1);
    expect(lookups(none.world)).toBe(0);
  });
});

describe('register: Spot interruption warning', () => {
  it('deregisters the instance from every target group that has it, and no sweep puts it back', async () => {
    const { world, deps } = setup();
    world.addInstance(instance(ID));
    await sweep(deps);
    world.calls = [];

    const result = await handleInstanceState(deps, spotWarning(ID));
    await sweep(deps);

    expect(result.bindings[0]?.registration?.deregister).toEqual([ID]);
    expect(world.mutatingCalls).toEqual(['deregisterTargets']);
    expect(world.registered()).toEqual([]);
  });

  it('leaves an Auto Scaling group instance to the group', async () => {
    const { world, deps } = setup();
    world.scalingGroups.set('web-asg', new Set([TG_ARN]));
    world.addInstance(member(ID));
    await world.elb.registerTargets(TG_ARN, [{ id: ID, port: 8080 }]);
    world.calls = [];

    const result = await handleInstanceState(deps, spotWarning(ID));

    expect(world.mutatingCalls).toEqual([]);
    expect(result.bindings[0]?.registration?.coOwned).toEqual({ count: 1, groups: ['web-asg'] });
  });

  it('registers the instance again if EC2 did not reclaim it after all', async () => {
    const { world, deps, clock } = setup();
    world.addInstance(instance(ID));
    await sweep(deps);
    await handleInstanceState(deps, spotWarning(ID));

    clock.now += 11 * MINUTE;
    await sweep(deps);

    expect(world.registered()).toEqual([`${ID}:8080`]);
  });
});
