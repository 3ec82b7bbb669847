/**
 * The ELB share, checked on what the synthesized template deploys: each ELB-calling function's concurrency as
 * Lambda will cap it (reserved concurrency; the sweep queue's maximum concurrency for the workers) times the
 * share its handler gives each environment (ENVIRONMENT_SHARE) must stay within `limits.apiShare`. A
 * function without a cap breaks it: Lambda would run as many environments as events arrive.
 */
import { type CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  burstExcesses,
  ENVIRONMENT_SHARE,
  rateViolation,
  type ShareAllocation,
} from '../functions/domain/api-share.ts';
import type { ShareLimits } from '../functions/domain/sweep-schedule.ts';

export interface ShareCappedFunctions {
  readonly register: lambda.Function;
  readonly guard: lambda.Function;
  readonly 'sweep-worker': lambda.Function;
}

/** The deployed allocation: concurrency read from the template's resources; undefined where there is no cap. */
export function deployedAllocations(
  functions: ShareCappedFunctions,
  limits: ShareLimits,
): { allocations: ShareAllocation[]; uncapped: string[] } {
  const reserved = (fn: lambda.Function) =>
    numberOf(templateProperties(fn.node.defaultChild as CfnResource).ReservedConcurrentExecutions);
  const mapping = functions['sweep-worker'].node
    .findAll()
    .find((child): child is lambda.CfnEventSourceMapping => child instanceof lambda.CfnEventSourceMapping);
  const scaling = mapping && (templateProperties(mapping).ScalingConfig as { MaximumConcurrency?: unknown });
  const caps: [ShareAllocation['function'], number | undefined][] = [
    ['sweep-worker', numberOf(scaling?.MaximumConcurrency)],
    ['register', reserved(functions.register)],
    ['guard', reserved(functions.guard)],
  ];
  const allocations: ShareAllocation[] = [];
  const uncapped: string[] = [];
  for (const [name, concurrency] of caps) {
    if (concurrency === undefined) uncapped.push(name);
    else allocations.push({ function: name, concurrency, environmentShare: ENVIRONMENT_SHARE[name](limits) });
  }
  return { allocations, uncapped };
}

/** What breaks the rate (errors: the synth fails) and where bursts may overdraw it (warnings). */
export function checkApiShare(
  functions: ShareCappedFunctions,
  limits: ShareLimits,
): { errors: string[]; warnings: string[] } {
  const { allocations, uncapped } = deployedAllocations(functions, limits);
  const errors = uncapped.map(
    (name) =>
      `the ${name} function has no concurrency cap: its environments together could exceed limits.apiShare ` +
      `${limits.apiShare} of the ELB buckets`,
  );
  const rate = rateViolation(allocations, limits.apiShare);
  if (rate) errors.push(rate);
  return { errors, warnings: burstExcesses(allocations, limits.apiShare) };
}

/**
 * A resource's properties as the template will hold them: its L1 properties with every property override
 * (`addPropertyOverride`, `addPropertyDeletionOverride`) applied.
 */
function templateProperties(resource: CfnResource): Record<string, unknown> {
  const rendered = Stack.of(resource).resolve(resource._toCloudFormation()) as {
    readonly Resources: Readonly<Record<string, { readonly Properties?: Record<string, unknown> }>>;
  };
  return Object.values(rendered.Resources)[0]?.Properties ?? {};
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && !Token.isUnresolved(value) ? value : undefined;
}
