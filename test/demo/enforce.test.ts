/**
 * The demo in enforce mode, run in this process with the simulator kept alive: its final state is checked
 * through this test's own SDK calls and the simulator's records, not through what the demo printed.
 * (One demo per file: the real handlers keep their configuration for the life of the process, as in Lambda.)
 */

import { readFileSync } from 'node:fs';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoAlreadyRanError } from '../../demo/controller.ts';
import { MEMBERS } from '../../demo/fleet.ts';
import { formatSummary } from '../../demo/render.ts';
import { type DemoResult, runDemo } from '../../demo/run.ts';
import { parseConfig } from '../../functions/config.ts';
import { createDeps } from '../../functions/deps.ts';
import { silentTelemetry } from '../../functions/use-cases/context.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import { SimControl } from '../../sim/control.ts';
import { type AwsClients, createClients, destroyClients } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';
import { alertsOf, controllerCalls, mutatingCalls } from './support.ts';

let demo: DemoResult;
let aws: AwsClients;
let control: SimControl;
const { AWS_SDK_UA_APP_ID: _before, ...environment } = process.env;

beforeAll(async () => {
  demo = await runDemo({ keepAlive: true });
  aws = createClients(demo.endpoint, demo.topology.region, DEFAULT_ACCESS_KEY_ID);
  control = new SimControl(demo.endpoint);
}, 60_000);

afterAll(async () => {
  for (const client of Object.values(aws ?? {})) client.destroy();
  await demo?.stop();
});

describe('npm run demo (enforce)', () => {
  it("prints the summary figures the README's excerpt shows (all but the duration)", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const excerpt = /\n(Summary \(enforce\)\n[\s\S]*?)\n\n/.exec(readme)?.[1] ?? '';
    const plain = (text: string) => text;
    const style = { ok: plain, bad: plain, accent: plain, dim: plain, bold: plain };

    const printed = formatSummary(demo.summary, style).split('\n');

    const figures = excerpt.split('\n').filter((line) => !/^ {2}duration /.test(line));
    expect(figures.length).toBeGreaterThanOrEqual(8);
    for (const line of figures) expect(printed).toContain(line);
  });

  it('reaches every step of the story', () => {
    expect(demo.ok).toBe(true);
    expect(demo.steps.map((step) => [step.id, step.ok])).toEqual([
      ['launch', true],
      ['http-forward', true],
      ['foreign-rule', true],
      ['unhealthy', true],
      ['recovered', true],
      ['stopped', true],
      ['quiet-sweep', true],
      ['doctor', true],
      ['fleet', true],
    ]);
  });

  it('leaves the HTTP listener redirecting 301 to HTTPS and the HTTPS listener forwarding', async () => {
    const { Listeners = [] } = await aws.elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: demo.topology.loadBalancerArn }),
    );
    const http = Listeners.find((listener) => listener.Port === 80);
    const https = Listeners.find((listener) => listener.Port === 443);
    expect(http?.Protocol).toBe('HTTP');
    expect(http?.DefaultActions?.[0]?.Type).toBe('redirect');
    expect(http?.DefaultActions?.[0]?.RedirectConfig).toMatchObject({
      Protocol: 'HTTPS',
      Port: '443',
      Host: '#{host}',
      Path: '/#{path}',
      Query: '#{query}',
      StatusCode: 'HTTP_301',
    });
    expect(https?.Protocol).toBe('HTTPS');
    expect(https?.DefaultActions?.[0]).toMatchObject({
      Type: 'forward',
      TargetGroupArn: demo.topology.targetGroupArn,
    });
  });

  it('leaves no rule on the HTTP listener but its default', async () => {
    const { Rules = [] } = await aws.elbv2.send(
      new DescribeRulesCommand({ ListenerArn: demo.topology.httpListenerArn }),
    );
    expect(Rules.map((rule) => rule.IsDefault)).toEqual([true]);
  });

  it('leaves exactly the running Role=web instances registered on port 8080, all healthy', async () => {
    const { Reservations = [] } = await aws.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:Role', Values: ['web'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );
    const running = Reservations.flatMap((reservation) => reservation.Instances ?? [])
      .map((instance) => `${instance.InstanceId}:8080`)
      .sort();
    const { TargetHealthDescriptions = [] } = await aws.elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: demo.topology.targetGroupArn }),
    );
    const targets = TargetHealthDescriptions.filter((entry) => entry.TargetHealth?.State !== 'draining');
    expect(running).toHaveLength(2);
    expect(targets.map((entry) => `${entry.Target?.Id}:${entry.Target?.Port}`).sort()).toEqual(running);
    expect(targets.map((entry) => entry.TargetHealth?.State)).toEqual(['healthy', 'healthy']);
  });

  it('published two repairs naming the person, one unhealthy alert, one recovery, the drill’s repair, and one repair per member', async () => {
    const alerts = await alertsOf(control, demo.topology.topicArn);
    expect(alerts.map((alert) => alert.kind)).toEqual([
      'DriftRepaired',
      'DriftRepaired',
      'TargetUnhealthy',
      'TargetRecovered',
      'DriftRepaired',
      'DriftRepaired',
      'DriftRepaired',
    ]);
    const home = alerts.slice(0, 5);
    for (const repair of home.filter((alert) => alert.kind === 'DriftRepaired')) {
      expect(repair.text).toContain(`Who changed it: ${demo.topology.personArn}`);
      // The person's two changes forward plain HTTP; the drill's is a 302.
      expect(repair.subject).toMatch(
        /^\[WARNING\] web: repaired HTTP listener drift: ((rule 10 on )?port 80 forwards|port 80 redirects 302)/,
      );
    }
    const unhealthy = alerts.find((alert) => alert.kind === 'TargetUnhealthy');
    expect(unhealthy?.text).toContain('Target.ResponseCodeMismatch');
    expect(unhealthy?.subject.length).toBeLessThan(100);
    // The hub's own bindings: the account and region in the first line, the subject left to what happened.
    for (const alert of home)
      expect(alert.text.split('\n')[0]).toContain(
        ` · binding web · account ${demo.topology.account}, ${demo.topology.region}`,
      );
    // A member's: in the subject too.
    expect(alerts.slice(5).map((alert) => [alert.subject.split(': ')[0], alert.text.split('\n')[0]])).toEqual(
      MEMBERS.map((member) => [
        `[WARNING] ${member.binding} (${member.account}/${member.region})`,
        `WARNING · DriftRepaired · binding ${member.binding} · account ${member.account}, ${member.region}`,
      ]),
    );
    for (const [index, member] of MEMBERS.entries())
      expect(alerts[5 + index]?.text).toContain(`Who changed it: ${member.personArn}`);
  });

  it("repaired and registered in each member account and region through the member's role", async () => {
    for (const member of MEMBERS) {
      const clients = createClients(demo.endpoint, member.region, member.personKey);
      try {
        const { LoadBalancers = [] } = await clients.elbv2.send(new DescribeLoadBalancersCommand({}));
        const [balancer] = LoadBalancers;
        expect(balancer?.LoadBalancerArn).toContain(`:${member.region}:${member.account}:`);
        const { Listeners = [] } = await clients.elbv2.send(
          new DescribeListenersCommand({ LoadBalancerArn: balancer?.LoadBalancerArn }),
        );
        const http = Listeners.find((listener) => listener.Port === 80);
        expect(http?.DefaultActions?.[0]?.RedirectConfig?.StatusCode).toBe('HTTP_301');
        const { TargetGroups = [] } = await clients.elbv2.send(new DescribeTargetGroupsCommand({}));
        const { TargetHealthDescriptions = [] } = await clients.elbv2.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: TargetGroups[0]?.TargetGroupArn }),
        );
        expect(TargetHealthDescriptions.map((entry) => entry.TargetHealth?.State)).toEqual(['healthy']);
        const roleArn = `arn:aws:iam::${member.account}:role/AlbWardenMember-${member.region}`;
        expect(
          await controllerCalls(control.in({ account: member.account, region: member.region }), roleArn),
        ).toEqual(['RegisterTargets', 'ModifyListener']);
      } finally {
        destroyClients(clients);
      }
    }
  });

  it("repaired through the controller's role, as CloudTrail records it", async () => {
    const calls = await controllerCalls(control, demo.topology.controllerRoleArn);
    expect(calls.filter((name) => name !== 'RegisterTargets' && name !== 'DeregisterTargets')).toEqual([
      'ModifyListener',
      'DeleteRule',
      // The drill's 302, put back.
      'ModifyListener',
    ]);
    expect(calls.filter((name) => name === 'RegisterTargets')).toHaveLength(3);
    expect(calls.filter((name) => name === 'DeregisterTargets')).toHaveLength(1);
  });

  it('leaves a state that another controller sweeps without a single write', async () => {
    const config = parseConfig({
      controllerRoleArns: [demo.topology.controllerRoleArn],
      alerts: { topicArn: demo.topology.topicArn, stateTable: 'alb-warden-alert-state' },
      bindings: [
        {
          name: 'web',
          loadBalancerArn: demo.topology.loadBalancerArn,
          targetGroupArn: demo.topology.targetGroupArn,
          instanceSelector: { tags: { Role: 'web' } },
          healthCheck: { path: '/', matcher: '404' },
        },
      ],
    });
    const deps = createDeps(config, {
      telemetry: silentTelemetry,
      aws: {
        endpoint: demo.endpoint,
        region: demo.topology.region,
        credentials: { accessKeyId: 'AKIASECONDOPINION001', secretAccessKey: 'x' },
      },
    });
    const before = await control.calls();
    await sweep(deps);
    expect(mutatingCalls(before, await control.calls())).toEqual([]);
  });

  it('summarizes from the records: repairs, registrations, alerts and calls', () => {
    const { summary } = demo;
    expect(summary.steps).toEqual({ total: 9, reached: 9, failed: [] });
    // The members' repairs and registrations count too: their member role made them.
    expect(summary.repairs).toEqual({ total: 5, byAction: { ModifyListener: 4, DeleteRule: 1 } });
    expect(summary.registrations).toEqual({ registered: 5, deregistered: 1 });
    expect(summary.alerts.byKind).toEqual({ DriftRepaired: 5, TargetUnhealthy: 1, TargetRecovered: 1 });
    expect(summary.awsCalls.controller.total).toBeGreaterThan(0);
    expect(summary.awsCalls.controller.total).toBeLessThan(summary.awsCalls.all.total);
    expect(summary.invocations).toMatchObject({ guard: 5, sweep: 6 });
  });

  it('gives the process its environment back', () => {
    // Powertools sets AWS_SDK_UA_APP_ID when it loads: not the demo's to undo.
    const { AWS_SDK_UA_APP_ID: _powertools, ...now } = process.env;
    expect(now).toEqual(environment);
  });

  it('refuses a second run in the same process, as the handlers keep their first configuration', async () => {
    await expect(runDemo()).rejects.toBeInstanceOf(DemoAlreadyRanError);
  });
});
