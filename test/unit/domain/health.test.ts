import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConditionRecord,
  type HealthSettings,
  type Observation,
  stepCondition,
  stepTarget,
  type TargetRecord,
  unhealthySeverity,
} from '../../../functions/domain/health.ts';
import type { TargetHealth } from '../../../functions/domain/model.ts';
import { health } from '../../support/builders.ts';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-20T06:00:00Z');
const settings: HealthSettings = {
  unhealthyAfterSweeps: 2,
  remindEveryMinutes: 60,
  stuckAfterMinutes: 10,
  flapping: { transitions: 4, windowMinutes: 30 },
};
const target = { id: 'i-1', port: 8080 };

const unhealthy = (reasonCode = 'Target.ResponseCodeMismatch'): Observation => ({
  health: health('i-1', 'unhealthy', {
    reasonCode,
    description: 'Health checks failed with these codes: [500]',
  }),
  instanceRunning: true,
});
const healthy: Observation = { health: health('i-1', 'healthy'), instanceRunning: true };
const observe = (
  state: TargetHealth['state'],
  reasonCode?: string,
  instanceRunning: boolean | undefined = true,
) => ({
  health: health('i-1', state, { reasonCode }),
  instanceRunning,
});

/** Runs observations one sweep per minute from T0 and collects every event kind, in order. */
function run(observations: (Observation | 'gone')[], start?: TargetRecord, options = settings) {
  let record: TargetRecord | undefined = start;
  const events: string[] = [];
  let writes = 0;
  observations.forEach((observation, index) => {
    const step = stepTarget(record, observation, T0 + index * MINUTE, options, target);
    events.push(...step.events.map((event) => event.kind));
    if (step.changed) writes++;
    record = step.record ?? undefined;
  });
  return { record, events, writes };
}

describe('stepTarget: ok → suspect → alerting → ok', () => {
  it('keeps no record and writes nothing for a healthy target', () => {
    expect(run([healthy, healthy, healthy])).toEqual({ record: undefined, events: [], writes: 0 });
  });

  it('becomes suspect after one bad sweep, without an alert', () => {
    const { record, events } = run([unhealthy()]);
    expect(record?.phase).toBe('suspect');
    expect(events).toEqual([]);
  });

  it('alerts once after unhealthyAfterSweeps bad sweeps in a row', () => {
    const { record, events } = run([unhealthy(), unhealthy(), unhealthy(), unhealthy()]);
    expect(record?.phase).toBe('alerting');
    expect(events).toEqual(['unhealthy']);
  });

  it('carries the reason code, description and the start of the bad run', () => {
    const first = stepTarget(undefined, unhealthy(), T0, settings, target);
    const second = stepTarget(first.record ?? undefined, unhealthy(), T0 + MINUTE, settings, target);
    expect(second.events).toEqual([
      {
        kind: 'unhealthy',
        targetId: 'i-1',
        port: 8080,
        state: 'unhealthy',
        reasonCode: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [500]',
        badSince: T0,
      },
    ]);
  });

  it('drops back to ok silently when a suspect target recovers', () => {
    expect(run([unhealthy(), healthy]).events).toEqual([]);
  });

  it('sends one recovery, with how long it lasted, when an alerted target is healthy again', () => {
    const steps = [unhealthy(), unhealthy(), unhealthy(), healthy, healthy];
    const { events, record } = run(steps);
    expect(events).toEqual(['unhealthy', 'recovered']);
    expect(record?.phase).toBe('ok');
    const alerted = run(steps.slice(0, 3)).record;
    const recovery = stepTarget(alerted, healthy, T0 + 3 * MINUTE, settings, target);
    expect(recovery.events[0]?.unhealthyForMs).toBe(3 * MINUTE);
  });

  it('treats an alerted target that was deregistered as recovered', () => {
    const { events, record } = run([unhealthy(), unhealthy(), 'gone']);
    expect(events).toEqual(['unhealthy', 'recovered']);
    expect(record).toBeUndefined();
  });

  it('alerts immediately when unhealthyAfterSweeps is 1', () => {
    expect(run([unhealthy()], undefined, { ...settings, unhealthyAfterSweeps: 1 }).events).toEqual([
      'unhealthy',
    ]);
  });

  it('costs no write per sweep while a target stays unhealthy', () => {
    const alerted = run([unhealthy(), unhealthy()]).record;
    const step = stepTarget(alerted, unhealthy(), T0 + 5 * MINUTE, settings, target);
    expect(step.changed).toBe(false);
    expect(step.events).toEqual([]);
  });
});

describe('stepTarget: reminders', () => {
  it('reminds every remindEveryMinutes while the target stays unhealthy', () => {
    const observations = Array.from({ length: 130 }, () => unhealthy());
    expect(run(observations).events).toEqual(['unhealthy', 'reminder', 'reminder']);
  });

  it('never reminds when remindEveryMinutes is 0', () => {
    const observations = Array.from({ length: 130 }, () => unhealthy());
    expect(run(observations, undefined, { ...settings, remindEveryMinutes: 0 }).events).toEqual([
      'unhealthy',
    ]);
  });
});

describe('stepTarget: what counts as unhealthy', () => {
  it('counts unused as unhealthy only while the instance runs', () => {
    expect(run([observe('unused', 'Target.NotInUse'), observe('unused', 'Target.NotInUse')]).events).toEqual([
      'unhealthy',
    ]);
    const stopped = observe('unused', 'Target.InvalidState', false);
    expect(run([stopped, stopped, stopped]).events).toEqual([]);
    const unknown: Observation = { health: health('i-1', 'unused'), instanceRunning: undefined };
    expect(run([unknown, unknown]).events).toEqual([]);
  });

  it('gives initial registrations a grace period, then alerts when they are stuck', () => {
    const starting = Array.from({ length: 15 }, () => observe('initial', 'Elb.RegistrationInProgress'));
    const { events } = run(starting);
    // Minutes 0-9 are grace; minute 10 and 11 are the two bad sweeps the damping asks for.
    expect(events).toEqual(['unhealthy']);
    const early = run(starting.slice(0, 10));
    expect(early.events).toEqual([]);
  });

  it('treats a target still in initial health checking as in grace', () => {
    expect(
      run(Array.from({ length: 5 }, () => observe('initial', 'Elb.InitialHealthChecking'))).events,
    ).toEqual([]);
  });

  it('gives draining targets a grace period too', () => {
    const draining = Array.from({ length: 9 }, () => observe('draining', 'Target.DeregistrationInProgress'));
    expect(run(draining).events).toEqual([]);
  });

  it("measures draining against the group's deregistration delay, plus a two-minute margin", () => {
    const draining = (delaySeconds: number, minutes: number) =>
      Array.from({ length: minutes }, () => ({
        ...observe('draining', 'Target.DeregistrationInProgress'),
        deregistrationDelaySeconds: delaySeconds,
      }));
    // ELB's default 300 s: minutes 0–6 are grace, 7 and 8 the two bad sweeps of the damping.
    expect(run(draining(300, 8)).events).toEqual([]);
    expect(run(draining(300, 9)).events).toEqual(['unhealthy']);
    // A 30-minute delay is not stuck after stuckAfterMinutes (10).
    expect(run(draining(1800, 32)).events).toEqual([]);
    expect(run(draining(1800, 34)).events).toEqual(['unhealthy']);
    // No delay at all: a target still draining after the margin is stuck.
    expect(run(draining(0, 4)).events).toEqual(['unhealthy']);
  });

  it('keeps stuckAfterMinutes for a starting target, whatever the deregistration delay', () => {
    const starting = Array.from({ length: 12 }, () => ({
      ...observe('initial', 'Elb.RegistrationInProgress'),
      deregistrationDelaySeconds: 3600,
    }));
    expect(run(starting).events).toEqual(['unhealthy']);
  });

  it('does not alert on unavailable (health checks disabled)', () => {
    expect(run([observe('unavailable'), observe('unavailable'), observe('unavailable')]).events).toEqual([]);
  });
});

describe('stepTarget: flapping', () => {
  it('sends one TargetFlapping instead of a stream of unhealthy/recovered pairs', () => {
    const pattern: Observation[] = [];
    for (let cycle = 0; cycle < 6; cycle++) pattern.push(unhealthy(), unhealthy(), healthy);
    const { events } = run(pattern);
    expect(events.filter((kind) => kind === 'flapping')).toHaveLength(1);
    expect(events.filter((kind) => kind === 'unhealthy').length).toBeLessThanOrEqual(2);
  });

  it('reports recovery once the target settles healthy after flapping', () => {
    const pattern: Observation[] = [];
    for (let cycle = 0; cycle < 4; cycle++) pattern.push(unhealthy(), healthy);
    for (let minute = 0; minute < 40; minute++) pattern.push(healthy);
    const { events, record } = run(pattern);
    expect(events.at(-1)).toBe('recovered');
    expect(events.filter((kind) => kind === 'flapping')).toHaveLength(1);
    // Quiet for longer than the flapping window: nothing left to remember.
    expect(record).toBeUndefined();
  });
});

describe('property: a flapping target never produces a storm', () => {
  it('at most a handful of alerts per hour for any sequence of observations', () => {
    const observation = fc.constantFrom<Observation>(
      healthy,
      unhealthy(),
      observe('initial', 'Elb.RegistrationInProgress'),
    );
    fc.assert(
      fc.property(fc.array(observation, { minLength: 60, maxLength: 60 }), (sequence) => {
        const { events } = run(sequence, undefined, { ...settings, remindEveryMinutes: 0 });
        // Flapping is detected at the 4th switch; before it at most 2 unhealthy/recovered pairs can fit,
        // and after it the window must calm down before anything else is said.
        expect(events.length).toBeLessThanOrEqual(12);
      }),
      { numRuns: 500 },
    );
  });
});

describe('stepCondition: no healthy target left', () => {
  const none = { registered: 3, healthy: 0, inGrace: 0 };
  const one = { registered: 3, healthy: 1, inGrace: 0 };

  function runCondition(fleets: { registered: number; healthy: number; inGrace: number }[]) {
    let record: ConditionRecord | undefined;
    const events: string[] = [];
    fleets.forEach((fleet, index) => {
      const step = stepCondition(record, fleet, T0 + index * MINUTE, settings);
      events.push(
        ...step.events.map((event) =>
          event.kind === 'no-healthy' && event.reminder ? 'reminder' : event.kind,
        ),
      );
      record = step.record ?? undefined;
    });
    return events;
  }

  it('fires once after the damping and once more when a target is healthy again', () => {
    expect(runCondition([none, none, none, none, one, one])).toEqual(['no-healthy', 'restored']);
  });

  it('does not fire for a fleet that is still registering', () => {
    expect(
      runCondition([
        { registered: 2, healthy: 0, inGrace: 2 },
        { registered: 2, healthy: 0, inGrace: 2 },
      ]),
    ).toEqual([]);
  });

  it('does not fire for an empty target group', () => {
    expect(
      runCondition([
        { registered: 0, healthy: 0, inGrace: 0 },
        { registered: 0, healthy: 0, inGrace: 0 },
      ]),
    ).toEqual([]);
  });

  it('reminds while it lasts and writes nothing in between', () => {
    const fleets = Array.from({ length: 125 }, () => none);
    expect(runCondition(fleets)).toEqual(['no-healthy', 'reminder', 'reminder']);
    const active = { active: true, strikes: 2, since: T0, notifiedAt: T0 };
    expect(stepCondition(active, none, T0 + 5 * MINUTE, settings).changed).toBe(false);
  });
});

describe('unhealthySeverity', () => {
  it('is critical when none is healthy or fewer than the configured share', () => {
    expect(unhealthySeverity({ registered: 4, healthy: 0, inGrace: 0 }, 0.5)).toBe('critical');
    expect(unhealthySeverity({ registered: 4, healthy: 1, inGrace: 0 }, 0.5)).toBe('critical');
    expect(unhealthySeverity({ registered: 4, healthy: 2, inGrace: 0 }, 0.5)).toBe('warning');
    expect(unhealthySeverity({ registered: 4, healthy: 3, inGrace: 0 }, 0)).toBe('warning');
  });
});
