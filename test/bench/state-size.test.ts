/**
 * The converged sweep's budget counts one alert-state Query per binding. DynamoDB returns at most 1 MB per
 * Query page (the simulator does not page at 1 MB, so its call counter cannot show this): the partition the
 * sweep reads must not grow with the fleet. Ownership records (one per registered target) live in a
 * partition of their own, read only when a target outside the selector needs a decision. Counts only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateSize } from '../../bench/state-size.ts';
import { ownershipOf } from '../../functions/domain/state.ts';
import { type Converged, convergedWorld } from './support.ts';

const QUERY_PAGE_BYTES = 1024 * 1024;
let small: Converged;
let large: Converged;

beforeAll(async () => {
  small = await convergedWorld({ bindings: 1, instancesPerBinding: 5, healthCheck: true });
  large = await convergedWorld({ bindings: 1, instancesPerBinding: 50, healthCheck: true });
}, 60_000);
afterAll(async () => {
  await small.world.stop();
  await large.world.stop();
});

const nameOf = (converged: Converged) => converged.world.bindings[0]?.name ?? '';

describe("a converged binding's alert state", () => {
  it('does not grow with the fleet: the same records at 5 and at 50 targets', async () => {
    const [five, fifty] = await Promise.all([
      stateSize(small.world, nameOf(small)),
      stateSize(large.world, nameOf(large)),
    ]);
    expect(fifty.items).toBe(five.items);
    expect(fifty.bytes).toBeLessThan(QUERY_PAGE_BYTES / 100);
  });

  it('keeps ownership, which does grow with the fleet, in a partition of its own', async () => {
    const ownership = await stateSize(large.world, ownershipOf(nameOf(large)));
    expect(ownership.items).toBe(50);
  });
});
