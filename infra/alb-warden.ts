/**
 * The controller as one construct: three functions, each with its own least-privilege role,
 * their EventBridge rules, the alert topic and state table, alarms, a dashboard and, on request, the
 * CloudTrail trail EventBridge needs. Bad props fail at construction naming the prop and the value; synth
 * fails, naming the limit, before CloudFormation would refuse the stack.
 */
import { Annotations, CfnOutput, CfnResource, Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { eventConcurrency } from '../functions/domain/api-share.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../functions/telemetry.ts';
import { type AlbWardenEdge, DEFAULT_SSL_POLICY } from './alb-warden-edge.ts';
import { checkApiShare } from './api-share-check.ts';
import { DEFAULT_BUNDLE_DIR } from './bundle-dir.ts';
import type { AlbWardenConfig, InstanceSelectorInput } from './config-input.ts';
import { AlertChannel } from './constructs/alert-channel.ts';
import { ApiCallTrail } from './constructs/api-call-trail.ts';
import { ARCHITECTURE, ControllerFunction, RUNTIME } from './constructs/controller-function.ts';
import {
  type BindingShape,
  type ControllerFunctionName,
  ControllerRole,
  FUNCTION_DUTIES,
  type GuardTag,
} from './constructs/controller-role.ts';
import { SWEEP_WORKER_TIMEOUT, SweepFanout } from './constructs/sweep-fanout.ts';
import { validateDeployConfig, WardenConfiguration } from './constructs/warden-configuration.ts';
import { WardenMonitoring } from './constructs/warden-monitoring.ts';
import { type DeployConfigInput, deployTimeFieldIn, EMAIL } from './context.ts';
import { apiCallPattern, INSTANCE_STATE_PATTERN } from './event-patterns.ts';

export interface AlbWardenProps {
  /**
   * The controller's configuration: the same document as `WARDEN_CONFIG` (bindings, mode, alerts, safety …),
   * without what this construct creates (`controllerRoleArns`, `alerts.topicArn`, `alerts.stateTable`).
   */
  readonly config: AlbWardenConfig;
  /** Email addresses subscribed to the alert topic (each confirms its subscription). @default - none */
  readonly alertEmails?: readonly string[];
  /**
   * Create a CloudTrail trail for management events, for accounts with none: EventBridge sees ELB API calls
   * only where a trail records them. @default false
   */
  readonly createTrail?: boolean;
  /** When the sweep runs. @default Schedule.rate(Duration.minutes(1)) */
  readonly sweepSchedule?: events.Schedule;
  /** Retention of the functions' log groups. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Lambda active tracing (X-Ray) on the functions. @default false */
  readonly activeTracing?: boolean;
  /**
   * Scope the functions' writes to ALB resources carrying this tag instead of listing the bound ARNs (needed
   * past a few dozen bindings: IAM's policy size limit). Tag each bound load balancer, its listeners and its
   * target group. @default - writes scoped by the bound ARNs
   */
  readonly guardTag?: GuardTag;
  /**
   * Also guard the load balancer of an `AlbWardenEdge`; in another stack its ARNs are read from its SSM
   * parameters at deployment, and that stack deploys first. @default - none
   */
  readonly edge?: AlbWardenEdgeBinding;
  /** Named in configuration errors. @default 'AlbWarden props.config' */
  readonly configSource?: string;
  /** The folder holding <function>/index.mjs. @default - the bundles shipped in this package */
  readonly bundleDir?: string;
}

/** An `AlbWardenEdge` to guard, and how its binding is named and selects instances. */
export interface AlbWardenEdgeBinding {
  /** The topology to guard. */
  readonly topology: AlbWardenEdge;
  /** The binding's name in the controller's configuration. @default 'edge' */
  readonly bindingName?: string;
  /** Which instances belong in its target group. @default { tags: { Role: 'web' } } */
  readonly instanceSelector?: InstanceSelectorInput;
}

/** CloudFormation's limit on resources in one stack ("CloudFormation quotas",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html). */
export const STACK_RESOURCE_LIMIT = 500;

const FUNCTION_NAMES: readonly ControllerFunctionName[] = ['register', 'guard', 'sweep', 'sweep-worker'];

export class AlbWarden extends Construct {
  /** Where alerts go: subscribe a queue, a chat integration or a pager to it. */
  readonly topic: sns.ITopic;
  /** The alert state table. */
  readonly table: dynamodb.ITable;
  /** The controller's CloudWatch dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The topic with its key and the table. */
  readonly alerts: AlertChannel;
  /** Each function's own least-privilege role. */
  readonly roles: Readonly<Record<ControllerFunctionName, ControllerRole>>;
  /** Whether the scheduler discovers inside member accounts (`members[].discovery`), with their roles. */
  readonly discoversInMembers: boolean;
  /** The configuration layer the functions read. */
  readonly configuration: WardenConfiguration;
  /** The functions, each with its log group, dead-letter queue and alarms (`.function` is the Lambda). */
  readonly functions: {
    readonly register: ControllerFunction;
    readonly guard: ControllerFunction;
    /** The scheduler: queues the bindings due for a sweep. */
    readonly sweep: ControllerFunction;
    /** Sweeps the bindings the queue delivers. */
    readonly 'sweep-worker': ControllerFunction;
  };
  /** The sweep queue between the scheduler and the workers. */
  readonly sweepFanout: SweepFanout;
  /** The EventBridge rules that invoke them. */
  readonly rules: {
    readonly instanceState: events.Rule;
    readonly apiCalls: events.Rule;
    readonly schedule: events.Rule;
  };
  /** The dashboard and the per-binding alarms. */
  readonly monitoring: WardenMonitoring;
  /** The CloudTrail trail, with `createTrail`. */
  readonly trail?: ApiCallTrail;

  constructor(scope: Construct, id: string, props: AlbWardenProps) {
    super(scope, id);
    checkProps(props);
    const stack = Stack.of(this);
    const edge = props.edge && {
      topology: props.edge.topology,
      bindingName: props.edge.bindingName ?? 'edge',
      instanceSelector: props.edge.instanceSelector ?? { tags: { Role: 'web' } },
    };
    const config: DeployConfigInput = edge
      ? {
          ...props.config,
          bindings: [
            ...(props.config.bindings ?? []),
            edge.topology.binding(this, edge.bindingName, edge.instanceSelector),
          ],
        }
      : props.config;
    // Order only: the Edge stack's SSM parameters must exist when this stack deploys; nothing is exported.
    const edgeStack = edge && Stack.of(edge.topology);
    if (edgeStack && edgeStack !== stack)
      stack.addStackDependency(edgeStack, 'reads the Edge stack’s SSM parameters');
    const httpListenerArns: Record<string, string> = edge
      ? { [edge.bindingName]: edge.topology.httpListenerArnFor(this) }
      : {};
    // Validate first, and once: everything below reads the bindings, and a bad one must fail naming its field.
    const validated = validateDeployConfig(config, {
      source: props.configSource ?? 'AlbWarden props.config',
      account: Token.isUnresolved(stack.account) ? undefined : stack.account,
      region: Token.isUnresolved(stack.region) ? undefined : stack.region,
    });
    const bindings = config.bindings ?? [];
    const distDir = props.bundleDir ?? DEFAULT_BUNDLE_DIR;

    this.alerts = new AlertChannel(this, 'Alerts', { emails: props.alertEmails });
    this.topic = this.alerts.topic;
    this.table = this.alerts.table;
    const alarmAction = new cwActions.SnsAction(this.alerts.topic);

    // ARNs as given (deploy-time values stay tokens), everything else with the schema's defaults applied.
    const bound = bindings.map((binding, index) => {
      const parsed = validated.bindings[index];
      if (!parsed) throw new Error(`bindings[${index}] did not survive validation`);
      return {
        loadBalancerArn: binding.loadBalancerArn,
        targetGroupArn: binding.targetGroupArn,
        httpListenerArn: httpListenerArns[binding.name],
        sslPolicy: parsed.https.sslPolicy,
        enforcesHealthCheck: parsed.healthCheck !== undefined,
        removesForeignRules: parsed.http.foreignRules === 'remove',
      };
    });
    // What discovery's bindings take from their policy's defaults: the same for every load balancer it finds.
    const discovered: BindingShape[] = validated.discovery.map(({ defaults }) => ({
      sslPolicy: defaults.https?.sslPolicy ?? DEFAULT_SSL_POLICY,
      enforcesHealthCheck: defaults.healthCheck !== undefined,
      removesForeignRules: (defaults.http?.foreignRules ?? 'remove') === 'remove',
    }));
    this.discoversInMembers = validated.members.some((member) => (member.discovery ?? []).length > 0);
    const roles = Object.fromEntries(
      FUNCTION_NAMES.map((name) => {
        const role = new ControllerRole(this, `${capitalize(name)}Role`, {
          function: name,
          bindings: bound,
          dryRun: config.mode === 'dry-run',
          guardTag: props.guardTag,
          ...(discovered.length > 0 ? { discovered } : {}),
        });
        // The scheduler alerts tag problems when it discovers; otherwise it touches neither table nor topic.
        if (FUNCTION_DUTIES[name].reconciles || discovered.length > 0 || this.discoversInMembers)
          this.alerts.grantController(role.role);
        return [name, role];
      }),
    ) as Record<ControllerFunctionName, ControllerRole>;
    this.roles = roles;
    const roleArns = FUNCTION_NAMES.map((name) => roles[name].role.roleArn);

    const baseEnvironment: Record<string, string> = {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      WARDEN_CONTROLLER_ROLE_ARNS: Fn.join(',', roleArns),
      WARDEN_ALERT_TOPIC_ARN: this.alerts.topic.topicArn,
      WARDEN_ALERT_STATE_TABLE: this.alerts.table.tableName,
    };
    this.configuration = new WardenConfiguration(this, 'Configuration', {
      config,
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
    });

    this.sweepFanout = new SweepFanout(this, 'SweepFanout', {
      workers: validated.limits.sweepWorkers,
      alarmAction,
    });
    this.sweepFanout.grantSend(roles.sweep.role);
    if (props.activeTracing) {
      // The other roles' acknowledgement of `*` (ELB and EC2 reads) covers tracing too; the scheduler reads nothing.
      Validations.of(roles.sweep.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (Service Authorization Reference): * is the only resource IAM accepts',
      });
    }

    const common = {
      distDir,
      environment: { ...baseEnvironment, ...this.configuration.environment },
      layers: [this.configuration.layer],
      logRetention: props.logRetention,
      activeTracing: props.activeTracing,
      alarmAction,
    };
    this.functions = {
      register: new ControllerFunction(this, 'Register', {
        ...common,
        role: roles.register.role,
        name: 'register',
        description: 'alb-warden: registers running instances, deregisters stopped ones (EC2 state changes)',
        timeout: Duration.seconds(30),
        reservedConcurrentExecutions: eventConcurrency(validated.limits),
      }),
      guard: new ControllerFunction(this, 'Guard', {
        ...common,
        role: roles.guard.role,
        name: 'guard',
        description: 'alb-warden: repairs listener drift reported by CloudTrail ELB API calls',
        timeout: Duration.seconds(60),
        reservedConcurrentExecutions: eventConcurrency(validated.limits),
      }),
      sweep: new ControllerFunction(this, 'Sweep', {
        ...common,
        environment: { ...common.environment, WARDEN_SWEEP_QUEUE_URL: this.sweepFanout.queue.queueUrl },
        role: roles.sweep.role,
        name: 'sweep',
        description: 'alb-warden: every minute, queues the bindings due for a sweep',
        timeout: Duration.minutes(1),
        // A failed schedule is not retried: the next minute's run queues its own bindings.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(5),
      }),
      'sweep-worker': new ControllerFunction(this, 'SweepWorker', {
        ...common,
        role: roles['sweep-worker'].role,
        name: 'sweep-worker',
        description: 'alb-warden: sweeps the bindings the sweep queue delivers, and alerts on target health',
        timeout: SWEEP_WORKER_TIMEOUT,
        memorySize: 512,
        deadLetterQueue: this.sweepFanout.deadLetterQueue,
      }),
    };
    this.sweepFanout.consumeWith(this.functions['sweep-worker'].function);
    const capped = {
      register: this.functions.register.function,
      guard: this.functions.guard.function,
      'sweep-worker': this.functions['sweep-worker'].function,
    };
    for (const warning of checkApiShare(capped, validated.limits).warnings)
      Annotations.of(this).addWarningV2('alb-warden:api-share-burst', warning);
    // At synth, on the resources as they stand then: an escape hatch that lifts a cap fails here.
    this.node.addValidation({ validate: () => checkApiShare(capped, validated.limits).errors });

    // Events are hints: a late event is still worth a look, an hour-old one is the sweep's business.
    const eventTarget = { retryAttempts: 8, maxEventAge: Duration.hours(1) };
    this.rules = {
      instanceState: new events.Rule(this, 'InstanceStateRule', {
        description:
          'alb-warden: EC2 instance state changes and Spot interruption warnings to the register function',
        eventPattern: cdkPattern(INSTANCE_STATE_PATTERN),
        targets: [this.functions.register.target(eventTarget)],
      }),
      apiCalls: new events.Rule(this, 'ApiCallRule', {
        description:
          'alb-warden: successful ELB API calls by anyone but the controller to the guard function',
        eventPattern: cdkPattern(apiCallPattern(roleArns)),
        targets: [this.functions.guard.target(eventTarget)],
      }),
      schedule: new events.Rule(this, 'SweepSchedule', {
        description: 'alb-warden: scheduled sweep',
        schedule: props.sweepSchedule ?? events.Schedule.rate(Duration.minutes(1)),
        // A sweep that could not start within two minutes is superseded by the next one.
        targets: [this.functions.sweep.target({ retryAttempts: 2, maxEventAge: Duration.minutes(2) })],
      }),
    };

    this.monitoring = new WardenMonitoring(this, 'Monitoring', {
      bindings: bindings.map((binding) => ({
        name: binding.name,
        loadBalancerArn: binding.loadBalancerArn,
        targetGroupArn: binding.targetGroupArn,
      })),
      functions: Object.entries(this.functions).map(([name, fn]) => ({ name, function: fn.function })),
      alarmAction,
    });
    this.dashboard = this.monitoring.dashboard;

    if (props.createTrail) this.trail = new ApiCallTrail(this, 'ApiCallTrail');

    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn });
    new CfnOutput(this, 'AlertStateTableName', { value: this.alerts.table.tableName });
    new CfnOutput(this, 'ControllerRoleArns', { value: Fn.join(',', roleArns) });
    for (const [name, fn] of Object.entries(this.functions)) {
      new CfnOutput(this, `${capitalize(name)}FunctionName`, { value: fn.function.functionName });
      new CfnOutput(this, `${capitalize(name)}DeadLetterQueueUrl`, { value: fn.deadLetterQueue.queueUrl });
    }
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });

    this.node.addValidation({ validate: () => checkResourceCount(stack) });
  }
}

/** Props the configuration schema does not see; the message names the prop and the value. */
function checkProps(props: AlbWardenProps): void {
  const provided = deployTimeFieldIn(props.config);
  if (provided) {
    throw new Error(
      `AlbWarden props.config.${provided}: the construct provides it (its own roles, topic and table): remove it`,
    );
  }
  props.alertEmails?.forEach((email, index) => {
    if (typeof email !== 'string' || !EMAIL.test(email)) {
      throw new Error(
        `AlbWarden props.alertEmails[${index}]: ${JSON.stringify(email)} is not an email address`,
      );
    }
  });
  if (props.guardTag && (!props.guardTag.key || props.guardTag.key.startsWith('aws:'))) {
    throw new Error(
      `AlbWarden props.guardTag.key: ${JSON.stringify(props.guardTag.key)} is not a tag key you can set ` +
        '(1 to 128 characters, not starting with aws:)',
    );
  }
}

function checkResourceCount(stack: Stack): string[] {
  const count = stack.node.findAll().filter((c) => c instanceof CfnResource && Stack.of(c) === stack).length;
  return count > STACK_RESOURCE_LIMIT
    ? [
        `the stack would hold ${count} resources, more than CloudFormation's ${STACK_RESOURCE_LIMIT}: ` +
          'bind fewer target groups per controller',
      ]
    : [];
}

/** `sweep-worker` → `SweepWorker`. */
function capitalize(text: string): string {
  return text
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** An event pattern in EventBridge's JSON form, as CDK spells its top-level fields. */
export function cdkPattern(
  pattern: { readonly 'detail-type': readonly string[] } & Record<string, unknown>,
): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, detailType: [...detailType] } as events.EventPattern;
}
