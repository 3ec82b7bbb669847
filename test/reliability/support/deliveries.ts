/**
 * The steps property tests interleave with what a co-owner does: the clock moving, CloudTrail's delivery
 * rules (late, twice, never), the controller handling what was delivered, and the sweep.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { sweep } from '../../../functions/use-cases/sweep.ts';
import type { EventFeed } from '../../../testkit/events.ts';
import { type Controller, pump, type World } from './world.ts';

export type DeliveryStep =
  | { readonly kind: 'clock'; readonly ms: number }
  | { readonly kind: 'deliver' | 'sweep' }
  | { readonly kind: 'trail'; readonly rule: 'drop' | 'delay' | 'duplicate'; readonly count: number };

/** Delivery steps, the clock moving by one of `clockSteps` milliseconds at a time. */
export function deliverySteps(clockSteps: readonly number[]): fc.Arbitrary<DeliveryStep> {
  return fc.oneof(
    fc.record({ kind: fc.constant('clock' as const), ms: fc.constantFrom(...clockSteps) }),
    fc.record({ kind: fc.constantFrom('deliver' as const, 'sweep' as const) }),
    fc.record({
      kind: fc.constant('trail' as const),
      rule: fc.constantFrom('drop' as const, 'delay' as const, 'duplicate' as const),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  );
}

/** Runs one delivery step: every delivered event and every sweep must end without an error. */
export async function runDeliveryStep(
  world: World,
  deps: Controller,
  cursor: EventFeed,
  step: DeliveryStep,
  advance: (ms: number) => Promise<void>,
): Promise<void> {
  switch (step.kind) {
    case 'clock':
      return advance(step.ms);
    case 'deliver':
      expect((await pump(world, deps, cursor)).errors).toEqual([]);
      return;
    case 'sweep':
      expect((await sweep(deps)).bindings.map((binding) => binding.status)).toEqual(['ok']);
      return;
    case 'trail':
      await world.control.cloudTrail({
        count: step.count,
        ...(step.rule === 'drop'
          ? { drop: true }
          : step.rule === 'delay'
            ? { delayMs: 600_000 }
            : { duplicates: 2 }),
      });
  }
}
