/**
 * Property, on the simulator: whatever a deployment service does to the controller's own targets (CodeDeploy's
 * BlockTraffic deregisters one, AllowTraffic registers it back), however CloudTrail delivers its calls (late,
 * twice, never) and whenever the controller sweeps, the controller never registers a target the service took
 * out while its operation can be in progress: from the call until the service registers it back or
 * `coOwners.holdMinutes` pass. The one condition is the one the README states: CloudTrail's event history shows
 * the call before the target group's deregistration delay ends (here 1 to 4 minutes against AWS's default
 * 300 s), since a sweep that finds the drain over and nothing in the history cannot tell the service from a
 * person. A person deregisters another instance of the same group, and it is registered again, so the
 * property is not met by doing nothing (a person's call on the very target a deployment takes out at the same
 * moment is not told apart: its event, handled first, puts the target back).
 */
import {
  DeregisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DRAINING_HOLDER } from '../../functions/domain/registration.ts';
import type { LoadBalancing } from '../../functions/ports.ts';
import { sweep } from '../../functions/use-cases/sweep.ts';
import type { Simulator } from '../../sim/index.ts';
import type { EventFeed } from '../../testkit/events.ts';
import { type DeliveryStep, deliverySteps, runDeliveryStep } from './support/deliveries.ts';
import { count, reportFigures } from './support/figures.ts';
import {
  buildWorld,
  type Controller,
  closeSimulator,
  controller,
  eventCursor,
  launch,
  openSimulator,
  pump,
  registered,
  sharedClock,
  type World,
} from './support/world.ts';

vi.setConfig({ testTimeout: 300_000 });
afterAll(() => reportFigures('deployments.test.ts'));

const RUNS = 25;
const MINUTE = 60_000;
const HOLD_MS = 65 * MINUTE;
const CODEDEPLOY_KEY = 'AKIARELIABILITYCDPL1';

/** ELB clients of CodeDeploy's service role in `world`, for deployment `id` (closed with the world). */
async function codeDeploy(world: World, id: string): Promise<ElasticLoadBalancingV2Client> {
  await world.control.identity(
    CODEDEPLOY_KEY,
    `arn:aws:sts::${world.account}:assumed-role/CodeDeployServiceRole/CodeDeploy-${id}`,
    { invokedBy: 'codedeploy.amazonaws.com' },
  );
  return world.simulated.clientsAs(CODEDEPLOY_KEY).elbv2;
}

let sim: Simulator;
beforeAll(async () => {
  sim = await openSimulator();
});
afterAll(() => closeSimulator(sim));

type Step = { readonly kind: 'block' | 'allow' | 'person'; readonly pick: number } | DeliveryStep;

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('block' as const, 'allow' as const, 'person' as const),
    pick: fc.nat(1),
  }),
  deliverySteps([0, 30_000, MINUTE, 5 * MINUTE]),
);

const scenario = fc.record({
  historyDelayMs: fc.constantFrom(MINUTE, 4 * MINUTE),
  steps: fc.array(step, { minLength: 1, maxLength: 16 }),
});

/** The controller, with every target it registers recorded at its port: the step it ran in, and when. */
function recordingController(world: World, now: () => number, step: () => number) {
  const deps = controller(world, { now });
  const registrations: { id: string; step: number; at: number }[] = [];
  const elb: LoadBalancing = {
    ...deps.elb,
    registerTargets: (arn, targets) => {
      registrations.push(...targets.map((target) => ({ id: target.id, step: step(), at: now() })));
      return deps.elb.registerTargets(arn, targets);
    },
  };
  return { deps: { ...deps, elb } as Controller, registrations };
}

/**
 * A world with `instances` of the controller's, registered by a first sweep; CodeDeploy's service role; the
 * shared clock and a controller recording its registrations at `step()`.
 */
async function deploymentWorld(options: {
  readonly deployment: string;
  readonly instances: number;
  readonly config: NonNullable<Parameters<typeof buildWorld>[1]>['config'];
  readonly historyDelayMs?: number;
  readonly step: () => number;
}) {
  const world = await buildWorld(sim, { config: options.config });
  const site = world.site('web');
  const cursor: EventFeed = await eventCursor(world);
  const codedeploy = await codeDeploy(world, options.deployment);
  if (options.historyDelayMs !== undefined)
    await world.control.eventHistory({ delayMs: options.historyDelayMs });
  const ids = await launch(world, options.instances, { Role: 'web' });
  const clock = await sharedClock(world);
  const { deps, registrations } = recordingController(world, clock.now, options.step);
  await sweep(deps);
  return { world, site, cursor, codedeploy, ids, clock, deps, registrations };
}

describe('property: a target a deployment service took out stays out while its operation can run', () => {
  it(`the controller never registers it again, over ${RUNS} interleavings`, async () => {
    count('properties');
    await fc.assert(
      fc.asyncProperty(scenario, async (spec) => {
        count('cases');
        // Prepare: three instances of the controller's, registered; CodeDeploy's service role.
        let current = 0;
        const { world, site, cursor, codedeploy, ids, clock, deps, registrations } = await deploymentWorld({
          deployment: 'd-PROPERTY1',
          instances: 3,
          config: { safety: { maxDeregisterFraction: 1 }, limits: { apiShare: 1 } },
          historyDelayMs: spec.historyDelayMs,
          step: () => current,
        });
        const blockedAt = new Map<string, { step: number; at: number }>();
        let personal = false;
        // CodeDeploy deploys to the first two instances; a person deregisters the third.
        const deployed = (pick: number) => ({ Id: ids[pick % 2] ?? '', Port: 8080 });
        const byHand = { Id: ids[2] ?? '', Port: 8080 };

        // Act
        for (const next of spec.steps) {
          current++;
          switch (next.kind) {
            case 'block': {
              const target = deployed(next.pick);
              await codedeploy.send(
                new DeregisterTargetsCommand({ TargetGroupArn: site.targetGroupArn, Targets: [target] }),
              );
              blockedAt.set(target.Id, { step: current, at: clock.now() });
              break;
            }
            case 'allow': {
              const target = deployed(next.pick);
              await codedeploy.send(
                new RegisterTargetsCommand({ TargetGroupArn: site.targetGroupArn, Targets: [target] }),
              );
              blockedAt.delete(target.Id);
              break;
            }
            case 'person':
              await world.person.elbv2.send(
                new DeregisterTargetsCommand({ TargetGroupArn: site.targetGroupArn, Targets: [byHand] }),
              );
              personal = true;
              break;
            default:
              await runDeliveryStep(world, deps, cursor, next, clock.advance);
          }
          // Assess, after every step: no registration of a target while its service hold can run.
          for (const registration of registrations) {
            const block = blockedAt.get(registration.id);
            const during =
              block !== undefined && registration.step > block.step && registration.at < block.at + HOLD_MS;
            expect(during, `${registration.id} registered in step ${registration.step}`).toBe(false);
          }
        }

        // A person's deregistration is still undone once the drains are over.
        await world.control.cloudTrail({ clear: true });
        await clock.advance(6 * MINUTE);
        await sweep(deps);
        if (personal) expect(await registered(world, site.targetGroupArn)).toContain(`${byHand.Id}:8080`);
      }),
      {
        numRuns: RUNS,
        examples: [
          // The race itself: a sweep between the call and its event, and one after the drain.
          [
            {
              historyDelayMs: 4 * MINUTE,
              steps: [
                { kind: 'block', pick: 0 },
                { kind: 'sweep' },
                { kind: 'clock', ms: MINUTE },
                { kind: 'sweep' },
                { kind: 'clock', ms: 5 * MINUTE },
                { kind: 'sweep' },
              ],
            },
          ],
          // A person's event handled after the drain, before the service's: the event path must not put back
          // the service's target, which it cannot ask event history about.
          [
            {
              historyDelayMs: MINUTE,
              steps: [
                { kind: 'person', pick: 0 },
                { kind: 'block', pick: 0 },
                { kind: 'clock', ms: 5 * MINUTE },
                { kind: 'deliver' },
              ],
            },
          ],
        ],
      },
    );
  });
});

describe("a person's event delivered after the drain, while a deployment has the same target out", () => {
  it('does not put the target back: the event is late, and the deployment took the target out since', async () => {
    // Prepare: one instance of the controller's, registered; CodeDeploy's service role.
    const { world, site, cursor, codedeploy, ids, clock, deps, registrations } = await deploymentWorld({
      deployment: 'd-LATEEVENT1',
      instances: 1,
      config: { limits: { apiShare: 1 } },
      step: () => 1,
    });
    const id = ids[0] ?? '';
    const deployment = { TargetGroupArn: site.targetGroupArn, Targets: [{ Id: id, Port: 8080 }] };

    // Act: a person takes the target out, and its event is held up for minutes. Meanwhile a deployment puts the
    // target back in service and takes it out again, its own event later still.
    await world.control.cloudTrail({ count: 1, delayMs: 8 * MINUTE });
    await world.person.elbv2.send(new DeregisterTargetsCommand(deployment));
    await clock.advance(6 * MINUTE);
    await codedeploy.send(new RegisterTargetsCommand(deployment));
    await world.control.cloudTrail({ count: 1, delayMs: 10 * MINUTE });
    await codedeploy.send(new DeregisterTargetsCommand(deployment));
    registrations.length = 0;
    await clock.advance(3 * MINUTE);
    const delivered = await pump(world, deps, cursor);

    // Assess
    expect(delivered.errors).toEqual([]);
    // The person's event was handled: the target, draining from the deployment's call, waits.
    const held = delivered.results.flatMap((result) =>
      result.bindings.flatMap((binding) => binding.registration?.held ?? []),
    );
    expect(held).toContain(`${id}:8080 (${DRAINING_HOLDER})`);
    expect(registrations).toEqual([]);
    expect(await registered(world, site.targetGroupArn)).not.toContain(`${id}:8080`);
  });
});
