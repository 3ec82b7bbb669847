/**
 * The `doctor` command: options, the diagnosis or the drill, human or JSON output. Exit codes: 0 all well
 * (the drill: repaired and alerted), 1 a check failed (the drill: not repaired, or no alert), 2 usage or
 * configuration error (including a deployment that cannot be found).
 */
import { parseArgs } from 'node:util';
import { loadConfig, type WardenConfig } from '../../config.ts';
import { type AwsClientOptions, createDeps } from '../../deps.ts';
import { ConfigError, errorText } from '../../errors.ts';
import { type Deps, silentTelemetry } from '../../use-cases/context.ts';

import { SdkOperatorAws } from './adapters/sdk.ts';
import type { Check } from './checks.ts';
import { DeploymentError, diagnose, findDeployment } from './doctor.ts';
import { DETECTOR_NAMES, DrillError, type DrillResult, runDrill } from './drill.ts';
import type { OperatorAws } from './model.ts';

export interface DoctorIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean | undefined };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface DoctorOptions {
  /** AWS client settings for the doctor's own reads (tests point them at the simulator). */
  readonly aws?: AwsClientOptions;
  /** The controller's ports (listeners, instances, state) with the operator's credentials. */
  readonly deps?: (config: WardenConfig) => Deps;
  readonly now?: () => number;
  /** The drill's wait between reads. */
  readonly wait?: (ms: number) => Promise<void>;
}

export const DOCTOR_HELP = `Usage: alb-warden doctor [--config FILE] [--stack NAME] [--output KEY=VALUE]... [--binding NAME] [--json]
       alb-warden doctor --drill BINDING [--timeout SECONDS] [--config FILE] [--stack NAME] [--json]

Read-only diagnosis of the deployed controller with your credentials. It finds the deployment from the
Warden stack's outputs (--stack, default AlbWarden; --output KEY=VALUE supplies or replaces an output) and
checks, each ✓ or ✗ with the fix in one line:
  trail          a logging CloudTrail trail covers this region with management write events
  rules          each function's EventBridge rule exists, is enabled and targets it
  dead-letters   each function's dead-letter queue is empty
  functions      invocations and errors over the last hour; the sweep ran within two intervals
  alerts         the topic exists, has a confirmed subscription, and CloudWatch may use its key
  binding        load balancer, listeners and target group exist; running instances match the selector in
                 the group's VPC; the controller's role may make every call it makes on the binding
  pipeline       how late CloudTrail events arrived (p50, max, last day); drift only the sweep found

--drill BINDING changes that binding's HTTP redirect from 301 to 302 (with your credentials), waits for the
controller to repair it (--timeout, default 180 s) and reports who detected it, how long the repair took and
whether the alert arrived (on a temporary SQS subscription it removes). Not repaired in time: the drill
restores the 301 itself. Use it on a binding where a 302 for a few minutes is harmless.

Exit codes: 0 all well, 1 a check failed (drill: not repaired or no alert), 2 usage or configuration error.`;

const OPTIONS = {
  config: { type: 'string' },
  stack: { type: 'string', default: 'AlbWarden' },
  output: { type: 'string', multiple: true },
  binding: { type: 'string' },
  drill: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

class UsageError extends Error {}

export async function doctorCommand(
  argv: readonly string[],
  io: DoctorIo,
  options: DoctorOptions = {},
): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    io.stderr.write(`alb-warden doctor: ${errorText(error)}\n\n${DOCTOR_HELP}\n`);
    return 2;
  }
  if (values.help) {
    out(DOCTOR_HELP);
    return 0;
  }
  let aws: (OperatorAws & { destroy(): void }) | undefined;
  try {
    const config = values.config
      ? loadConfig({ env: { ...io.env, WARDEN_CONFIG: undefined, WARDEN_CONFIG_FILE: values.config } })
      : loadConfig({ env: io.env });
    const overrides = parseOutputs(values.output ?? []);
    const timeoutMs = values.timeout === undefined ? undefined : parseTimeout(values.timeout);
    const pick = (name: string) => {
      const binding = config.bindings.find((candidate) => candidate.name === name);
      if (!binding)
        throw new UsageError(
          `no binding named "${name}" (bindings: ${config.bindings.map((b) => b.name).join(', ')})`,
        );
      return binding;
    };
    const drillBinding = values.drill === undefined ? undefined : pick(values.drill);
    const bindings = values.binding === undefined ? config.bindings : [pick(values.binding)];

    aws = new SdkOperatorAws(options.aws);
    const deps = (
      options.deps ?? ((cfg) => createDeps(cfg, { telemetry: silentTelemetry, aws: options.aws }))
    )(config);
    const context = {
      aws,
      elb: deps.elb,
      instances: deps.instances,
      state: deps.state,
      config,
      now: options.now ?? Date.now,
    };
    const deployment = await findDeployment(aws, values.stack, overrides);

    if (drillBinding) {
      const result = await runDrill(context, deployment, drillBinding, {
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(options.wait ? { wait: options.wait } : {}),
        progress: (line) => io.stderr.write(`drill: ${line}\n`),
      });
      out(values.json ? JSON.stringify(result) : formatDrill(result));
      return result.restoredByDrill || !result.alertReceived ? 1 : 0;
    }

    const checks = await diagnose(context, deployment, bindings);
    const ok = checks.every((check) => check.ok);
    if (values.json) out(JSON.stringify({ ok, checks }, null, 2));
    else out(formatChecks(deployment.stackName, deployment.region, deployment.account, checks, io));
    return ok ? 0 : 1;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof DeploymentError) {
      io.stderr.write(`alb-warden doctor: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DrillError) {
      io.stderr.write(`alb-warden doctor: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`alb-warden doctor: ${errorText(error)}\n`);
    return 1;
  } finally {
    aws?.destroy();
  }
}

function parseOutputs(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const match = /^([A-Za-z0-9]+)=(.+)$/.exec(pair);
      if (!match)
        throw new UsageError(
          `--output "${pair}" is not KEY=VALUE (for example ControllerRoleArn=arn:aws:iam::…)`,
        );
      return [match[1], match[2]];
    }),
  );
}

function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600)
    throw new UsageError(`--timeout "${text}" must be a whole number of seconds between 1 and 3600`);
  return seconds * 1000;
}

function formatChecks(
  stack: string,
  region: string,
  account: string,
  checks: readonly Check[],
  io: DoctorIo,
): string {
  const color = io.stdout.isTTY === true && !io.env.NO_COLOR;
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines = [`alb-warden doctor: stack ${stack} in ${region} (account ${account})`];
  for (const check of checks) {
    const label = `${check.check}${check.binding ? ` ${check.binding}` : ''}`.padEnd(16);
    lines.push(`${check.ok ? paint(32, '✓') : paint(31, '✗')} ${label} ${check.detail}`);
    if (!check.ok) lines.push(`  ${''.padEnd(16)} fix: ${check.fix}`);
  }
  const failed = checks.filter((check) => !check.ok).length;
  lines.push(
    failed === 0
      ? paint(32, `all ${checks.length} checks passed`)
      : paint(31, `${failed} of ${checks.length} checks failed`),
  );
  return lines.join('\n');
}

function formatDrill(result: DrillResult): string {
  if (result.restoredByDrill)
    return `✗ drill ${result.binding}: not repaired in time; the drill restored the 301 redirect itself${result.alertReceived ? '' : '; no alert arrived'}`;
  const by = result.detectedBy ? DETECTOR_NAMES[result.detectedBy] : 'an unknown trigger';
  const alert = result.alertReceived
    ? 'the DriftRepaired alert arrived'
    : 'no alert arrived: check the alerts checks';
  return `${result.alertReceived ? '✓' : '✗'} drill ${result.binding}: repaired ${result.repairSeconds} s after the change, detected by ${by}; ${alert}`;
}
