/**
 * The integration harness: a world of AWS clients to run a test against.
 *
 * By default it starts the bundled simulator in-process. With WARDEN_IT_ENDPOINT set it uses that endpoint
 * instead (LocalStack, moto, another simulator process), so the same suite runs against any
 * AWS-compatible endpoint. Tests set the world up through AWS API calls only, plus the simulator's
 * control API where AWS has none; such tests skip when `control` is null:
 *
 *   // needs the control API: AWS has no way to make a target unhealthy on demand
 *   it.skipIf(!world.control)('alerts on an unhealthy target', …)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SimControl, type SimulatorOptions, startSimulator } from '../../sim/index.ts';

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

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
  stop(): Promise<void>;
}

/** The access key the default clients sign with; unmapped, CloudTrail shows it as an IAM user of that name. */
export const DEFAULT_ACCESS_KEY_ID = 'AKIAWARDENHARNESS001';

export function createClients(
  endpoint: string,
  region: string,
  accessKeyId = DEFAULT_ACCESS_KEY_ID,
): AwsClients {
  const config = { endpoint, region, credentials: { accessKeyId, secretAccessKey: 'simulator-secret' } };
  return {
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}

export async function startWorld(options: SimulatorOptions = {}): Promise<World> {
  const external = process.env.WARDEN_IT_ENDPOINT;
  const simulator = external ? undefined : await startSimulator(options);
  const endpoint = external ?? simulator?.endpoint ?? '';
  const region =
    simulator?.region ?? process.env.WARDEN_IT_REGION ?? process.env.AWS_REGION ?? 'ap-northeast-2';
  const created: AwsClients[] = [];
  const clientsAs = (accessKeyId?: string): AwsClients => {
    const clients = createClients(endpoint, region, accessKeyId);
    created.push(clients);
    return clients;
  };
  return {
    endpoint,
    clients: { ...clientsAs(), region, clientsAs },
    control: simulator ? new SimControl(simulator.endpoint) : null,
    usesSimulator: simulator !== undefined,
    stop: async () => {
      for (const clients of created) for (const client of Object.values(clients)) client.destroy();
      await simulator?.stop();
    },
  };
}
