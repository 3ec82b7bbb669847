/** The service-hold planner: targets an AWS service took out are held from the call for `holdMinutes`. */
import { describe, expect, it } from 'vitest';
import { planServiceHold, type ServiceHoldInput } from '../../../functions/domain/service-hold-plan.ts';
import { seedConfig } from '../../support/builders.ts';

const NOW = Date.parse('2026-11-20T06:00:00.000Z');
const [binding] = seedConfig().bindings;
if (!binding) throw new Error('the seed configuration has a binding');

function plan(overrides: Partial<ServiceHoldInput> = {}) {
  return planServiceHold({
    binding: binding as NonNullable<typeof binding>,
    service: 'codedeploy.amazonaws.com',
    targets: [{ id: 'i-1' }, { id: 'i-2', port: 9090 }],
    eventTime: undefined,
    holdMinutes: 20,
    mode: 'enforce',
    now: NOW,
    ...overrides,
  });
}

describe('planServiceHold', () => {
  it.each([
    ['an event without a call time: from its arrival', undefined, 'hold', NOW, NOW + 20 * 60_000],
    [
      'a call 5 minutes ago: from the call',
      '2026-11-20T05:55:00.000Z',
      'hold',
      NOW - 5 * 60_000,
      NOW + 15 * 60_000,
    ],
    ['a call time ahead of the clock: from now', '2026-11-20T06:10:00.000Z', 'hold', NOW, NOW + 20 * 60_000],
    ['a call 20 minutes ago: the hold is over', '2026-11-20T05:40:00.000Z', 'over', undefined, undefined],
  ] as const)('%s', (_, eventTime, kind, at, until) => {
    const result = plan({ eventTime });

    expect(result.decision.kind).toBe(kind);
    expect(result.keys).toEqual(['i-1:8080', 'i-2:9090']);
    expect([...result.holds]).toEqual(
      at === undefined
        ? []
        : [
            ['i-1:8080', { service: 'codedeploy.amazonaws.com', at, until }],
            ['i-2:9090', { service: 'codedeploy.amazonaws.com', at, until }],
          ],
    );
  });

  it('plans the same holds in dry-run; the mode tells the executor not to write them', () => {
    const dry = plan({ mode: 'dry-run' });

    expect(dry.mode).toBe('dry-run');
    expect([...dry.holds.keys()]).toEqual(['i-1:8080', 'i-2:9090']);
  });
});
