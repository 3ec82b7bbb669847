/** The sweep worker's handler: SQS records parsed at the edge, the use-case's failures and malformed ones reported. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from '../../functions/handlers/runtime.ts';
import { createSweepWorkerHandler, parseBody } from '../../functions/handlers/sweep-worker.ts';
import { seedConfig } from '../support/builders.ts';
import { FakeWorld, fakeDeps } from '../support/fake-world.ts';

beforeEach(() => {
  // Powertools writes log lines and EMF documents to stdout.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

const record = (messageId: string, body: string) => ({ messageId, body });

describe('the sweep worker handler', () => {
  it('sweeps the bindings of well-formed messages and reports a malformed one for redelivery', async () => {
    const world = new FakeWorld();
    const { deps, state } = fakeDeps(world, seedConfig());
    const handler = createSweepWorkerHandler(createObservability('sweep-worker'), () => deps);

    const result = await handler(
      { Records: [record('m1', '{"bindings":["web"]}'), record('m2', 'not json')] },
      { awsRequestId: 'request-1', getRemainingTimeInMillis: () => 60_000 } as never,
    );

    expect(result.bindings.map((binding) => binding.binding)).toEqual(['web']);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    // The lease was given back: another holder takes it at once.
    expect(await state.lease('web', 'request-2', deps.now() + 1000, deps.now())).toBe(true);
  });

  it('reads only {"bindings": [names]}', () => {
    expect(parseBody('{"bindings":["a","b"]}')).toEqual(['a', 'b']);
    expect(parseBody('{"bindings":"a"}')).toBeUndefined();
    expect(parseBody('{"bindings":[1]}')).toBeUndefined();
    expect(parseBody('[]')).toBeUndefined();
    expect(parseBody('')).toBeUndefined();
  });
});
