/**
 * Figure 8 of the bench: what the approval design costs when the sweep finds drift before any event. The
 * figures come from the simulated clock, so they are asserted: the lookup heals within the event history's
 * delay, the grace alone takes the grace, and only the lookup keeps an approved change whose event is lost.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { measureTimeToHeal, type TimeToHeal } from '../../bench/time-to-heal.ts';

let figure: TimeToHeal;
beforeAll(async () => {
  figure = await measureTimeToHeal();
}, 180_000);

const named = (name: string) => {
  const found = figure.cases.find((entry) => entry.case === name);
  if (!found) throw new Error(`no case "${name}"`);
  return found;
};

describe('time to heal on the sweep path', () => {
  it('repairs at the next sweep without approvedActors, asking no event history', () => {
    expect(named('no approvedActors')).toMatchObject({ outcome: 'repaired', minutes: 1, lookups: 0 });
  });

  it('waits the whole grace without the lookup, and only the event history’s delay with it', () => {
    const grace = named('approvedActors, grace only');
    const lookup = named('approvedActors, event history lookup');

    expect(figure.historyDelayMinutes).toBe(5);
    expect(grace).toMatchObject({ outcome: 'repaired', minutes: figure.approvalGraceMinutes + 1 });
    expect(lookup).toMatchObject({ outcome: 'repaired', minutes: figure.historyDelayMinutes });
    // One lookup per waiting sweep, until the history shows the call.
    expect(lookup.lookups).toBe(figure.historyDelayMinutes);
  });

  it('keeps an approved change whose event is lost only with the lookup', () => {
    expect(named('approved change, grace only')).toMatchObject({ outcome: 'repaired' });
    expect(named('approved change, event history lookup')).toMatchObject({
      outcome: 'accepted',
      minutes: figure.historyDelayMinutes,
    });
  });
});
