/**
 * `alb-warden doctor --drill BINDING`: one controlled, reversible drift on a binding the operator names (the
 * HTTP listener's redirect 301 → 302, made with the operator's credentials), timed until the controller
 * repairs it: who detected it (event or sweep), how long the repair took, and whether the alert arrived (on
 * a temporary SQS subscription to the alert topic, removed afterwards). Past the timeout the drill restores
 * the redirect itself and says so.
 */
import { randomBytes } from 'node:crypto';
import type { Binding } from '../../config.ts';
import type { Action, Listener } from '../../domain/model.ts';
import { decode, KEY, type RepairEntry } from '../../domain/state.ts';
import { WardenError } from '../../errors.ts';
import type { DoctorContext } from './doctor.ts';
import type { Deployment } from './model.ts';

export type Detector = 'event' | 'sweep';

/** What detected the drift, as the operator reads it. */
export const DETECTOR_NAMES: Readonly<Record<Detector, string>> = {
  event: 'the CloudTrail event',
  sweep: 'the sweep',
};

export interface DrillResult {
  readonly binding: string;
  readonly detectedBy: Detector | null;
  readonly repairSeconds: number | null;
  readonly alertReceived: boolean;
  readonly restoredByDrill: boolean;
}

export interface DrillOptions {
  /** How long the controller has to repair. @default 180 000 (three sweeps at the default schedule) */
  readonly timeoutMs?: number;
  /** How often the listener is read. @default 2000 */
  readonly pollMs?: number;
  /** Waits between reads (tests advance a fake clock and let the controller run). */
  readonly wait?: (ms: number) => Promise<void>;
  /** Told what the drill is doing, one line at a time. */
  readonly progress?: (line: string) => void;
}

/** The drill cannot start (dry-run, or the listener is missing or not as desired); nothing was changed. */
export class DrillError extends WardenError {}

const realWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runDrill(
  context: DoctorContext,
  deployment: Deployment,
  binding: Binding,
  options: DrillOptions = {},
): Promise<DrillResult> {
  const { aws, elb } = context;
  const progress = options.progress ?? (() => {});
  const { http, redirect } = await startingPoint(context, binding);
  const original = http.defaultActions;
  const repairsBefore = await repairKeys(context, binding);

  const queue = await aws.createQueue(
    `alb-warden-drill-${randomBytes(4).toString('hex')}`,
    deployment.topicArn,
  );
  let subscription: string | undefined;
  try {
    subscription = await aws.subscribeQueue(deployment.topicArn, queue.arn);
    progress(`temporary queue ${queue.url.split('/').pop()} subscribed to the alert topic`);
    const drifted = original.map((action) =>
      action === redirect
        ? { ...action, RedirectConfig: { ...action.RedirectConfig, StatusCode: 'HTTP_302' } }
        : action,
    );
    await elb.modifyListener(http.arn, { port: http.port, defaultActions: drifted });
    const outcome = await awaitRepair(context, binding, queue.url, options);
    if (outcome.repairSeconds === undefined) {
      await elb.modifyListener(http.arn, { port: http.port, defaultActions: original });
      progress(`not repaired in time: the drill restored the 301 redirect itself`);
      const { alertReceived } = outcome;
      return {
        binding: binding.name,
        detectedBy: null,
        repairSeconds: null,
        alertReceived,
        restoredByDrill: true,
      };
    }
    const repair = (await newRepairs(context, binding, repairsBefore)).find(
      (entry) => entry.listener === 'http',
    );
    const detectedBy = repair ? detector(repair) : null;
    const { repairSeconds, alertReceived } = outcome;
    progress(
      `repaired after ${repairSeconds} s${detectedBy ? ` (detected by ${DETECTOR_NAMES[detectedBy]})` : ''}`,
    );
    return { binding: binding.name, detectedBy, repairSeconds, alertReceived, restoredByDrill: false };
  } finally {
    if (subscription) await aws.unsubscribe(subscription);
    await aws.deleteQueue(queue.url);
    progress('temporary subscription and queue removed');
  }
}

/** The HTTP listener and its 301 redirect: the only state the drill starts from. */
async function startingPoint(
  context: DoctorContext,
  binding: Binding,
): Promise<{ http: Listener; redirect: Action }> {
  if (context.config.mode === 'dry-run')
    throw new DrillError(
      'the configuration runs the controller in dry-run: it reports drift and repairs nothing, so the drill could only time out',
    );
  const http = httpListener(await context.elb.listListeners(binding.loadBalancerArn), binding);
  const redirect = http?.defaultActions.find((action) => action.Type === 'redirect');
  if (!http || !redirect || redirect.RedirectConfig?.StatusCode !== 'HTTP_301')
    throw new DrillError(
      `${binding.name}: the HTTP listener on port ${binding.http.port} does not redirect with 301 now; the drill starts only from the desired state (alb-warden status --binding ${binding.name})`,
    );
  return { http, redirect };
}

/**
 * Reads the listener every `pollMs` until it redirects with 301 again or the timeout passes, collecting the
 * alert; once repaired, waits for the alert with the same patience (it follows the repair's verification).
 */
async function awaitRepair(
  context: DoctorContext,
  binding: Binding,
  queueUrl: string,
  options: DrillOptions,
): Promise<{ repairSeconds: number | undefined; alertReceived: boolean }> {
  const { aws, elb, now } = context;
  const timeoutMs = options.timeoutMs ?? 180_000;
  const pollMs = options.pollMs ?? 2000;
  const wait = options.wait ?? realWait;
  const driftedAt = now();
  options.progress?.(
    `changed ${binding.name}'s HTTP:${binding.http.port} redirect from 301 to 302; waiting up to ${timeoutMs / 1000} s`,
  );
  const alerted = async () => (await aws.drain(queueUrl)).some((body) => isRepairAlert(body, binding.name));
  let alertReceived = false;
  let repairedAt: number | undefined;
  while (repairedAt === undefined && now() - driftedAt < timeoutMs) {
    await wait(pollMs);
    alertReceived ||= await alerted();
    const current = httpListener(await elb.listListeners(binding.loadBalancerArn), binding);
    if (statusOf(current) === 'HTTP_301') repairedAt = now();
  }
  if (repairedAt === undefined) return { repairSeconds: undefined, alertReceived };
  while (!alertReceived && now() - driftedAt < timeoutMs) {
    alertReceived = await alerted();
    if (!alertReceived) await wait(pollMs);
  }
  return { repairSeconds: Math.round((repairedAt - driftedAt) / 100) / 10, alertReceived };
}

function httpListener(listeners: readonly Listener[], binding: Binding): Listener | undefined {
  return listeners.find((listener) => listener.port === binding.http.port && listener.protocol === 'HTTP');
}

function statusOf(listener: Listener | undefined): string | undefined {
  return listener?.defaultActions.find((action: Action) => action.Type === 'redirect')?.RedirectConfig
    ?.StatusCode;
}

/** A repair the sweep made names no actor; one an event triggered names its CloudTrail identity. */
function detector(repair: RepairEntry): Detector | null {
  if (repair.actor === undefined) return 'sweep';
  return repair.actor.startsWith('operator ') ? null : 'event';
}

const entryKey = (entry: RepairEntry) => `${entry.at}:${entry.listener}:${entry.fingerprint}`;

async function repairKeys(context: DoctorContext, binding: Binding): Promise<Set<string>> {
  return new Set((await repairLog(context, binding)).map(entryKey));
}

async function newRepairs(
  context: DoctorContext,
  binding: Binding,
  before: Set<string>,
): Promise<RepairEntry[]> {
  return (await repairLog(context, binding)).filter((entry) => !before.has(entryKey(entry))).reverse();
}

async function repairLog(context: DoctorContext, binding: Binding): Promise<readonly RepairEntry[]> {
  const record = (await context.state.load(binding.name)).find((candidate) => candidate.key === KEY.repairs);
  return decode.repairs(record?.data).entries;
}

/** An SNS notification (SQS subscriber, raw delivery off) of a DriftRepaired alert about this binding. */
function isRepairAlert(body: string, binding: string): boolean {
  try {
    const notification = JSON.parse(body) as {
      MessageAttributes?: Record<string, { Value?: string }>;
      Message?: string;
    };
    const attributes = notification.MessageAttributes ?? {};
    if (attributes.kind?.Value !== undefined)
      return attributes.kind.Value === 'DriftRepaired' && attributes.binding?.Value === binding;
    const alert = JSON.parse(notification.Message ?? '{}') as { kind?: string; binding?: string };
    return alert.kind === 'DriftRepaired' && alert.binding === binding;
  } catch {
    return false;
  }
}
