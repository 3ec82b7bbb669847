/**
 * What happens to an alert SNS does not take: a passing failure (throttling, 5xx, timeout) is parked and
 * retried; a refusal no retry fixes (topic deleted, KMS key unusable, no permission, invalid request) fails the
 * invocation as not transient and is tried a bounded number of times.
 */
import { describe, expect, it } from 'vitest';
import { PREFIX } from '../../../functions/domain/state.ts';
import { AlertRefusedError, isPermanentPublishError, isTransient } from '../../../functions/errors.ts';
import { AlertsRefusedError, InvocationIncompleteError } from '../../../functions/use-cases/binding-run.ts';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import { instance, seedConfig } from '../../support/builders.ts';
import { FakeWorld, fakeDeps } from '../../support/fake-world.ts';

const MINUTE = 60_000;

/** An SNS client error as the SDK raises it. */
const snsError = (code: string, fault: 'client' | 'server' = 'client', status = 400) =>
  Object.assign(new Error(`${code} from SNS`), {
    name: code,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });

async function unhealthyFleet() {
  const world = new FakeWorld();
  const setup = fakeDeps(world, seedConfig());
  for (const id of ['i-1', 'i-2']) world.addInstance(instance(id));
  await sweep(setup.deps);
  world.setHealth('i-2', 'unhealthy', 'Target.Timeout');
  setup.clock.now += MINUTE;
  await sweep(setup.deps);
  return { world, ...setup };
}

type Setup = Awaited<ReturnType<typeof unhealthyFleet>>;

async function nextSweep(setup: Setup): Promise<unknown> {
  setup.clock.now += MINUTE;
  try {
    await sweep(setup.deps);
    return undefined;
  } catch (error) {
    return error;
  }
}

const parked = async (setup: Setup) =>
  (await setup.state.load('web')).filter((record) => !record.deleted && record.key.startsWith(PREFIX.outbox));
const kinds = (world: FakeWorld) => world.published.map((alert) => alert.attributes.kind);

describe('SNS Publish errors', () => {
  it.each([
    'NotFound',
    'AuthorizationError',
    'KMSDisabled',
    'KMSNotFound',
    'KMSAccessDenied',
    'KMSInvalidState',
    'InvalidParameter',
  ])('%s is permanent, not transient', (code) => {
    expect(isPermanentPublishError(snsError(code))).toBe(true);
    expect(isPermanentPublishError(snsError(`${code}Exception`))).toBe(true);
    expect(isTransient(snsError(code))).toBe(false);
  });

  it.each([
    ['Throttled', snsError('Throttling')],
    ['KMS throttled', snsError('KMSThrottling')],
    ['5xx', snsError('InternalError', 'server', 500)],
    ['timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
  ])('%s is transient, not permanent', (_, error) => {
    expect(isPermanentPublishError(error)).toBe(false);
    expect(isTransient(error)).toBe(true);
  });
});

describe('an alert SNS refuses for good', () => {
  it('fails the invocation with a non-transient error and logs it, instead of a retry as transient', async () => {
    const setup = await unhealthyFleet();
    setup.world.failures.set('publish', [snsError('NotFound')]);

    const error = await nextSweep(setup);

    expect(error).toBeInstanceOf(AlertsRefusedError);
    expect(error).not.toBeInstanceOf(InvocationIncompleteError);
    expect(isTransient(error)).toBe(false);
    expect((error as Error).message).toMatch(/SNS refused alert TargetUnhealthy for web \(NotFound/);
    const [result] = (error as AlertsRefusedError).results;
    expect(result?.error).toMatchObject({ transient: false, alertsRefused: true, code: 'NotFound' });
    expect(setup.telemetry.logs.filter((log) => log.level === 'error').map((log) => log.message)).toContain(
      'alert refused by SNS; parked for a bounded number of attempts',
    );
  });

  it('delivers it once the topic is mended within the bound', async () => {
    const setup = await unhealthyFleet();
    setup.world.failures.set('publish', [snsError('KMSDisabled'), snsError('KMSDisabled')]);

    expect(await nextSweep(setup)).toBeInstanceOf(AlertsRefusedError);
    expect(await nextSweep(setup)).toBeInstanceOf(AlertsRefusedError);
    expect(await nextSweep(setup)).toBeUndefined();

    expect(kinds(setup.world)).toEqual(['TargetUnhealthy']);
    expect(await parked(setup)).toEqual([]);
  });

  it('drops it after three refusals in all, with its text in the error log, and fails no later invocation', async () => {
    const setup = await unhealthyFleet();
    setup.world.failures.set('publish', [
      snsError('AuthorizationError', 'client', 403),
      snsError('AuthorizationError', 'client', 403),
      snsError('AuthorizationError', 'client', 403),
    ]);

    const errors = [await nextSweep(setup), await nextSweep(setup), await nextSweep(setup)];
    const after = await nextSweep(setup);

    expect(errors.map((error) => error instanceof AlertsRefusedError)).toEqual([true, true, true]);
    expect(after).toBeUndefined();
    expect(await parked(setup)).toEqual([]);
    expect(kinds(setup.world)).toEqual([]);
    const dropped = setup.telemetry.logs.find(
      (log) => log.message === 'alert dropped: SNS refused it for good',
    );
    expect(dropped?.attributes).toMatchObject({ kind: 'TargetUnhealthy', refusals: 3 });
    expect(String(dropped?.attributes?.text)).toContain('i-2:8080');
    expect(setup.world.calls.filter((call) => call === 'publish')).toHaveLength(3);
  });

  it('keeps retrying an alert whose failures are transient, as transient', async () => {
    const setup = await unhealthyFleet();
    setup.world.failures.set(
      'publish',
      Array.from({ length: 5 }, () => snsError('InternalError', 'server', 500)),
    );

    const errors = [];
    for (let round = 0; round < 5; round++) errors.push(await nextSweep(setup));

    expect(errors.every((error) => error instanceof InvocationIncompleteError)).toBe(true);
    expect(await parked(setup)).toHaveLength(1);
    expect(await nextSweep(setup)).toBeUndefined();
    expect(kinds(setup.world)).toEqual(['TargetUnhealthy']);
  });

  it('sends a parked alert to the topic configured now', async () => {
    const setup = await unhealthyFleet();
    setup.world.failures.set('publish', [snsError('NotFound')]);
    await nextSweep(setup);
    const topics: string[] = [];
    const replaced = `${setup.deps.config.alerts.topicArn}-new`;
    const deps = {
      ...setup.deps,
      config: { ...setup.deps.config, alerts: { ...setup.deps.config.alerts, topicArn: replaced } },
      alerts: { publish: async (topicArn: string) => void topics.push(topicArn) },
    };
    setup.clock.now += MINUTE;

    await sweep(deps);

    expect(topics).toEqual([replaced]);
    expect(await parked(setup)).toEqual([]);
  });

  it('keeps the AWS error code in the AlertRefusedError', () => {
    const error = new AlertRefusedError('refused', { cause: snsError('KMSNotFound') });
    expect(error.awsCode).toBe('KMSNotFound');
  });
});
