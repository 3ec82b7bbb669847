import { readFileSync } from 'node:fs';
import { StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateRuleCommand,
  DeleteListenerCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SimEvent } from '../../sim/control.ts';
import { buildSeedTopology, launchInstances, type SeedTopology } from '../../sim/seed.ts';
import { FIXTURES, useSim } from './support.ts';

const PERSON_KEY = 'ASIA5EXAMPLEKEY00001';
const PERSON_ARN = 'arn:aws:sts::123456789012:assumed-role/AdministratorAccess/jiwoo.kim';
const WARDEN_KEY = 'ASIA5EXAMPLEWARDEN01';
const WARDEN_ARN =
  'arn:aws:sts::123456789012:assumed-role/AlbWarden-GuardFunctionRole-1A2B3C4D5E6F/AlbWarden-GuardFunction';

const sim = useSim();
let seed: SeedTopology;

beforeEach(async () => {
  await sim.control.identity(PERSON_KEY, PERSON_ARN);
  await sim.control.identity(WARDEN_KEY, WARDEN_ARN);
  seed = await buildSeedTopology(sim.clients);
});

function fixture(name: string): SimEvent {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as SimEvent;
}

/** The structure of a value: its keys, nesting and value types, without the values themselves. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null) return null;
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, shape((value as Record<string, unknown>)[key])]),
    );
  }
  return typeof value;
}

/** The events recorded by `act`. */
async function recorded(act: () => Promise<unknown>): Promise<SimEvent[]> {
  const { cursor } = await sim.control.events();
  await act().catch(() => undefined);
  return (await sim.control.events(cursor)).events;
}

describe('AWS API Call via CloudTrail', () => {
  it('records a redirect change by a person in the shape of the recorded fixture', async () => {
    const person = sim.clientsAs(PERSON_KEY);

    const [event] = await recorded(() =>
      person.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpListenerArn,
          DefaultActions: [
            { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_302' } },
          ],
        }),
      ),
    );

    const expected = fixture('cloudtrail-modify-listener-redirect-302.json');
    expect(shape(event)).toEqual(shape(expected));
    expect(event?.detail.requestParameters).toEqual({
      listenerArn: seed.httpListenerArn,
      defaultActions: [{ type: 'redirect', redirectConfig: { protocol: 'HTTPS', statusCode: 'HTTP_302' } }],
    });
    expect(event?.detail.responseElements).toEqual({
      listeners: [
        {
          listenerArn: seed.httpListenerArn,
          loadBalancerArn: seed.loadBalancerArn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: [
            {
              type: 'redirect',
              redirectConfig: {
                protocol: 'HTTPS',
                port: '#{port}',
                host: '#{host}',
                path: '/#{path}',
                query: '#{query}',
                statusCode: 'HTTP_302',
              },
            },
          ],
        },
      ],
    });
  });

  it('derives the user identity of an assumed role session from the signing key, as the fixtures show it', async () => {
    const warden = sim.clientsAs(WARDEN_KEY);

    const [event] = await recorded(() =>
      warden.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpListenerArn,
          DefaultActions: [
            {
              Type: 'redirect',
              RedirectConfig: {
                Protocol: 'HTTPS',
                Port: '443',
                Host: '#{host}',
                Path: '/#{path}',
                Query: '#{query}',
                StatusCode: 'HTTP_301',
              },
            },
          ],
        }),
      ),
    );

    const expected = fixture('cloudtrail-modify-listener-by-warden-itself.json');
    expect(shape(event)).toEqual(shape(expected));
    expect(event?.detail.userIdentity).toEqual({
      ...(expected.detail.userIdentity as Record<string, unknown>),
      principalId: expect.stringMatching(/^AROA[A-Z2-7]{17}:AlbWarden-GuardFunction$/),
      accessKeyId: WARDEN_KEY,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: expect.stringMatching(/^AROA[A-Z2-7]{17}$/),
          arn: 'arn:aws:iam::123456789012:role/AlbWarden-GuardFunctionRole-1A2B3C4D5E6F',
          accountId: '123456789012',
          userName: 'AlbWarden-GuardFunctionRole-1A2B3C4D5E6F',
        },
        attributes: {
          creationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          mfaAuthenticated: 'false',
        },
      },
    });
  });

  it('shows an unmapped access key as an IAM user named after the key', async () => {
    const [event] = await recorded(() =>
      sim.clients.elbv2.send(new DeleteListenerCommand({ ListenerArn: seed.httpListenerArn })),
    );

    expect(event?.detail.userIdentity).toMatchObject({
      type: 'IAMUser',
      arn: 'arn:aws:iam::123456789012:user/AKIAWARDENHARNESS001',
      userName: 'AKIAWARDENHARNESS001',
    });
    expect(shape(event?.detail.requestParameters)).toEqual(
      shape(fixture('cloudtrail-delete-listener-http.json').detail.requestParameters),
    );
    expect(event?.detail.responseElements).toBeNull();
  });

  it('records a rule created by a person, with typed parameters and both forms of the forward', async () => {
    const person = sim.clientsAs(PERSON_KEY);

    const [event] = await recorded(() =>
      person.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: seed.httpListenerArn,
          Priority: 1,
          Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
          Actions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
        }),
      ),
    );

    expect(shape(event)).toEqual(shape(fixture('cloudtrail-create-rule-forward-on-http.json')));
    expect(event?.detail.requestParameters).toMatchObject({ priority: 1 });
  });

  it('records a denied call with its error code and message and no response', async () => {
    await sim.control.faults({ service: 'elbv2', action: 'ModifyListener', error: 'AccessDenied', count: 1 });
    const person = sim.clientsAs(PERSON_KEY);

    const [event] = await recorded(() =>
      person.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: seed.httpListenerArn,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: seed.targetGroupArn }],
        }),
      ),
    );

    const expected = fixture('cloudtrail-modify-listener-denied.json');
    expect(shape(event)).toEqual(shape(expected));
    expect(event?.detail.errorCode).toBe('AccessDenied');
    expect(event?.detail.errorMessage).toBe(expected.detail.errorMessage);
  });

  it('records target deregistration with numeric ports, and no events for describe calls', async () => {
    const [id = ''] = await launchInstances(sim.clients, { count: 1, subnetId: seed.subnetIds[0] });
    await sim.clients.elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: seed.targetGroupArn, Targets: [{ Id: id, Port: 8080 }] }),
    );

    const person = sim.clientsAs(PERSON_KEY);

    const events = await recorded(async () => {
      await person.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: seed.loadBalancerArn }));
      await person.elbv2.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: seed.targetGroupArn,
          Targets: [{ Id: id, Port: 8080 }],
        }),
      );
    });

    expect(events.map((e) => e.detail.eventName)).toEqual(['DeregisterTargets']);
    expect(shape(events[0])).toEqual(shape(fixture('cloudtrail-deregister-targets.json')));
    expect(events[0]?.detail.requestParameters).toEqual({
      targetGroupArn: seed.targetGroupArn,
      targets: [{ id, port: 8080 }],
    });
  });
});

describe('EC2 Instance State-change Notification', () => {
  it('records every state an instance passes through, at the time it got there', async () => {
    await sim.control.settings({ delays: { instanceTransitionMs: 5_000 } });

    const events = await recorded(async () => {
      const [id = ''] = await launchInstances(sim.clients, { count: 1, subnetId: seed.subnetIds[0] });
      await sim.control.clock(5_000);
      await sim.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
      await sim.control.clock(5_000);
      await sim.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      await sim.control.clock(5_000);
    });

    expect(events.map((e) => e.detail.state)).toEqual([
      'pending',
      'running',
      'stopping',
      'stopped',
      'shutting-down',
      'terminated',
    ]);
    const times = events.map((e) => Date.parse(e.time));
    expect(times[1]).toBe((times[0] ?? 0) + 5_000);
    for (const name of ['pending', 'running', 'stopped', 'terminated']) {
      expect(shape(events.find((e) => e.detail.state === name))).toEqual(
        shape(fixture(`ec2-instance-${name}.json`)),
      );
    }
    expect(events[0]?.resources).toEqual([
      `arn:aws:ec2:ap-northeast-2:123456789012:instance/${events[0]?.detail['instance-id']}`,
    ]);
  });

  it('reads events after a cursor only once', async () => {
    const { cursor } = await sim.control.events();
    await launchInstances(sim.clients, { count: 1, subnetId: seed.subnetIds[0] });

    const first = await sim.control.events(cursor);
    const second = await sim.control.events(first.cursor);

    expect(first.events.map((e) => e.detail.state)).toEqual(['pending', 'running']);
    expect(second).toEqual({ events: [], cursor: first.cursor });
  });
});
