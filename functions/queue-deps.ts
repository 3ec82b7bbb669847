/**
 * The sweep queue the scheduler sends to, when the deployment has one (`WARDEN_SWEEP_QUEUE_URL`, set by the
 * Warden stack). The SQS client is imported on first use, like the other adapters (deps.ts), and again after a failed load.
 */
import { type AwsClientOptions, createClient, deferred, once } from './deps.ts';
import type { SweepQueue } from './ports.ts';

export function awsSweepQueue(queueUrl: string, options: AwsClientOptions = {}): SweepQueue {
  const load = once(async () => {
    const { Client, Adapter } = (await import('./adapters/sqs-queue.ts')).clientAndAdapter;
    return new Adapter(
      createClient((settings) => new Client(settings), options),
      queueUrl,
    );
  });
  return deferred(load, { send: true });
}

/** The deployment's sweep queue, or undefined where the sweep runs every binding itself (CLI, local runs). */
export function sweepQueueFromEnv(env: NodeJS.ProcessEnv = process.env): SweepQueue | undefined {
  const url = env.WARDEN_SWEEP_QUEUE_URL;
  return url ? awsSweepQueue(url) : undefined;
}
