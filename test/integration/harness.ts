/**
 * The integration harness: a world of AWS clients to run a test against.
 *
 * By default it is the shared simulated world (testkit/world.ts, the bundled simulator in-process). With
 * WARDEN_IT_ENDPOINT set it uses that endpoint instead (LocalStack, moto, another simulator process), so the
 * same suite runs against any AWS-compatible endpoint. Tests set the world up through AWS API calls only,
 * plus the simulator's control API where AWS has none; such tests skip when `control` is null:
 *
 *   // needs the control API: AWS has no way to make a target unhealthy on demand
 *   it.skipIf(!world.control)('alerts on an unhealthy target', …)
 */
import { describe } from 'vitest';
import type { AwsClientOptions } from '../../functions/deps.ts';
import type { SimControl, SimulatorOptions } from '../../sim/index.ts';
import {
  type AwsClients,
  createClients,
  destroyClients,
  openWorld,
  simClientOptions,
} from '../../testkit/world.ts';

export type { AwsClients } from '../../testkit/world.ts';

/** The default clients, the region they sign for, and clients signing as any other access key. */
export interface WorldClients extends AwsClients {
  readonly region: string;
  /** Clients signing with `accessKeyId`: map it with `control.identity` to act as a person or as the controller. */
  clientsAs(accessKeyId: string): AwsClients;
}

export interface World {
  readonly endpoint: string;
  /** Clients signing with the harness's default access key (fixed fake credentials). */
  readonly clients: WorldClients;
  /** The simulator's control API; null against another endpoint. */
  readonly control: SimControl | null;
  readonly usesSimulator: boolean;
  /**
   * How a client of the controller or the CLI signing with `accessKeyId` reaches the world: its endpoint and
   * region, retries without backoff, and in this process when the world is the bundled simulator.
   */
  aws(accessKeyId: string): AwsClientOptions;
  stop(): Promise<void>;
}

/**
 * A describe block for tests that need the bundled simulator (its control API, its accounts): skipped against
 * another endpoint (WARDEN_IT_ENDPOINT), setup hooks included.
 */
export const simulatorOnly = describe.skipIf(Boolean(process.env.WARDEN_IT_ENDPOINT));

/** The access key the default clients sign with; unmapped, CloudTrail shows it as an IAM user of that name. */
export const DEFAULT_ACCESS_KEY_ID = 'AKIAWARDENHARNESS001';

/** The keys of the integration world: the controller's role session, a person's, and the harness's own. */
export const KEYS = {
  controller: 'AKIAWARDENCONTROLLER',
  person: 'AKIAJIWOOKIMADMIN001',
  setup: DEFAULT_ACCESS_KEY_ID,
} as const;

export async function startWorld(options: SimulatorOptions = {}): Promise<World> {
  const external = process.env.WARDEN_IT_ENDPOINT;
  if (!external) {
    const world = await openWorld({
      simulatorOptions: options,
      keys: KEYS,
      controllerSession: 'alb-warden-guard',
      transport: 'in-process',
    });
    return {
      endpoint: world.endpoint,
      clients: { ...world.clients, region: world.region, clientsAs: world.clientsAs },
      control: world.control,
      usesSimulator: true,
      aws: (accessKeyId) => world.awsAs(accessKeyId),
      stop: world.stop,
    };
  }
  const region = process.env.WARDEN_IT_REGION ?? process.env.AWS_REGION ?? 'ap-northeast-2';
  const created: AwsClients[] = [];
  const clientsAs = (accessKeyId: string): AwsClients => {
    const clients = createClients(external, region, accessKeyId);
    created.push(clients);
    return clients;
  };
  return {
    endpoint: external,
    clients: { ...clientsAs(DEFAULT_ACCESS_KEY_ID), region, clientsAs },
    control: null,
    usesSimulator: false,
    aws: (accessKeyId) => simClientOptions(external, region, accessKeyId),
    stop: async () => {
      for (const clients of created) destroyClients(clients);
    },
  };
}
