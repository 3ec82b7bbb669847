/**
 * What works even when the controller does not: per bound target group, CloudWatch alarms on the ALB's own
 * metrics (UnHealthyHostCount, and HealthyHostCount at zero), and a dashboard with the controller's EMF
 * metrics beside Lambda's and the target groups'.
 *
 * Dimensions (TargetGroup and LoadBalancer together, as ELB publishes the host counts):
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 *
 * Two alarms per binding: past BACKSTOP_BINDINGS_PER_STACK bindings they go into nested stacks of that many
 * each, so no stack exceeds CloudFormation's 500 resources ("CloudFormation quotas",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 */
import { Duration, NestedStack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  BINDING_DIMENSION,
  BINDING_METRIC,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../functions/telemetry.ts';
import { loadBalancerDimension, targetGroupDimension } from '../arns.ts';

type MetricKey = keyof typeof METRIC;

export const BACKSTOP_BINDINGS_PER_STACK = 100;
/** Host counts graphed one line per binding up to this many bindings; past it, one search expression. */
const GRAPHED_BINDINGS = 25;

/** The controller's metrics, grouped the way an operator reads them. */
const CONTROLLER_GRAPHS: readonly (readonly [string, readonly MetricKey[]])[] = [
  ['Registrations', ['registrations', 'deregistrations', 'registrationFailures']],
  ['Listener drift', ['driftDetected', 'driftRepaired', 'repairFailures', 'unreportedDrift']],
  ['Health and alerts', ['unhealthyTargets', 'alertsSent', 'alertFailures', 'bindingFailures']],
  ['Events', ['eventsHandled', 'eventsIgnored']],
];

export interface MonitoredBinding {
  readonly name: string;
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
}

export interface WardenMonitoringProps {
  readonly bindings: readonly MonitoredBinding[];
  readonly functions: readonly { readonly name: string; readonly function: lambda.IFunction }[];
  readonly alarmAction: cloudwatch.IAlarmAction;
  /**
   * Minutes a target group may have unhealthy targets before the backstop alarm fires. Longer than the
   * controller's own damping (two one-minute sweeps), so on a working controller the alert comes from it.
   * @default 5
   */
  readonly unhealthyMinutes?: number;
  /** Minutes without a healthy target before the zero-healthy alarm fires. @default 3 */
  readonly noHealthyMinutes?: number;
}

export class WardenMonitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WardenMonitoringProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const alarms: cloudwatch.Alarm[] = [];
    const hostCounts: cloudwatch.IMetric[] = [];

    const nested = props.bindings.length > BACKSTOP_BINDINGS_PER_STACK;
    props.bindings.forEach((binding, index) => {
      const chunk = Math.floor(index / BACKSTOP_BINDINGS_PER_STACK);
      const scope = nested
        ? ((this.node.tryFindChild(`Backstops${chunk}`) as NestedStack | undefined) ??
          new NestedStack(this, `Backstops${chunk}`, {
            description: `alb-warden backstop alarms, bindings ${chunk * BACKSTOP_BINDINGS_PER_STACK} and on`,
          }))
        : this;
      const dimensionsMap = {
        TargetGroup: targetGroupDimension(binding.targetGroupArn),
        LoadBalancer: loadBalancerDimension(binding.loadBalancerArn),
      };
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/ApplicationELB',
          metricName,
          dimensionsMap,
          statistic,
          period: minute,
        });
      const unhealthy = metric('UnHealthyHostCount', 'Maximum');
      const healthy = metric('HealthyHostCount', 'Minimum');
      hostCounts.push(
        healthy.with({ label: `${binding.name} healthy` }),
        unhealthy.with({ label: `${binding.name} unhealthy` }),
      );

      const unhealthyMinutes = props.unhealthyMinutes ?? 5;
      alarms.push(
        new cloudwatch.Alarm(scope, `UnhealthyHosts${index}`, {
          metric: unhealthy,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: unhealthyMinutes,
          datapointsToAlarm: unhealthyMinutes,
          // No data: the target group has no registered target, which the zero-healthy alarm covers.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `alb-warden backstop, binding ${binding.name}: a target has been unhealthy for ${unhealthyMinutes} minutes (independent of the controller)`,
        }),
      );
      const noHealthyMinutes = props.noHealthyMinutes ?? 3;
      alarms.push(
        new cloudwatch.Alarm(scope, `NoHealthyHosts${index}`, {
          metric: healthy,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: noHealthyMinutes,
          datapointsToAlarm: noHealthyMinutes,
          // ELB stops publishing host counts when nothing is registered: silence means no healthy target.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          alarmDescription: `alb-warden backstop, binding ${binding.name}: CRITICAL, no healthy target for ${noHealthyMinutes} minutes (independent of the controller)`,
        }),
      );
    });
    for (const alarm of alarms) {
      alarm.addAlarmAction(props.alarmAction);
      alarm.addOkAction(props.alarmAction);
    }
    this.alarms = alarms;

    const controllerMetric = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        statistic,
        period: Duration.minutes(5),
      });
    const graph = (title: string, metrics: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left: metrics, width, height: 6 });
    // Every metric the controller publishes (functions/telemetry.ts) has a graph: the grouped ones first, and
    // any the groups do not name yet in a catch-all, so a new metric is never missing from the dashboard.
    const placed = new Set<MetricKey>([...CONTROLLER_GRAPHS.flatMap(([, keys]) => keys), 'sweepDuration']);
    const unplaced = (Object.keys(METRIC) as MetricKey[]).filter((key) => !placed.has(key));
    const controllerGraphs = [
      ...CONTROLLER_GRAPHS.map(([title, keys]) =>
        graph(
          title,
          keys.map((key) => controllerMetric(METRIC[key], key === 'unhealthyTargets' ? 'Maximum' : 'Sum')),
        ),
      ),
      ...(unplaced.length > 0
        ? [
            graph(
              'Other controller metrics',
              unplaced.map((key) => controllerMetric(METRIC[key])),
            ),
          ]
        : []),
    ];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      widgets: [
        // Rows of three: a dashboard row is 24 units wide.
        ...Array.from({ length: Math.ceil(controllerGraphs.length / 3) }, (_, row) =>
          controllerGraphs.slice(row * 3, row * 3 + 3),
        ),
        [
          graph('Sweep duration (ms)', [
            controllerMetric(METRIC.sweepDuration, 'Average'),
            controllerMetric(METRIC.sweepDuration, 'Maximum'),
          ]),
          graph(
            'Lambda errors and throttles',
            props.functions.flatMap(({ name, function: fn }) => [
              fn.metricErrors({ label: `${name} errors` }),
              fn.metricThrottles({ label: `${name} throttles` }),
            ]),
          ),
          graph(
            'Lambda duration (p99)',
            props.functions.map(({ name, function: fn }) =>
              fn.metricDuration({ statistic: 'p99', label: `${name} p99` }),
            ),
          ),
        ],
        fleetGraphs(graph),
        [
          graph(
            'Target groups: healthy / unhealthy hosts',
            props.bindings.length <= GRAPHED_BINDINGS
              ? hostCounts
              : ['HealthyHostCount', 'UnHealthyHostCount'].map(
                  (name) =>
                    new cloudwatch.MathExpression({
                      expression: `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName="${name}"', 'Maximum', 60)`,
                      label: name,
                      period: minute,
                    }),
                ),
            24,
          ),
        ],
      ],
    });
  }
}

/** The per-binding metrics of every binding, as CloudWatch knows them: `{namespace, binding, service}`. */
const BINDING_SCHEMA = `SCHEMA(${METRICS_NAMESPACE}, ${BINDING_DIMENSION}, service)`;
const TOP = 10;

/**
 * The fleet at a glance, the same four widgets for one binding or a thousand: Metrics Insights queries rank
 * the bindings (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html),
 * and a search expression with DIFF_TIME gives the longest time any binding went unswept
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
 */
function fleetGraphs(
  graph: (title: string, metrics: cloudwatch.IMetric[], width?: number) => cloudwatch.GraphWidget,
): cloudwatch.GraphWidget[] {
  const insights = (label: string, query: string, period: Duration) =>
    new cloudwatch.MathExpression({ expression: query, label, period });
  // A binding's UnhealthyTargets has a datapoint per sweep: its sample count counts the sweeps.
  const swept = `SEARCH('{${METRICS_NAMESPACE},${BINDING_DIMENSION},service} MetricName="${BINDING_METRIC.unhealthyTargets}"', 'SampleCount', 60)`;
  return [
    graph(
      `Unhealthy targets: top ${TOP} bindings`,
      [
        insights(
          '',
          `SELECT MAX(${BINDING_METRIC.unhealthyTargets}) FROM ${BINDING_SCHEMA} GROUP BY ${BINDING_DIMENSION} ORDER BY MAX() DESC LIMIT ${TOP}`,
          Duration.minutes(5),
        ),
      ],
      6,
    ),
    graph(
      `Repairs per hour: top ${TOP} bindings`,
      [
        insights(
          '',
          `SELECT SUM(${BINDING_METRIC.repairs}) FROM ${BINDING_SCHEMA} GROUP BY ${BINDING_DIMENSION} ORDER BY SUM() DESC LIMIT ${TOP}`,
          Duration.hours(1),
        ),
      ],
      6,
    ),
    graph(
      `Sweeps per hour: the ${TOP} least swept bindings`,
      [
        insights(
          '',
          `SELECT COUNT(${BINDING_METRIC.unhealthyTargets}) FROM ${BINDING_SCHEMA} GROUP BY ${BINDING_DIMENSION} ORDER BY COUNT() ASC LIMIT ${TOP}`,
          Duration.hours(1),
        ),
      ],
      6,
    ),
    graph(
      'Staleness: longest gap between sweeps of any binding (s)',
      [
        new cloudwatch.MathExpression({
          expression: `MAX(DIFF_TIME(${swept}))`,
          label: 'worst binding',
          period: Duration.minutes(1),
        }),
      ],
      6,
    ),
  ];
}
