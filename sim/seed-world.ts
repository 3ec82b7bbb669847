/**
 * `npm run sim -- --seed`: a world for the `alb-warden` CLI to talk to. The seed topology and the alert topic
 * and state table (as the Warden stack deploys them), three running instances tagged Role=web of which two
 * are registered (the third was launched while nothing watched, so `status` has something to report), an
 * on-call engineer's access key, and the configuration file that binds that load balancer: the example
 * configuration (examples/seed.config.json) with this world's ARNs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Simulator } from './index.ts';
import { buildSeedTopology, createAlertResources, launchInstances, type SeedTopology } from './seed.ts';

/** The on-call engineer's key: CloudTrail names its calls as an administrator's role session. */
export const ONCALL_ACCESS_KEY_ID = 'AKIASIMULATORONCALL1';
export const ONCALL_SECRET_ACCESS_KEY = 'simulator-secret';

const EXAMPLE_CONFIG = new URL('../examples/seed.config.json', import.meta.url);
const EXAMPLE_ACCOUNT = '123456789012';
const EXAMPLE_REGION = 'ap-northeast-2';

export interface SeededWorld {
  readonly seed: SeedTopology;
  readonly topicArn: string;
  readonly tableName: string;
  readonly registered: readonly string[];
  readonly unregistered: readonly string[];
  readonly configFile: string;
  /** What a shell needs to reach this world: endpoint, region, credentials, configuration file. */
  readonly env: Readonly<Record<string, string>>;
}

export async function seedWorld(simulator: Simulator, configFile: string): Promise<SeededWorld> {
  const aws = {
    endpoint: simulator.endpoint,
    region: simulator.region,
    credentials: { accessKeyId: 'AKIASIMULATORSEEDER1', secretAccessKey: ONCALL_SECRET_ACCESS_KEY },
  };
  const ec2 = new EC2Client(aws);
  const elbv2 = new ElasticLoadBalancingV2Client(aws);
  const sns = new SNSClient(aws);
  const dynamodb = new DynamoDBClient(aws);
  try {
    const seed = await buildSeedTopology({ ec2, elbv2 });
    const { topicArn, tableName } = await createAlertResources({ sns, dynamodb });
    const web = await launchInstances(
      { ec2 },
      { count: 3, subnetId: seed.subnetIds[0], tags: { Role: 'web' } },
    );
    const registered = web.slice(0, 2);
    await elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: seed.targetGroupArn,
        Targets: registered.map((Id) => ({ Id, Port: 8080 })),
      }),
    );
    await simulator.control.identity(
      ONCALL_ACCESS_KEY_ID,
      `arn:aws:sts::${simulator.account}:assumed-role/AdministratorAccess/oncall`,
    );
    writeFileSync(configFile, `${JSON.stringify(configFor(seed, topicArn, tableName), null, 2)}\n`);
    return {
      seed,
      topicArn,
      tableName,
      registered,
      unregistered: web.slice(2),
      configFile,
      env: {
        AWS_ENDPOINT_URL: simulator.endpoint,
        AWS_REGION: simulator.region,
        AWS_ACCESS_KEY_ID: ONCALL_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: ONCALL_SECRET_ACCESS_KEY,
        WARDEN_CONFIG_FILE: configFile,
      },
    };
  } finally {
    for (const client of [ec2, elbv2, sns, dynamodb]) client.destroy();
  }
}

/** The example configuration, moved to this world's account and region and bound to its resources. */
function configFor(seed: SeedTopology, topicArn: string, tableName: string): Record<string, unknown> {
  const text = readFileSync(EXAMPLE_CONFIG, 'utf8')
    .replaceAll(`:${EXAMPLE_REGION}:`, `:${seed.region}:`)
    .replaceAll(`:${EXAMPLE_ACCOUNT}:`, `:${seed.account}:`);
  const config = JSON.parse(text) as {
    alerts: Record<string, unknown>;
    bindings: { https: Record<string, unknown> }[];
  };
  const [binding, ...others] = config.bindings;
  if (!binding || others.length > 0)
    throw new Error(`${EXAMPLE_CONFIG.pathname} must hold exactly one binding`);
  return {
    ...config,
    alerts: { ...config.alerts, topicArn, stateTable: tableName },
    bindings: [
      {
        ...binding,
        loadBalancerArn: seed.loadBalancerArn,
        targetGroupArn: seed.targetGroupArn,
        https: { ...binding.https, certificateArn: seed.certificateArn },
      },
    ],
  };
}

/** `export KEY=VALUE` lines, quoted for a POSIX shell where the value needs it. */
export function exportLines(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([key, value]) =>
    /^[\w@%+=:,./-]+$/.test(value)
      ? `export ${key}=${value}`
      : `export ${key}='${value.replaceAll("'", `'\\''`)}'`,
  );
}
