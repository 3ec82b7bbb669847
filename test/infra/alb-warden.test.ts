/**
 * AlbWarden and AlbWardenEdge as a user's app meets them: props checked at construction with the prop and the
 * value named, the same messages as `alb-warden validate`; an Edge topology in the user's own stack; and the
 * resources a user wires further, exposed.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/errors.ts';
import { AlbWarden, type AlbWardenConfig, AlbWardenEdge, type AlbWardenProps } from '../../infra/index.ts';
import { ensureBundles } from './support/bundles.ts';
import { cfn, ENV, flaggedApp } from './support/synth.ts';

const ARN = 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012';
const binding = (name: string, id: string) => ({
  name,
  loadBalancerArn: `${ARN}:loadbalancer/app/${name}/${id}`,
  targetGroupArn: `${ARN}:targetgroup/${name}/${id}`,
  instanceSelector: { tags: { Role: name } },
});
const CONFIG: AlbWardenConfig = { bindings: [binding('web', '50dc6c495c0c9188')] };

let bundleDir: string;
beforeAll(async () => {
  bundleDir = await ensureBundles();
});

function warden(props: Partial<AlbWardenProps> & Record<string, unknown>) {
  const stack = new Stack(flaggedApp(), 'App', { env: ENV });
  return new AlbWarden(stack, 'Warden', { bundleDir, config: CONFIG, ...props } as AlbWardenProps);
}

describe('bad props fail at construction, naming the prop and the value', () => {
  it('names the configuration field and the value, as alb-warden validate does', () => {
    const config = { bindings: [{ ...binding('web', '50dc6c495c0c9188'), loadBalancerArn: 'web-alb' }] };

    const build = () => warden({ config });

    expect(build).toThrow(ConfigError);
    expect(build).toThrow(
      /AlbWarden props\.config[\s\S]*bindings\[0\]\.loadBalancerArn: must be an ARN like .*got "web-alb"/,
    );
  });

  it('refuses a mode the controller does not know', () => {
    expect(() => warden({ config: { ...CONFIG, mode: 'enforced' as never } })).toThrow(
      /mode: .*got "enforced"/,
    );
  });

  it('refuses what the construct creates itself', () => {
    const config = { ...CONFIG, controllerRoleArns: ['arn:aws:iam::123456789012:role/x'] };

    expect(() => warden({ config })).toThrow(
      /AlbWarden props\.config\.controllerRoleArns: the construct provides it/,
    );
  });

  it('names an alert email that is not one', () => {
    expect(() => warden({ alertEmails: ['oncall@example.com', 'oncall'] })).toThrow(
      'AlbWarden props.alertEmails[1]: "oncall" is not an email address',
    );
  });

  it('refuses a guard tag key AWS reserves', () => {
    expect(() => warden({ guardTag: { key: 'aws:owner', value: 'x' } })).toThrow(
      /AlbWarden props\.guardTag\.key: "aws:owner"/,
    );
  });
});

describe('an Edge topology in the same stack', () => {
  it('is bound by its own resources, with no SSM parameter read back in the stack that writes it', () => {
    const stack = new Stack(flaggedApp(), 'Together', { env: ENV });
    const edge = new AlbWardenEdge(stack, 'Edge', {
      certificateArn:
        'arn:aws:acm:ap-northeast-2:123456789012:certificate/3f4e6a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    });

    const controller = new AlbWarden(stack, 'Warden', {
      bundleDir,
      config: CONFIG,
      edge: { topology: edge },
    });

    const template = Template.fromStack(stack).toJSON();
    const ssmReads = Object.values(template.Parameters ?? {}).filter((p) =>
      String((p as { Default?: string }).Default).startsWith('/alb-warden/'),
    );
    expect(
      Object.keys(template.Resources).filter((id) => id.startsWith('EdgeLoadBalancerArnParameter')),
    ).toHaveLength(1);
    expect(ssmReads).toEqual([]);
    const document = controller.configuration.document as { bindings: { name: string }[] };
    expect(document.bindings.map((b) => b.name)).toEqual(['web', 'edge']);
    expect(cfn(stack, controller.configuration.environment.WARDEN_BINDING_1_LOAD_BALANCER_ARN)).toEqual({
      Ref: expect.stringMatching(/^EdgeLoadBalancer/),
    });
  });
});

describe('what a user wires further', () => {
  it('exposes the topic, the table, the dashboard and the functions', () => {
    const controller = warden({});
    const template = Template.fromStack(Stack.of(controller));

    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'alb-warden alerts' });
    expect(controller.topic).toBe(controller.alerts.topic);
    expect(controller.table).toBe(controller.alerts.table);
    expect(controller.dashboard).toBe(controller.monitoring.dashboard);
    expect(Object.keys(controller.functions)).toEqual(['register', 'guard', 'sweep', 'sweep-worker']);
  });
});
