/**
 * The configuration's trip from `cdk synth` to the functions: the stack writes the document into the layer with
 * `{"$env": NAME}` where a value is known only at deployment, and the functions' loader (functions/config.ts)
 * reads it back with those variables as CloudFormation sets them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetStaging } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config.ts';
import { CONFIG_FILE_PATH } from '../../infra/constructs/warden-configuration.ts';
import { CDK_JSON, propertiesOf, type Synthesized, synth } from './support/synth.ts';

const ELB = 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012';
/** What CloudFormation would put into the variables: the Edge stack's ARNs once deployed. */
const DEPLOYED: Readonly<Record<string, string>> = {
  loadbalancerarn: `${ELB}:loadbalancer/app/AlbWa-LoadB-1A2B3C4D5E6F/5555555555555555`,
  targetgrouparn: `${ELB}:targetgroup/AlbWar-Targe-ABCDEF123456/6666666666666666`,
  certificatearn: 'arn:aws:acm:ap-northeast-2:123456789012:certificate/edge',
};
const RUNTIME_VALUES = {
  WARDEN_ALERT_TOPIC_ARN: 'arn:aws:sns:ap-northeast-2:123456789012:alerts',
  WARDEN_ALERT_STATE_TABLE: 'alert-state',
  WARDEN_CONTROLLER_ROLE_ARNS: 'arn:aws:iam::123456789012:role/register,arn:aws:iam::123456789012:role/sweep',
};

let withEdge: Synthesized;
let layerText: string;
let variables: Record<string, string>;

beforeAll(async () => {
  withEdge = await synth({
    deployEdge: true,
    edge: { ...(CDK_JSON.context.edge as object), keepConfigBindings: true },
  });
  const staging = withEdge.warden.configuration.layer.node
    .findAll()
    .find((c): c is AssetStaging => c instanceof AssetStaging);
  layerText = readFileSync(join(staging?.absoluteStagedPath ?? '', 'warden', 'config.json'), 'utf8');
  const environment = propertiesOf(withEdge.wardenTemplate, withEdge.warden.functions.sweep.function)
    .Environment as { Variables: Record<string, unknown> };
  variables = Object.fromEntries(
    Object.entries(environment.Variables).map(([name, value]) => {
      const ref = typeof value === 'object' && value !== null ? String((value as { Ref?: string }).Ref) : '';
      const deployed = Object.entries(DEPLOYED).find(([key]) => ref.includes(key))?.[1];
      return [name, typeof value === 'string' ? value : (deployed ?? `unresolved ${ref}`)];
    }),
  );
});

describe('configuration delivered in the layer', () => {
  it('loads in the function with the deploy-time ARNs put back from the environment', () => {
    const config = loadConfig({
      env: { ...variables, ...RUNTIME_VALUES },
      readFile: (path) => {
        expect(path).toBe(CONFIG_FILE_PATH);
        return layerText;
      },
    });

    expect(config.bindings.map((binding) => binding.name)).toEqual(['web', 'edge']);
    expect(config.bindings[1]).toMatchObject({
      loadBalancerArn: DEPLOYED.loadbalancerarn,
      targetGroupArn: DEPLOYED.targetgrouparn,
      https: { certificateArn: DEPLOYED.certificatearn },
    });
    expect(config.controllerRoleArns).toHaveLength(2);
  });

  it('fails to load, naming the field and the variable, when a variable is missing', () => {
    const name = Object.keys(variables).find((key) => key.endsWith('_TARGET_GROUP_ARN')) ?? '';
    const { [name]: _, ...incomplete } = variables;

    expect(() =>
      loadConfig({ env: { ...incomplete, ...RUNTIME_VALUES }, readFile: () => layerText }),
    ).toThrow(
      new RegExp(
        `bindings\\[1\\]\\.targetGroupArn: refers to the environment variable "${name}", which is not set`,
      ),
    );
  });
});
