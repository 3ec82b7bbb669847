/**
 * `alb-warden pause` and `resume`: a paused binding is observed, not changed; the alert and the status say
 * who paused it; resuming lets the next sweep repair, and resets the circuit breaker.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDuration } from '../../functions/cli/main.ts';
import { createDeps } from '../../functions/deps.ts';
import { silentTelemetry } from '../../functions/use-cases/context.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { type CliWorld, startCliWorld } from './support.ts';

interface Paused {
  binding: string;
  paused: boolean;
  until?: string;
  by?: string;
}

let w: CliWorld;
beforeEach(async () => {
  w = await startCliWorld();
  await w.launchWeb(2);
});
afterEach(() => w.stop());

const pause = (...extra: string[]) =>
  w.cli(['pause', '--binding', 'web', '--for', '2h', '--by', 'jiwoo.kim', ...extra]);

describe('alb-warden pause', () => {
  it('pauses a binding until a time and says so, in words and in --json', async () => {
    const started = Date.now();

    const run = await pause('--reason', 'certificate rotation', '--json');

    expect(run.code).toBe(0);
    const paused = run.json<Paused>();
    expect(paused.binding).toBe('web');
    expect(paused.paused).toBe(true);
    expect(paused.by).toBe('jiwoo.kim');
    const until = Date.parse(paused.until ?? '');
    expect(until - started).toBeGreaterThanOrEqual(2 * 3600_000 - 1000);
    expect(until - started).toBeLessThanOrEqual(2 * 3600_000 + 5000);
    const human = await pause();
    expect(human.stdout).toMatch(
      /^web: paused until \d{4}-\d\d-\d\dT[\d:.]+Z by jiwoo\.kim; drift is reported, not repaired \(registration goes on\)\n$/,
    );
  });

  it('leaves a drift event unrepaired, reports it as paused, and names who paused it', async () => {
    await pause('--reason', 'certificate rotation');
    await w.breakRedirect();

    const results = await w.warden.pump();

    const guarded = results.find((result) => result.function === 'guard');
    expect(guarded?.bindings[0]?.listeners?.outcome).toBe('paused');
    expect(await w.httpAction()).toBe('forward');
    const [alert] = await w.warden.alerts();
    expect(alert?.subject).toBe(
      '[WARNING] web: HTTP listener drift reported, not repaired: port 80 forwards to web-8080',
    );
    expect(alert?.text).toContain('paused by jiwoo.kim until');
    expect(alert?.text).toContain('(certificate rotation)');
    expect(alert?.text).toContain(
      'Who changed it: arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim',
    );
  });

  it('shows the pause in status, which exits 1 while the drift is there', async () => {
    await pause('--reason', 'certificate rotation');
    await w.breakRedirect();
    await w.warden.pump();

    const run = await w.cli(['status', '--json']);

    expect(run.code).toBe(1);
    const [binding] = run.json<{
      bindings: { listeners: { inSync: boolean }; alertState: { paused?: Record<string, string> } }[];
    }>().bindings;
    expect(binding?.listeners.inSync).toBe(false);
    expect(binding?.alertState.paused).toEqual({
      by: 'jiwoo.kim',
      until: expect.stringMatching(/Z$/),
      reason: 'certificate rotation',
    });
    expect((await w.cli(['status'])).stdout).toMatch(
      /alert state {2}paused by jiwoo\.kim until \S+Z \(certificate rotation\)/,
    );
  });

  it('keeps the scheduled sweep from repairing too', async () => {
    await pause();
    await w.breakRedirect();

    const result = await w.warden.sweep();

    expect(result.bindings[0]?.listeners?.outcome).toBe('paused');
    expect(await w.httpAction()).toBe('forward');
  });

  it('reconcile while paused says "would" for the repair it did not make', async () => {
    await pause();
    await w.breakRedirect();

    const run = await w.cli(['reconcile']);

    expect(run.stdout).toMatch(/listeners\s+paused: port 80 forwards to web-8080/);
    expect(run.stdout).toContain('would change the HTTP listener on port 80');
    expect(await w.httpAction()).toBe('forward');
  });

  it('ends by itself when its time is up', async () => {
    const threeHoursAgo = Date.now() - 3 * 3600_000;
    await w.cli(['pause', '--binding', 'web', '--for', '2h', '--by', 'jiwoo.kim'], {
      now: () => threeHoursAgo,
    });
    await w.breakRedirect();

    await w.warden.pump();

    expect(await w.httpAction()).toBe('redirect');
  });

  it.each([
    [['pause', '--for', '2h'], 'pause needs --binding NAME'],
    [['pause', '--binding', 'web'], 'pause needs --for DURATION (for example 2h)'],
    [['pause', '--binding', 'web', '--for', '2 hours'], '--for "2 hours" is not a duration'],
    [['pause', '--binding', 'web', '--for', '8d'], '--for "8d" must be more than 0 and at most 7d'],
    [['pause', '--binding', 'web', '--for', '0m'], 'must be more than 0'],
    [['pause', '--binding', 'api', '--for', '2h'], 'no binding named "api" (bindings: web)'],
  ])('%j is a usage error: exit 2', async (args, message) => {
    const run = await w.cli(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

describe('alb-warden resume', () => {
  it('ends the pause: the next sweep repairs', async () => {
    await pause();
    await w.breakRedirect();
    await w.warden.pump();

    const run = await w.cli(['resume', '--binding', 'web']);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe('web: resumed; repairs start again at the next event or sweep\n');
    expect(
      (await w.cli(['status', '--json'])).json<{ bindings: { alertState: object }[] }>().bindings[0]
        ?.alertState,
    ).not.toHaveProperty('paused');
    const result = await w.warden.sweep();
    expect(result.bindings[0]?.listeners?.outcome).toBe('repaired');
    expect(await w.httpAction()).toBe('redirect');
  });

  it('--json says the binding is no longer paused', async () => {
    await pause();

    const run = await w.cli(['resume', '--binding', 'web', '--json']);

    expect(run.json<Paused>()).toEqual({ binding: 'web', paused: false });
  });

  it('resets the circuit breaker that stopped repairing a listener someone keeps changing', async () => {
    for (let round = 0; round < 4; round++) {
      await w.breakRedirect();
      await w.warden.pump();
    }
    expect(await w.httpAction()).toBe('forward');
    const suspended = await w.cli(['status', '--json']);
    expect(suspended.code).toBe(1);
    expect(
      suspended.json<{ bindings: { alertState: { suspended: string[] } }[] }>().bindings[0]?.alertState
        .suspended,
    ).toEqual(['http']);
    expect((await w.cli(['status'])).stdout).toContain('repairs suspended: http');

    expect((await w.cli(['resume', '--binding', 'web'])).code).toBe(0);
    await w.warden.sweep();

    expect(await w.httpAction()).toBe('redirect');
    expect((await w.cli(['status'])).code).toBe(0);
  });

  it('needs --binding', async () => {
    const run = await w.cli(['resume']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('alb-warden: resume needs --binding NAME\n');
  });

  it('works against a fresh controller built from the same configuration (state lives in the table)', async () => {
    await pause();
    const other = createDeps(w.warden.config, {
      telemetry: silentTelemetry,
      aws: {
        endpoint: w.warden.world.endpoint,
        region: w.warden.seed.region,
        credentials: { accessKeyId: 'AKIAANOTHERCONTROLLR', secretAccessKey: 'x' },
      },
    });
    await w.breakRedirect();

    expect((await sweep(other)).bindings[0]?.listeners?.outcome).toBe('paused');
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
