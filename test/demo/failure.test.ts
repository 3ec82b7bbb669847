/**
 * The demo's verdict is its checks', not the controller's: when AWS refuses the controller a call, the
 * step that needed it fails, the story goes on, and the demo as a whole is not ok.
 */
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../../demo/run.ts';
import { createClients } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';

let demo: DemoResult;
beforeAll(async () => {
  demo = await runDemo({
    keepAlive: true,
    beforeStep: async (id, control) => {
      // The guard's first read of the HTTP listener's rules is refused: the event cannot be acted on.
      if (id === 'http-forward')
        await control.faults({ service: 'elbv2', action: 'DescribeRules', error: 'AccessDenied', count: 1 });
    },
  });
}, 60_000);
afterAll(() => demo?.stop());

describe('a demo whose controller is refused a call', () => {
  it('fails the step that depended on it, with the check that saw it, and is not ok', () => {
    expect(demo.ok).toBe(false);
    const step = demo.steps.find((candidate) => candidate.id === 'http-forward');
    expect(step?.ok).toBe(false);
    expect(step?.checks.find((check) => check.name === 'HTTP:80 default action')).toMatchObject({
      ok: false,
      observed: 'forward to web-8080',
    });
    expect(demo.summary.ok).toBe(false);
    expect(demo.summary.steps.failed).toContain('2. Someone switches the HTTP listener to plain HTTP');
  });

  it('tells the rest of the story all the same', () => {
    expect(demo.steps).toHaveLength(9);
    expect(demo.steps.find((step) => step.id === 'launch')?.ok).toBe(true);
  });

  it('says what AWS really holds, which the test can read too', async () => {
    const { elbv2 } = createClients(demo.endpoint, demo.topology.region, DEFAULT_ACCESS_KEY_ID);
    const { Listeners = [] } = await elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: demo.topology.loadBalancerArn }),
    );
    elbv2.destroy();
    // The next event (the rule on port 80) brought the guard back to the listener and it repaired both.
    expect(Listeners.find((listener) => listener.Port === 80)?.DefaultActions?.[0]?.Type).toBe('redirect');
  });
});
