/**
 * `alb-warden status` for several bindings: counts by state first, then one line per binding that is off;
 * filters by selector tag, account and region; a stable --json shape.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSeedTopology } from '../../sim/seed.ts';
import { type CliWorld, startCliWorld } from './support.ts';

interface FleetJson {
  ok: boolean;
  summary: Record<string, number>;
  bindings: { binding: string; state: string; account: string; region: string; ok: boolean }[];
}

const GHOST_LB =
  'arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/ghost/0123456789abcdef';
const GHOST_TG = 'arn:aws:elasticloadbalancing:eu-west-1:210987654321:targetgroup/ghost/0123456789abcdef';

let w: CliWorld;
let fleetFile: string;
beforeEach(async () => {
  w = await startCliWorld();
  await w.launchWeb(2);
  const [web] = w.warden.config.bindings as unknown as Record<string, unknown>[];
  // `copy` guards a balancer of its own whose selector matches no instance; `ghost` names a balancer in an
  // account and region the credentials cannot see, so reading it fails.
  const copy = await buildSeedTopology(w.warden.world.clients, {
    loadBalancerName: 'copy-alb',
    targetGroupName: 'copy-8080',
  });
  const config = {
    ...w.warden.config,
    bindings: [
      web,
      {
        ...web,
        name: 'copy',
        loadBalancerArn: copy.loadBalancerArn,
        targetGroupArn: copy.targetGroupArn,
        instanceSelector: { tags: { Role: 'web', Tier: 'back' } },
      },
      {
        ...web,
        name: 'ghost',
        loadBalancerArn: GHOST_LB,
        targetGroupArn: GHOST_TG,
        instanceSelector: { tags: { Role: 'api' } },
      },
    ],
  };
  fleetFile = join(w.dir, 'fleet.json');
  writeFileSync(fleetFile, JSON.stringify(config));
});
afterEach(() => w.stop());

const status = (...args: string[]) => w.cli(['status', '--config', fleetFile, ...args]);

describe('alb-warden status for a fleet', () => {
  it('prints the counts by state, then only the bindings that are off, worst first', async () => {
    await w.breakRedirect();

    const run = await status();

    expect(run.code).toBe(1);
    const [header, hub, member, blank, ...lines] = run.stdout.trimEnd().split('\n');
    expect(header).toBe('3 bindings: 1 in sync, 1 repairing, 1 failing');
    expect([hub, member]).toEqual([
      '  123456789012 ap-northeast-2  2 bindings: 1 in sync, 1 repairing',
      '  210987654321 eu-west-1       1 binding: 0 in sync, 1 failing',
    ]);
    expect(blank).toBe('');
    expect(lines).toEqual([
      expect.stringMatching(
        /^failing {4}ghost {2}210987654321 eu-west-1 {7}DescribeListeners failed: LoadBalancerNotFound/,
      ),
      'repairing  web    123456789012 ap-northeast-2  port 80 forwards to web-8080 instead of redirecting to HTTPS (301 to HTTPS:443)',
      '',
      'sweep: every binding once every 1 minute (3 bindings, 2 workers)',
    ]);
  });

  it('lists no binding that is in sync, unless --all', async () => {
    const run = await status();
    const all = await status('--all');

    expect(run.stdout.trimEnd().split('\n')).toEqual([
      '3 bindings: 2 in sync, 1 failing',
      '  123456789012 ap-northeast-2  2 bindings: 2 in sync',
      '  210987654321 eu-west-1       1 binding: 0 in sync, 1 failing',
      '',
      expect.stringMatching(/^failing {2}ghost {2}210987654321 eu-west-1/),
      '',
      'sweep: every binding once every 1 minute (3 bindings, 2 workers)',
    ]);
    expect(all.stdout.trimEnd().split('\n').slice(4, -2)).toEqual([
      expect.stringMatching(/^failing {2}ghost/),
      'in sync  copy   123456789012 ap-northeast-2',
      'in sync  web    123456789012 ap-northeast-2',
    ]);
  });

  it('keeps the bindings of an account or a region, and reads only those', async () => {
    const inAccount = await status('--account', '123456789012');
    const inRegion = await status('--region', 'eu-west-1', '--json');

    expect(inAccount.code).toBe(0);
    expect(inAccount.stdout).toBe(
      '2 bindings: 2 in sync\n\nsweep: every binding once every 1 minute (3 bindings, 2 workers)\n',
    );
    expect(inRegion.code).toBe(1);
    expect(inRegion.json<FleetJson>().bindings.map((entry) => entry.binding)).toEqual(['ghost']);
  });

  it('keeps the bindings whose instance selector has every --tag', async () => {
    const web = await status('--tag', 'Role=web', '--json');
    const api = await status('--tag', 'Role=api', '--tag', 'Role=api', '--json');

    expect(web.json<FleetJson>().bindings.map((entry) => entry.binding)).toEqual(['web', 'copy']);
    expect(api.json<FleetJson>().bindings.map((entry) => entry.binding)).toEqual(['ghost']);
  });

  it('shows the detailed report when the filters leave one binding', async () => {
    const run = await status('--tag', 'Role=api');

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^sweep: every binding once every 1 minute .*\nNOT OK ghost\n {5}error {8}.*LoadBalancerNotFound/,
    );
  });

  it('refuses a tag that is not KEY=VALUE and a filter no binding matches, naming what there is', async () => {
    const bad = await status('--tag', 'Role');
    const none = await status('--account', '111111111111');

    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('alb-warden: --tag "Role" is not KEY=VALUE (for example --tag Role=web)\n');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'alb-warden: no binding matches --account 111111111111 (accounts: 123456789012, 210987654321; regions: ap-northeast-2, eu-west-1; selector tags: Role=api, Role=web, Tier=back)\n',
    );
  });

  it('--json gives the counts and every selected binding with its state, account and region', async () => {
    await w.cli(['pause', '--config', fleetFile, '--binding', 'copy', '--for', '1h']);

    const run = await status('--json');

    expect(run.code).toBe(1);
    const fleet = run.json<FleetJson>();
    expect(fleet.ok).toBe(false);
    expect(fleet.summary).toEqual({
      bindings: 3,
      inSync: 1,
      failing: 1,
      suspended: 0,
      paused: 1,
      drift: 0,
      repairing: 0,
      unhealthy: 0,
    });
    expect(
      fleet.bindings.map(({ binding, state, account, region }) => ({ binding, state, account, region })),
    ).toEqual([
      { binding: 'web', state: 'in-sync', account: '123456789012', region: 'ap-northeast-2' },
      { binding: 'copy', state: 'paused', account: '123456789012', region: 'ap-northeast-2' },
      { binding: 'ghost', state: 'failing', account: '210987654321', region: 'eu-west-1' },
    ]);
  });
});
