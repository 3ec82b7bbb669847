/**
 * The stage: the bundled simulator, the seed's topology, the alert topic and state table, all built through
 * AWS API calls, and the identities that act on it (the controller's role, a person's role session, the
 * demo's own read-only observer). The simulated world is the one the tests use (testkit/world.ts).
 */
import type { WardenConfigInput } from '../functions/config.ts';
import type { Simulator } from '../sim/index.ts';
import { buildSeedTopology, createAlertResources, type SeedTopology } from '../sim/seed.ts';
import { type AwsClients, openWorld, SIM_SECRET } from '../testkit/world.ts';

/** Access keys the simulator maps to principals, as CloudTrail would show them. */
export const KEYS = {
  controller: 'AKIAALBWARDENDEMO001',
  person: 'AKIAJIWOOKIMDEMO0001',
  observer: 'AKIADEMOOBSERVER0001',
} as const;
export const SECRET = SIM_SECRET;

export const TOPIC_NAME = 'alb-warden-alerts';
export const TABLE_NAME = 'alb-warden-alert-state';
export const SELECTOR = { Role: 'web' } as const;

export interface Stage {
  readonly simulator: Simulator;
  readonly seed: SeedTopology;
  readonly topicArn: string;
  readonly controllerRoleArn: string;
  readonly controllerSessionArn: string;
  readonly personArn: string;
  /** The person's clients: an administrator's role session. */
  readonly person: AwsClients;
  /** The demo's own clients: building the stage and verifying every step. */
  readonly observer: AwsClients;
  /** The configuration the controller runs with, as JSON (what WARDEN_CONFIG carries). */
  readonly config: WardenConfigInput;
  /** Destroys the clients and stops the simulator. */
  stop(): Promise<void>;
}

export async function buildStage(mode: 'enforce' | 'dry-run'): Promise<Stage> {
  const world = await openWorld({
    keys: { controller: KEYS.controller, person: KEYS.person, setup: KEYS.observer },
    // The simulator answers at once; a failure is a demo failure, not something to retry for long.
    clientSettings: { maxAttempts: 2 },
  });
  try {
    const { account, controllerRoleArn, controllerSessionArn, personArn } = world;
    await world.control.identity(
      KEYS.observer,
      `arn:aws:sts::${account}:assumed-role/AlbWardenDemo-Observer/demo`,
    );
    const observer = world.clients;
    const seed = await buildSeedTopology(observer);
    const { topicArn } = await createAlertResources(observer, {
      topicName: TOPIC_NAME,
      tableName: TABLE_NAME,
    });
    const config: WardenConfigInput = {
      mode,
      controllerRoleArns: [controllerRoleArn],
      alerts: { topicArn, stateTable: TABLE_NAME, unhealthyAfterSweeps: 2 },
      approvedActors: [`arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-*`],
      // Nothing else in the simulated account calls the ELB API: the controller may use all of its budget.
      limits: { apiShare: 1 },
      bindings: [
        {
          name: 'web',
          loadBalancerArn: seed.loadBalancerArn,
          targetGroupArn: seed.targetGroupArn,
          targetPort: 8080,
          instanceSelector: { tags: { ...SELECTOR } },
          https: { certificateArn: seed.certificateArn },
          // The seed's application answers 404 on "/".
          healthCheck: { path: '/', matcher: '404' },
        },
      ],
    };
    return {
      simulator: world.simulator,
      seed,
      topicArn,
      controllerRoleArn,
      controllerSessionArn,
      personArn,
      person: world.person,
      observer,
      config,
      stop: world.stop,
    };
  } catch (error) {
    await world.stop();
    throw error;
  }
}
