/**
 * The in-process transport (sim/in-process.ts) against the simulator's HTTP server: the same simulator, the
 * same requests, the same answers. The in-process tests of the controller rely on it.
 */

import { getEventListeners } from 'node:events';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeTargetGroupsCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimControlError } from '../../sim/control.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { buildSeedTopology, createAlertResources, type SeedTopology } from '../../sim/seed.ts';
import { type AwsClients, createClients, destroyClients } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';
import { awsError } from './support.ts';

let sim: Simulator;
let http: AwsClients;
let local: AwsClients;
let seed: SeedTopology;
let table: string;

/** An SDK output without its request id, which differs from call to call. */
function withoutRequestId<T extends { $metadata: object }>(output: T) {
  const { $metadata, ...rest } = output;
  const { requestId: _requestId, ...metadata } = $metadata as { requestId?: string };
  return { ...rest, $metadata: metadata };
}

beforeAll(async () => {
  sim = await startSimulator();
  http = createClients(sim.endpoint, sim.region, DEFAULT_ACCESS_KEY_ID);
  local = createClients(sim.endpoint, sim.region, DEFAULT_ACCESS_KEY_ID, {
    requestHandler: sim.inProcess.requestHandler,
  });
  seed = await buildSeedTopology(local);
  table = (await createAlertResources(local)).tableName;
});
afterAll(async () => {
  destroyClients(http);
  destroyClients(local);
  await sim?.stop();
});

describe('the in-process transport', () => {
  it('builds what HTTP reads back: the seed topology made in process is there over HTTP', async () => {
    const overHttp = await http.elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: seed.loadBalancerArn }),
    );
    expect(overHttp.Listeners?.map((listener) => listener.Port).sort((a = 0, b = 0) => a - b)).toEqual([
      80, 443,
    ]);
  });

  it.each([
    ['ELB (query protocol, XML)', (c: AwsClients) => c.elbv2.send(new DescribeTargetGroupsCommand({}))],
    ['EC2 (EC2 query, XML)', (c: AwsClients) => c.ec2.send(new DescribeInstancesCommand({}))],
  ])('answers %s as HTTP does', async (_name, call) => {
    expect(withoutRequestId(await call(local))).toEqual(withoutRequestId(await call(http)));
  });

  it('sends a JSON body (DynamoDB) both ways: written in process, read over HTTP', async () => {
    const key = { pk: { S: 'binding#web' }, sk: { S: 'transport' } };
    await local.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { ...key, note: { S: 'in process' } } }),
    );

    const read = await http.dynamodb.send(new GetItemCommand({ TableName: table, Key: key }));

    expect(read.Item?.note).toEqual({ S: 'in process' });
  });

  it('answers an error with the same code, message and status', async () => {
    const call = (c: AwsClients) =>
      awsError(c.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: `${seed.loadBalancerArn}0` })));
    expect(await call(local)).toEqual(await call(http));
  });

  it("records a write in CloudTrail as HTTP does: the source address and the SDK's user agent", async () => {
    const { cursor } = await sim.control.events(0);
    const write = (c: AwsClients) =>
      c.elbv2.send(
        new ModifyTargetGroupCommand({ TargetGroupArn: seed.targetGroupArn, HealthCheckPath: '/' }),
      );
    await write(local);
    await write(http);

    const { events } = await sim.control.events(cursor);
    const seen = events
      .filter((event) => event.detail.eventName === 'ModifyTargetGroup')
      .map((event) => [event.detail.sourceIPAddress, String(event.detail.userAgent).split(' ')[0]]);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]?.[0]).toBe('127.0.0.1');
    expect(seen[0]?.[1]).toMatch(/^aws-sdk-js\//);
  });

  it('is counted as HTTP is, and serves the control API the same way', async () => {
    await sim.control.resetCalls();
    await local.elbv2.send(new DescribeTargetGroupsCommand({}));
    await http.elbv2.send(new DescribeTargetGroupsCommand({}));

    expect(await sim.inProcess.control.calls()).toEqual(await sim.control.calls());
    expect((await sim.control.calls()).elbv2).toEqual({ DescribeTargetGroups: 2 });
  });

  it('fails a bad control request as HTTP does', async () => {
    const bad = { service: 's3', action: 'GetObject', error: 'Throttling' } as never;
    const failure = (control: Simulator['control']) =>
      control.faults(bad).then(
        () => undefined,
        (error: unknown) => error,
      );

    const overHttp = await failure(sim.control);
    expect(overHttp).toBeInstanceOf(SimControlError);
    expect(await failure(sim.inProcess.control)).toEqual(overHttp);
  });

  it('gives timers a turn between calls, as a socket does: a timer set before twenty calls fires among them', async () => {
    let callsBeforeTimer: number | undefined;
    let calls = 0;
    setTimeout(() => {
      callsBeforeTimer = calls;
    }, 0);
    for (let call = 0; call < 20; call++) {
      await local.elbv2.send(new DescribeTargetGroupsCommand({}));
      calls++;
    }

    expect(callsBeforeTimer).toBeDefined();
    expect(callsBeforeTimer).toBeLessThan(20);
  });

  it('ends a call its abort signal cancels, as HTTP does, while the simulator is still answering', async () => {
    await sim.control.faults({ latencyMs: 200 });
    const aborted = (c: AwsClients) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      return c.elbv2.send(new DescribeTargetGroupsCommand({}), { abortSignal: controller.signal }).then(
        () => 'answered',
        (error: Error) => error.name,
      );
    };
    try {
      expect(await aborted(local)).toBe(await aborted(http));
      expect(await aborted(local)).toBe('AbortError');
    } finally {
      await sim.control.faults({ clear: true });
    }
  });
});

describe('the in-process transport and a shared abort signal', () => {
  it('leaves no listener on it after the calls, as HTTP does', async () => {
    const controller = new AbortController();
    for (const c of [local, http])
      for (let call = 0; call < 5; call++)
        await c.elbv2.send(new DescribeTargetGroupsCommand({}), { abortSignal: controller.signal });

    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('a stopped simulator', () => {
  it('refuses the in-process transport as it refuses a connection', async () => {
    const stopped = await startSimulator();
    const clients = createClients(stopped.endpoint, stopped.region, DEFAULT_ACCESS_KEY_ID, {
      requestHandler: stopped.inProcess.requestHandler,
    });
    await stopped.stop();

    const refused = await clients.elbv2
      .send(new DescribeTargetGroupsCommand({}))
      .catch((error: Error) => error);
    const control = await stopped.inProcess.control.calls().catch((error: Error) => error);
    destroyClients(clients);

    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(control).toMatchObject({ code: 'ECONNREFUSED' });
  });
});
