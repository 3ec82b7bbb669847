/**
 * One binding's AWS errors never stop another: two load balancers with their own target groups and
 * bindings ("web" and "api"), one of them failing (AccessDenied, its target group deleted, throttled past
 * the retries). The invocation's result lists each binding's outcome, the failing one is alerted
 * (RepairFailed / RegistrationFailed), and the healthy one is brought to its desired state.
 */
import { DeleteTargetGroupCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type ParsedEvent, parseEvent } from '../../functions/domain/events.ts';
import { InvocationIncompleteError } from '../../functions/use-cases/binding-run.ts';
import { handleApiCall } from '../../functions/use-cases/guard.ts';
import { handleInstanceState } from '../../functions/use-cases/register.ts';
import type { BindingResult, InvocationResult } from '../../functions/use-cases/results.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { Simulator } from '../../sim/index.ts';
import { count, reportFigures } from './support/figures.ts';
import {
  buildWorld,
  closeSimulator,
  controller,
  eventCursor,
  eventsSince,
  launch,
  listenerViolations,
  openSimulator,
  published,
  registered,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 60_000, maxConcurrency: 20 });
afterAll(() => reportFigures('isolation.test.ts'));

const SITES = [
  { name: 'web', selector: { Role: 'web' } },
  { name: 'api', selector: { Role: 'api' } },
];

async function withTwoSites(
  work: (world: World) => Promise<void>,
  options: { concurrentBindings?: number } = {},
): Promise<void> {
  const sim: Simulator = await openSimulator();
  try {
    const world = await buildWorld(sim, {
      sites: SITES,
      config: { limits: { concurrentBindings: options.concurrentBindings ?? 4 } },
    });
    await work(world);
  } finally {
    await closeSimulator(sim);
  }
}

const outcome = (result: InvocationResult) =>
  Object.fromEntries(result.bindings.map((binding) => [binding.binding, summary(binding)]));
const summary = (binding: BindingResult) => ({
  status: binding.status,
  code: binding.error?.code,
  transient: binding.error?.transient,
});

/** The "api" site's port 80 forwards plain HTTP; "web" has a new instance to register. */
async function breakApiAndLaunchWeb(world: World): Promise<string> {
  await world.person.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: world.site('api').httpListenerArn,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: world.site('api').targetGroupArn }],
    }),
  );
  const [id = ''] = await launch(world, 1, { Role: 'web' });
  return id;
}

describe.concurrent('a sweep over two bindings, one of them failing', () => {
  it.each([1, 4])(
    'AccessDenied on the repair of one (%i binding(s) at a time): the other converges, the failure is alerted',
    (concurrentBindings) =>
      withTwoSites(
        async (world) => {
          // Prepare
          const deps = controller(world);
          const id = await breakApiAndLaunchWeb(world);
          await world.control.faults({ service: 'elbv2', action: 'ModifyListener', error: 'AccessDenied' });
          count('faults');

          // Act
          const result = await sweep(deps);

          // Assess
          expect(outcome(result)).toEqual({
            web: { status: 'ok', code: undefined, transient: undefined },
            api: { status: 'failed', code: 'AccessDenied', transient: false },
          });
          expect(
            result.bindings.find((binding) => binding.binding === 'web')?.registration?.register,
          ).toEqual([`${id}:8080`]);
          expect(await registered(world, world.site('web').targetGroupArn)).toEqual([`${id}:8080`]);
          const alerts = await published(world);
          expect(alerts.map((alert) => [alert.binding, alert.kind, alert.severity])).toEqual([
            ['api', 'RepairFailed', 'critical'],
          ]);
          expect(alerts[0]?.text).toContain('AccessDenied');
          // Once the permission is back, the next sweep repairs it.
          await sweep(deps);
          expect(await listenerViolations(world, world.site('api'))).toEqual([]);
        },
        { concurrentBindings },
      ),
  );

  it('AccessDenied on the registration of one: RegistrationFailed for it, the other repaired', () =>
    withTwoSites(async (world) => {
      // Prepare
      const deps = controller(world);
      await world.person.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: world.site('web').httpListenerArn,
          DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }],
        }),
      );
      await launch(world, 2, { Role: 'api' });
      await world.control.faults({ service: 'elbv2', action: 'RegisterTargets', error: 'AccessDenied' });
      count('faults');

      // Act
      const result = await sweep(deps);

      // Assess
      expect(outcome(result)).toEqual({
        web: { status: 'ok', code: undefined, transient: undefined },
        api: { status: 'failed', code: 'AccessDenied', transient: false },
      });
      expect(await listenerViolations(world, world.site('web'))).toEqual([]);
      expect((await published(world)).map((alert) => [alert.binding, alert.kind])).toEqual([
        ['web', 'DriftRepaired'],
        ['api', 'RegistrationFailed'],
      ]);
    }));

  it("a deleted target group: alerted once as missing; the other binding's work is done", () =>
    withTwoSites(async (world) => {
      // Prepare: someone points api's HTTPS listener elsewhere, then deletes its target group.
      const deps = controller(world);
      const api = world.site('api');
      await world.person.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: api.httpsListenerArn,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: world.strayTargetGroupArn }],
        }),
      );
      await world.person.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: api.targetGroupArn }));
      const [id = ''] = await launch(world, 1, { Role: 'web' });

      // Act
      const first = await sweep(deps);
      const second = await sweep(deps);

      // Assess
      expect(outcome(first).web).toEqual({ status: 'ok', code: undefined, transient: undefined });
      expect(outcome(first).api).toMatchObject({ status: 'failed', code: 'TargetGroupNotFound' });
      expect(outcome(second).api).toMatchObject({ status: 'failed', code: 'TargetGroupNotFound' });
      expect(await registered(world, world.site('web').targetGroupArn)).toEqual([`${id}:8080`]);
      const alerts = await published(world);
      expect(alerts.map((alert) => [alert.binding, alert.kind, alert.severity])).toEqual([
        ['api', 'RepairFailed', 'critical'],
      ]);
      expect(alerts[0]?.text).toContain('does not exist any more');
      expect(alerts[0]?.text).toContain(api.targetGroupArn);
    }));

  it('throttling past the retries on one: the invocation fails loudly, the other binding is done', () =>
    withTwoSites(
      async (world) => {
        // Prepare: bindings run one at a time, so the first DescribeTargetHealth is web's.
        const deps = controller(world);
        await launch(world, 1, { Role: 'api' });
        await world.person.elbv2.send(
          new ModifyListenerCommand({
            ListenerArn: world.site('api').httpListenerArn,
            DefaultActions: [
              {
                Type: 'redirect',
                RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_302' },
              },
            ],
          }),
        );
        await world.control.faults({
          service: 'elbv2',
          action: 'DescribeTargetHealth',
          error: 'Throttling',
          count: 3,
        });
        count('faults', 3);

        // Act
        const error = await sweep(deps).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );

        // Assess
        expect(error).toBeInstanceOf(InvocationIncompleteError);
        const results = (error as InvocationIncompleteError).results;
        expect(Object.fromEntries(results.map((result) => [result.binding, summary(result)]))).toEqual({
          web: { status: 'failed', code: 'Throttling', transient: true },
          api: { status: 'ok', code: undefined, transient: undefined },
        });
        expect(await listenerViolations(world, world.site('api'))).toHaveLength(0);
        expect(await registered(world, world.site('api').targetGroupArn)).toHaveLength(1);
        // Throttling is retried, not paged.
        expect((await published(world)).map((alert) => [alert.binding, alert.kind])).toEqual([
          ['api', 'DriftRepaired'],
        ]);
      },
      { concurrentBindings: 1 },
    ));
});

describe.concurrent('an event that concerns two bindings, one of them failing', () => {
  it('register: an instance both select; AccessDenied on one registration, the other registers', async () => {
    const sim = await openSimulator();
    try {
      // Prepare: web selects App=shop, api selects App=shop and Tier=api; the instance has both tags.
      const world = await buildWorld(sim, {
        sites: [
          { name: 'web', selector: { App: 'shop' } },
          { name: 'api', selector: { App: 'shop', Tier: 'api' } },
        ],
      });
      const deps = controller(world);
      const since = await eventCursor(world);
      const [id = ''] = await launch(world, 1, { App: 'shop', Tier: 'api' });
      const event = (await eventsSince(world, since))
        .map((raw) => parseEvent(raw))
        .find(
          (candidate): candidate is Extract<ParsedEvent, { type: 'instance-state' }> =>
            candidate.type === 'instance-state' && candidate.state === 'running',
        );
      if (!event) throw new Error('no running event');
      await world.control.faults({ service: 'elbv2', action: 'RegisterTargets', error: 'AccessDenied' });
      count('faults');

      // Act
      const result = await handleInstanceState(deps, event);

      // Assess
      const statuses = result.bindings.map((binding) => binding.status).sort();
      expect(statuses).toEqual(['failed', 'ok']);
      const failed = result.bindings.find((binding) => binding.status === 'failed');
      const done = result.bindings.find((binding) => binding.status === 'ok');
      expect(failed?.error?.code).toBe('AccessDenied');
      expect(done?.registration?.register).toEqual([id]);
      expect(await registered(world, world.site(done?.binding ?? '').targetGroupArn)).toEqual([`${id}:8080`]);
      expect((await published(world)).map((alert) => [alert.binding, alert.kind])).toEqual([
        [failed?.binding, 'RegistrationFailed'],
      ]);
      // The sweep registers it where it failed.
      await sweep(deps);
      for (const site of world.sites)
        expect(await registered(world, site.targetGroupArn)).toEqual([`${id}:8080`]);
    } finally {
      await closeSimulator(sim);
    }
  });

  it('guard: a target group deletion event alerts once for the binding concerned, none for the other', async () => {
    const sim = await openSimulator();
    try {
      const world = await buildWorld(sim, { sites: SITES });
      const deps = controller(world);
      const api = world.site('api');
      await world.person.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: api.httpsListenerArn,
          DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
        }),
      );
      const since = await eventCursor(world);
      await world.person.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: api.targetGroupArn }));
      const [raw] = await eventsSince(world, since);
      const event = parseEvent(raw);
      if (event.type !== 'api-call') throw new Error(event.type);

      const result = await handleApiCall(deps, event);
      await handleApiCall(deps, event);

      expect(result.bindings.map((binding) => binding.binding)).toEqual(['api']);
      const alerts = await published(world);
      expect(alerts.map((alert) => [alert.binding, alert.kind, alert.severity])).toEqual([
        ['api', 'RepairFailed', 'critical'],
      ]);
      expect(alerts[0]?.text).toContain('jiwoo.kim');
    } finally {
      await closeSimulator(sim);
    }
  });
});
