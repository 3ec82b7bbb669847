/** The per-binding figures a sweep publishes for the fleet dashboard (functions/telemetry.ts). */
import { BINDING_METRIC } from '../telemetry.ts';
import type { Telemetry } from './context.ts';
import type { BindingResult } from './results.ts';

export function publishBindingFigures(telemetry: Telemetry, results: readonly BindingResult[]): void {
  if (!telemetry.perBinding) return;
  for (const result of results) {
    // No target health read, nothing to say: the binding then shows as not swept.
    if (!result.health) continue;
    const repairs = [result.listeners, result.healthCheck].filter((part) => part?.outcome === 'repaired');
    telemetry.perBinding(result.binding, {
      [BINDING_METRIC.unhealthyTargets]: result.health.unhealthy.length,
      ...(repairs.length > 0 ? { [BINDING_METRIC.repairs]: repairs.length } : {}),
    });
  }
}
