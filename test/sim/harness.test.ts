import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../sim/index.ts';
import { startWorld } from '../integration/harness.ts';

const saved = process.env.WARDEN_IT_ENDPOINT;
afterEach(() => {
  if (saved === undefined) delete process.env.WARDEN_IT_ENDPOINT;
  else process.env.WARDEN_IT_ENDPOINT = saved;
});

describe('the integration harness', () => {
  it('starts an in-process simulator with its control API when no endpoint is given', async () => {
    delete process.env.WARDEN_IT_ENDPOINT;

    const world = await startWorld();
    const result = await world.clients.elbv2.send(new DescribeLoadBalancersCommand({}));
    const calls = await world.control?.calls();
    await world.stop();

    expect(world.usesSimulator).toBe(true);
    expect(world.clients.region).toBe('ap-northeast-2');
    expect(world.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(result.LoadBalancers).toEqual([]);
    expect(calls?.elbv2).toEqual({ DescribeLoadBalancers: 1 });
  });

  it('uses WARDEN_IT_ENDPOINT when it is set, without a control API', async () => {
    const external = await startSimulator();
    process.env.WARDEN_IT_ENDPOINT = external.endpoint;

    const world = await startWorld();
    await world.clients.clientsAs('AKIAOTHERPERSON00001').elbv2.send(new DescribeLoadBalancersCommand({}));
    await world.stop();
    const calls = await external.control.calls();
    await external.stop();

    expect(world.usesSimulator).toBe(false);
    expect(world.control).toBeNull();
    expect(world.endpoint).toBe(external.endpoint);
    expect(calls.elbv2).toEqual({ DescribeLoadBalancers: 1 });
  });
});
