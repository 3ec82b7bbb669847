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
  sweepIntervalMinutes: 'SweepIntervalMinutes',
  sweepBindingsDue: 'SweepBindingsDue',
  sweepLeaseHeld: 'SweepLeaseHeld',
  eventsHandled: 'EventsHandled',
  eventsIgnored: 'EventsIgnored',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * What each sweep publishes per binding, with a `binding` dimension beside `service`, so the dashboard shows a
 * fleet with a few search and Metrics Insights queries instead of a widget per binding. `UnhealthyTargets` goes
 * out at every sweep that read the binding's target health, so its datapoints also say when the binding was
 * swept; `DriftRepaired` only when the sweep repaired something. Each is a custom metric per binding, billed
 * as such: one per binding always, the other in the months it is repaired.
 */
export const BINDING_DIMENSION = 'binding';
export const BINDING_METRIC = {
  unhealthyTargets: 'UnhealthyTargets',
  repairs: 'DriftRepaired',
} as const;

export type BindingMetricName = (typeof BINDING_METRIC)[keyof typeof BINDING_METRIC];
