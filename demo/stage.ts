/**
 * The stage: the bundled simulator, the seed's topology, the alert topic and state table, all built through
 * AWS API calls, and the identities that act on it (the controller's role, a person's role session, the
 * demo's own read-only observer).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import type { WardenConfigInput } from '../functions/config.ts';
import { type Simulator, startSimulator } from '../sim/index.ts';
import { buildSeedTopology, createAlertResources, type SeedTopology } from '../sim/seed.ts';

/** Access keys the simulator maps to principals, as CloudTrail would show them. */
export const KEYS = {
  controller: 'AKIAALBWARDENDEMO001',
  person: 'AKIAJIWOOKIMDEMO0001',
  observer: 'AKIADEMOOBSERVER0001',
} as const;
export const SECRET = 'simulator-secret';

export const TOPIC_NAME = 'alb-warden-alerts';
export const TABLE_NAME = 'alb-warden-alert-state';
export const SELECTOR = { Role: 'web' } as const;

export interface Clients {
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

export interface Stage {
  readonly simulator: Simulator;
  readonly seed: SeedTopology;
  readonly topicArn: string;
  readonly controllerRoleArn: string;
  readonly controllerSessionArn: string;
  readonly personArn: string;
  /** The person's clients: an administrator's role session. */
  readonly person: Clients;
  /** The demo's own clients: building the stage and verifying every step. */
  readonly observer: Clients;
  /** The configuration the controller runs with, as JSON (what WARDEN_CONFIG carries). */
  readonly config: WardenConfigInput;
  destroyClients(): void;
}

export function createClients(endpoint: string, region: string, accessKeyId: string): Clients {
  const config = {
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey: SECRET },
    // The simulator answers at once; a failure is a demo failure, not something to retry for long.
    maxAttempts: 2,
  };
  return {
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}

export async function buildStage(mode: 'enforce' | 'dry-run'): Promise<Stage> {
  const simulator = await startSimulator();
  const { endpoint, account, region, control } = simulator;
  const created: Clients[] = [];
  const clientsFor = (key: string) => {
    const clients = createClients(endpoint, region, key);
    created.push(clients);
    return clients;
  };
  const destroyClients = () => {
    for (const clients of created) for (const client of Object.values(clients)) client.destroy();
  };
  try {
    const controllerRoleArn = `arn:aws:iam::${account}:role/AlbWarden-ControllerRole`;
    const controllerSessionArn = `arn:aws:sts::${account}:assumed-role/AlbWarden-ControllerRole/alb-warden`;
    const personArn = `arn:aws:sts::${account}:assumed-role/AdministratorAccess/jiwoo.kim`;
    await control.identity(KEYS.controller, controllerSessionArn);
    await control.identity(KEYS.person, personArn);
    await control.identity(KEYS.observer, `arn:aws:sts::${account}:assumed-role/AlbWardenDemo-Observer/demo`);
    const observer = clientsFor(KEYS.observer);
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
      simulator,
      seed,
      topicArn,
      controllerRoleArn,
      controllerSessionArn,
      personArn,
      person: clientsFor(KEYS.person),
      observer,
      config,
      destroyClients,
    };
  } catch (error) {
    destroyClients();
    await simulator.stop();
    throw error;
  }
}
