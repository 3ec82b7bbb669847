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
