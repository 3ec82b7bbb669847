/**
 * Synthesizes the app exactly as `cdk synth` does with cdk.json (its feature flags and example context), with
 * optional context overrides, and offers the lookups the tests share.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { createApp, type WardenApp } from '../../../infra/app.ts';
import { ensureBundles, ROOT } from './bundles.ts';

// CloudFormation's rule validation (cdk.json's `validateAgainstDefaultRules`) costs about eight seconds in each
// test process and checks nothing these tests assert; synth.test.ts runs `cdk synth` with it, as a user does.
// cdk-nag still runs: the app registers it, and nag.test.ts applies it itself.
process.env.CDK_VALIDATION = 'false';

/**
 * Context of every app these tests build. Asset staging copies each function's bundle directory (its code and
 * source maps) into the app's new cdk.out, for files these tests never read: run on their own, the infra tests
 * took 13–19 s of CPU in the kernel with it and 2 s without. The asset hash, and so the template,
 * is the same without it (CDK computes it from the source before it copies). `cdk synth` (synth.test.ts) and
 * the packed package (package.test.ts) stage their assets, as a user's synth does.
 */
export const TEST_CONTEXT = { 'aws:cdk:disable-asset-staging': true } as const;

export const CDK_JSON = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: Record<string, unknown>;
};
/** cdk.json's feature flags only (the keys CDK itself owns). */
export const FEATURE_FLAGS = Object.fromEntries(
  Object.entries(CDK_JSON.context).filter(([key]) => key.startsWith('@aws-cdk')),
);
export const EXAMPLE_CONFIG = CDK_JSON.context.config as { bindings: Record<string, unknown>[] } & Record<
  string,
  unknown
>;
export const ACCOUNT = '123456789012';
export const REGION = 'ap-northeast-2';

export interface Synthesized extends WardenApp {
  readonly wardenTemplate: Template;
  readonly edgeTemplate?: Template;
}

const synthesized = new Map<string, Promise<Synthesized>>();

/**
 * The app with cdk.json's context, `overrides` on top. Synthesized once per distinct context in a test
 * process and shared: tests only read it (a test that adds constructs builds its own app with createApp).
 */
export function synth(overrides: Record<string, unknown> = {}): Promise<Synthesized> {
  const key = JSON.stringify(overrides);
  let app = synthesized.get(key);
  if (!app) {
    app = build(overrides);
    synthesized.set(key, app);
    // A failed synthesis is not cached: each test that expects it to fail sees it fail.
    app.catch(() => synthesized.delete(key));
  }
  return app;
}

async function build(overrides: Record<string, unknown>): Promise<Synthesized> {
  const distDir = await ensureBundles();
  const built = createApp({ context: { ...CDK_JSON.context, ...TEST_CONTEXT, ...overrides }, distDir });
  return {
    ...built,
    wardenTemplate: Template.fromStack(Stack.of(built.warden)),
    ...(built.edge ? { edgeTemplate: Template.fromStack(Stack.of(built.edge)) } : {}),
  };
}

/** An app carrying cdk.json's feature flags, for stacks constructed directly. */
export function flaggedApp(): App {
  return new App({ context: { ...FEATURE_FLAGS, ...TEST_CONTEXT } });
}

export const ENV = { account: ACCOUNT, region: REGION };

/** The CloudFormation form of a value (a token becomes its Ref / Fn::GetAtt / Fn::Join). */
export function cfn(scope: IConstruct, value: unknown): unknown {
  return Stack.of(scope).resolve(value);
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/** The properties of a construct's CloudFormation resource, from the synthesized template. */
export function propertiesOf(template: Template, construct: IConstruct): Record<string, unknown> {
  const resources = template.toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>;
  const resource = resources[logicalId(construct)];
  if (!resource) throw new Error(`${construct.node.path} is not in the template`);
  return resource.Properties ?? {};
}

/** Resources of one type, by logical id. */
export function resourcesOfType(
  template: Template,
  type: string,
): Record<string, { Properties: Record<string, unknown> }> {
  return template.findResources(type) as Record<string, { Properties: Record<string, unknown> }>;
}

/** `count` bindings of their own load balancer, target group, selector and certificate: `site-0` … */
export function siteBindings(count: number) {
  const elb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
  return Array.from({ length: count }, (_, i) => {
    const id = i.toString(16).padStart(16, '0');
    return {
      name: `site-${i}`,
      loadBalancerArn: `${elb}:loadbalancer/app/site-${i}-alb/${id}`,
      targetGroupArn: `${elb}:targetgroup/site-${i}-web/${id}`,
      instanceSelector: { tags: { Site: `site-${i}` } },
      https: { certificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/site-${i}` },
    };
  });
}
