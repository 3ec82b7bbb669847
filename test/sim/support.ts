/** Shared setup for the simulator's own tests: always the in-process simulator, never WARDEN_IT_ENDPOINT. */
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { type SimControl, type SimulatorOptions, startSimulator } from '../../sim/index.ts';
import { type AwsClients, createClients } from '../../testkit/world.ts';
import { DEFAULT_ACCESS_KEY_ID } from '../integration/harness.ts';

export interface SimWorld {
  readonly endpoint: string;
  readonly clients: AwsClients;
  readonly control: SimControl;
  clientsAs(accessKeyId: string): AwsClients;
  stop(): Promise<void>;
}

export async function startSim(options: SimulatorOptions = {}): Promise<SimWorld> {
  const simulator = await startSimulator(options);
  const made: AwsClients[] = [];
  const clientsAs = (accessKeyId?: string) => {
    const clients = createClients(simulator.endpoint, simulator.region, accessKeyId ?? DEFAULT_ACCESS_KEY_ID);
    made.push(clients);
    return clients;
  };
  return {
    endpoint: simulator.endpoint,
    clients: clientsAs(),
    control: simulator.control,
    clientsAs,
    stop: async () => {
      for (const clients of made) for (const client of Object.values(clients)) client.destroy();
      await simulator.stop();
    },
  };
}

/**
 * One simulator for a test file, reset before each test (before the file's own beforeEach): the returned
 * object stands for it once beforeAll has run.
 */
export function useSim(): SimWorld {
  let world: SimWorld | undefined;
  beforeAll(async () => {
    world = await startSim();
  });
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(async () => {
    await world?.control.reset();
  });
  return new Proxy({} as SimWorld, {
    get: (_target, key) => {
      if (!world) throw new Error('the simulator starts in beforeAll: use it inside a hook or a test');
      return world[key as keyof SimWorld];
    },
  });
}

/** A VPC with two subnets in two availability zones. */
export async function network(clients: AwsClients): Promise<{ vpcId: string; subnetIds: [string, string] }> {
  const vpc = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnet = async (cidr: string, zone: string) =>
    (
      await clients.ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone }),
      )
    ).Subnet?.SubnetId ?? '';
  return {
    vpcId,
    subnetIds: [
      await subnet('10.0.1.0/24', 'ap-northeast-2a'),
      await subnet('10.0.2.0/24', 'ap-northeast-2c'),
    ],
  };
}

/** The SDK error a call rejects with: its class name, AWS error code and message, and HTTP status. */
export async function awsError(
  call: Promise<unknown>,
): Promise<{ name: string; code: string; message: string; status: number }> {
  try {
    await call;
  } catch (error) {
    const e = error as {
      name: string;
      Code?: string;
      message: string;
      $metadata?: { httpStatusCode?: number };
    };
    return {
      name: e.name,
      code: e.Code ?? e.name,
      message: e.message,
      status: e.$metadata?.httpStatusCode ?? 0,
    };
  }
  expect.unreachable('the call should have failed');
  throw new Error('unreachable');
}

/** The real-shaped EventBridge samples (test/fixtures/README.md). */
export { FIXTURES_DIR as FIXTURES } from '../support/fixtures.ts';
