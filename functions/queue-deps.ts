/**
 * The sweep queue the scheduler sends to, when the deployment has one (`WARDEN_SWEEP_QUEUE_URL`, set by the
 * Warden stack). The SQS client is imported on first use, like the other adapters (deps.ts).
 */
import { type AwsClientOptions, createClient } from './deps.ts';
import type { SweepQueue } from './ports.ts';

export function awsSweepQueue(queueUrl: string, options: AwsClientOptions = {}): SweepQueue {
  let loaded: Promise<SweepQueue> | undefined;
  const load = () => {
    loaded ??= import('./adapters/sqs-queue.ts').then(
      ({ clientAndAdapter: { Client, Adapter } }) =>
        new Adapter(
          createClient((settings) => new Client(settings), options),
          queueUrl,
        ),
    );
    return loaded;
  };
  return { send: async (groups) => (await load()).send(groups) };
}

/** The deployment's sweep queue, or undefined where the sweep runs every binding itself (CLI, local runs). */
export function sweepQueueFromEnv(env: NodeJS.ProcessEnv = process.env): SweepQueue | undefined {
  const url = env.WARDEN_SWEEP_QUEUE_URL;
  return url ? awsSweepQueue(url) : undefined;
}
