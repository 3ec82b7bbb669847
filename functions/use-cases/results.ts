/**
 * What an invocation returns: per binding, what was decided and done. The demo, the CLI and the tests read
 * it; the handler logs it. In dry-run the same fields say what would have been done (`applied: false`).
 */

import type { AlertKind } from '../domain/alerts.ts';
import type { HealthPlan } from '../domain/health-plan.ts';
import type { RegistrationPartPlan } from '../domain/registration-plan.ts';
import type { RepairOutcome, RepairPlan } from '../domain/repair-plan.ts';
import type { DiscoverySummary } from './discovery.ts';

/** What a repairable part (the listeners, the health check) decided and did. */
export interface RepairResult {
  readonly outcome: RepairOutcome | 'missing' | 'failed';
  /** The plan's decision and its reason. */
  readonly decision?: RepairPlan['decision'] | undefined;
  readonly drift: readonly string[];
  /** The AWS steps taken (`repaired`) or that would be taken (`would-repair`). */
  readonly steps: readonly string[];
  readonly blocked: readonly string[];
  readonly verified?: boolean | undefined;
  readonly actor?: string | undefined;
}

export interface RegistrationResult {
  readonly applied: boolean;
  /** The plan's decision and its reason. */
  readonly decision?: RegistrationPartPlan['decision'] | undefined;
  readonly register: readonly string[];
  readonly deregister: readonly string[];
  readonly unchanged: number;
  /** Registered targets that do not match and that the controller did not register: left alone. */
  readonly foreign: readonly string[];
  readonly rejected: readonly string[];
  readonly withheld?: string | undefined;
  /** Targets of Auto Scaling groups that have the target group attached: the groups', left to them. */
  readonly coOwned?: { readonly count: number; readonly groups: readonly string[] } | undefined;
  /** Targets an AWS service took out for an operation still in progress (`id:port (service)`): not put back yet. */
  readonly held?: readonly string[] | undefined;
}

/** A target that is unhealthy now, with AWS's reason. */
export interface UnhealthyTarget {
  readonly target: string;
  readonly state: string;
  readonly reason?: string | undefined;
  readonly description?: string | undefined;
}

export interface HealthResult {
  /** The plan's decision and its reason. */
  readonly decision?: HealthPlan['decision'] | undefined;
  readonly registered: number;
  readonly healthy: number;
  readonly unhealthy: readonly UnhealthyTarget[];
}

export interface BindingResult {
  readonly binding: string;
  status: 'ok' | 'failed';
  listeners?: RepairResult;
  healthCheck?: RepairResult;
  registration?: RegistrationResult;
  health?: HealthResult;
  readonly alerts: AlertKind[];
  error?: {
    readonly code?: string | undefined;
    readonly message: string;
    readonly transient: boolean;
    /** SNS refused an alert for good: the invocation fails whatever else happened. */
    readonly alertsRefused?: boolean | undefined;
  };
}

export interface InvocationResult {
  readonly function: 'register' | 'guard' | 'sweep' | 'cli';
  readonly eventId?: string | undefined;
  readonly mode: 'enforce' | 'dry-run';
  /** Set when the event led to no work, with why. */
  readonly ignored?: string | undefined;
  readonly bindings: BindingResult[];
  /** A sweep with discovery policies: what it discovered, the problems, the explicit bindings that won. */
  readonly discovery?: DiscoverySummary | undefined;
  /** Discovery failed: the sweep worked on the bindings the last sweep recorded. */
  readonly discoveryError?: string | undefined;
}

export function newBindingResult(binding: string): BindingResult {
  return { binding, status: 'ok', alerts: [] };
}
