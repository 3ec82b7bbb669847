/** The target group's health check, when a binding configures one: which fields drifted. Pure. */

import type { TargetGroupHealthCheck } from './model.ts';
import type { HealthCheckSettings as HealthCheckConfig } from './settings.ts';

export interface HealthCheckDrift {
  readonly field: keyof TargetGroupHealthCheck;
  readonly observed: string | number | undefined;
  readonly desired: string | number;
}

export function desiredHealthCheck(config: HealthCheckConfig): Required<TargetGroupHealthCheck> {
  return {
    protocol: config.protocol,
    port: config.port,
    path: config.path,
    matcher: config.matcher,
    intervalSeconds: config.intervalSeconds,
    timeoutSeconds: config.timeoutSeconds,
    healthyThreshold: config.healthyThreshold,
    unhealthyThreshold: config.unhealthyThreshold,
  };
}

export function healthCheckDrift(
  config: HealthCheckConfig,
  observed: TargetGroupHealthCheck,
): HealthCheckDrift[] {
  const desired = desiredHealthCheck(config);
  return (Object.keys(desired) as (keyof TargetGroupHealthCheck)[]).flatMap((field) =>
    observed[field] === desired[field] ? [] : [{ field, observed: observed[field], desired: desired[field] }],
  );
}

export function describeHealthCheckDrift(drifts: readonly HealthCheckDrift[]): string {
  return drifts
    .map(
      (drift) =>
        `${drift.field} ${JSON.stringify(drift.observed ?? null)} → ${JSON.stringify(drift.desired)}`,
    )
    .join(', ');
}
