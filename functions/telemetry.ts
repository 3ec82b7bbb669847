/**
 * Names the controller logs and publishes under, shared by the functions, the CDK dashboard and alarms.
 * Metrics go out as CloudWatch embedded metric format (EMF) in namespace `AlbWarden`, dimension `service`.
 */
export const SERVICE_NAME = 'alb-warden';
export const METRICS_NAMESPACE = 'AlbWarden';

export const METRIC = {
  registrations: 'Registrations',
  deregistrations: 'Deregistrations',
  driftDetected: 'DriftDetected',
  driftRepaired: 'DriftRepaired',
  repairFailures: 'RepairFailures',
  unreportedDrift: 'UnreportedDrift',
  registrationFailures: 'RegistrationFailures',
  unhealthyTargets: 'UnhealthyTargets',
  alertsSent: 'AlertsSent',
  alertFailures: 'AlertFailures',
  bindingFailures: 'BindingFailures',
  sweepDuration: 'SweepDuration',
  eventsHandled: 'EventsHandled',
  eventsIgnored: 'EventsIgnored',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * What each sweep publishes per binding, with a `binding` dimension beside `service`, so the dashboard shows a
 * fleet with a few search and Metrics Insights queries instead of a widget per binding. `BindingSwept` is 1 per
 * sweep of the binding: the time between two of its datapoints is how stale the binding's view was.
 */
export const BINDING_DIMENSION = 'binding';
export const BINDING_METRIC = {
  swept: 'BindingSwept',
  unhealthyTargets: 'UnhealthyTargets',
  repairs: 'DriftRepaired',
} as const;

export type BindingMetricName = (typeof BINDING_METRIC)[keyof typeof BINDING_METRIC];
