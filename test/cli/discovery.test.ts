/**
 * The CLI with discovery policies, against the simulator: `status` reports the bindings found by tag beside
 * the explicit one, `validate --discover` lists them and fails on a configuration error (two policies
 * selecting one load balancer), naming both policies and the load balancer.
 */
import { AddTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support.ts';

let w: CliWorld;
beforeEach(async () => {
  w = await startCliWorld({
    bindings: [],
    discovery: [
      {
        name: 'fleet',
        selector: { tags: { 'alb-warden:guard': 'true' } },
        defaults: { instanceSelector: { tags: { Role: 'web' } } },
      },
      { name: 'team-web', selector: { tags: { team: 'web' } }, defaults: {} },
    ],
  });
});
afterEach(() => w.stop());

const tag = (tags: Record<string, string>) =>
  w.warden.person.elbv2.send(
    new AddTagsCommand({
      ResourceArns: [w.warden.seed.loadBalancerArn],
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );

describe('alb-warden with discovery policies', () => {
  it('validate names the policies offline', async () => {
    const run = await w.cli(['validate', '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ valid: true, bindings: [], discovery: ['fleet', 'team-web'] });
  });

  it('status reports a binding found by tag like an explicit one', async () => {
    await tag({ 'alb-warden:guard': 'true', 'alb-warden:target-group': w.warden.seed.targetGroupArn });
    await w.launchWeb(1);

    const run = await w.cli(['status', '--json']);
    const status = JSON.parse(run.stdout);

    expect(status.bindings.map((binding: { binding: string }) => binding.binding)).toEqual(['web-alb']);
    expect(status.discovery).toEqual({
      discovered: [
        {
          binding: 'web-alb',
          policy: 'fleet',
          loadBalancerArn: w.warden.seed.loadBalancerArn,
          account: '123456789012',
          region: w.warden.seed.loadBalancerArn.split(':')[3],
        },
      ],
      problems: [],
      shadowed: [],
    });
  });

  it('validate --discover fails on a load balancer two policies select, naming both and the load balancer', async () => {
    await tag({
      'alb-warden:guard': 'true',
      team: 'web',
      'alb-warden:target-group': w.warden.seed.targetGroupArn,
    });

    const run = await w.cli(['validate', '--discover']);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe(
      [
        'discovery: 0 binding(s) found by tag, 1 problem(s)',
        `  problem     ${w.warden.seed.loadBalancerArn}: selected by discovery policies "fleet" and "team-web": a load balancer belongs to one policy only; narrow their selectors`,
        '',
      ].join('\n'),
    );
  });
});
