/**
 * Delivers the controller's configuration (SPEC §2) to the Lambda functions, validated at synth.
 *
 * - No deploy-time values in the document: it is written to a generated asset directory and shipped as a
 *   Lambda layer, read at `/opt/warden/config.json` (`WARDEN_CONFIG_FILE`). A layer holds far more than
 *   Lambda's 4 KB environment, so hundreds of bindings fit.
 * - Deploy-time values (ARNs of resources created by another stack): the document goes inline as
 *   `WARDEN_CONFIG` through `Stack.toJsonString`, and synth fails if the environment could exceed 4 KB.
 *
 * Validation: `parseConfig` (the functions' own schema) runs on a copy where each deploy-time value is
 * replaced by a placeholder of the same shape (one placeholder per distinct value, in the binding's own
 * account and region), and the values the stack provides at run time (`controllerRoleArns`,
 * `alerts.topicArn`, `alerts.stateTable`) by placeholders too. So a bad configuration fails `cdk synth` with
 * the field and the bad value named, and the functions never start with a document they would reject.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { parseConfig, type WardenConfig } from '../../functions/config.ts';
import type { DeployConfigInput } from '../context.ts';

export const CONFIG_FILE_PATH = '/opt/warden/config.json';

/** Lambda's limit on all environment variables of a function together (keys and values). */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** What a deploy-time value is assumed to take once resolved: longer than any ARN or name it stands for. */
export const TOKEN_SIZE_ESTIMATE = 160;

/** The fields that may hold deploy-time values, and the ARN shape a placeholder must have there. */
const TOKEN_FIELDS = ['loadBalancerArn', 'targetGroupArn', 'https.certificateArn'] as const;
type TokenField = (typeof TOKEN_FIELDS)[number];

export interface WardenConfigurationProps {
  /** The document, without the values the deployment provides (role, topic, table). */
  readonly config: DeployConfigInput;
  /** The functions' other environment variables, counted against the 4 KB budget when inline. */
  readonly baseEnvironment: Readonly<Record<string, string>>;
  readonly runtime: lambda.Runtime;
  readonly architecture: lambda.Architecture;
  /** Where the document came from, for error messages. @default 'the Warden stack configuration' */
  readonly source?: string;
}

export class WardenConfiguration extends Construct {
  /** How the document reaches the functions. */
  readonly delivery: 'layer' | 'inline';
  /** The variables that point the functions' loader at the document. */
  readonly environment: Readonly<Record<string, string>>;
  /** The layer holding the document (empty when inline). */
  readonly layers: readonly lambda.ILayerVersion[];
  /** The document as validated, placeholders in place of deploy-time values. */
  readonly validated: WardenConfig;

  constructor(scope: Construct, id: string, props: WardenConfigurationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const source = props.source ?? 'the Warden stack configuration';
    this.validated = validateDeployConfig(props.config, {
      source,
      account: Token.isUnresolved(stack.account) ? undefined : stack.account,
      region: Token.isUnresolved(stack.region) ? undefined : stack.region,
    });

    if (!containsTokens(props.config)) {
      this.delivery = 'layer';
      const layer = new lambda.LayerVersion(this, 'Layer', {
        code: lambda.Code.fromAsset(writeConfigAsset(props.config)),
        compatibleRuntimes: [props.runtime],
        compatibleArchitectures: [props.architecture],
        description: `alb-warden configuration (${props.config.bindings.length} binding(s)) at ${CONFIG_FILE_PATH}`,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.layers = [layer];
      this.environment = { WARDEN_CONFIG_FILE: CONFIG_FILE_PATH };
      return;
    }

    this.delivery = 'inline';
    this.layers = [];
    this.environment = { WARDEN_CONFIG: stack.toJsonString(props.config) };
    const size = estimateEnvironmentSize(stack, { ...props.baseEnvironment, ...this.environment });
    if (size > LAMBDA_ENVIRONMENT_LIMIT) {
      throw new Error(
        `${source}: the configuration refers to resources created in this deployment (for example the Edge ` +
          `stack's load balancer), so it must travel inline in the Lambda environment, which Lambda limits to ` +
          `${LAMBDA_ENVIRONMENT_LIMIT} bytes; this one could take about ${size} bytes. Bind existing load ` +
          `balancers by ARN (context "config") instead, so the configuration ships as a layer file with no ` +
          `size limit, or deploy the Edge stack first and copy its outputs into "config".`,
      );
    }
  }
}

/** Validates a deployment's configuration with the functions' own schema; throws ConfigError naming the field. */
export function validateDeployConfig(
  config: DeployConfigInput,
  options: { source: string; account?: string | undefined; region?: string | undefined },
): WardenConfig {
  const placeholders = new Map<string, string>();
  const bindings = Array.isArray(config.bindings)
    ? config.bindings.map((binding, index) =>
        substituteTokens(binding, `bindings[${index}]`, placeholders, options),
      )
    : config.bindings;
  rejectTokens({ ...config, bindings: undefined }, '', options.source);
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  return parseConfig(
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
}

/** Whether any string in the document is a CDK token (a value CloudFormation resolves at deploy time). */
export function containsTokens(value: unknown): boolean {
  if (typeof value === 'string') return Token.isUnresolved(value);
  if (Array.isArray(value)) return value.some(containsTokens);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(containsTokens);
  return false;
}

/**
 * An upper estimate of the environment's size once deployed: literal text as is, each deploy-time value as
 * TOKEN_SIZE_ESTIMATE bytes.
 */
export function estimateEnvironmentSize(stack: Stack, environment: Readonly<Record<string, string>>): number {
  let size = 0;
  for (const [key, value] of Object.entries(environment)) {
    size += Buffer.byteLength(key) + resolvedSize(stack.resolve(value));
  }
  return size;
}

function resolvedSize(resolved: unknown): number {
  if (typeof resolved === 'string') return Buffer.byteLength(resolved);
  if (typeof resolved === 'object' && resolved !== null && 'Fn::Join' in resolved) {
    const [separator, parts] = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return (
      parts.reduce<number>((sum, part) => sum + resolvedSize(part), 0) + separator.length * (parts.length - 1)
    );
  }
  return TOKEN_SIZE_ESTIMATE;
}

function substituteTokens(
  binding: unknown,
  path: string,
  placeholders: Map<string, string>,
  options: { source: string; account?: string | undefined; region?: string | undefined },
): unknown {
  if (typeof binding !== 'object' || binding === null || Array.isArray(binding)) return binding;
  const record = binding as Record<string, unknown>;
  const https =
    typeof record.https === 'object' && record.https !== null
      ? (record.https as Record<string, unknown>)
      : undefined;
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
  const copy: Record<string, unknown> = { ...record };
  for (const field of ['loadBalancerArn', 'targetGroupArn'] as const) {
    const value = record[field];
    if (typeof value === 'string' && Token.isUnresolved(value)) copy[field] = placeholder(field, value);
  }
  if (https && typeof https.certificateArn === 'string' && Token.isUnresolved(https.certificateArn)) {
    copy.https = { ...https, certificateArn: placeholder('https.certificateArn', https.certificateArn) };
  }
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
function writeConfigAsset(config: DeployConfigInput): string {
  const text = `${JSON.stringify(config, null, 2)}\n`;
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `alb-warden-config-${digest}`);
  mkdirSync(join(dir, 'warden'), { recursive: true });
  writeFileSync(join(dir, 'warden', 'config.json'), text);
  return dir;
}
