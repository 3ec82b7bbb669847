/**
 * cdk-nag's AwsSolutions pack over every shape of the app: no unacknowledged finding, every acknowledgement
 * beside its construct with a reason, and none left over once its finding is gone. The app registers the
 * same pack, so a finding fails `cdk synth` too.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../infra/app.ts';
import { ensureBundles } from './support/bundles.ts';
import { CDK_JSON, ENV, EXAMPLE_CONFIG, flaggedApp, synth, TEST_CONTEXT } from './support/synth.ts';
import { WardenStack } from './support/warden-stack.ts';

// Synthesizing an app takes a second or two, more on a loaded CI machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Acknowledgements recorded with Validations.of(...).acknowledge, where they were made. */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** Every AwsSolutions finding, acknowledged or not: rule id → construct paths. */
function rawFindings(root: IConstruct): Map<string, string[]> {
  const pack = new AwsSolutionsChecks();
  Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
  return new Map(
    pack
      .validateScope(root)
      .violations.map((v) => [v.ruleName, v.violatingResources.map((r) => r.constructPath ?? '')]),
  );
}

/** Bindings of distinct load balancers and target groups, like the example's. */
function manyBindings(count: number) {
  const [example] = EXAMPLE_CONFIG.bindings as { loadBalancerArn: string; targetGroupArn: string }[];
  return Array.from({ length: count }, (_, i) => ({
    ...example,
    name: `web-${i}`,
    loadBalancerArn: example?.loadBalancerArn.replace(
      'web-alb/50dc6c495c0c9188',
      `web-${i}/${i.toString(16).padStart(16, '0')}`,
    ),
    targetGroupArn: example?.targetGroupArn.replace(
      'web-8080/73e2d6bc24d8a067',
      `web-${i}/${i.toString(16).padStart(16, '0')}`,
    ),
  }));
}

const variants: [string, Record<string, unknown>][] = [
  ['the example context (existing ARNs)', {}],
  [
    'with the Edge stack, a trail and email alerts',
    { deployEdge: true, createTrail: true, alertEmails: 'oncall@example.com' },
  ],
  ['in dry-run mode', { config: { ...EXAMPLE_CONFIG, mode: 'dry-run' } }],
  ['with writes scoped by tag', { guardTag: 'alb-warden=guarded' }],
  [
    'with more bindings by ARN than one policy holds',
    { config: { ...EXAMPLE_CONFIG, bindings: manyBindings(30) } },
  ],
];

describe.each(variants)('cdk-nag AwsSolutions, %s', (_name, context) => {
  it('has no unacknowledged finding', async () => {
    const { app } = await synth(context);

    const report = new AwsSolutionsChecks().validateScope(app);

    expect(
      report.violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });

  it('gives every acknowledgement a reason, and acknowledges only findings that exist', async () => {
    const { app } = await synth(context);
    const findings = rawFindings(app);

    for (const ack of acknowledgements(app)) {
      expect(ack.reason.length, `${ack.id} at ${ack.path} needs a reason`).toBeGreaterThan(30);
      if (!ack.id.startsWith('AwsSolutions-')) continue;
      const at = findings.get(ack.id) ?? [];
      expect(
        at.some((path) => path === ack.path || path.startsWith(`${ack.path}/`)),
        `${ack.id} is acknowledged at ${ack.path} but not found there`,
      ).toBe(true);
    }
  });
});

describe('cdk-nag beyond the example', () => {
  it('finds nothing unacknowledged with active tracing on', async () => {
    const app = flaggedApp();
    new WardenStack(app, 'Traced', {
      env: ENV,
      bundleDir: await ensureBundles(),
      config: EXAMPLE_CONFIG as never,
      activeTracing: true,
    });

    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('fails the app’s synth on a finding nobody acknowledged', async () => {
    await ensureBundles();
    const { app, warden } = createApp({
      context: { ...CDK_JSON.context, ...TEST_CONTEXT },
      distDir: await ensureBundles(),
    });
    new s3.Bucket(Stack.of(warden), 'Careless');

    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});
