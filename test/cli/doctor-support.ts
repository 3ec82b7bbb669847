/**
 * A deployed controller for `alb-warden doctor`: the CLI world (seed topology, the controller on the
 * simulator), plus what the Warden stack leaves in the account (sim/seed-controller.ts: key, role, queues,
 * rules, trail), its stack outputs, a confirmed alert subscription and the Lambda metrics AWS would have
 * written for a controller that ran without errors for the last ten minutes.
 */
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type CliOptions, main } from '../../functions/cli/main.ts';
import { createDeps } from '../../functions/deps.ts';
import { silentTelemetry } from '../../functions/use-cases/context.ts';
import type { SimControl } from '../../sim/control.ts';
import {
  createControllerClients,
  deployController,
  FUNCTIONS,
  type StackOutputs,
} from '../../sim/seed-controller.ts';
import { SIM_SECRET } from '../../testkit/world.ts';
import { type CliRun, type CliWorld, OPERATOR_KEY, startCliWorld } from './support.ts';

export interface DoctorWorld extends CliWorld {
  readonly control: SimControl;
  readonly outputs: StackOutputs;
  readonly operator: {
    readonly kms: KMSClient;
    readonly iam: IAMClient;
    readonly sqs: SQSClient;
    readonly events: EventBridgeClient;
    readonly cloudtrail: CloudTrailClient;
  };
  /** The doctor's clock (a fake one: the drill's waits advance it). */
  now: number;
  /** Runs `alb-warden doctor ARGS` with the operator's credentials; `wait` is the drill's pause. */
  doctor(args: readonly string[], wait?: (ms: number) => Promise<void>): Promise<CliRun>;
  /** Lambda datapoints as AWS records them: one invocation (and optionally an error) per function, `ago` ms back. */
  invoked(fn: 'register' | 'guard' | 'sweep', options?: { ago?: number; errors?: number }): Promise<void>;
}

export const capitalize = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`;

export async function startDoctorWorld(
  options: { readonly confirmSubscription?: boolean } = {},
): Promise<DoctorWorld> {
  const world = await startCliWorld();
  const { warden } = world;
  const control = warden.world.control;
  if (!control) throw new Error('the doctor tests need the simulator');
  const aws = {
    endpoint: warden.world.endpoint,
    region: warden.seed.region,
    credentials: { accessKeyId: OPERATOR_KEY, secretAccessKey: SIM_SECRET },
  };
  const operator = createControllerClients(aws);
  // The doctor's clients sign as the same operator, as the CLI tests' do (in process, retries without backoff);
  // the deployment above is set up over HTTP (sim/seed-controller.ts takes plain SDK settings).
  const operatorAws = warden.world.aws(OPERATOR_KEY);
  const outputs = await deployController(
    { ...warden.world.clients, ...operator },
    {
      account: warden.seed.account,
      region: warden.seed.region,
      bindings: [
        { loadBalancerArn: warden.seed.loadBalancerArn, targetGroupArn: warden.seed.targetGroupArn },
      ],
      alerts: { topicArn: warden.config.alerts.topicArn, tableName: warden.config.alerts.stateTable },
    },
  );
  await control.stack('AlbWarden', outputs);
  if (options.confirmSubscription !== false)
    await control.confirmSubscription(warden.config.alerts.topicArn, 'alb-warden@example.com');

  const doctorWorld: DoctorWorld = {
    ...world,
    control,
    outputs,
    operator,
    now: Date.now(),
    async doctor(args, wait) {
      let stdout = '';
      let stderr = '';
      const doctor: CliOptions['doctor'] = {
        aws: operatorAws,
        deps: (config) => createDeps(config, { telemetry: silentTelemetry, aws: operatorAws }),
        now: () => doctorWorld.now,
        ...(wait ? { wait } : {}),
      };
      const argv = args.includes('--config') ? args : [...args, '--config', world.configFile];
      const code = await main(
        ['doctor', ...argv],
        {
          stdout: { write: (text: string) => (stdout += text) },
          stderr: { write: (text: string) => (stderr += text) },
          env: { USER: 'oncall' },
        },
        { doctor },
      );
      return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
    },
    async invoked(fn, { ago = 0, errors = 0 } = {}) {
      const dimensions = { FunctionName: outputs[`${capitalize(fn)}FunctionName`] ?? '' };
      const timestamp = new Date(doctorWorld.now - ago).toISOString();
      await control.metrics([
        { namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions, timestamp },
        ...(errors > 0
          ? [{ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions, timestamp, value: errors }]
          : []),
      ]);
    },
    async stop() {
      for (const client of Object.values(operator)) client.destroy();
      await world.stop();
    },
  };
  for (const fn of FUNCTIONS) await doctorWorld.invoked(fn, { ago: 30_000 });
  return doctorWorld;
}

export interface DoctorDocument {
  readonly ok: boolean;
  readonly checks: readonly {
    readonly check: string;
    readonly binding?: string;
    readonly ok: boolean;
    readonly detail: string;
    readonly fix: string;
  }[];
}
