/**
 * Every kind of repair (the listeners, the health check) follows one policy, one plan shape and one executor:
 * what one part does for an approved actor, a pause, a dry-run, a circuit breaker or a failure, the other does
 * too, and `status` shows the plan a sweep would carry out.
 */
import { describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../../functions/config.ts';
import { type ParsedEvent, parseEvent } from '../../../functions/domain/events.ts';
import { handleApiCall } from '../../../functions/use-cases/guard.ts';
import { bindingStatuses, setPause } from '../../../functions/use-cases/status.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import { forwardTo, httpListener, httpsListener, seedConfig, TG_ARN } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';
import { fixture } from '../../support/fixtures.ts';

const MINUTE = 60_000;
const APPROVED_ROLE =
  'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-2';

function apiCall(name: string, edit?: (detail: Record<string, unknown>) => void) {
  const event = fixture(name);
  edit?.(event.detail as Record<string, unknown>);
  const parsed = parseEvent(event);
  if (parsed.type !== 'api-call') throw new Error(`${name}: ${parsed.type}`);
  return parsed as Extract<ParsedEvent, { type: 'api-call' }>;
}

/** A ModifyTargetGroup call, by a person or by the approved deployment role. */
const modifyTargetGroup = (approved = false) =>
  apiCall('cloudtrail-deregister-targets.json', (detail) => {
    detail.eventName = 'ModifyTargetGroup';
    if (!approved) return;
    const identity = detail.userIdentity as {
      arn: string;
      sessionContext: { sessionIssuer: { arn: string } };
    };
    identity.arn = 'arn:aws:sts::123456789012:assumed-role/cdk-hnb659fds-cfn-exec-role/AWSCloudFormation';
    identity.sessionContext.sessionIssuer.arn = APPROVED_ROLE;
  });

const approvedHttpChange = () =>
  apiCall('cloudtrail-modify-listener-http-to-forward.json', (detail) => {
    const identity = detail.userIdentity as {
      arn: string;
      sessionContext: { sessionIssuer: { arn: string } };
    };
    identity.arn = 'arn:aws:sts::123456789012:assumed-role/cdk-hnb659fds-cfn-exec-role/AWSCloudFormation';
    identity.sessionContext.sessionIssuer.arn = APPROVED_ROLE;
  });

function setup(config: WardenConfig = seedConfig()) {
  const world = new FakeWorld();
  return { world, ...fakeDeps(world, config) };
}

function breakHealthCheck(world: FakeWorld): void {
  const group = world.groups.get(TG_ARN);
  if (!group) throw new Error('no target group');
  world.groups.set(TG_ARN, { ...group, healthCheck: { ...group.healthCheck, matcher: '200' } });
}

const kinds = (world: FakeWorld) => world.published.map((alert) => alert.attributes.kind);
const dryRun = (config: WardenConfig): WardenConfig => ({ ...config, mode: 'dry-run' });

describe('the health check follows the same repair policy as the listeners', () => {
  it('a tripped breaker sends RepairsSuspended, not RepairFailed', async () => {
    const { world, deps, clock } = setup();
    for (let round = 0; round < 5; round++) {
      breakHealthCheck(world);
      await handleApiCall(deps, modifyTargetGroup());
      clock.now += MINUTE;
    }
    expect(world.mutatingCalls).toEqual(['modifyHealthCheck', 'modifyHealthCheck', 'modifyHealthCheck']);
    expect(kinds(world)).toEqual(['DriftRepaired', 'DriftRepaired', 'DriftRepaired', 'RepairsSuspended']);
    expect(world.published[3]?.subject).toBe(
      '[CRITICAL] web: health check repairs suspended: something keeps changing it back',
    );
  });

  it('says reported, accepted, paused and suspended for what they are, not "paused" for all', async () => {
    const approved = setup(seedConfig({ approvedActors: [`${APPROVED_ROLE}*`] }));
    breakHealthCheck(approved.world);
    const byApproved = await handleApiCall(approved.deps, modifyTargetGroup(true));
    expect(byApproved.bindings[0]?.healthCheck?.outcome).toBe('reported');
    expect((await sweep(approved.deps)).bindings[0]?.healthCheck?.outcome).toBe('accepted');
    expect(approved.world.mutatingCalls).toEqual([]);

    const paused = setup();
    await setPause(paused.deps, paused.deps.config.bindings[0] as never, {
      until: paused.clock.now + 60 * MINUTE,
      by: 'jiwoo',
    });
    breakHealthCheck(paused.world);
    expect((await sweep(paused.deps)).bindings[0]?.healthCheck?.outcome).toBe('paused');

    const suspended = setup();
    for (let round = 0; round < 4; round++) {
      breakHealthCheck(suspended.world);
      await handleApiCall(suspended.deps, modifyTargetGroup());
      suspended.clock.now += MINUTE;
    }
    breakHealthCheck(suspended.world);
    expect((await sweep(suspended.deps)).bindings[0]?.healthCheck?.outcome).toBe('suspended');
  });

  it('resume clears the health check breaker too: the next suspension is alerted again', async () => {
    const { world, deps, clock } = setup();
    const trip = async () => {
      for (let round = 0; round < 4; round++) {
        breakHealthCheck(world);
        await handleApiCall(deps, modifyTargetGroup());
        clock.now += MINUTE;
      }
    };
    await trip();
    expect(kinds(world).filter((kind) => kind === 'RepairsSuspended')).toHaveLength(1);
    await setPause(deps, deps.config.bindings[0] as never, null);
    await trip();
    // Within the reminder window: without the resume clearing it, the second suspension would be silent.
    expect(kinds(world).filter((kind) => kind === 'RepairsSuspended')).toHaveLength(2);
    expect((await bindingStatuses(deps))[0]?.alertState.suspended).toEqual(['health-check']);
  });
});

describe('status shows the plan a sweep would carry out', () => {
  it('after an approved change is accepted, status and a dry-run sweep both leave it alone', async () => {
    const { world, deps } = setup(seedConfig({ approvedActors: [`${APPROVED_ROLE}*`] }));
    world.listeners[0] = httpListener([forwardTo()]);
    await handleApiCall(deps, approvedHttpChange());

    const [status] = await bindingStatuses(deps);
    const dry = await sweep({ ...deps, config: dryRun(deps.config) });

    expect(status?.listeners).toMatchObject({ inSync: false, decision: 'accept', wouldRepair: [] });
    expect(status?.ok).toBe(true);
    expect(dry.bindings[0]?.listeners).toMatchObject({ outcome: 'accepted', steps: [] });
    expect(world.mutatingCalls).toEqual([]);
  });

  it('for a person’s change, status and a dry-run sweep name the same repair', async () => {
    const { world, deps } = setup(dryRun(seedConfig()));
    world.listeners[0] = httpListener([forwardTo()]);

    const [status] = await bindingStatuses(deps);
    const dry = await sweep(deps);

    expect(status?.listeners).toMatchObject({
      decision: 'would-apply',
      wouldRepair: ['modify-listener http'],
    });
    expect(dry.bindings[0]?.listeners?.decision?.kind).toBe('would-apply');
    expect(dry.bindings[0]?.listeners?.steps).toHaveLength(1);
    expect(world.mutatingCalls).toEqual([]);
  });
});

describe('each part of a binding settles on its own', () => {
  it('a refused health check repair is a health check failure, not a critical listener failure', async () => {
    const { world, deps } = setup();
    breakHealthCheck(world);
    world.failures.set('modifyHealthCheck', [
      Object.assign(new Error('not authorized to perform: elasticloadbalancing:ModifyTargetGroup'), {
        name: 'AccessDenied',
        $fault: 'client',
      }),
    ]);
    const result = await handleApiCall(deps, modifyTargetGroup());
    expect(result.bindings[0]?.status).toBe('failed');
    expect(
      world.published.map((alert) => [alert.attributes.kind, alert.attributes.severity, alert.subject]),
    ).toEqual([['RepairFailed', 'warning', '[WARNING] web: health check repair failed: AccessDenied']]);
  });

  it('a listener failure does not skip the health check in the same sweep', async () => {
    const { world, deps } = setup();
    world.listeners[0] = httpListener([forwardTo()]);
    breakHealthCheck(world);
    world.failures.set('modifyListener', [
      Object.assign(new Error('denied'), { name: 'AccessDenied', $fault: 'client' }),
    ]);
    const result = await sweep(deps, { throwOnTransient: false });
    expect(result.bindings[0]?.healthCheck?.outcome).toBe('repaired');
    expect(world.groups.get(TG_ARN)?.healthCheck.matcher).toBe('404');
    expect(kinds(world).sort()).toEqual(['DriftRepaired', 'RepairFailed']);
  });
});

describe('a settled state is news again when it comes back', () => {
  it('a blocked repair is alerted again after the listeners were put right in between', async () => {
    const { world, deps } = setup(seedConfig({}, { https: {} }));
    const breakBoth = () => {
      world.listeners = [httpListener([forwardTo()])];
    };
    breakBoth();
    await sweep(deps);
    world.listeners = [httpListener(), httpsListener()];
    await sweep(deps);
    breakBoth();
    await sweep(deps);
    expect(kinds(world)).toEqual(['RepairFailed', 'RepairFailed']);
    expect(world.mutatingCalls).toEqual([]);
  });

  it('a failure is alerted again after the part worked in between', async () => {
    const { world, deps } = setup();
    const denied = () => Object.assign(new Error('denied'), { name: 'AccessDenied', $fault: 'client' });
    world.listeners[0] = httpListener([forwardTo()]);
    world.failures.set('modifyListener', [denied()]);
    await sweep(deps, { throwOnTransient: false });
    await sweep(deps);
    world.listeners[0] = httpListener([forwardTo()]);
    world.failures.set('modifyListener', [denied()]);
    await sweep(deps, { throwOnTransient: false });
    expect(kinds(world)).toEqual(['RepairFailed', 'DriftRepaired', 'RepairFailed']);
  });
});
