/**
 * The ELB share holds across every concurrent invocation, read off the synthesized template: for each function
 * that calls ELB, its concurrency cap as deployed (reserved concurrency, the sweep queue's maximum concurrency)
 * times the share its handler gives one environment, summed, stays within `limits.apiShare`. The scheduler
 * calls no ELB API (iam.test.ts: its role grants none).
 */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { eventConcurrency, eventEnvironmentShare } from '../../functions/domain/api-share.ts';
import { workerShare } from '../../functions/domain/sweep-schedule.ts';
import { ensureBundles } from './support/bundles.ts';
import { ENV, EXAMPLE_CONFIG, flaggedApp, propertiesOf, resourcesOfType } from './support/synth.ts';
import { WardenStack } from './support/warden-stack.ts';

vi.setConfig({ testTimeout: 60_000 });

type Limits = { apiShare?: number; sweepFraction?: number; sweepWorkers?: number };

async function stack(id: string, limits: Limits): Promise<WardenStack> {
  return new WardenStack(flaggedApp(), id, {
    env: ENV,
    bundleDir: await ensureBundles(),
    config: { ...EXAMPLE_CONFIG, limits } as never,
  });
}

/** Σ over the functions of (environments at once, from the template) × (one environment's share). */
function deployedRate(variant: WardenStack, limits: Limits): number {
  const template = Template.fromStack(variant);
  // The limits as the functions load them; the construct provides the topic and table.
  const parsed = parseConfig({
    ...EXAMPLE_CONFIG,
    alerts: { topicArn: 'arn:aws:sns:ap-northeast-2:123456789012:alerts', stateTable: 'alert-state' },
    limits,
  }).limits;
  const reserved = (fn: lambda.Function) => {
    const value = propertiesOf(template, fn).ReservedConcurrentExecutions;
    if (typeof value !== 'number') throw new Error(`${fn.node.path} reserves no concurrency`);
    return value;
  };
  const [mapping] = Object.values(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping'));
  const workers = (mapping?.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined)
    ?.MaximumConcurrency;
  if (workers === undefined) throw new Error('the sweep queue has no maximum concurrency');
  const { functions } = variant.warden;
  return (
    workers * workerShare(parsed) +
    reserved(functions.register.function) * eventEnvironmentShare(parsed) +
    reserved(functions.guard.function) * eventEnvironmentShare(parsed)
  );
}

describe('the ELB share across concurrent invocations, as synthesized', () => {
  it.each<[string, Limits]>([
    ['the defaults', {}],
    ['the whole budget', { apiShare: 1 }],
    ['a small sweep fraction', { apiShare: 0.5, sweepFraction: 0.1 }],
    ['five workers', { sweepWorkers: 5 }],
    ['a large share and many workers', { apiShare: 0.8, sweepFraction: 0.7, sweepWorkers: 40 }],
  ])('holds for %s: Σ environments × share ≤ apiShare', async (name, limits) => {
    // Prepare
    const variant = await stack(name.replace(/\W/g, ''), limits);

    // Act
    const rate = deployedRate(variant, limits);

    // Assess
    expect(rate).toBeLessThanOrEqual((limits.apiShare ?? 0.25) + 1e-9);
    expect(rate).toBeGreaterThan((limits.apiShare ?? 0.25) * 0.99);
  });

  it('caps register and guard at the concurrency derived from the share: 1 each at the defaults, 2 for a large event part', async () => {
    const defaults = Template.fromStack(await stack('Defaults', {}));
    const large = Template.fromStack(await stack('Large', { apiShare: 1, sweepFraction: 0.1 }));

    expect(eventConcurrency({ apiShare: 0.25, sweepFraction: 0.5, sweepWorkers: 2 })).toBe(1);
    defaults.resourcePropertiesCountIs('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 }, 2);
    large.resourcePropertiesCountIs('AWS::Lambda::Function', { ReservedConcurrentExecutions: 2 }, 2);
  });

  it('fails the synth when a cap is lifted, naming the function and the share', async () => {
    // Prepare
    const variant = await stack('Lifted', {});
    const cfn = variant.warden.functions.guard.function.node.defaultChild as lambda.CfnFunction;

    // Act
    cfn.reservedConcurrentExecutions = undefined;

    // Assess
    expect(() => Template.fromStack(variant)).toThrow(
      /the guard function has no concurrency cap: .* exceed limits\.apiShare 0\.25/,
    );
  });

  it('fails the synth when a cap is raised past the share, naming each function’s part', async () => {
    const variant = await stack('Raised', {});
    const cfn = variant.warden.functions.register.function.node.defaultChild as lambda.CfnFunction;

    cfn.reservedConcurrentExecutions = 10;

    expect(() => Template.fromStack(variant)).toThrow(
      /take 0\.8125 of the ELB buckets \(sweep-worker 2 × 0\.0625 \+ register 10 × 0\.0625 \+ guard 1 × 0\.0625\), more than limits\.apiShare 0\.25/,
    );
  });

  it('reads the caps as the template holds them: a property override past the share fails the synth too', async () => {
    const variant = await stack('Overridden', {});
    const cfn = variant.warden.functions.register.function.node.defaultChild as lambda.CfnFunction;

    cfn.addPropertyOverride('ReservedConcurrentExecutions', 10);

    expect(() => Template.fromStack(variant)).toThrow(
      /register 10 × 0\.0625 .*more than limits\.apiShare 0\.25/,
    );
  });

  it('counts a cap removed by a property override as no cap', async () => {
    const variant = await stack('OverrideRemoved', {});
    const cfn = variant.warden.functions.guard.function.node.defaultChild as lambda.CfnFunction;

    cfn.addPropertyDeletionOverride('ReservedConcurrentExecutions');

    expect(() => Template.fromStack(variant)).toThrow(/the guard function has no concurrency cap/);
  });

  it('warns, without failing, when each of many workers holds a whole token beyond its part of a burst', async () => {
    const many = await stack('ManyWorkers', { sweepWorkers: 10 });
    const defaults = await stack('NoWarning', {});

    Annotations.fromStack(many).hasWarning(
      '*',
      Match.stringLikeRegexp('may spend 12\\.5 of the 20-token registration bucket at once'),
    );
    Annotations.fromStack(defaults).hasNoWarning('*', Match.stringLikeRegexp('bucket at once'));
  });
});
