/**
 * The last scene: the on-call engineer runs `alb-warden doctor` with her own credentials against the
 * deployment the stage made (the Warden stack's outputs, rules, queues, trail, role, and the Lambda metrics
 * the demo's invocations recorded), then a drill: a real 301 → 302 drift the controller must repair, timed
 * on the wall clock while the real handlers run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SdkOperatorAws } from '../functions/cli/doctor/adapters/sdk.ts';
import type { Check } from '../functions/cli/doctor/checks.ts';
import { diagnose, findDeployment } from '../functions/cli/doctor/doctor.ts';
import { DrillError, type DrillResult, runDrill } from '../functions/cli/doctor/drill.ts';
import { parseConfig } from '../functions/config.ts';
import { createDeps } from '../functions/deps.ts';
import { silentTelemetry } from '../functions/use-cases/context.ts';
import { narrateDelivery } from './narrate.ts';
import { KEYS, SECRET, STACK_NAME } from './stage.ts';
import type { StoryContext } from './story.ts';

/** What the scene found: the shapes `alb-warden doctor --json` and `--drill --json` print. */
export interface DoctorFindings {
  doctor?: { readonly ok: boolean; readonly checks: readonly Check[] };
  /** null when the drill could not start (a dry-run controller repairs nothing). */
  drill?: DrillResult | null;
}

/** The drill reads the listener this often; the controller runs in between, so the figure is real time. */
const POLL_MS = 100;

export async function doctorScene(context: StoryContext, findings: DoctorFindings): Promise<void> {
  const { stage, controller, timeline, dryRun } = context;
  const { endpoint, region } = stage.simulator;
  const aws = { endpoint, region, credentials: { accessKeyId: KEYS.person, secretAccessKey: SECRET } };
  const config = parseConfig(stage.config);
  const operator = new SdkOperatorAws(aws);
  const deps = createDeps(config, { telemetry: silentTelemetry, aws });
  const doctor = {
    aws: operator,
    elb: deps.elb,
    instances: deps.instances,
    state: deps.state,
    config,
    now: Date.now,
  };
  try {
    timeline.note(
      'person',
      `jiwoo.kim runs alb-warden doctor (read-only, her own credentials, stack ${STACK_NAME})`,
    );
    const deployment = await findDeployment(operator, STACK_NAME);
    const checks = await diagnose(doctor, deployment);
    for (const check of checks)
      timeline.note(
        'doctor',
        `${check.ok ? '✓' : '✗'} ${check.check}${check.binding ? ` ${check.binding}` : ''}: ${check.detail}${check.ok ? '' : ` (fix: ${check.fix})`}`,
      );
    const ok = checks.every((check) => check.ok);
    findings.doctor = { ok, checks };
    timeline.check({
      name: 'doctor',
      expected: 'every check passes',
      observed: `${checks.filter((check) => check.ok).length} of ${checks.length} pass`,
      via: 'CloudFormation, CloudTrail, EventBridge, SQS, CloudWatch, SNS, KMS, IAM SimulatePrincipalPolicy, DynamoDB',
      ok,
    });

    const binding = config.bindings[0];
    if (!binding) return;
    timeline.note('person', `jiwoo.kim runs alb-warden doctor --drill ${binding.name}`);
    try {
      const drill = await runDrill(doctor, deployment, binding, {
        pollMs: POLL_MS,
        timeoutMs: 5000,
        wait: async (ms) => {
          await sleep(ms);
          narrateDelivery(timeline, await controller.deliver());
        },
        progress: (line) => timeline.note('doctor', line),
      });
      findings.drill = drill;
      timeline.check({
        name: 'drill',
        expected: 'repaired after the CloudTrail event, and the alert arrived',
        observed: drill.restoredByDrill
          ? 'not repaired in time; the drill restored the redirect'
          : `repaired ${drill.repairSeconds} s after the change, detected by ${drill.detectedBy}; alert ${drill.alertReceived ? 'received' : 'missing'}`,
        via: 'DescribeListeners, the state table, a temporary SQS subscription to the alert topic',
        ok: !dryRun && drill.detectedBy === 'event' && drill.alertReceived && !drill.restoredByDrill,
      });
    } catch (error) {
      if (!(error instanceof DrillError)) throw error;
      findings.drill = null;
      timeline.note('doctor', error.message);
      timeline.check({
        name: 'drill',
        expected: dryRun ? 'refused: a dry-run controller repairs nothing' : 'repaired after the event',
        observed: `refused: ${error.message}`,
        via: 'the configuration and DescribeListeners',
        ok: dryRun,
      });
    }
  } finally {
    operator.destroy();
  }
}
