/**
 * A thousand bindings, the most the configuration accepts: every CloudFormation, IAM and Lambda limit holds,
 * checked on the synthesized templates, and a deployment that would break one fails synth saying what to do.
 * Limits: "CloudFormation quotas" (500 resources per stack, 1 MB template body from S3),
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html; "IAM and AWS STS
 * quotas" (10,240 characters of inline policy per role, 6,144 per managed policy, whitespace not counted),
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html; "Lambda quotas" (4 KB of
 * environment variables), https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html.
 */
import { NestedStack, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBundles } from './support/bundles.ts';
import { ENV, flaggedApp, siteBindings } from './support/synth.ts';
import { WardenStack } from './support/warden-stack.ts';

const MAX_BINDINGS = 1000;

const bindings = (count: number) =>
  siteBindings(count).map((binding) => ({ ...binding, healthCheck: { path: '/health', matcher: '200' } }));

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** IAM counts policy size without whitespace. */
const iamSize = (document: unknown) => JSON.stringify(document).length;

let stack: WardenStack;
let templates: { name: string; json: { Resources: Resources } }[];

beforeAll(async () => {
  const distDir = await ensureBundles();
  stack = new WardenStack(flaggedApp(), 'Thousand', {
    env: ENV,
    bundleDir: distDir,
    config: { bindings: bindings(MAX_BINDINGS) },
    guardTag: { key: 'alb-warden', value: 'guarded' },
  });
  const stacks: Stack[] = [
    stack,
    ...stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack),
  ];
  templates = stacks.map((s) => ({
    name: s.node.path,
    json: Template.fromStack(s).toJSON() as { Resources: Resources },
  }));
});

describe(`${MAX_BINDINGS} bindings, writes scoped by tag`, () => {
  it('keeps every stack within 500 resources', () => {
    expect(templates.length).toBeGreaterThan(1);
    for (const { name, json } of templates) {
      expect(Object.keys(json.Resources).length, name).toBeLessThanOrEqual(500);
    }
  });

  it('keeps every template within 1 MB', () => {
    for (const { name, json } of templates) {
      expect(Buffer.byteLength(JSON.stringify(json)), name).toBeLessThanOrEqual(1024 * 1024);
    }
  });

  it('keeps every role’s inline policies within 10,240 characters and no managed policy beyond 6,144', () => {
    const resources = templates.flatMap(({ json }) => Object.values(json.Resources));
    const roles = templates.flatMap(({ json }) =>
      Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role'),
    );
    expect(roles.length).toBeGreaterThanOrEqual(3);
    for (const [id, role] of roles) {
      const attached = resources
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .filter((r) => JSON.stringify(r.Properties?.Roles).includes(JSON.stringify({ Ref: id })));
      const inline = ((role.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map(
        (p) => p.PolicyDocument,
      );
      const size = [...inline, ...attached.map((p) => p.Properties?.PolicyDocument)].reduce<number>(
        (sum, document) => sum + iamSize(document),
        0,
      );
      expect(size, id).toBeLessThanOrEqual(10_240);
    }
    for (const policy of resources.filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')) {
      expect(iamSize(policy.Properties?.PolicyDocument)).toBeLessThanOrEqual(6_144);
    }
  });

  it('keeps each function’s environment within 4 KB and the configuration in the layer', () => {
    for (const fn of Object.values(stack.functions)) {
      const resolved = templates[0]?.json.Resources[
        stack.getLogicalId(fn.function.node.defaultChild as never)
      ]?.Properties?.Environment as { Variables: Record<string, unknown> };
      const size = Object.entries(resolved.Variables).reduce(
        (sum, [key, value]) => sum + key.length + (typeof value === 'string' ? value.length : 160),
        0,
      );
      expect(resolved.Variables.WARDEN_CONFIG_FILE).toBe('/opt/warden/config.json');
      expect(size).toBeLessThanOrEqual(4096);
    }
  });

  it('still backstops every bound target group with its two alarms', () => {
    const alarms = templates
      .flatMap(({ json }) => Object.values(json.Resources))
      .filter(
        (r) =>
          r.Type === 'AWS::CloudWatch::Alarm' && String(r.Properties?.AlarmDescription).includes('backstop'),
      );

    expect(alarms).toHaveLength(2 * MAX_BINDINGS);
  });
});

describe('bindings listed by ARN', () => {
  it('fails synth past what IAM allows a role, saying to scope by tag, instead of failing the deployment', async () => {
    const distDir = await ensureBundles();

    expect(
      () =>
        new WardenStack(flaggedApp(), 'Listed', {
          env: ENV,
          bundleDir: distDir,
          config: { bindings: bindings(MAX_BINDINGS) },
        }),
    ).toThrow(
      /listing the 1000 bound load balancers and target groups by ARN would take the (register|guard|sweep) function's role \d+ managed policies .* IAM allows 10240 characters inline and 10 managed policies of 6144 characters per role\. Scope the permissions by tag instead: .*-c guardTag=KEY=VALUE/,
    );
  });

  it('spreads a hundred bindings by ARN over the inline policy and managed policies, each within IAM’s limits', async () => {
    const listed = new WardenStack(flaggedApp(), 'Hundred', {
      env: ENV,
      bundleDir: await ensureBundles(),
      config: { bindings: bindings(100) },
    });
    const resources = Object.values(
      (Template.fromStack(listed).toJSON() as { Resources: Resources }).Resources,
    );
    const documents = (type: string) =>
      resources.filter((r) => r.Type === type).map((r) => listed.resolve(r.Properties?.PolicyDocument));

    for (const document of documents('AWS::IAM::Policy'))
      expect(iamSize(document)).toBeLessThanOrEqual(10_240);
    for (const document of documents('AWS::IAM::ManagedPolicy')) {
      expect(iamSize(document)).toBeLessThanOrEqual(6_144);
    }
    for (const role of Object.values(listed.roles)) {
      expect(role.overflow.length).toBeLessThanOrEqual(10);
    }
    expect(listed.roles['sweep-worker'].overflow.length).toBeGreaterThan(0);
    const listedTargetGroups = JSON.stringify(
      documents('AWS::IAM::ManagedPolicy').concat(documents('AWS::IAM::Policy')),
    );
    for (const binding of bindings(100)) expect(listedTargetGroups).toContain(binding.targetGroupArn);
  });
});
