/**
 * Delivers the controller's configuration to the Lambda functions as a file in a Lambda layer, read
 * at `/opt/warden/config.json` (`WARDEN_CONFIG_FILE`): a layer holds far more than Lambda's 4 KB environment,
 * so a thousand bindings fit. A value known only at deploy time (the Edge stack's ARNs) cannot be written
 * into the file at synth: the file holds `{"$env": "NAME"}` in its place, and the variable NAME carries the
 * value; the functions' loader (functions/config.ts) puts it back. Only those few values use the environment.
 *
 * Validation happens once, in the stack, before anything is built (validateDeployConfig below): `parseConfig`
 * (the functions' own schema) runs on a copy where each deploy-time value is replaced by a placeholder of the
 * same shape, and the values the stack provides at run time (`controllerRoleArns`, `alerts.topicArn`,
 * `alerts.stateTable`) by placeholders too. So a bad configuration fails `cdk synth` with the field and the
 * bad value named, and the functions never start with a document they would reject.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { parseConfig } from '../../functions/config.ts';
import type { WardenSettings } from '../../functions/domain/settings.ts';
import type { DeployConfigInput } from '../context.ts';

export const CONFIG_FILE_PATH = '/opt/warden/config.json';

/** The fields that may hold deploy-time values, and the ARN shape a placeholder must have there. */
const TOKEN_FIELDS = ['loadBalancerArn', 'targetGroupArn', 'https.certificateArn'] as const;
type TokenField = (typeof TOKEN_FIELDS)[number];

export interface WardenConfigurationProps {
  /** The document, without the values the deployment provides (role, topic, table). */
  readonly config: DeployConfigInput;
  readonly runtime: lambda.Runtime;
  readonly architecture: lambda.Architecture;
}

export class WardenConfiguration extends Construct {
  /** The variables that point the functions' loader at the document, and carry its deploy-time values. */
  readonly environment: Readonly<Record<string, string>>;
  /** The layer holding the document. */
  readonly layer: lambda.LayerVersion;
  /** The document as written into the layer. */
  readonly document: unknown;

  constructor(scope: Construct, id: string, props: WardenConfigurationProps) {
    super(scope, id);
    const variables: Record<string, string> = {};
    const names = new Map<string, string>();
    const bindings = (props.config.bindings ?? []).map((binding, index) =>
      replaceTokens(binding, (token, field) => {
        let name = names.get(token);
        if (!name) {
          name = `WARDEN_BINDING_${index}_${field
            .replace(/^https\./, '')
            .replace(/([a-z])([A-Z])/g, '$1_$2')
            .toUpperCase()}`;
          names.set(token, name);
          variables[name] = token;
        }
        return { $env: name };
      }),
    );
    this.document = { ...props.config, bindings };
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      code: lambda.Code.fromAsset(writeConfigAsset(this.document)),
      compatibleRuntimes: [props.runtime],
      compatibleArchitectures: [props.architecture],
      description: `alb-warden configuration (${bindings.length} binding(s)) at ${CONFIG_FILE_PATH}`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.environment = { WARDEN_CONFIG_FILE: CONFIG_FILE_PATH, ...variables };
  }
}

/** A copy of a binding with each deploy-time value (in a TOKEN_FIELDS field) replaced by `replace`'s result. */
function replaceTokens(binding: unknown, replace: (token: string, field: TokenField) => unknown): unknown {
  if (typeof binding !== 'object' || binding === null || Array.isArray(binding)) return binding;
  const copy: Record<string, unknown> = { ...binding };
  for (const field of ['loadBalancerArn', 'targetGroupArn'] as const) {
    const value = copy[field];
    if (typeof value === 'string' && Token.isUnresolved(value)) copy[field] = replace(value, field);
  }
  const https = copy.https;
  if (typeof https === 'object' && https !== null) {
    const certificateArn = (https as Record<string, unknown>).certificateArn;
    if (typeof certificateArn === 'string' && Token.isUnresolved(certificateArn)) {
      copy.https = { ...https, certificateArn: replace(certificateArn, 'https.certificateArn') };
    }
  }
  return copy;
}

/** Validates a deployment's configuration with the functions' own schema; throws ConfigError naming the field. */
export function validateDeployConfig(
  config: DeployConfigInput,
  options: { source: string; account?: string | undefined; region?: string | undefined },
): WardenSettings {
  const placeholders = new Map<string, string>();
  const bindings = Array.isArray(config.bindings)
    ? config.bindings.map((binding, index) =>
        substituteTokens(binding, `bindings[${index}]`, placeholders, options),
      )
    : config.bindings;
  rejectTokens({ ...config, bindings: undefined }, '', options.source);
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const parsed = parseConfig(
    {
      ...config,
      bindings,
      controllerRoleArns: [`arn:aws:iam::${account}:role/deploy-time-controller-role`],
      alerts: {
        ...config.alerts,
        topicArn: `arn:aws:sns:${region}:${account}:deploy-time-topic`,
        stateTable: 'deploy-time-table',
      },
    },
    options.source,
  );
  checkPlacement(parsed, options);
  return parsed;
}

/**
 * The functions call ELB and EC2 in their own account and region, and an HTTPS listener takes an ACM
 * certificate of its load balancer's region only: a binding elsewhere would synthesize and then never work.
 */
function checkPlacement(
  config: WardenSettings,
  options: { source: string; account?: string | undefined; region?: string | undefined },
): void {
  const problems: string[] = [];
  config.bindings.forEach((binding, index) => {
    const fields = [
      ['loadBalancerArn', binding.loadBalancerArn],
      ['targetGroupArn', binding.targetGroupArn],
      ['https.certificateArn', binding.https.certificateArn],
    ] as const;
    for (const [field, value] of fields) {
      if (value === undefined) continue;
      const [, , , region = '', account = ''] = value.split(':');
      const parts = { region, account };
      if (options.region !== undefined && parts.region !== '' && parts.region !== options.region) {
        problems.push(
          `bindings[${index}].${field}: is in ${parts.region}, but the stack deploys to ${options.region}`,
        );
      }
      if (options.account !== undefined && parts.account !== options.account) {
        problems.push(
          `bindings[${index}].${field}: is in account ${parts.account}, but the stack deploys to ${options.account}`,
        );
      }
    }
  });
  if (problems.length > 0) {
    throw new Error(
      `${options.source}: ${problems.join('; ')} (the controller acts in its own account and region: deploy one ` +
        'controller per account and region, each with its own bindings)',
    );
  }
}

function substituteTokens(
  binding: unknown,
  path: string,
  placeholders: Map<string, string>,
  options: { source: string; account?: string | undefined; region?: string | undefined },
): unknown {
  if (typeof binding !== 'object' || binding === null || Array.isArray(binding)) return binding;
  const record = binding as Record<string, unknown>;
  // The binding's own account and region, from its literal ARNs, so the placeholders pass the same-account check.
  const literal = [record.loadBalancerArn, record.targetGroupArn].find(
    (value): value is string => typeof value === 'string' && !Token.isUnresolved(value),
  );
  const [
    ,
    partition = 'aws',
    ,
    region = options.region ?? 'us-east-1',
    account = options.account ?? '123456789012',
  ] = literal?.split(':') ?? [];
  const placeholder = (field: TokenField, token: string): string => {
    const known = placeholders.get(`${field} ${token}`);
    if (known) return known;
    const n = placeholders.size + 1;
    const id = n.toString(16).padStart(16, '0');
    const made =
      field === 'https.certificateArn'
        ? `arn:${partition}:acm:${region}:${account}:certificate/deploy-time-${n}`
        : `arn:${partition}:elasticloadbalancing:${region}:${account}:${field === 'loadBalancerArn' ? 'loadbalancer/app' : 'targetgroup'}/deploy-time-${n}/${id}`;
    placeholders.set(`${field} ${token}`, made);
    return made;
  };
  const copy = replaceTokens(record, (token, field) => placeholder(field, token));
  rejectTokens(copy, path, options.source);
  return copy;
}

function rejectTokens(value: unknown, path: string, source: string): void {
  if (typeof value === 'string') {
    if (Token.isUnresolved(value)) {
      throw new Error(
        `${source}: ${path || '(document)'} is a deploy-time value; only ${TOKEN_FIELDS.join(', ')} of a ` +
          'binding may be (give a literal value here)',
      );
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      rejectTokens(item, `${path}[${index}]`, source);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value))
      rejectTokens(item, path ? `${path}.${key}` : key, source);
  }
}

/** Writes the document where a layer asset can take it from: `<dir>/warden/config.json`, keyed by content. */
function writeConfigAsset(config: unknown): string {
  const text = `${JSON.stringify(config, null, 2)}\n`;
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `alb-warden-config-${digest}`);
  mkdirSync(join(dir, 'warden'), { recursive: true });
  writeFileSync(join(dir, 'warden', 'config.json'), text);
  return dir;
}
