/**
 * The guard path loads only the SDK clients it uses: the shipped bundle (dist/, built by esbuild.config.mjs) handles one event in a fresh process whose module hooks record every file it loads,
 * and the metafile says which SDK client's code each chunk carries.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundles, FUNCTION_NAMES, type Metafile, readBundles } from '../../bench/bundles.ts';
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

/** `XxxCommand` for every `new XxxCommand(` in the adapters: the commands the functions send. */
function commandsTheAdaptersSend(): Set<string> {
  const adapters = new URL('../../functions/adapters/', import.meta.url);
  const sent = new Set<string>();
  for (const file of readdirSync(adapters)) {
    const text = readFileSync(new URL(file, adapters), 'utf8');
    for (const [, command] of text.matchAll(/new (\w+Command)\(/g)) if (command) sent.add(command);
  }
  return sent;
}

/** The SDK command modules a bundle carries (`commands/XxxCommand.js` of an `@aws-sdk/client-` package). */
function commandsIn(meta: Metafile): string[] {
  const inputs = Object.values(meta.outputs).flatMap((output) => Object.keys(output.inputs));
  const commands = inputs.flatMap(
    (input) => /@aws-sdk\/client-[\w-]+\/dist-\w+\/commands\/(\w+)\.js$/.exec(input)?.[1] ?? [],
  );
  return [...new Set(commands)].sort();
}

describe('the bundles', () => {
  it.each(FUNCTION_NAMES)('%s: importing it loads no AWS SDK client (each is a chunk of its own)', (name) => {
    expect(clientsLoadedAtImport(bundles.functions[name])).toEqual([]);
  });

  it.each(FUNCTION_NAMES)(
    '%s: carries the SDK commands the adapters send, not the rest of each client',
    (name) => {
      const carried = commandsIn(bundles.functions[name].meta);
      // DynamoDB's client sends DescribeEndpoints on its own (endpoint discovery).
      const sent = new Set([...commandsTheAdaptersSend(), 'DescribeEndpointsCommand']);

      expect(carried).toContain('DescribeTargetHealthCommand');
      expect(carried.filter((command) => !sent.has(command))).toEqual([]);
    },
  );
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
