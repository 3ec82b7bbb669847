/**
 * One builder per alert kind: each says what happened, where, since when, and what the controller did or
 * will do. Targets are grouped: thirty targets turning unhealthy in one sweep make one alert, not thirty.
 */
import {
  type Alert,
  type AlertBase,
  baseAlert,
  clean,
  contextLines,
  describeActor,
  formatDuration,
  formatTime,
  type RecentChange,
} from './alerts.ts';
import { DISCOVERY_TAG, type DiscoveryProblem } from './discovery.ts';
import type { ConditionEvent, FleetHealth, TargetEvent, TargetEventKind } from './health.ts';
import { unhealthySeverity } from './health.ts';
import {
  type Drift,
  describeActions,
  type ListenerPlan,
  type RepairStep,
  targetGroupName,
} from './listeners.ts';
import type { Actor, Instance, Listener, Rule } from './model.ts';
import type { Binding } from './settings.ts';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export interface HealthAlertInput extends AlertBase {
  readonly events: readonly TargetEvent[];
  readonly fleet: FleetHealth;
  readonly instances: ReadonlyMap<string, Instance>;
  readonly recentChanges: readonly RecentChange[];
  readonly contextMinutes: number;
  readonly criticalBelowHealthyFraction: number;
  readonly flappingWindowMinutes: number;
}

/** Groups one sweep's target events of a binding into at most one alert per kind. */
export function targetHealthAlerts(input: HealthAlertInput): Alert[] {
  const tgName = targetGroupName(input.binding.targetGroupArn);
  // In this order: unhealthy, reminders, recovered, flapping.
  const alertOf: Record<TargetEventKind, (events: readonly TargetEvent[]) => Alert> = {
    unhealthy: (events) => unhealthyAlert(input, tgName, events, false),
    reminder: (events) => unhealthyAlert(input, tgName, events, true),
    recovered: (events) => recoveredAlert(input, tgName, events),
    flapping: (events) => flappingAlert(input, tgName, events),
  };
  return Object.entries(alertOf).flatMap(([kind, build]) => {
    const events = input.events.filter((event) => event.kind === kind);
    return events.length === 0 ? [] : [build(events)];
  });
}

const fleetLine = (input: HealthAlertInput) =>
  `Healthy targets now: ${input.fleet.healthy} of ${input.fleet.registered} registered.`;

/** One target as the on-call reads it: id, zone, state, AWS's reason, since when. */
function targetLine(input: HealthAlertInput, event: TargetEvent): string {
  const instance = input.instances.get(event.targetId);
  const zone = instance?.availabilityZone ? ` (${clean(instance.availabilityZone, 32)})` : '';
  const reason = event.reasonCode
    ? `${clean(event.reasonCode, 64)}: ${clean(event.description ?? '')}`
    : 'no reason given';
  const since =
    event.badSince === undefined
      ? ''
      : `, since ${formatTime(event.badSince)} (${formatDuration(input.now - event.badSince)})`;
  return `  ${clean(event.targetId, 64)}:${event.port}${zone}  ${clean(event.state ?? '', 16)}  ${reason}${since}`;
}

function targetDetail(input: HealthAlertInput, event: TargetEvent) {
  return {
    id: event.targetId,
    port: event.port,
    availabilityZone: input.instances.get(event.targetId)?.availabilityZone,
    state: event.state,
    reasonCode: event.reasonCode,
    description: event.description,
    since: event.badSince === undefined ? undefined : formatTime(event.badSince),
  };
}

/**
 * The frame every target-health alert shares: the opening, the targets one per line, the fleet now, and
 * the fleet's counts in the details.
 */
function targetsAlert(
  input: HealthAlertInput,
  head: Pick<Alert, 'kind' | 'severity' | 'headline'>,
  body: {
    readonly opening: readonly string[];
    readonly targets: readonly string[];
    readonly closing: readonly string[];
    readonly details: Readonly<Record<string, unknown>>;
  },
): Alert {
  return {
    ...baseAlert(input),
    ...head,
    lines: [...body.opening, '', ...body.targets, '', fleetLine(input), ...body.closing],
    details: { ...body.details, healthy: input.fleet.healthy, registered: input.fleet.registered },
  };
}

function unhealthyAlert(
  input: HealthAlertInput,
  tgName: string,
  events: readonly TargetEvent[],
  reminder: boolean,
): Alert {
  const count = plural(events.length, 'target');
  return targetsAlert(
    input,
    {
      kind: 'TargetUnhealthy',
      severity: unhealthySeverity(input.fleet, input.criticalBelowHealthyFraction),
      headline: `${reminder ? 'still ' : ''}${count} unhealthy in ${tgName}`,
    },
    {
      opening: [
        reminder
          ? `${count} in target group ${tgName} ${events.length === 1 ? 'is' : 'are'} still unhealthy (reminder).`
          : `${count} in target group ${tgName} turned unhealthy.`,
      ],
      targets: events.map((event) => targetLine(input, event)),
      closing: [
        'What the controller does: it keeps the targets registered (the load balancer already routes around them) and alerts again when they recover.',
        'What to check: the application on port ' +
          `${input.binding.targetPort} of the instances above, and the health check (path, matcher) of ${tgName}.`,
        '',
        ...contextLines(input.recentChanges, input.contextMinutes),
      ],
      details: {
        reminder,
        targets: events.map((event) => targetDetail(input, event)),
        recentChanges: input.recentChanges.map((change) => ({ ...change, at: formatTime(change.at) })),
      },
    },
  );
}

function recoveredAlert(input: HealthAlertInput, tgName: string, recovered: readonly TargetEvent[]): Alert {
  const count = plural(recovered.length, 'target');
  return targetsAlert(
    input,
    { kind: 'TargetRecovered', severity: 'info', headline: `${count} recovered in ${tgName}` },
    {
      opening: [`${count} in target group ${tgName} recovered.`],
      targets: recovered.map(
        (event) =>
          `  ${clean(event.targetId, 64)}:${event.port}  ${event.deregistered ? 'deregistered' : 'healthy again'} after ${formatDuration(event.unhealthyForMs)} unhealthy`,
      ),
      closing: [],
      details: {
        targets: recovered.map((event) => ({
          id: event.targetId,
          port: event.port,
          deregistered: event.deregistered === true,
          unhealthyForSeconds:
            event.unhealthyForMs === undefined ? undefined : Math.round(event.unhealthyForMs / 1000),
        })),
      },
    },
  );
}

function flappingAlert(input: HealthAlertInput, tgName: string, flapping: readonly TargetEvent[]): Alert {
  const count = plural(flapping.length, 'target');
  return targetsAlert(
    input,
    { kind: 'TargetFlapping', severity: 'warning', headline: `${count} flapping in ${tgName}` },
    {
      opening: [
        `${count} in target group ${tgName} keep switching between healthy and unhealthy (several times within ${input.flappingWindowMinutes} min).`,
        'The controller sends this one alert instead of a stream of unhealthy/recovered pairs, and says so again when the target settles.',
      ],
      targets: flapping.map((event) => targetLine(input, event)),
      closing: ['', ...contextLines(input.recentChanges, input.contextMinutes)],
      details: {
        targets: flapping.map((event) => targetDetail(input, event)),
        windowMinutes: input.flappingWindowMinutes,
      },
    },
  );
}

export function conditionAlert(
  base: AlertBase,
  event: ConditionEvent,
  fleet: FleetHealth,
  recentChanges: readonly RecentChange[],
  contextMinutes: number,
): Alert {
  const tgName = targetGroupName(base.binding.targetGroupArn);
  if (event.kind === 'restored') {
    return {
      ...baseAlert(base),
      kind: 'HealthyTargetsRestored',
      severity: 'info',
      headline: `healthy targets are back in ${tgName}`,
      lines: [
        `Target group ${tgName} has healthy targets again: ${fleet.healthy} of ${fleet.registered}.`,
        `The site had no healthy target for ${formatDuration(event.lastedMs)} (since ${formatTime(event.since)}).`,
      ],
      details: {
        healthy: fleet.healthy,
        registered: fleet.registered,
        lastedSeconds: event.lastedMs === undefined ? undefined : Math.round(event.lastedMs / 1000),
      },
    };
  }
  return {
    ...baseAlert(base),
    kind: 'NoHealthyTargets',
    severity: 'critical',
    headline: `${event.reminder ? 'still ' : ''}no healthy target in ${tgName}`,
    lines: [
      `Target group ${tgName} has ${plural(fleet.registered, 'registered target')} and none is healthy${event.reminder ? ' (reminder)' : ''}.`,
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
      'The load balancer fails open: with no healthy target it sends requests to all registered targets anyway, so users may get errors from the unhealthy instances. Were no target registered at all, it could not serve (503).',
      `Since: ${formatTime(event.since)} (${formatDuration(base.now - event.since)}).`,
      'What the controller does: it keeps every running, matching instance registered; it cannot make the application healthy.',
      'What to check first: the application on the instances, the health check settings, and the recent changes below.',
      '',
      ...contextLines(recentChanges, contextMinutes),
    ],
    details: {
      registered: fleet.registered,
      healthy: 0,
      since: formatTime(event.since),
      reminder: event.reminder,
    },
  };
}

export type DriftOutcome = 'repaired' | 'would-repair' | 'reported';

export interface DriftAlertInput extends AlertBase {
  readonly outcome: DriftOutcome;
  /** Why a drift was only reported: an approved actor, a pause, `foreignRules: report`. */
  readonly reportReason?: string | undefined;
  readonly plan: ListenerPlan;
  readonly actor?: Actor | undefined;
  /** The listeners as re-read after the repair. */
  readonly after?: readonly Listener[] | undefined;
  readonly verified?: boolean | undefined;
  /** How the drift was found when no event named who made it (an operator's reconcile, say). */
  readonly foundBy?: string | undefined;
  /** Set when the repair stopped half-way: why; the steps listed went through, the rest follows. */
  readonly unfinished?: string | undefined;
}

export function driftAlert(input: DriftAlertInput): Alert {
  const { plan, outcome } = input;
  const items = [
    ...plan.drifts.map((drift) => drift.summary),
    ...plan.findings.map((finding) => finding.summary),
  ];
  const listeners = [
    ...new Set([
      ...plan.drifts.map((drift) => drift.listener),
      ...plan.findings.map((finding) => finding.listener),
    ]),
  ];
  const what = `${listeners.map((listener) => listener.toUpperCase()).join(' and ')} listener drift`;
  const verdict =
    outcome === 'repaired'
      ? `repaired ${what}`
      : outcome === 'would-repair'
        ? `would repair ${what}`
        : `${what} reported, not repaired`;
  // The verdict first (a long subject is cut at the end), then the drift that was found.
  const brief = (items[0] ?? '').split(' instead of ')[0];
  const more = items.length > 1 ? `, and ${items.length - 1} more` : '';
  const headline = `${verdict}: ${brief}${more}`;
  const did =
    outcome === 'repaired'
      ? `What the controller did: ${plan.steps.map(describeStep).join('; ')}. ${
          input.unfinished
            ? `The repair stopped there (${clean(input.unfinished, 300)}); the next sweep finishes it.`
            : input.verified
              ? 'Re-read and verified: the listeners match the desired state.'
              : ''
        }`
      : outcome === 'would-repair'
        ? `What the controller would do (dry-run, nothing was changed): ${plan.steps.map((step) => planned(describeStep(step))).join('; ') || 'nothing'}.`
        : `What the controller did: nothing (${clean(input.reportReason ?? 'report only')}). It will not report this same state again.`;
  return {
    ...baseAlert(input),
    kind: 'DriftRepaired',
    severity: 'warning',
    headline,
    lines: [
      `The listeners of ${clean(input.binding.name, 32)} drifted from the desired state:`,
      ...items.map((item) => `  - ${clean(item, 400)}`),
      '',
      `Who changed it: ${describeActor(input.actor, input.foundBy)}`,
      did,
      '',
      'Before (to undo by hand, pass these default actions to `aws elbv2 modify-listener --listener-arn ARN --default-actions`):',
      ...beforeImages([...plan.drifts, ...plan.findings]).map((line) => `  ${line}`),
    ],
    details: {
      outcome,
      reportReason: input.reportReason,
      verified: input.verified,
      unfinished: input.unfinished,
      drifts: plan.drifts.map((drift) => ({
        listener: drift.listener,
        kind: drift.kind,
        summary: drift.summary,
        before: drift.before,
      })),
      findings: plan.findings.map((finding) => ({
        listener: finding.listener,
        kind: finding.kind,
        summary: finding.summary,
        before: finding.before,
      })),
      steps: plan.steps.map(stepDetail),
      after: input.after,
      actor: input.actor,
    },
  };
}

function beforeImages(items: readonly (Drift | { before: Rule; summary: string })[]): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const before = item.before;
    if (!before) {
      lines.push(`${clean(item.summary)}: nothing existed before`);
    } else if ('defaultActions' in before) {
      lines.push(
        `${clean(before.arn)} (port ${before.port}, ${clean(before.protocol, 16)}): ${JSON.stringify(before.defaultActions)}`,
      );
    } else {
      lines.push(
        `rule ${clean(before.arn)} (priority ${clean(before.priority, 16)}): conditions ${JSON.stringify(before.conditions)} actions ${JSON.stringify(before.actions)}`,
      );
    }
  }
  return lines.map((line) => clean(line, 2000));
}

/** A step as a plan rather than a deed: "change the HTTP listener …" for "changed the HTTP listener …". */
export function planned(step: string): string {
  return step.replace(/^(created|changed|deleted)\b/, (verb) => verb.slice(0, -1));
}

/** A step the dry-run did not take: "would change the HTTP listener …". */
export function wouldDo(step: string): string {
  return `would ${planned(step)}`;
}

export function describeStep(step: RepairStep): string {
  switch (step.type) {
    case 'create-listener':
      return `created the ${step.listener.toUpperCase()} listener on port ${step.request.port} (${describeActions(step.request.defaultActions)})`;
    case 'modify-listener':
      return `changed the ${step.listener.toUpperCase()} listener on port ${step.request.port} so that it ${describeActions(step.request.defaultActions)}${step.request.protocol ? ` over ${step.request.protocol}` : ''}`;
    case 'delete-rule':
      return `deleted rule ${step.before.priority} (${describeActions(step.before.actions)})`;
    case 'add-certificates':
      return `gave the HTTPS listener back its SNI certificate${step.certificateArns.length === 1 ? '' : 's'} (${step.certificateArns.join(', ')})`;
  }
}

function stepDetail(step: RepairStep): Record<string, unknown> {
  const base = { type: step.type, listener: step.listener };
  if (step.type === 'delete-rule') return { ...base, ruleArn: step.ruleArn };
  if (step.type === 'add-certificates')
    return { ...base, listenerArn: step.listenerArn, certificateArns: step.certificateArns };
  return {
    ...base,
    request: step.request,
    listenerArn: step.type === 'modify-listener' ? step.listenerArn : undefined,
  };
}

export interface FailureAlertInput extends AlertBase {
  readonly headline: string;
  readonly detail: string;
  readonly error?: { readonly code?: string | undefined; readonly message: string } | undefined;
  readonly critical?: boolean | undefined;
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
  readonly actor?: Actor | undefined;
  /** What happens next; each kind has a default. */
  readonly next?: string | undefined;
}

export function repairFailedAlert(input: FailureAlertInput): Alert {
  return failure('RepairFailed', input, 'The listeners are left as they are; the next sweep tries again.');
}

export function registrationFailedAlert(input: FailureAlertInput): Alert {
  return failure(
    'RegistrationFailed',
    input,
    'Registrations for this binding were not changed; the next sweep tries again.',
  );
}

function failure(kind: 'RepairFailed' | 'RegistrationFailed', input: FailureAlertInput, next: string): Alert {
  return {
    ...baseAlert(input),
    kind,
    severity: input.critical ? 'critical' : 'warning',
    headline: input.headline,
    lines: [
      clean(input.detail, 1000),
      ...(input.error
        ? [`AWS said: ${clean(input.error.code ?? 'error', 64)}: ${clean(input.error.message, 600)}`]
        : []),
      ...(input.actor ? [`Triggered by a change from: ${describeActor(input.actor)}`] : []),
      input.next ?? next,
    ],
    details: { detail: input.detail, error: input.error, actor: input.actor, ...input.extra },
  };
}

export interface SuspendedAlertInput extends AlertBase {
  readonly listener: string;
  readonly repairs: number;
  readonly windowMinutes: number;
  readonly actors: readonly string[];
}

export function repairsSuspendedAlert(input: SuspendedAlertInput): Alert {
  const subject =
    input.listener === 'health-check' ? 'health check' : `${input.listener.toUpperCase()} listener`;
  const actors = input.actors.length > 0 ? input.actors.map((actor) => clean(actor)).join(', ') : 'unknown';
  return {
    ...baseAlert(input),
    kind: 'RepairsSuspended',
    severity: 'critical',
    headline: `${subject} repairs suspended: something keeps changing it back`,
    lines: [
      `Something keeps changing it back: ${actors}.`,
      `The ${subject} was repaired ${input.repairs} times within ${input.windowMinutes} min, so the controller stops repairing it to avoid a tug-of-war.`,
      `It resumes by itself once the window has passed, or now with: alb-warden resume --binding ${clean(input.binding.name, 32)}`,
      'What to check: automation (CloudFormation, Terraform, scripts) or people with write access to this load balancer.',
    ],
    details: {
      listener: input.listener,
      repairs: input.repairs,
      windowMinutes: input.windowMinutes,
      actors: input.actors,
    },
  };
}

export function eventPipelineAlert(input: AlertBase & { readonly unreportedDrifts: number }): Alert {
  return {
    ...baseAlert(input),
    kind: 'EventPipelineSuspect',
    severity: 'warning',
    headline: 'listener drift keeps reaching the controller only through the sweep',
    lines: [
      `The scheduled sweep found and repaired listener drift ${input.unreportedDrifts} times that no CloudTrail event had reported.`,
      'Repairs still happen, but within a sweep interval instead of seconds. The event pipeline may be broken:',
      '  - is there a CloudTrail trail recording management events in this region?',
      '  - is the EventBridge rule for ELB API calls enabled, and does its target (the guard function) have errors or a full dead-letter queue?',
    ],
    details: { unreportedDrifts: input.unreportedDrifts },
  };
}

export interface HealthCheckAlertInput extends AlertBase {
  readonly outcome: DriftOutcome;
  readonly drift: string;
  readonly actor?: Actor | undefined;
  readonly reportReason?: string | undefined;
  readonly before: Readonly<Record<string, unknown>>;
  readonly foundBy?: string | undefined;
}

export function healthCheckDriftAlert(input: HealthCheckAlertInput): Alert {
  const tgName = targetGroupName(input.binding.targetGroupArn);
  const verb =
    input.outcome === 'repaired'
      ? 'repaired'
      : input.outcome === 'would-repair'
        ? 'would repair'
        : 'drift reported on';
  return {
    ...baseAlert(input),
    kind: 'DriftRepaired',
    severity: 'warning',
    headline: `${verb} the health check of ${tgName}`,
    lines: [
      `The health check of target group ${tgName} drifted: ${clean(input.drift, 800)}.`,
      `Who changed it: ${describeActor(input.actor, input.foundBy)}`,
      input.outcome === 'repaired'
        ? 'What the controller did: set it back to the configured health check (ModifyTargetGroup).'
        : input.outcome === 'would-repair'
          ? 'What the controller would do (dry-run, nothing changed): set it back to the configured health check.'
          : `What the controller did: nothing (${clean(input.reportReason ?? 'report only')}).`,
      `Before: ${clean(JSON.stringify(input.before), 1000)}`,
    ],
    details: {
      outcome: input.outcome,
      drift: input.drift,
      before: input.before,
      actor: input.actor,
      reportReason: input.reportReason,
    },
  };
}

/**
 * A load balancer a discovery policy selected that makes no binding: its tags are incomplete or contradict
 * each other, or two policies selected it. Sent once per distinct set of problems; settled when fixed.
 */
export function discoveryProblemAlert(input: {
  readonly name: string;
  readonly loadBalancerArn: string;
  readonly problems: readonly DiscoveryProblem[];
  readonly now: number;
  readonly mode: 'enforce' | 'dry-run';
  readonly targetGroupArn?: string | undefined;
}): Alert {
  const conflict = input.problems.find((problem) => problem.policies.length > 1);
  return {
    kind: 'DiscoveryProblem',
    severity: 'warning',
    binding: input.name,
    time: formatTime(input.now),
    loadBalancerArn: input.loadBalancerArn,
    targetGroupArn: input.targetGroupArn ?? '',
    mode: input.mode,
    headline: conflict
      ? 'selected by two discovery policies: not guarded'
      : 'tags cannot make a binding: not guarded',
    lines: [
      `The load balancer ${clean(input.loadBalancerArn)} was selected for discovery, but the controller does not guard it:`,
      ...input.problems.map((problem) => `  - ${clean(problem.message, 600)}`),
      conflict
        ? "Narrow the policies' selectors (configuration `discovery`) so one policy selects it."
        : `Fix the load balancer's tags (${Object.values(DISCOVERY_TAG).join(', ')}); the next sweep guards it.`,
    ],
    details: {
      policies: [...new Set(input.problems.flatMap((problem) => problem.policies))],
      problems: input.problems.map((problem) => ({ tag: problem.tag ?? null, message: problem.message })),
    },
  };
}

export interface MemberUnreachableInput {
  readonly account: string;
  readonly region: string;
  readonly roleArn: string;
  /** The bindings of that account and region, left unchecked. */
  readonly bindings: readonly Binding[];
  readonly now: number;
  readonly mode: 'enforce' | 'dry-run';
  readonly error: { readonly code?: string | undefined; readonly message: string };
}

/** The hub cannot assume a member's role: none of that account and region's bindings is checked or repaired. */
export function memberUnreachableAlert(input: MemberUnreachableInput): Alert {
  const [first] = input.bindings;
  const names = input.bindings.map((binding) => clean(binding.name, 32));
  return {
    kind: 'RepairFailed',
    severity: 'critical',
    binding: `${input.account}/${input.region}`,
    time: formatTime(input.now),
    // The subject starts with the account and region (the alert's binding), then names the role.
    headline: `cannot assume role ${clean(input.roleArn.split('/').pop(), 64)}`,
    lines: [
      `The hub could not assume ${clean(input.roleArn)} in account ${input.account}, region ${input.region}, so ${names.length > 0 ? `${plural(names.length, 'binding')} there (${names.join(', ')}) went unchecked` : 'nothing there is discovered or checked'}: no repair, registration or health alert until it can.`,
      `AWS said: ${clean(input.error.code ?? 'error', 64)}: ${clean(input.error.message, 600)}`,
      "Check that the member stack is deployed in that account and region, that its role exists and trusts the hub's function roles (organization, external id), then wait for the next sweep. Other accounts and regions are not affected.",
    ],
    loadBalancerArn: first?.loadBalancerArn ?? '',
    targetGroupArn: first?.targetGroupArn ?? '',
    mode: input.mode,
    details: {
      account: input.account,
      region: input.region,
      roleArn: input.roleArn,
      bindings: names,
      error: input.error,
    },
  };
}
