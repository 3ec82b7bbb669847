/**
 * No secret ever appears in logs or alerts. The three functions as they ship (dist/, built by
 * esbuild.config.mjs) run in child processes as Lambda would run them: configuration in
 * WARDEN_CONFIG, credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, the endpoint
 * in AWS_ENDPOINT_URL, Powertools at DEBUG with event logging on. They go through their noisiest paths
 * (repairs, AccessDenied, throttling past the retries, a bad configuration, malformed events), and
 * everything they wrote to stdout and stderr (failed invocations logged with every property of the error,
 * more than the Lambda runtime logs), every SNS message and every state record is scanned for the secret
 * access key, the session token, their fragments and encodings, and request signatures.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { partitionKey } from '../../functions/adapters/dynamodb-state.ts';
import type { SimEvent } from '../../sim/control.ts';
import type { Simulator } from '../../sim/index.ts';
import { ensureBundles } from '../infra/support/bundles.ts';
import { fixture } from '../support/fixtures.ts';
import { count, reportFigures } from './support/figures.ts';
import {
  buildWorld,
  CONTROLLER_KEY,
  closeSimulator,
  eventCursor,
  eventsSince,
  launch,
  openSimulator,
  published,
  TABLE,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
afterAll(() => reportFigures('secrets.test.ts'));

const FUNCTION_NAMES = ['register', 'guard', 'sweep'] as const;
type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Credentials that look like AWS's, made for this run: any trace of them in the output is a leak. */
const SECRET_ACCESS_KEY = randomBytes(30)
  .toString('base64')
  .replace(/[^A-Za-z0-9]/g, 'x')
  .slice(0, 40);
const SESSION_TOKEN = `IQoJb3JpZ2luX2Vj${randomBytes(300).toString('base64')}`;

let sim: Simulator;
let world: World;
let dir: string;
let bundles: Record<FunctionName, string>;
const outputs: { name: string; stdout: string; stderr: string; code: number | null }[] = [];

/** Runs a bundle's handler on `events`, one after the other, in a fresh Node process. */
async function runBundle(name: FunctionName, events: readonly unknown[], env: Record<string, string>) {
  const eventsFile = join(dir, `${name}-${outputs.length}.events.json`);
  writeFileSync(eventsFile, JSON.stringify(events));
  const child = spawn(process.execPath, [join(dir, 'run.mjs'), bundles[name], eventsFile, name], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ENDPOINT_URL: world.sim.endpoint,
      AWS_REGION: world.region,
      AWS_ACCESS_KEY_ID: CONTROLLER_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN: SESSION_TOKEN,
      AWS_LAMBDA_FUNCTION_NAME: `alb-warden-${name}`,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_LOGGER_LOG_EVENT: 'true',
      // The SDK's standard retries: as many attempts as the adaptive mode the functions default to, without
      // the client-side rate limiter that, once throttled, spaces later calls out by seconds.
      AWS_RETRY_MODE: 'standard',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const output = { name, stdout, stderr, code };
  outputs.push(output);
  return output;
}

const RUNNER = `
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
const [, , bundle, eventsFile, name] = process.argv;
const { handler } = await import(bundle);
const context = {
  functionName: 'alb-warden-' + name, functionVersion: '$LATEST', memoryLimitInMB: '256',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:123456789012:function:alb-warden-' + name,
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000001', logGroupName: '/aws/lambda/alb-warden-' + name,
  logStreamName: 'stream', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 60000,
};
for (const event of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
  try {
    const result = await handler(event, context);
    console.log(JSON.stringify({ runner: 'result', result }));
  } catch (error) {
    // What the Lambda runtime logs for a failed invocation, then everything reachable from the error.
    console.error(JSON.stringify({ errorType: error?.name, errorMessage: error?.message, stack: String(error?.stack).split('\\n') }));
    console.error(inspect(error, { depth: 12, showHidden: true, maxStringLength: null, maxArrayLength: null }));
  }
}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alb-warden-secrets-'));
  writeFileSync(join(dir, 'run.mjs'), RUNNER);
  const dist = await ensureBundles();
  bundles = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, join(dist, name, 'index.mjs')])) as Record<
    FunctionName,
    string
  >;
  sim = await openSimulator();
  world = await buildWorld(sim);
});
afterAll(async () => {
  await closeSimulator(sim);
  rmSync(dir, { recursive: true, force: true });
});

const configFor = (current: World) =>
  JSON.stringify({
    controllerRoleArns: [current.controllerRoleArn],
    alerts: { topicArn: current.topicArn, stateTable: TABLE },
    // Nothing else calls ELB here: the whole budget, so no call waits for the rate limiter's next token (the
    // limiter has tests of its own) and each run takes only what its noisy paths take.
    limits: { apiShare: 1 },
    bindings: [
      {
        name: 'web',
        loadBalancerArn: current.site('web').loadBalancerArn,
        targetGroupArn: current.site('web').targetGroupArn,
        instanceSelector: { tags: { Role: 'web' } },
        https: { certificateArn: current.certificateArn },
        healthCheck: { path: '/', matcher: '404' },
      },
    ],
  });

/** Forms in which a secret could leak: whole, in part, encoded. */
function traces(secret: string): string[] {
  return [
    secret,
    secret.slice(0, 16),
    secret.slice(-16),
    Buffer.from(secret).toString('base64').slice(0, 24),
    encodeURIComponent(secret).slice(0, 24),
    JSON.stringify(secret).slice(1, 25),
  ];
}

describe('the bundled functions, run as Lambda runs them, never reveal a credential', () => {
  let scanned: { where: string; text: string }[] = [];

  beforeAll(async () => {
    // Prepare: a drifted redirect, a new instance, and faults on the way.
    const since = await eventCursor(world);
    const [id = ''] = await launch(world, 2, { Role: 'web' });
    await world.person.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: world.site('web').httpListenerArn,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: world.site('web').targetGroupArn }],
      }),
    );
    const events: SimEvent[] = await eventsSince(world, since);
    const apiCalls = events.filter((event) => event.detail.eventName === 'ModifyListener');
    const instanceEvents = events.filter((event) => event.detail['instance-id'] === id);
    const config = configFor(world);

    // Act
    // register: the instance's events, a malformed one; its first RegisterTargets is refused.
    await world.control.faults({
      service: 'elbv2',
      action: 'RegisterTargets',
      error: 'AccessDenied',
      count: 1,
    });
    count('faults');
    await runBundle('register', [...instanceEvents, { detail: 'x' }, ...instanceEvents], {
      WARDEN_CONFIG: config,
    });
    // guard: the person's change, first refused (AccessDenied names the caller), then throttled past the
    // retries (the invocation fails), then repaired.
    await world.control.faults({
      service: 'elbv2',
      action: 'ModifyListener',
      error: 'AccessDenied',
      count: 1,
    });
    await world.control.faults({
      service: 'elbv2',
      action: 'DescribeListeners',
      error: 'Throttling',
      count: 3,
    });
    count('faults', 4);
    await runBundle('guard', [...apiCalls, ...apiCalls, ...apiCalls], { WARDEN_CONFIG: config });
    // sweep: SNS refuses the first alert past the retries (it is parked, the invocation fails), then all is well.
    await world.person.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: world.site('web').httpListenerArn,
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }],
      }),
    );
    await world.control.faults({ service: 'sns', action: 'Publish', error: 'Throttling', count: 3 });
    count('faults', 3);
    const scheduled = fixture('scheduled-sweep.json');
    await runBundle('sweep', [scheduled, scheduled, scheduled], { WARDEN_CONFIG: config });
    // A bad configuration: every invocation fails with the ConfigError.
    await runBundle('sweep', [scheduled, scheduled], {
      WARDEN_CONFIG: config.replace('"Role":"web"', '"Role":42'),
    });
    count('badInputs');

    const state = await world.clients.dynamodb.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: partitionKey('web') } },
      }),
    );
    scanned = [
      ...outputs.flatMap((output, index) => [
        { where: `${output.name}#${index} stdout`, text: output.stdout },
        { where: `${output.name}#${index} stderr`, text: output.stderr },
      ]),
      ...(await published(world)).map((message, index) => ({
        where: `SNS message ${index}`,
        text: message.raw,
      })),
      { where: 'state table', text: JSON.stringify(state.Items ?? []) },
    ];
  });

  it('went through the noisy paths: failures, repairs, alerts and a bad configuration', async () => {
    const all = outputs.map((output) => output.stdout + output.stderr).join('\n');
    expect(outputs.every((output) => output.code === 0)).toBe(true);
    expect(all).toContain('"level":"ERROR"');
    expect(all).toContain('"message":"event ignored"');
    expect(all).toContain('"message":"repairing"');
    expect(all).toContain('AccessDenied');
    expect(all).toContain('failed transiently and will be retried');
    expect(all).toContain('invalid configuration (WARDEN_CONFIG)');
    const kinds = (await published(world)).map((message) => message.kind);
    expect(kinds).toEqual(expect.arrayContaining(['RegistrationFailed', 'RepairFailed', 'DriftRepaired']));
  });

  // The bundles keep class names (esbuild keepNames), so Lambda logs the errorType the code names, and the
  // on-call searching the logs or the DLQ for ConfigError finds it.
  it('failed invocations are logged with the error class the code names (ConfigError, InvocationIncompleteError)', () => {
    const errorTypes = outputs.flatMap((output) =>
      output.stderr
        .split('\n')
        .filter((line) => line.startsWith('{"errorType"'))
        .map((line) => (JSON.parse(line) as { errorType: string }).errorType),
    );
    expect(new Set(errorTypes)).toEqual(new Set(['InvocationIncompleteError', 'ConfigError']));
  });

  it('no trace of the secret access key or the session token anywhere', () => {
    const leaks = scanned.flatMap(({ where, text }) =>
      [...traces(SECRET_ACCESS_KEY), ...traces(SESSION_TOKEN)]
        .filter((trace) => text.includes(trace))
        .map((trace) => `${where}: ${trace.slice(0, 6)}…`),
    );
    expect(leaks).toEqual([]);
  });

  it('no request signature or security token header either', () => {
    for (const { where, text } of scanned) {
      expect(text, where).not.toMatch(/AWS4-HMAC-SHA256|x-amz-security-token|Signature=[0-9a-f]{16}/i);
    }
  });
});
