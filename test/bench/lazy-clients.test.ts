/**
 * The guard path loads only the SDK clients it uses: the shipped bundle (dist/, built by esbuild.config.mjs) handles one event in a fresh process whose module hooks record every file it loads,
 * and the metafile says which SDK client's code each chunk carries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundles, FUNCTION_NAMES, readBundles } from '../../bench/bundles.ts';
import { deniedEvent, driftEvent, inSyncEvent } from '../../bench/events.ts';
import { clientsLoadedAtImport, clientsLoadedBy } from '../../bench/lazy-loading.ts';
import type { BindingWorld } from '../../bench/world.ts';
import { ensureBundles } from '../infra/support/bundles.ts';
import { type Converged, convergedWorld } from './support.ts';

let bundles: Bundles;
let converged: Converged;
let binding: BindingWorld;
beforeAll(async () => {
  [bundles, converged] = await Promise.all([
    ensureBundles().then(readBundles),
    convergedWorld({ bindings: 1, instancesPerBinding: 3, healthCheck: true }),
  ]);
  binding = converged.world.bindings[0] as BindingWorld;
}, 120_000);
afterAll(() => converged?.world.stop());

describe('the bundles', () => {
  it.each(FUNCTION_NAMES)('%s: importing it loads no AWS SDK client (each is a chunk of its own)', (name) => {
    expect(clientsLoadedAtImport(bundles.functions[name])).toEqual([]);
  });
});

describe('the guard function', () => {
  it('loads no AWS client for an event it ignores (a failed call)', async () => {
    const load = await clientsLoadedBy(
      bundles.functions.guard,
      converged.world,
      await deniedEvent(converged.world, binding),
    );

    expect(load.result).toMatchObject({ ignored: expect.any(String) });
    expect(load.files).toBeGreaterThan(0); // the hooks saw the bundle load
    expect(load.clients).toEqual([]);
  }, 30_000);

  it('loads only ELB and the state table for a listener it finds in sync: no EC2, no SNS', async () => {
    const load = await clientsLoadedBy(
      bundles.functions.guard,
      converged.world,
      await inSyncEvent(converged.world, binding),
    );

    expect(load.result).toMatchObject({ bindings: [{ listeners: { outcome: 'in-sync' } }] });
    expect(load.clients).toEqual(['dynamodb', 'elbv2']);
  }, 30_000);

  it('loads SNS to alert on a repair, and never EC2', async () => {
    const load = await clientsLoadedBy(
      bundles.functions.guard,
      converged.world,
      await driftEvent(converged.world, binding),
    );

    expect(load.result).toMatchObject({ bindings: [{ listeners: { outcome: 'repaired' } }] });
    expect(load.clients).toEqual(['dynamodb', 'elbv2', 'sns']);
  }, 30_000);
});
