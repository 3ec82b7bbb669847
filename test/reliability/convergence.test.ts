/**
 * Properties of the whole loop, on the simulator (real SDK clients, real wire), for arbitrary world
 * states (see support/arbitrary.ts):
 *
 *   - one sweep reaches the desired state, and a second sweep makes zero mutating calls;
 *   - on the way, no write of the controller lowers security (certificates and SSL policy of a listener
 *     that speaks HTTPS are kept; nothing on port 80 ever forwards or answers over plain HTTP);
 *   - in dry-run, neither the sweep nor the event handlers make a mutating call, whatever the state.
 *
 * Run counts are modest (each case builds a world and runs the controller over the wire); fast-check
 * prints the seed and the shrunk counterexample of a failure.
 */
import type { Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { SimEvent } from '../../sim/control.ts';
import type { Simulator } from '../../sim/index.ts';
import { desiredTargets, materialize, type WorldSpec, worldSpec } from './support/arbitrary.ts';
import { count, reportFigures } from './support/figures.ts';
import {
  buildWorld,
  closeSimulator,
  controller,
  eventCursor,
  eventsSince,
  healthCheckOf,
  listenersOf,
  listenerViolations,
  mutatingCalls,
  openSimulator,
  pump,
  registered,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 120_000 });
afterAll(() => reportFigures('convergence.test.ts'));

const CONVERGENCE_RUNS = 60;
const DRY_RUN_RUNS = 40;

let sim: Simulator;
beforeAll(async () => {
  sim = await openSimulator();
});
afterAll(() => closeSimulator(sim));

async function worldFor(spec: WorldSpec, mode: 'enforce' | 'dry-run' = 'enforce'): Promise<World> {
  return buildWorld(sim, {
    sites: [{ name: 'web', selector: spec.selector, binding: { http: { foreignRules: spec.foreignRules } } }],
    // Convergence in one pass is a promise for what the safety limit allows; the limit has its own property.
    // The whole ELB API budget (apiShare 1): a case replays dozens of events through the handlers.
    config: { mode, safety: { maxDeregisterFraction: 1 }, limits: { apiShare: 1 } },
  });
}

/** Controller writes that would serve plain HTTP on port 80, or take TLS away from a listener. */
function insecureWrites(
  world: World,
  events: readonly SimEvent[],
  httpListenerArns: ReadonlySet<string>,
): unknown[] {
  return events
    .filter((event) => {
      const identity = event.detail.userIdentity as { sessionContext?: { sessionIssuer?: { arn?: string } } };
      return identity.sessionContext?.sessionIssuer?.arn === world.controllerRoleArn;
    })
    .filter((event) => {
      const parameters = event.detail.requestParameters as {
        port?: number;
        protocol?: string;
        listenerArn?: string;
        defaultActions?: { type?: string; redirectConfig?: { protocol?: string } }[];
        certificates?: unknown[];
      };
      const name = event.detail.eventName;
      if (name === 'CreateRule' || name === 'ModifyRule') return true;
      if (name !== 'CreateListener' && name !== 'ModifyListener') return false;
      if (parameters.protocol === 'HTTP' && name === 'ModifyListener') return true;
      const onPort80 =
        parameters.port === 80 ||
        (parameters.listenerArn !== undefined && httpListenerArns.has(parameters.listenerArn));
      if (!onPort80) return false;
      return !(parameters.defaultActions ?? []).every(
        (action) => action.type === 'redirect' && action.redirectConfig?.protocol?.toUpperCase() === 'HTTPS',
      );
    })
    .map((event) => event.detail);
}

const tls = (listener: Listener | undefined) =>
  listener?.Protocol === 'HTTPS'
    ? {
        certificates: (listener.Certificates ?? []).map((certificate) => certificate.CertificateArn).sort(),
        policy: listener.SslPolicy,
      }
    : undefined;

describe('property: from any state, one sweep converges and a second makes zero mutating calls', () => {
  it(`holds for ${CONVERGENCE_RUNS} arbitrary worlds`, async () => {
    count('properties');
    await fc.assert(
      fc.asyncProperty(worldSpec, async (spec) => {
        count('cases');
        // Prepare
        const world = await worldFor(spec);
        const site = world.site('web');
        const state = await materialize(world, site, spec);
        const before = await listenersOf(world, site);
        const since = await eventCursor(world);
        await world.control.resetCalls();

        // Act
        const first = await sweep(controller(world));

        // Assess: the desired state …
        expect(first.bindings.map((binding) => binding.status)).toEqual(['ok']);
        expect(await listenerViolations(world, site, { keepRules: spec.foreignRules === 'report' })).toEqual(
          [],
        );
        expect(await healthCheckOf(world, site)).toEqual({ path: '/', matcher: '404' });
        expect(await registered(world, site.targetGroupArn)).toEqual(desiredTargets(spec, state));
        // … reached without lowering security …
        const after = await listenersOf(world, site);
        if (tls(before.https)) expect(tls(after.https)).toEqual(tls(before.https));
        expect(after.https?.Certificates?.map((certificate) => certificate.CertificateArn)).toContain(
          world.certificateArn,
        );
        const httpArns = new Set(
          [before.http?.ListenerArn, after.http?.ListenerArn].filter((arn) => arn !== undefined),
        );
        expect(insecureWrites(world, await eventsSince(world, since), httpArns)).toEqual([]);
        // … and then nothing left to do.
        await world.control.resetCalls();
        await sweep(controller(world));
        expect(mutatingCalls(await world.control.calls())).toEqual({});
      }),
      { numRuns: CONVERGENCE_RUNS },
    );
  });
});

describe('property: dry-run never makes a mutating call', () => {
  it(`holds for ${DRY_RUN_RUNS} arbitrary worlds, through the sweep and the event handlers`, async () => {
    count('properties');
    await fc.assert(
      fc.asyncProperty(worldSpec, async (spec) => {
        count('cases');
        // Prepare: the events of the setup (launches, stops, people's listener changes) are pending.
        const world = await worldFor(spec, 'dry-run');
        const cursor = await eventCursor(world);
        const state = await materialize(world, world.site('web'), spec);
        const listenersBefore = await listenersOf(world, world.site('web'));
        await world.control.resetCalls();

        // Act
        const deps = controller(world);
        const { errors } = await pump(world, deps, cursor);
        const result = await sweep(deps);

        // Assess
        expect(errors).toEqual([]);
        expect(result.mode).toBe('dry-run');
        expect(mutatingCalls(await world.control.calls())).toEqual({});
        expect(await registered(world, world.site('web').targetGroupArn)).toEqual(state.registeredBefore);
        expect(await listenersOf(world, world.site('web'))).toEqual(listenersBefore);
      }),
      { numRuns: DRY_RUN_RUNS },
    );
  });
});
