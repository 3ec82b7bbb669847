/**
 * The doctor's verdicts: what it read in, one check out, ✓ or ✗ with the fix in one line. Pure.
 */
import type { Binding } from '../../config.ts';
import type { Instance, Listener, TargetGroup } from '../../domain/model.ts';
import type { PipelineSummary } from '../../domain/pipeline-stats.ts';
import type { Datapoint, EventSelectors, FunctionName, RuleInfo, Subscription, Trail } from './model.ts';

export type CheckName = 'trail' | 'rules' | 'dead-letters' | 'functions' | 'alerts' | 'binding' | 'pipeline';

export interface Check {
  readonly check: CheckName;
  readonly binding?: string;
  readonly ok: boolean;
  readonly detail: string;
  /** One line that says what to do; empty when all is well. */
  readonly fix: string;
}

const pass = (check: CheckName, detail: string, binding?: string): Check => ({
  check,
  ...(binding ? { binding } : {}),
  ok: true,
  detail,
  fix: '',
});
const fail = (check: CheckName, detail: string, fix: string, binding?: string): Check => ({
  check,
  ...(binding ? { binding } : {}),
  ok: false,
  detail,
  fix,
});

const REDEPLOY = 'redeploy the controller: npx cdk deploy AlbWarden';

export interface TrailObservation {
  readonly trail: Trail;
  readonly logging: boolean;
  readonly selectors: EventSelectors;
}

/**
 * A trail that covers the region (its home, or multi-region), is logging, and records management write
 * events: basic selectors `IncludeManagementEvents` with `All` or `WriteOnly`, or an advanced selector on
 * `eventCategory = Management` that does not keep only reads.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html
 */
export function trailCheck(region: string, trails: readonly TrailObservation[]): Check {
  const covering = trails.filter(({ trail }) => trail.multiRegion || trail.homeRegion === region);
  const good = covering.find(({ logging, selectors }) => logging && recordsManagementWrites(selectors));
  if (good)
    return pass(
      'trail',
      `trail ${good.trail.name} (${good.trail.multiRegion ? 'multi-region' : good.trail.homeRegion}${good.trail.organization ? ', organization' : ''}) logs management write events in ${region}`,
    );
  if (covering.length === 0)
    return fail(
      'trail',
      `no CloudTrail trail covers ${region}: listener changes reach the controller only through the sweep`,
      `deploy with -c createTrail=true (npx cdk deploy AlbWarden -c createTrail=true), or add ${region} to an existing trail`,
    );
  const stopped = covering.find(({ logging }) => !logging);
  if (stopped && covering.every(({ logging }) => !logging))
    return fail(
      'trail',
      `trail ${stopped.trail.name} covers ${region} but is not logging`,
      `aws cloudtrail start-logging --name ${stopped.trail.arn}`,
    );
  const first = covering.find(({ logging }) => logging) ?? covering[0];
  return fail(
    'trail',
    `trail ${first?.trail.name} logs in ${region} but not management write events`,
    `aws cloudtrail put-event-selectors --trail-name ${first?.trail.arn} --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`,
  );
}

function recordsManagementWrites(selectors: EventSelectors): boolean {
  const basic = (selectors.basic ?? []).some(
    (selector) =>
      selector.IncludeManagementEvents !== false &&
      ['All', 'WriteOnly', undefined].includes(selector.ReadWriteType),
  );
  const advanced = (selectors.advanced ?? []).some((selector) => {
    const fields = selector.FieldSelectors ?? [];
    const management = fields.some(
      (field) => field.Field === 'eventCategory' && (field.Equals ?? []).includes('Management'),
    );
    const readsOnly = fields.some(
      (field) => field.Field === 'readOnly' && (field.Equals ?? []).includes('true'),
    );
    return management && !readsOnly;
  });
  return basic || advanced;
}

/** The function's rule exists, is enabled and targets it. */
export function rulesCheck(
  fn: FunctionName,
  functionName: string,
  functionArn: string,
  rules: readonly RuleInfo[],
): Check {
  const targeting = rules.filter((rule) => rule.targets.some((target) => target.arn === functionArn));
  const enabled = targeting.find((rule) => rule.state === 'ENABLED');
  if (enabled)
    return pass(
      'rules',
      `${fn}: rule ${enabled.name} is enabled and targets ${functionName}${enabled.scheduleExpression ? ` (${enabled.scheduleExpression})` : ''}`,
    );
  const disabled = targeting[0];
  if (disabled)
    return fail(
      'rules',
      `${fn}: rule ${disabled.name} targets ${functionName} but is ${disabled.state}`,
      `aws events enable-rule --name ${disabled.name}`,
    );
  return fail('rules', `${fn}: no EventBridge rule targets ${functionName}`, REDEPLOY);
}

/** Events that failed every retry wait in the function's dead-letter queue. */
export function deadLetterCheck(fn: FunctionName, queueUrl: string, depth: number | undefined): Check {
  if (depth === undefined)
    return fail('dead-letters', `${fn}: dead-letter queue ${queueUrl} does not exist`, REDEPLOY);
  if (depth === 0) return pass('dead-letters', `${fn}: dead-letter queue is empty`);
  return fail(
    'dead-letters',
    `${fn}: ${depth} event(s) failed every retry and wait in the dead-letter queue`,
    `read them (aws sqs receive-message --queue-url ${queueUrl} --max-number-of-messages 10), fix the cause in the function's logs, then purge or redrive`,
  );
}

const MINUTE = 60_000;

/** The interval of a `rate(N unit)` schedule; a cron schedule counts as one minute at most. */
export function scheduleIntervalMs(expression: string | undefined): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression ?? '');
  if (!rate) return MINUTE;
  const unit = rate[2]?.startsWith('minute')
    ? MINUTE
    : rate[2]?.startsWith('hour')
      ? 60 * MINUTE
      : 1440 * MINUTE;
  return Number(rate[1]) * unit;
}

export interface FunctionMetrics {
  /** Per-period sums over the last hour, newest first. */
  readonly invocations: readonly Datapoint[];
  readonly errors: readonly Datapoint[];
  readonly periodMs: number;
}

const sum = (points: readonly Datapoint[]) => points.reduce((total, point) => total + point.value, 0);

/** Invocations and errors over the last hour; for the sweep also that it ran within two intervals. */
export function functionsCheck(
  fn: FunctionName,
  functionName: string,
  metrics: FunctionMetrics,
  now: number,
  sweepIntervalMs?: number,
): Check {
  const invocations = sum(metrics.invocations);
  const errors = sum(metrics.errors);
  const figures = `${invocations} invocation(s), ${errors} error(s) in the last hour`;
  const logs = `aws logs tail /aws/lambda/${functionName} --since 1h`;
  if (errors > 0) return fail('functions', `${fn}: ${figures}`, `read the errors: ${logs}`);
  if (sweepIntervalMs !== undefined) {
    const last = metrics.invocations.find((point) => point.value > 0);
    const due = 2 * sweepIntervalMs + metrics.periodMs;
    if (!last || now - last.at > due)
      return fail(
        'functions',
        `${fn}: ${figures}; it has not run ${last ? `since ${new Date(last.at).toISOString()}` : 'in the last hour'} (every ${sweepIntervalMs / 1000} s expected)`,
        `check that its schedule rule is enabled and look for throttling: ${logs}`,
      );
    return pass('functions', `${fn}: ${figures}; last run within two intervals`);
  }
  return pass('functions', `${fn}: ${figures}`);
}

/** The alert topic exists and someone confirmed a subscription to it. */
export function topicCheck(
  topicArn: string,
  attributes: Readonly<Record<string, string>> | undefined,
  subscriptions: readonly Subscription[],
): Check {
  if (!attributes) return fail('alerts', `alert topic ${topicArn} does not exist`, REDEPLOY);
  const confirmed = subscriptions.filter((subscription) => subscription.confirmed);
  const pending = subscriptions.length - confirmed.length;
  if (confirmed.length === 0)
    return fail(
      'alerts',
      `alert topic has no confirmed subscription${pending > 0 ? ` (${pending} pending confirmation)` : ''}: alerts reach no one`,
      pending > 0
        ? 'open the confirmation email (check spam) and follow its link, or subscribe again with: aws sns subscribe --topic-arn ' +
            `${topicArn} --protocol email --notification-endpoint YOU@EXAMPLE.COM`
        : `aws sns subscribe --topic-arn ${topicArn} --protocol email --notification-endpoint YOU@EXAMPLE.COM`,
    );
  return pass(
    'alerts',
    `alert topic has ${confirmed.length} confirmed subscription(s) (${[...new Set(confirmed.map((s) => s.protocol))].join(', ')})${pending > 0 ? `, ${pending} pending` : ''}`,
  );
}

const CLOUDWATCH = 'cloudwatch.amazonaws.com';
const KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

/**
 * CloudWatch alarms publish to an encrypted topic only if the key's policy lets the CloudWatch service
 * principal use it (kms:Decrypt, kms:GenerateDataKey*); an AWS managed key (alias/aws/sns) never does.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export function topicKeyCheck(keyId: string | undefined, policy: string | undefined): Check {
  if (!keyId) return pass('alerts', 'alert topic is not encrypted: CloudWatch alarms can publish to it');
  const fix = `let CloudWatch use the key: add to its policy an Allow for Service ${CLOUDWATCH} on kms:Decrypt and kms:GenerateDataKey* (${REDEPLOY} does)`;
  if (keyId.startsWith('alias/aws/'))
    return fail(
      'alerts',
      `alert topic is encrypted with the AWS managed key ${keyId}: CloudWatch alarms cannot publish to it`,
      fix,
    );
  if (policy === undefined) return fail('alerts', `the alert topic's key ${keyId} does not exist`, REDEPLOY);
  const missing = KEY_ACTIONS.filter((action) => !policyAllowsService(policy, CLOUDWATCH, action));
  if (missing.length > 0)
    return fail(
      'alerts',
      `the alert topic's key does not let CloudWatch use ${missing.join(' and ')}: alarms cannot publish`,
      fix,
    );
  return pass('alerts', "the alert topic's key lets CloudWatch alarms publish");
}

interface PolicyStatement {
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly Action?: string | readonly string[];
  readonly Condition?: unknown;
}

/** Whether an Allow (without conditions) for the service principal covers the action, and no Deny does. */
function policyAllowsService(policy: string, service: string, action: string): boolean {
  let statements: PolicyStatement[];
  try {
    const parsed = JSON.parse(policy) as { Statement?: PolicyStatement | PolicyStatement[] };
    statements = [parsed.Statement ?? []].flat();
  } catch {
    return false;
  }
  const applies = (statement: PolicyStatement) => {
    const principal = statement.Principal as { Service?: string | string[] } | string | undefined;
    const services = typeof principal === 'object' ? [principal.Service ?? []].flat() : [];
    const forService = principal === '*' || services.includes(service);
    const actions = [statement.Action ?? []].flat();
    return forService && actions.some((pattern) => wildcard(pattern).test(action));
  };
  if (statements.some((statement) => statement.Effect === 'Deny' && applies(statement))) return false;
  return statements.some(
    (statement) => statement.Effect === 'Allow' && !statement.Condition && applies(statement),
  );
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
}

export interface BindingObservation {
  /** undefined: the load balancer does not exist. */
  readonly listeners: readonly Listener[] | undefined;
  readonly group: TargetGroup | undefined;
  /** Instances carrying the selector's tags, any state. */
  readonly instances: readonly Instance[];
}

/** The binding's load balancer, listeners and target group exist; running matching instances in its VPC. */
export function bindingChecks(binding: Binding, observed: BindingObservation): Check[] {
  const name = binding.name;
  const checks: Check[] = [];
  const validate = 'fix the binding in the configuration (alb-warden validate --config FILE) and redeploy';
  if (!observed.listeners) {
    checks.push(fail('binding', `load balancer ${binding.loadBalancerArn} does not exist`, validate, name));
  } else {
    const ports = [binding.http.port, binding.https.port];
    const missing = ports.filter((port) => !observed.listeners?.some((listener) => listener.port === port));
    checks.push(
      missing.length === 0
        ? pass('binding', `load balancer and its listeners on ports ${ports.join(' and ')} exist`, name)
        : fail(
            'binding',
            `no listener on port ${missing.join(' or ')} of the load balancer`,
            `the sweep recreates it (with https.certificateArn for HTTPS); now: alb-warden reconcile --binding ${name}`,
            name,
          ),
    );
  }
  if (!observed.group) {
    checks.push(fail('binding', `target group ${binding.targetGroupArn} does not exist`, validate, name));
    return checks;
  }
  const tags = Object.entries(binding.instanceSelector.tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const running = observed.instances.filter(
    (instance) => instance.state === 'running' && instance.vpcId === observed.group?.vpcId,
  );
  const elsewhere = observed.instances.filter(
    (instance) => instance.state === 'running' && instance.vpcId !== observed.group?.vpcId,
  );
  checks.push(
    running.length > 0
      ? pass(
          'binding',
          `target group in ${observed.group.vpcId}; ${running.length} running instance(s) tagged ${tags} there`,
          name,
        )
      : fail(
          'binding',
          `target group in ${observed.group.vpcId}; no running instance tagged ${tags} there${elsewhere.length > 0 ? ` (${elsewhere.length} in another VPC)` : ''}`,
          `launch or tag instances in ${observed.group.vpcId} with ${tags}, or fix bindings[].instanceSelector`,
          name,
        ),
  );
  return checks;
}

export interface PermissionResult {
  /** The function whose role was asked. */
  readonly role: FunctionName;
  readonly action: string;
  readonly resource: string;
  readonly decision: string;
}

/** Every function's role may make every call that function makes on the binding's resources. */
export function permissionsCheck(binding: Binding, results: readonly PermissionResult[]): Check {
  const denied = results.filter((result) => result.decision !== 'allowed');
  if (denied.length === 0) {
    const calls = new Set(results.map((result) => `${result.role} ${result.action}`)).size;
    return pass(
      'binding',
      `the functions' roles may make all ${calls} calls they make on this binding (IAM policy simulation)`,
      binding.name,
    );
  }
  const listed = denied
    .slice(0, 5)
    .map(
      (result) =>
        `${result.role}: ${result.action} on ${result.resource === '*' ? '*' : result.resource.split(':').pop()}`,
    )
    .join(', ');
  const calls = new Set(denied.map((result) => `${result.role} ${result.action}`)).size;
  return fail(
    'binding',
    `the functions' roles may not make ${calls} of the calls they make: ${listed}${denied.length > 5 ? ', …' : ''}`,
    `deploy the controller with this binding in its configuration so the roles grant them: ${REDEPLOY}`,
    binding.name,
  );
}

const seconds = (ms: number | undefined) =>
  ms === undefined ? '–' : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** How late events arrived over the last day, and how often only the sweep saw the drift. */
export function pipelineCheck(binding: string, summary: PipelineSummary, warnAfter: number): Check {
  const events =
    summary.events === 0
      ? 'no event led to a repair in the last day'
      : `events arrived p50 ${seconds(summary.p50Ms)}, max ${seconds(summary.maxMs)} after the change they report (${summary.events} that led to a repair, last day)`;
  const unreported = `the sweep found drift before any event ${summary.unreportedDrifts} time(s)`;
  if (summary.unreportedDrifts >= warnAfter)
    return fail(
      'pipeline',
      `${events}; ${unreported}`,
      'events are not arriving: check the trail and rules checks above, and the guard dead-letter queue',
      binding,
    );
  return pass('pipeline', `${events}; ${unreported}`, binding);
}
