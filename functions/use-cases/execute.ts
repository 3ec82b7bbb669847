/**
 * The one executor of a binding's plan, part by part: each plan value (listeners, health check,
 * registration, target health) is carried out by its part's steps, claims and alerts; in dry-run (and an
 * operator's preview) only what the plan says without acting on AWS.
 */
import type { PartPlan } from '../domain/binding-plan.ts';
import type { HealthPlan } from '../domain/health-plan.ts';
import type { RegistrationPartPlan } from '../domain/registration-plan.ts';
import type { RepairPlan } from '../domain/repair-plan.ts';
import { executeHealth, type HealthContext, planHealthFor } from './health.ts';
import { executeRegistration, planRegistrationFor, type RegistrationContext } from './registration.ts';
import { type Executed, executeRepair, type RepairContext } from './repair.ts';
import type { HealthResult, RegistrationResult } from './results.ts';

export function executePart(context: RepairContext, plan: RepairPlan): Promise<Executed>;
export function executePart(context: RepairContext, plan: RegistrationPartPlan): Promise<RegistrationResult>;
export function executePart(context: RepairContext, plan: HealthPlan): Promise<HealthResult>;
export function executePart(
  context: RepairContext,
  plan: PartPlan,
): Promise<Executed | RegistrationResult | HealthResult> {
  switch (plan.part) {
    case 'registration':
      return executeRegistration(context, plan);
    case 'health':
      return executeHealth(context, plan);
    default:
      return executeRepair(context, plan);
  }
}

/** Registration: observe → plan (pure) → execute. */
export async function reconcileRegistration(context: RegistrationContext): Promise<RegistrationResult> {
  return executePart(context, await planRegistrationFor(context));
}

/** Target health: observe → plan (pure) → execute (claims, then the alerts they release). */
export async function reconcileHealth(context: HealthContext): Promise<HealthResult> {
  return executePart(context, await planHealthFor(context));
}
