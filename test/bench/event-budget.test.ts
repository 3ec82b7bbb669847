/**
 * The event paths' budgets: an event-triggered redirect repair makes at most 4 ELB calls and 7 AWS
 * calls in all; an event-triggered registration at most 3 AWS calls. Counted by the simulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_BUDGETS } from '../../bench/budgets.ts';
import { mutatingCalls, totalCalls } from '../../bench/calls.ts';
import { driftEvent, inSyncEvent, launchEvent } from '../../bench/events.ts';
import type { BindingWorld } from '../../bench/world.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import type { Deps } from '../../functions/use-cases/context.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import type { InvocationResult } from '../../functions/use-cases/results.ts';
import { byAction, type Converged, convergedWorld } from './support.ts';

let converged: Converged;
let binding: BindingWorld;
beforeEach(async () => {
  converged = await convergedWorld({ bindings: 1, instancesPerBinding: 3, healthCheck: true });
  binding = converged.world.bindings[0] as BindingWorld;
});
afterEach(() => converged.world.stop());

async function handle(deps: Deps, raw: unknown): Promise<InvocationResult> {
  const event = parseEvent(raw);
  if (event.type === 'api-call') return handleApiCall(deps, event);
  if (event.type === 'instance-state') return handleInstanceState(deps, event);
  throw new Error(`unexpected ${event.type}`);
}

describe('the guard, on a CloudTrail event', () => {
  it('repairs a 302 redirect with at most 4 ELB calls and 7 AWS calls in all', async () => {
    // Prepare
    const event = await driftEvent(converged.world, binding);

    // Act
    const { result, calls } = await converged.world.counted(() => handle(converged.deps, event));

    // Assess
    expect(result.bindings[0]?.listeners?.outcome).toBe('repaired');
    expect(totalCalls(calls, 'elbv2')).toBeLessThanOrEqual(EVENT_BUDGETS.repair.elbCalls);
    expect(totalCalls(calls)).toBeLessThanOrEqual(EVENT_BUDGETS.repair.apiCalls);
    expect(byAction(calls)).not.toHaveProperty('ec2:DescribeInstances');
  });

  it('changes nothing when the listener it is told about is as desired', async () => {
    const event = await inSyncEvent(converged.world, binding);

    const { result, calls } = await converged.world.counted(() => handle(converged.deps, event));

    expect(result.bindings[0]?.listeners?.outcome).toBe('in-sync');
    expect(mutatingCalls(calls)).toBe(0);
    expect(totalCalls(calls)).toBeLessThanOrEqual(EVENT_BUDGETS.repair.apiCalls);
  });
});

describe('the register function, on an instance state change', () => {
  it('registers a running instance with at most 3 AWS calls', async () => {
    const { event } = await launchEvent(converged.world, binding);

    const { result, calls } = await converged.world.counted(() => handle(converged.deps, event));

    expect(result.bindings[0]?.registration?.register).toHaveLength(1);
    expect(totalCalls(calls)).toBeLessThanOrEqual(EVENT_BUDGETS.register.apiCalls);
  });

  it('makes no ELB call for a duplicate running event', async () => {
    const { event } = await launchEvent(converged.world, binding);
    await handle(converged.deps, event);

    const { calls } = await converged.world.counted(() => handle(converged.deps, event));

    expect(totalCalls(calls, 'elbv2')).toBe(0);
    expect(totalCalls(calls)).toBeLessThanOrEqual(EVENT_BUDGETS.register.apiCalls);
  });
});
