/**
 * The demo with the controller in dry-run: the story shows what it would do, and AWS shows it did nothing.
 * The final state is the person's: checked through this test's own SDK calls and the simulator's records.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMBERS } from '../../demo/fleet.ts';
import { type DemoResult, runDemo } from '../../demo/run.ts';
import { SimControl } from '../../sim/control.ts';
import { type AwsClients, createClients } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';
import { alertsOf, controllerCalls } from './support.ts';

let demo: DemoResult;
let aws: AwsClients;
let control: SimControl;

beforeAll(async () => {
  demo = await runDemo({ dryRun: true, keepAlive: true });
  aws = createClients(demo.endpoint, demo.topology.region, DEFAULT_ACCESS_KEY_ID);
  control = new SimControl(demo.endpoint);
}, 60_000);

afterAll(async () => {
  for (const client of Object.values(aws ?? {})) client.destroy();
  await demo?.stop();
});

describe('npm run demo -- --dry-run', () => {
  it('reaches every step of the story, with the expectations of dry-run', () => {
    expect(demo.ok).toBe(true);
    expect(demo.mode).toBe('dry-run');
    expect(demo.steps.every((step) => step.ok)).toBe(true);
    expect(demo.steps.find((step) => step.id === 'launch')?.expectation).toMatch(/nothing registered/);
  });

  it('leaves the HTTP listener forwarding plain HTTP and the rule on it, as the person left them', async () => {
    const { Listeners = [] } = await aws.elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: demo.topology.loadBalancerArn }),
    );
    const http = Listeners.find((listener) => listener.Port === 80);
    expect(http?.DefaultActions?.[0]?.Type).toBe('forward');
    const { Rules = [] } = await aws.elbv2.send(
      new DescribeRulesCommand({ ListenerArn: demo.topology.httpListenerArn }),
    );
    expect(Rules.filter((rule) => !rule.IsDefault).map((rule) => rule.Priority)).toEqual(['10']);
  });

  it('leaves the stopped instance registered', async () => {
    const { TargetHealthDescriptions = [] } = await aws.elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: demo.topology.targetGroupArn }),
    );
    expect(TargetHealthDescriptions.map((entry) => entry.TargetHealth?.State).sort()).toEqual([
      'healthy',
      'healthy',
      'unused',
    ]);
  });

  it('makes no ELB write as the controller, at home or in a member', async () => {
    expect(await controllerCalls(control, demo.topology.controllerRoleArn)).toEqual([]);
    for (const member of MEMBERS)
      expect(
        await controllerCalls(
          control.in({ account: member.account, region: member.region }),
          `arn:aws:iam::${member.account}:role/AlbWardenMember-${member.region}`,
        ),
      ).toEqual([]);
    const writes = Object.entries(demo.summary.awsCalls.controller.byService.elbv2?.actions ?? {}).filter(
      ([action]) => !action.startsWith('Describe'),
    );
    expect(writes).toEqual([]);
  });

  it('alerts as "would", naming the person, and still alerts on health once each way', async () => {
    const alerts = await alertsOf(control, demo.topology.topicArn);
    expect(alerts.map((alert) => alert.kind)).toEqual([
      'DriftRepaired',
      'DriftRepaired',
      'TargetUnhealthy',
      'TargetRecovered',
      'DriftRepaired',
      'DriftRepaired',
    ]);
    for (const alert of alerts) expect(alert.subject).toContain('(dry-run)');
    for (const drift of alerts.filter((alert) => alert.kind === 'DriftRepaired'))
      expect(drift.subject).toContain('would repair');
    // Web's drifts name the hub's person; each member's its own, with the account and region.
    for (const drift of alerts.slice(0, 2)) expect(drift.text).toContain(demo.topology.personArn);
    for (const [index, member] of MEMBERS.entries()) {
      const drift = alerts[4 + index];
      expect(drift?.subject).toMatch(
        new RegExp(
          `^\\[WARNING\\] ${member.binding} \\(${member.account}/${member.region}\\): \\(dry-run\\) would repair`,
        ),
      );
      expect(drift?.text).toContain(member.personArn);
    }
  });

  it('summarizes what it would have done, counting each decision once', () => {
    expect(demo.summary.repairs.total).toBe(0);
    expect(demo.summary.registrations).toEqual({ registered: 0, deregistered: 0 });
    // Each binding's decisions once: web's two repairs and three registrations, one of each per member.
    expect(demo.summary.wouldHaveDone).toEqual({ repairs: 4, registered: 5, deregistered: 1 });
  });
});
