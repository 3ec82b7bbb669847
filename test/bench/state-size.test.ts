/**
 * The converged sweep's budget counts one alert-state Query per binding. DynamoDB returns at most 1 MB per
 * Query page (the simulator does not page at 1 MB, so its call counter cannot show this): the partition of a
 * binding must stay under 1 MB for the budget to hold at AWS. Sizes are measured on a converged binding
 * (DynamoDB's item-size rules) and scaled to the fleet size, counts only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateSize } from '../../bench/state-size.ts';
import { type Converged, convergedWorld } from './support.ts';

const QUERY_PAGE_BYTES = 1024 * 1024;
const MEASURED_TARGETS = 50;
let converged: Converged;
let bytesPerTarget: number;

beforeAll(async () => {
  converged = await convergedWorld({ bindings: 1, instancesPerBinding: MEASURED_TARGETS, healthCheck: true });
  const size = await stateSize(converged.world, converged.world.bindings[0]?.name ?? '');
  // One ownership record per registered target, plus the binding's own records.
  expect(size.items).toBeGreaterThanOrEqual(MEASURED_TARGETS);
  bytesPerTarget = size.bytes / MEASURED_TARGETS;
}, 60_000);
afterAll(() => converged.world.stop());

describe("a converged binding's alert state", () => {
  it('fits one Query page at 1,000 targets', () => {
    expect(bytesPerTarget * 1000).toBeLessThanOrEqual(QUERY_PAGE_BYTES);
  });

  // Budget missed at AWS: every registered target keeps an ownership record (`owned#<id>:<port>`, about 120
  // bytes) in the binding's partition, so a 10,000-target binding's partition is about 1.2 MB and its Query
  // takes 2 pages, more than the one Query per binding the converged sweep is allowed. The bench reports the
  // pages per scale ("state Query pages at AWS").
  it.fails('fits one Query page at 10,000 targets', () => {
    expect(bytesPerTarget * 10_000).toBeLessThanOrEqual(QUERY_PAGE_BYTES);
  });
});
