/**
 * `runDemo`: the whole story on the bundled simulator, with the real Lambda handlers. The CLI
 * (demo/main.ts) prints it; the tests run it with `keepAlive` and check the final state through their
 * own SDK calls against `endpoint` before calling `stop()`.
 */
import type { SimControl } from '../sim/control.ts';
import { Controller } from './controller.ts';
import type { DoctorFindings } from './doctor.ts';
import type { FleetFindings } from './fleet.ts';
import { buildStage, type Stage } from './stage.ts';
import { tellStory } from './story.ts';
import { type Summary, summarize } from './summary.ts';
import { type Entry, type Step, Timeline, type TimelineListener } from './timeline.ts';

export interface DemoOptions {
  /** Run the controller in dry-run: it says what it would do and changes nothing. @default false */
  readonly dryRun?: boolean;
  /** Pacing for a person watching: 1 is about a second per beat, 2 twice as fast. @default Infinity (no pauses) */
  readonly speed?: number;
  /** Let the functions' JSON logs and EMF metrics through (on stderr). @default false */
  readonly verbose?: boolean;
  /** Leave the simulator running after the story; the caller stops it with `stop()`. @default false */
  readonly keepAlive?: boolean;
  /** Told about every step and entry as it happens (progress). */
  readonly listener?: TimelineListener;
  /**
   * Awaited before each step with its id and the simulator's control API: a test's way to break the world
   * and see the demo say so.
   */
  readonly beforeStep?: (id: string, control: SimControl) => Promise<void>;
}

export interface DemoTopology {
  readonly account: string;
  readonly region: string;
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  readonly httpListenerArn: string;
  readonly httpsListenerArn: string;
  readonly topicArn: string;
  readonly controllerRoleArn: string;
  readonly personArn: string;
}

export interface DemoResult {
  readonly ok: boolean;
  readonly mode: 'enforce' | 'dry-run';
  readonly startedAt: string;
  readonly prologue: readonly Entry[];
  readonly steps: readonly Step[];
  readonly summary: Summary;
  /** What `alb-warden doctor --json` printed in the last scene (absent if the scene did not get that far). */
  readonly doctor: DoctorFindings['doctor'] | null;
  /** What `alb-warden doctor --drill --json` printed; null when the drill could not start. */
  readonly drill: DoctorFindings['drill'] | null;
  /** The simulator's endpoint (AWS_ENDPOINT_URL); alive until `stop()` when `keepAlive` was set. */
  readonly endpoint: string;
  readonly topology: DemoTopology;
  stop(): Promise<void>;
}

/** The `--json` document: the whole timeline, machine-readable. */
export function demoDocument(result: DemoResult) {
  return {
    schema: 'alb-warden.demo/v1',
    ok: result.ok,
    mode: result.mode,
    startedAt: result.startedAt,
    endpoint: result.endpoint,
    topology: result.topology,
    prologue: result.prologue,
    steps: result.steps,
    summary: result.summary,
    doctor: result.doctor,
    drill: result.drill,
  };
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const mode = options.dryRun ? 'dry-run' : 'enforce';
  const speed = options.speed ?? Number.POSITIVE_INFINITY;
  if (!(speed > 0)) throw new RangeError(`speed must be a positive number, got ${speed}`);
  const timeline = new Timeline(options.listener);
  const stage = await buildStage(mode);
  let controller: Controller | undefined;
  const stop = once(() => stage.stop());
  try {
    setTheStage(timeline, stage);
    controller = await Controller.load(stage, { verbose: options.verbose === true });
    timeline.note(
      'setup',
      `controller: the register, guard and sweep handlers from functions/handlers, as ${stage.controllerRoleArn.split(':').pop()}, mode ${mode} (the whole ELB API budget: nothing else uses this account)`,
    );
    const pause = (beats = 1) =>
      Number.isFinite(speed)
        ? new Promise<void>((resolve) => setTimeout(resolve, (beats * 1000) / speed))
        : Promise.resolve();
    const { beforeStep } = options;
    const findings: DoctorFindings & FleetFindings = {};
    await tellStory({
      findings,
      stage,
      controller,
      timeline,
      dryRun: mode === 'dry-run',
      pause,
      ...(beforeStep ? { beforeStep: (id: string) => beforeStep(id, stage.simulator.control) } : {}),
    });
    const summary = await summarize(stage, controller, timeline, mode, findings.members);
    const { seed } = stage;
    const result: DemoResult = {
      ok: summary.ok,
      mode,
      startedAt: new Date(timeline.startedAt).toISOString(),
      prologue: timeline.prologue,
      steps: timeline.steps,
      summary,
      doctor: findings.doctor ?? null,
      drill: findings.drill ?? null,
      endpoint: stage.simulator.endpoint,
      topology: {
        account: seed.account,
        region: seed.region,
        loadBalancerArn: seed.loadBalancerArn,
        targetGroupArn: seed.targetGroupArn,
        httpListenerArn: seed.httpListenerArn,
        httpsListenerArn: seed.httpsListenerArn,
        topicArn: stage.topicArn,
        controllerRoleArn: stage.controllerRoleArn,
        personArn: stage.personArn,
      },
      stop,
    };
    if (!options.keepAlive) await stop();
    return result;
  } catch (error) {
    await stop();
    throw error;
  } finally {
    controller?.restoreEnvironment();
  }
}

function setTheStage(timeline: Timeline, stage: Stage): void {
  const { simulator, seed } = stage;
  const id = (arn: string) => arn.split('/').slice(-2).join('/');
  timeline.note(
    'setup',
    `AWS simulator at ${simulator.endpoint} (account ${simulator.account}, ${simulator.region}), in this process`,
  );
  timeline.note(
    'setup',
    `seed topology through AWS calls: ${seed.vpcId}, subnets in ${seed.availabilityZones.join(' and ')}, ALB ${id(seed.loadBalancerArn)}`,
  );
  timeline.note(
    'setup',
    `target group web-8080 (HTTP:8080, health check "/" expecting 404); HTTPS:443 forwards to it; HTTP:80 redirects 301 to HTTPS:443`,
  );
  timeline.note(
    'setup',
    `alert topic ${stage.topicArn.split(':').pop()}, state table alb-warden-alert-state (pk/sk, TTL expiresAt)`,
  );
}

function once(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= run();
    return done;
  };
}
