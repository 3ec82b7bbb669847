import { describe, expect, it } from 'vitest';
import { allInOrder } from '../../../functions/use-cases/context.ts';

/** A promise settled by hand, so a test decides which read fails first in time. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((onValue, onError) => {
    resolve = onValue;
    reject = onError;
  });
  return { promise, resolve, reject };
}

describe('allInOrder', () => {
  it('returns every value in order when every read succeeds', async () => {
    await expect(allInOrder([Promise.resolve(1), 'two', Promise.resolve([3])])).resolves.toEqual([
      1,
      'two',
      [3],
    ]);
  });

  it('fails with the first failure in the order given, when a later read failed first', async () => {
    const listeners = deferred<string>();
    const targets = deferred<string>();
    const all = allInOrder([listeners.promise, targets.promise]);
    targets.reject(new Error('DescribeTargetHealth failed'));
    await Promise.resolve();
    listeners.reject(new Error('DescribeListeners failed'));

    await expect(all).rejects.toThrow('DescribeListeners failed');
  });

  it('waits for every read before it fails', async () => {
    const slow = deferred<string>();
    let settled = false;
    const all = allInOrder([Promise.reject(new Error('first')), slow.promise]).finally(() => {
      settled = true;
    });
    all.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);

    slow.resolve('late');
    await expect(all).rejects.toThrow('first');
  });
});
