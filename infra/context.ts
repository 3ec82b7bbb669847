/**
 * The CDK context the app reads (cdk.json, or `cdk deploy -c KEY=VALUE`), validated into typed settings.
 *
 * | key            | meaning                                                                   | default                |
 * |----------------|---------------------------------------------------------------------------|------------------------|
 * | `account`      | AWS account to deploy to                                                  | the CLI's credentials  |
 * | `region`       | AWS region to deploy to                                                   | the CLI's region       |
 * | `config`       | the WardenConfig JSON (README, Configuration) without the deploy-time     | required               |
 * |                | values: no `controllerRoleArns`, `alerts.topicArn` or `alerts.stateTable` |                        |
 * |                | (the stack creates those); `bindings` name existing ALBs by ARN           |                        |
 * | `alertEmails`  | email addresses subscribed to the alert topic (array or "a@x,b@y")        | none                   |
 * | `createTrail`  | create a CloudTrail trail for management events (only where the account   | `false`                |
 * |                | has none: EventBridge sees API calls only where a trail records them)     |                        |
 * | `sweepSchedule`| EventBridge schedule expression of the sweep                              | `rate(1 minute)`       |
 * | `activeTracing`| Lambda active tracing (X-Ray) on the three functions                      | `false`                |
 * | `guardTag`     | `KEY=VALUE`: scope the functions' writes to ALB resources with this tag    | by the bound ARNs      |
 * |                | instead of listing ARNs (needed past a few dozen bindings: IAM's policy   |                        |
 * |                | size limit); tag each bound load balancer, its listeners and target group |                        |
 * | `deployEdge`   | also deploy the seed's ALB topology (stack AlbWardenEdge) and bind it     | `false`                |
 * | `edge`         | settings of that topology, an object:                                     |                        |
 * |   `bindingName`      | the binding's name in the controller's configuration                | `edge`                 |
 * |   `instanceSelector` | which instances belong in its target group                          | `{"tags":{"Role":"web"}}` |
 * |   `vpcId`            | an existing VPC (looked up once with credentials, then cached in     | a new VPC, 2 AZs       |
 * |                      | cdk.context.json); otherwise a new VPC                              |                        |
 * |   `availabilityZones`| the new VPC's two AZs (skips the AZ lookup, so synth runs offline)  | looked up              |
 * |   `certificateArn`   | ACM certificate of the HTTPS listener                               | see domainName         |
 * |   `domainName`, `hostedZoneId` | without certificateArn: a DNS-validated certificate for    | —                      |
 * |                      | domainName in that Route 53 zone; with or without it, alias A/AAAA  |                        |
 * |                      | records for domainName                                              |                        |
 * |   `healthCheck`      | the target group's health check (`path`, `matcher`, ...); the seed's | `/`, `200`             |
 * |                      | app answers 404 on `/`                                              |                        |
 * |   `sslPolicy`        | the HTTPS listener's security policy                                | ELBSecurityPolicy-TLS13-1-2-2021-06 |
 * |   `deletionProtection` | deletion protection on the load balancer                          | `false`                |
 * |   `listenerGeneration` | raise by one to replace both listeners (recovery, README Deploy)  | `0`                    |
 * |   `keepConfigBindings` | also guard the bindings of `config` (else the Edge binding replaces | `false`              |
 * |                      | them: cdk.json's sample names a load balancer of the example only)  |                        |
 *
 * Values given with `-c` arrive as strings: booleans as `true`/`false`, objects and arrays as JSON.
 */
import type { AlbWardenConfig, HealthCheckInput, InstanceSelectorInput } from './config-input.ts';

export type { HealthCheckInput, InstanceSelectorInput };
/** The configuration a deployment renders: WardenConfigInput less what only the deployment knows. */
export type DeployConfigInput = AlbWardenConfig;

export interface EdgeSettings {
  readonly bindingName: string;
  readonly keepConfigBindings: boolean;
  readonly deletionProtection: boolean;
  readonly listenerGeneration: number;
  readonly instanceSelector: InstanceSelectorInput;
  readonly vpcId?: string;
  readonly availabilityZones?: readonly string[];
  readonly certificateArn?: string;
  readonly domainName?: string;
  readonly hostedZoneId?: string;
  readonly healthCheck?: HealthCheckInput;
  readonly sslPolicy?: string;
}

export interface AppSettings {
  readonly account: string | undefined;
  readonly region: string | undefined;
  readonly config: DeployConfigInput;
  readonly alertEmails: readonly string[];
  readonly createTrail: boolean;
  readonly sweepSchedule: string;
  readonly activeTracing: boolean;
  readonly guardTag: { readonly key: string; readonly value: string } | undefined;
  readonly deployEdge: boolean;
  readonly edge: EdgeSettings;
}

/** A context value is missing or malformed; the message names the key and what to put there. */
export class ContextError extends Error {
  readonly key: string;

  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super(`context "${key}" ${message}`, options);
    this.name = 'ContextError';
    this.key = key;
  }
}

/** Deploy-time fields: the stack creates these and passes them to the functions as environment variables. */
const DEPLOY_TIME_FIELDS = [
  ['controllerRoleArns'],
  ['alerts', 'topicArn'],
  ['alerts', 'stateTable'],
] as const;

/** The first deploy-time field `config` sets, as a dotted path; undefined when it sets none. */
export function deployTimeFieldIn(config: unknown): string | undefined {
  for (const path of DEPLOY_TIME_FIELDS) {
    let node: unknown = config;
    for (const key of path) node = isRecord(node) ? node[key] : undefined;
    if (node !== undefined) return path.join('.');
  }
  return undefined;
}

export const EMAIL = /^[^@\s]+@[^@\s]+$/;

const EDGE_KEYS = new Set([
  'bindingName',
  'instanceSelector',
  'vpcId',
  'availabilityZones',
  'certificateArn',
  'domainName',
  'hostedZoneId',
  'healthCheck',
  'sslPolicy',
  'deletionProtection',
  'listenerGeneration',
  'keepConfigBindings',
]);

/**
 * Reads the app's settings from context. `lookup` is `node.tryGetContext`; `env` supplies the CLI's
 * default account and region.
 */
export function readSettings(
  lookup: (key: string) => unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): AppSettings {
  const account = optionalString(lookup, 'account') ?? env.CDK_DEFAULT_ACCOUNT;
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    throw new ContextError('account', `must be a 12-digit AWS account id, got ${JSON.stringify(account)}`);
  }
  const region = optionalString(lookup, 'region') ?? env.CDK_DEFAULT_REGION;
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new ContextError(
      'region',
      `must be an AWS region like ap-northeast-2, got ${JSON.stringify(region)}`,
    );
  }
  return {
    account,
    region,
    config: readConfig(lookup),
    alertEmails: readEmails(lookup),
    createTrail: readBoolean(lookup, 'createTrail', false),
    sweepSchedule: readSchedule(lookup),
    activeTracing: readBoolean(lookup, 'activeTracing', false),
    guardTag: readGuardTag(lookup),
    deployEdge: readBoolean(lookup, 'deployEdge', false),
    edge: readEdge(lookup),
  };
}

/**
 * The bindings the Warden stack guards: context "config"'s, except with `deployEdge`, where the Edge binding
 * replaces them (cdk.json's sample names a load balancer of the example only) unless `edge.keepConfigBindings`;
 * `dropped` names those replaced.
 */
export function wardenBindings(settings: AppSettings): {
  bindings: NonNullable<DeployConfigInput['bindings']>;
  dropped: string[];
} {
  const bindings = settings.config.bindings ?? [];
  if (!settings.deployEdge || settings.edge.keepConfigBindings) return { bindings, dropped: [] };
  return { bindings: [], dropped: bindings.map((binding) => binding.name) };
}

function readConfig(lookup: (key: string) => unknown): DeployConfigInput {
  const value = parsed(lookup, 'config');
  if (value === undefined) {
    throw new ContextError(
      'config',
      'is missing: give the controller configuration (README.md, Configuration; see cdk.json) as context "config"',
    );
  }
  if (!isRecord(value)) throw new ContextError('config', 'must be a JSON object (the WardenConfig document)');
  const provided = deployTimeFieldIn(value);
  if (provided) {
    throw new ContextError(
      'config',
      `sets ${provided}, which the deployment provides (the stack's own role, topic and table): remove it`,
    );
  }
  return value as unknown as DeployConfigInput;
}

function readEdge(lookup: (key: string) => unknown): EdgeSettings {
  const value = parsed(lookup, 'edge') ?? {};
  if (!isRecord(value)) throw new ContextError('edge', 'must be a JSON object');
  const unknown = Object.keys(value).filter((key) => !EDGE_KEYS.has(key));
  if (unknown.length > 0) {
    throw new ContextError('edge', `has unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  }
  const text = (key: string): string | undefined => {
    const item = value[key];
    if (item === undefined) return undefined;
    if (typeof item !== 'string' || item === '') throw new ContextError(`edge.${key}`, 'must be a string');
    return item;
  };
  const azs = value.availabilityZones;
  if (
    azs !== undefined &&
    (!Array.isArray(azs) || azs.length !== 2 || !azs.every((az) => typeof az === 'string'))
  ) {
    throw new ContextError('edge.availabilityZones', 'must list exactly two availability zone names');
  }
  const selector = value.instanceSelector ?? { tags: { Role: 'web' } };
  if (!isRecord(selector))
    throw new ContextError('edge.instanceSelector', 'must be an object like {"tags":{"Role":"web"}}');
  const healthCheck = value.healthCheck;
  if (healthCheck !== undefined && !isRecord(healthCheck)) {
    throw new ContextError('edge.healthCheck', 'must be an object like {"path":"/","matcher":"200"}');
  }
  const flag = (key: string): boolean => readBoolean((k) => value[k], key, false, `edge.${key}`);
  const generation = value.listenerGeneration ?? 0;
  if (typeof generation !== 'number' || !Number.isInteger(generation) || generation < 0) {
    throw new ContextError(
      'edge.listenerGeneration',
      `must be a whole number from 0, got ${JSON.stringify(generation)}`,
    );
  }
  return {
    bindingName: text('bindingName') ?? 'edge',
    keepConfigBindings: flag('keepConfigBindings'),
    deletionProtection: flag('deletionProtection'),
    listenerGeneration: generation,
    instanceSelector: selector as unknown as InstanceSelectorInput,
    vpcId: text('vpcId'),
    availabilityZones: azs as string[] | undefined,
    certificateArn: text('certificateArn'),
    domainName: text('domainName'),
    hostedZoneId: text('hostedZoneId'),
    healthCheck: healthCheck as HealthCheckInput | undefined,
    sslPolicy: text('sslPolicy'),
  };
}

function readEmails(lookup: (key: string) => unknown): string[] {
  const value = lookup('alertEmails');
  if (value === undefined || value === '') return [];
  const list =
    typeof value === 'string'
      ? value.trim().startsWith('[')
        ? parsed(lookup, 'alertEmails')
        : value.split(',').map((item) => item.trim())
      : value;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && EMAIL.test(item))) {
    throw new ContextError('alertEmails', `must be a list of email addresses, got ${JSON.stringify(value)}`);
  }
  return list;
}

function readSchedule(lookup: (key: string) => unknown): string {
  const value = optionalString(lookup, 'sweepSchedule') ?? 'rate(1 minute)';
  if (!/^(rate|cron)\(.+\)$/.test(value)) {
    throw new ContextError(
      'sweepSchedule',
      `must be an EventBridge schedule expression like "rate(1 minute)" or "cron(0/2 * * * ? *)", got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function readBoolean(lookup: (key: string) => unknown, key: string, fallback: boolean, name = key): boolean {
  const value = lookup(key);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ContextError(name, `must be true or false, got ${JSON.stringify(value)}`);
}

/** ELB tags: keys up to 128 characters, values up to 256, neither starting with `aws:`. */
function readGuardTag(lookup: (key: string) => unknown): AppSettings['guardTag'] {
  const value = optionalString(lookup, 'guardTag');
  if (value === undefined) return undefined;
  const match = /^([^=]{1,128})=(.{0,256})$/.exec(value);
  if (!match?.[1] || match[2] === undefined || match[1].startsWith('aws:')) {
    throw new ContextError(
      'guardTag',
      `must be KEY=VALUE, a tag on the bound load balancers, listeners and target groups, got ${JSON.stringify(value)}`,
    );
  }
  return { key: match[1], value: match[2] };
}

function optionalString(lookup: (key: string) => unknown, key: string): string | undefined {
  const value = lookup(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new ContextError(key, `must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An object or array from cdk.json, or the same given as JSON text with `-c`. */
function parsed(lookup: (key: string) => unknown, key: string): unknown {
  const value = lookup(key);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (cause) {
    throw new ContextError(
      key,
      `is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
