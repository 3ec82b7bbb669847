/**
 * A binding's plan: one plan value per part (listeners, health check, registration, target health), each
 * with its decision and reason, its AWS steps, its state claims and the alerts each claim releases. `status`
 * assembles it and stops; a sweep (enforcing or dry-run) hands each part to the one executor. Pure.
 */
import type { HealthPlan } from './health-plan.ts';
import type { RegistrationPartPlan } from './registration-plan.ts';
import type { RepairPlan } from './repair-plan.ts';

export type PartPlan = RepairPlan | RegistrationPartPlan | HealthPlan;

export interface BindingPlan {
  readonly binding: string;
  readonly listeners: RepairPlan;
  /** Present for bindings that configure a health check. */
  readonly healthCheck?: RepairPlan | undefined;
  readonly registration: RegistrationPartPlan;
  readonly health: HealthPlan;
}
