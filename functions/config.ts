/**
 * WardenConfig: the single source of the controller's behaviour.
 *
 * One schema validates it (unknown keys rejected, every default applied here and nowhere else), one loader
 * reads it for Lambda, the CLI, the demo and the tests, and the result is deep-frozen.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { hubScope, sameScope, scopeKey, scopeOfBinding } from './domain/accounts.ts';
import { arnParts } from './domain/arn.ts';
import type { BindingCheck } from './domain/discovery.ts';
import type { Binding, HealthCheckSettings, WardenSettings } from './domain/settings.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { closest } from './suggest.ts';

const PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
const REGION = '([a-z]{2}(-[a-z]+)+-\\d)';
const ACCOUNT = '(\\d{12})';

const arn = (pattern: string, example: string) =>
  z.string().regex(new RegExp(`^${pattern}$`), { message: `must be an ARN like ${example}` });

const loadBalancerArn = arn(
  `arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}`,
  'arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID (an Application Load Balancer)',
);
const targetGroupArn = arn(
  `arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}`,
  'arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID',
);
const certificateArn = arn(
  `arn:${PARTITION}:(acm|iam):${REGION}?:${ACCOUNT}:(certificate|server-certificate)/[A-Za-z0-9/_+=,.@-]+`,
  'arn:aws:acm:REGION:ACCOUNT:certificate/ID',
);
const topicArn = arn(
  `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:[A-Za-z0-9_-]{1,256}(\\.fifo)?`,
  'arn:aws:sns:REGION:ACCOUNT:NAME',
);
const roleArn = arn(
  `arn:${PARTITION}:iam::${ACCOUNT}:role/[A-Za-z0-9+=,.@_/-]{1,512}`,
  'arn:aws:iam::ACCOUNT:role/NAME',
);
const actorPattern = z
  .string()
  .regex(/^arn:[A-Za-z0-9*:/+=,.@_-]+$/, { message: 'must be an ARN, optionally with * wildcards' });

const port = z.number().int().min(1).max(65535);
const fraction = z.number().min(0).max(1);
const positiveMinutes = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 60);

/** Redirect ports are strings in the ELB API: a number or the `#{port}` placeholder. */
const redirectPort = z
  .string()
  .regex(/^(#\{port\}|[1-9]\d{0,4})$/, { message: 'must be a port number as a string (for example "443")' })
  .refine((value) => value === '#{port}' || Number(value) <= 65535, { message: 'must be at most 65535' });

const redirectSchema = z.strictObject({
  protocol: z.literal('HTTPS', { message: 'must be "HTTPS": the HTTP listener exists to redirect to HTTPS' }),
  port: redirectPort.optional(),
  statusCode: z.enum(['HTTP_301', 'HTTP_302']).default('HTTP_301'),
  host: z.string().min(1).max(128).default('#{host}'),
  path: z.string().min(1).max(128).startsWith('/', { message: 'must start with "/"' }).default('/#{path}'),
  query: z.string().max(128).default('#{query}'),
});

const httpSchema = z.strictObject({
  port: port.default(80),
  foreignRules: z.enum(['remove', 'report']).default('remove'),
  redirect: redirectSchema.prefault({ protocol: 'HTTPS' }),
});

const httpsSchema = z.strictObject({
  port: port.default(443),
  sslPolicy: z
    .string()
    .regex(/^ELBSecurityPolicy-[A-Za-z0-9-]+$/, { message: 'must be an ELB security policy name' })
    .default('ELBSecurityPolicy-TLS13-1-2-2021-06'),
  certificateArn: certificateArn.optional(),
  forward: z.enum(['exact', 'includes-target-group']).default('includes-target-group'),
});

const healthCheckSchema = z
  .strictObject({
    protocol: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
    port: z
      .string()
      .regex(/^(traffic-port|[1-9]\d{0,4})$/, {
        message: 'must be "traffic-port" or a port number as a string',
      })
      .default('traffic-port'),
    path: z.string().startsWith('/', { message: 'must start with "/"' }).max(1024),
    matcher: z.string().regex(/^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/, {
      message: 'must be HTTP codes like "200", "200,404" or "200-299"',
    }),
    intervalSeconds: z.number().int().min(5).max(300).default(30),
    timeoutSeconds: z.number().int().min(2).max(120).default(5),
    healthyThreshold: z.number().int().min(2).max(10).default(5),
    unhealthyThreshold: z.number().int().min(2).max(10).default(2),
  })
  .refine((hc) => hc.timeoutSeconds < hc.intervalSeconds, {
    message: 'timeoutSeconds must be less than intervalSeconds (an ELB rule)',
    path: ['timeoutSeconds'],
  });

const tagKey = z.string().min(1).max(128);
const tagValue = z.string().max(256);

const bindingName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, {
  message: 'must be 1-32 letters, digits, "-" or "_", starting with a letter or digit',
});

const selectorTags = z.record(tagKey, tagValue).refine((tags) => Object.keys(tags).length >= 1, {
  message: 'must name at least one tag: an empty selector would match every instance',
});

const bindingSchema = z
  .strictObject({
    name: bindingName,
    loadBalancerArn,
    targetGroupArn,
    targetPort: port.default(8080),
    instanceSelector: z.strictObject({ tags: selectorTags }),
    http: httpSchema.prefault({}),
    https: httpsSchema.prefault({}),
    healthCheck: healthCheckSchema.optional(),
  })
  .superRefine((binding, ctx) => {
    if (binding.http.port === binding.https.port) {
      ctx.addIssue({ code: 'custom', path: ['https', 'port'], message: 'must differ from http.port' });
    }
    const redirectPortValue = binding.http.redirect.port;
    if (redirectPortValue !== undefined && redirectPortValue !== String(binding.https.port)) {
      ctx.addIssue({
        code: 'custom',
        path: ['http', 'redirect', 'port'],
        message: `must be "${binding.https.port}" (https.port): a redirect elsewhere would send clients to a port with no HTTPS listener`,
      });
    }
    const lb = arnParts(binding.loadBalancerArn);
    const tg = arnParts(binding.targetGroupArn);
    if (lb && tg && (lb.region !== tg.region || lb.account !== tg.account)) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetGroupArn'],
        message: `must be in the load balancer's account and region (${lb.account}, ${lb.region})`,
      });
    }
  })
  .transform((binding) => ({
    ...binding,
    http: {
      ...binding.http,
      redirect: { ...binding.http.redirect, port: binding.http.redirect.port ?? String(binding.https.port) },
    },
  }));

/**
 * A discovery policy: the load balancers whose tags match `selector` are bindings, their target group, port
 * and instance selector read from tags (domain/discovery.ts), `defaults` filling what the tags leave out.
 */
const discoveryPolicySchema = z.strictObject({
  name: bindingName,
  selector: z.strictObject({
    // The Resource Groups Tagging API takes at most 50 tag filters a request.
    tags: z
      .record(tagKey, tagValue)
      .refine((tags) => Object.keys(tags).length >= 1 && Object.keys(tags).length <= 50, {
        message: 'must name 1-50 tags: an empty selector would select every load balancer',
      }),
  }),
  defaults: z
    .strictObject({
      targetPort: port.optional(),
      instanceSelector: z.strictObject({ tags: selectorTags }).optional(),
      http: httpSchema.optional(),
      https: httpsSchema.optional(),
      healthCheck: healthCheckSchema.optional(),
    })
    .prefault({}),
});

const memberSchema = z.strictObject({
  account: z.string().regex(new RegExp(`^${ACCOUNT}$`), { message: 'must be a 12-digit account id' }),
  regions: z
    .array(z.string().regex(new RegExp(`^${REGION}$`), { message: 'must be a region like eu-west-1' }))
    .min(1, { message: 'must list at least one region' }),
  roleName: z
    .string()
    .regex(/^[A-Za-z0-9+=,.@_-]{1,64}$/, { message: 'must be an IAM role name' })
    .optional(),
  // STS: 2-1224 characters of letters, digits and +=,.@:/-
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, { message: 'must be 2-1224 characters of letters, digits and +=,.@:/-' })
    .optional(),
  // Run in each of the member's regions with its role: the load balancers tagged there.
  discovery: z.array(discoveryPolicySchema).max(20).default([]),
});

const configSchema = z
  .strictObject({
    mode: z.enum(['enforce', 'dry-run']).default('enforce'),
    controllerRoleArns: z.array(roleArn).default([]),
    alerts: z.strictObject({
      topicArn,
      stateTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, { message: 'must be a DynamoDB table name' }),
      unhealthyAfterSweeps: z.number().int().min(1).max(100).default(2),
      remindEveryMinutes: z
        .number()
        .int()
        .min(0)
        .max(7 * 24 * 60)
        .default(60),
      stuckAfterMinutes: positiveMinutes.default(10),
      criticalBelowHealthyFraction: fraction.default(0.5),
      flapping: z
        .strictObject({
          transitions: z.number().int().min(2).max(100).default(4),
          windowMinutes: positiveMinutes.default(30),
        })
        .prefault({}),
      contextMinutes: positiveMinutes.default(30),
    }),
    safety: z.strictObject({ maxDeregisterFraction: fraction.default(0.5) }).prefault({}),
    approvedActors: z.array(actorPattern).default([]),
    approvalGraceMinutes: z.number().int().min(0).max(60).default(10),
    circuitBreaker: z
      .strictObject({
        maxRepairs: z.number().int().min(1).max(100).default(3),
        windowMinutes: positiveMinutes.default(30),
      })
      .prefault({}),
    coOwners: z
      .strictObject({
        services: z
          .array(
            z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/, {
              message: 'must be an AWS service principal like autoscaling.amazonaws.com',
            }),
          )
          .max(20)
          .default([
            'autoscaling.amazonaws.com',
            'codedeploy.amazonaws.com',
            'elasticbeanstalk.amazonaws.com',
          ]),
        // A lifecycle hook waits 3600 s by default, after the target group's 300 s of draining.
        holdMinutes: positiveMinutes.default(65),
      })
      .prefault({}),
    eventPipeline: z
      .strictObject({ warnAfterUnreportedDrifts: z.number().int().min(1).max(100).default(2) })
      .prefault({}),
    members: z.array(memberSchema).max(1000).default([]),
    limits: z
      .strictObject({
        concurrentBindings: z.number().int().min(1).max(64).default(4),
        apiShare: z.number().gt(0).max(1).default(0.25),
        // The sweep workers' part of apiShare; guard and register keep the rest, so they never wait behind sweeps.
        sweepFraction: z.number().gt(0).lt(1).default(0.5),
        // Concurrent sweep workers (the queue's maximum concurrency; Lambda's minimum is 2).
        sweepWorkers: z.number().int().min(2).max(1000).default(2),
      })
      .prefault({}),
    bindings: z.array(bindingSchema).max(1000).default([]),
    discovery: z.array(discoveryPolicySchema).max(20).default([]),
  })
  .superRefine((config, ctx) => {
    checkMembers(config, ctx);
    const memberPolicies = config.members.some((member) => member.discovery.length > 0);
    if (config.bindings.length === 0 && config.discovery.length === 0 && !memberPolicies) {
      ctx.addIssue({
        code: 'custom',
        path: ['bindings'],
        message: 'must list at least one binding, or configure at least one discovery policy',
      });
    }
    requireUniqueNames(config.discovery, ['discovery'], ctx);
    requireUniqueNames(config.bindings, ['bindings'], ctx);
    config.members.forEach((member, index) => {
      requireUniqueNames(member.discovery, ['members', index, 'discovery'], ctx);
    });
    const listeners = new Map<string, number>();
    config.bindings.forEach((binding, index) => {
      for (const port of [binding.http.port, binding.https.port]) {
        const key = `${binding.loadBalancerArn}:${port}`;
        const owner = listeners.get(key);
        if (owner !== undefined && owner !== index) {
          ctx.addIssue({
            code: 'custom',
            path: ['bindings', index, 'loadBalancerArn'],
            message: `listener port ${port} of this load balancer is already guarded by bindings[${owner}]: two bindings would fight over it`,
          });
        } else listeners.set(key, index);
      }
    });
  });

/**
 * With members, a binding in another account or region than the hub's is reached only through a member entry
 * for it; the same account and region listed twice would make its role ambiguous. Without members every
 * binding is called with the function's own credentials, as a single-account deployment always was.
 */
function checkMembers(
  config: Pick<WardenSettings, 'alerts' | 'bindings' | 'members'>,
  ctx: z.RefinementCtx,
): void {
  const hub = hubScope(config);
  const listed = new Map<string, number>();
  config.members.forEach((member, index) => {
    for (const region of member.regions) {
      const key = scopeKey({ account: member.account, region });
      const earlier = listed.get(key);
      if (earlier !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['members', index, 'regions'],
          message: `account ${member.account} in ${region} is already listed by members[${earlier}]`,
        });
      else listed.set(key, index);
      if (sameScope(hub, { account: member.account, region }))
        ctx.addIssue({
          code: 'custom',
          path: ['members', index],
          message: `account ${member.account} in ${region} is the hub's own (its alert topic's): the hub uses its own credentials there`,
        });
    }
  });
  if (config.members.length === 0) return;
  config.bindings.forEach((binding, index) => {
    const scope = scopeOfBinding(binding);
    if (sameScope(scope, hub) || listed.has(scopeKey(scope))) return;
    ctx.addIssue({
      code: 'custom',
      path: ['bindings', index, 'loadBalancerArn'],
      message: `binding "${binding.name}" is in account ${scope.account}, ${scope.region}, not the hub's (${hub.account}, ${hub.region}): add {"account": "${scope.account}", "regions": ["${scope.region}"]} to members`,
    });
  });
}

/** The domain owns these types; the schema must produce them (checked by the compiler below). */
export type WardenConfig = WardenSettings;
export type { Binding };
export type HealthCheckConfig = HealthCheckSettings;
const producesSettings: (parsed: z.output<typeof configSchema>) => WardenSettings = (parsed) => parsed;
/** The JSON form a person writes: every field with a default may be left out. */
export type WardenConfigInput = z.input<typeof configSchema>;

/**
 * Values only known at deploy time (the alert topic, the table, the controller's own roles) reach the Lambda
 * functions as environment variables; they override the document's fields of the same meaning.
 */
const ENV_OVERRIDES = {
  WARDEN_MODE: 'mode',
  WARDEN_ALERT_TOPIC_ARN: 'alerts.topicArn',
  WARDEN_ALERT_STATE_TABLE: 'alerts.stateTable',
  WARDEN_CONTROLLER_ROLE_ARNS: 'controllerRoleArns',
} as const;

/**
 * Validates one binding with the rules of the `bindings` list: how a discovered binding is checked. Issues
 * name the binding's own fields (`targetPort`, `instanceSelector.tags`).
 */
/** Each name once in the list: a later duplicate names the entry that has it first. */
function requireUniqueNames(
  items: readonly { readonly name: string }[],
  list: readonly (string | number)[],
  ctx: z.RefinementCtx,
): void {
  const first = new Map<string, number>();
  items.forEach((item, index) => {
    const earlier = first.get(item.name);
    if (earlier === undefined) first.set(item.name, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: [...list, index, 'name'],
        message: `"${item.name}" is already used by ${formatPath(list)}[${earlier}]: names must be unique`,
      });
  });
}

export const checkBinding: BindingCheck = (candidate) => {
  const result = bindingSchema.safeParse(candidate);
  if (result.success) return { binding: result.data };
  return {
    issues: result.error.issues.map((issue) => {
      const { field, message } = toConfigIssue(issue, candidate);
      return { field, message };
    }),
  };
};

/** Validates a configuration document and returns it with defaults applied, deep-frozen. */
export function parseConfig(document: unknown, source = 'configuration'): WardenConfig {
  const result = configSchema.safeParse(document);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => toConfigIssue(issue, document)),
    );
  }
  return deepFreeze(producesSettings(result.data));
}

export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

/**
 * Loads the configuration from `WARDEN_CONFIG` (inline JSON) or `WARDEN_CONFIG_FILE` (a path), then applies
 * the deploy-time overrides. Throws ConfigError naming the field and the bad value; never returns a partial
 * configuration.
 */
export function loadConfig(sources: ConfigSources = {}): WardenConfig {
  const env = sources.env ?? process.env;
  const readFile = sources.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const inline = env.WARDEN_CONFIG;
  const file = env.WARDEN_CONFIG_FILE;
  if (inline && file) {
    throw new ConfigError('environment', [
      { field: 'WARDEN_CONFIG', message: 'set either WARDEN_CONFIG or WARDEN_CONFIG_FILE, not both' },
    ]);
  }
  let source: string;
  let text: string;
  if (inline) {
    source = 'WARDEN_CONFIG';
    text = inline;
  } else if (file) {
    source = `WARDEN_CONFIG_FILE=${file}`;
    try {
      text = readFile(file);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new ConfigError(source, [{ field: 'WARDEN_CONFIG_FILE', message: `cannot be read: ${reason}` }], {
        cause,
      });
    }
  } else {
    throw new ConfigError('environment', [
      {
        field: 'WARDEN_CONFIG',
        message:
          'no configuration: set WARDEN_CONFIG (inline JSON) or WARDEN_CONFIG_FILE (a path to a JSON file)',
      },
    ]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(source, [{ field: '(document)', message: `is not valid JSON: ${reason}` }], {
      cause,
    });
  }
  return parseConfig(applyEnvOverrides(resolveEnvReferences(document, env, source), env), source);
}

/**
 * A value the deployment knows only when it deploys (an ARN of a stack deployed alongside) is written into the
 * document as `{"$env": "NAME"}`, and the environment variable NAME carries it (infra/constructs/
 * warden-configuration.ts): the document stays a layer file of any size, the environment holds only these.
 */
function resolveEnvReferences(
  node: unknown,
  env: Readonly<Record<string, string | undefined>>,
  source: string,
  path: readonly PropertyKey[] = [],
): unknown {
  if (Array.isArray(node))
    return node.map((item, index) => resolveEnvReferences(item, env, source, [...path, index]));
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === '$env') {
    const name = record.$env;
    const value = typeof name === 'string' ? env[name] : undefined;
    if (value === undefined || value === '') {
      throw new ConfigError(source, [
        {
          field: formatPath(path),
          message: `refers to the environment variable ${JSON.stringify(name)}, which is not set`,
        },
      ]);
    }
    return value;
  }
  return Object.fromEntries(
    keys.map((key) => [key, resolveEnvReferences(record[key], env, source, [...path, key])]),
  );
}

function applyEnvOverrides(document: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return document;
  const result: Record<string, unknown> = { ...document };
  for (const [variable, field] of Object.entries(ENV_OVERRIDES)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if (field === 'controllerRoleArns') {
      result.controllerRoleArns = value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
    } else if (field === 'mode') {
      result.mode = value;
    } else {
      const key = field === 'alerts.topicArn' ? 'topicArn' : 'stateTable';
      const alerts = typeof result.alerts === 'object' && result.alerts !== null ? result.alerts : {};
      result.alerts = { ...alerts, [key]: value };
    }
  }
  return result;
}

function toConfigIssue(issue: z.core.$ZodIssue, document: unknown): ConfigIssue {
  const field = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(configSchema, issue.path);
    const near = issue.keys.map((key) => closest(key, known));
    const keys = issue.keys
      .map((key, index) => `${JSON.stringify(key)}${near[index] ? ` (did you mean "${near[index]}"?)` : ''}`)
      .join(', ');
    const list = near.some((entry) => entry === undefined) ? `; known here: ${known.join(', ')}` : '';
    return { field, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${list}` };
  }
  // The value as written (not as parsed), so the message quotes what the person typed.
  const written = issue.path.reduce<unknown>(
    (node, key) =>
      typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    document,
  );
  if (written === undefined && issue.code === 'invalid_type') {
    return {
      field,
      message: `is required (${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected})`,
    };
  }
  return { field, message: `${issue.message}, got ${describeValue(written)}` };
}

/** The keys the schema allows for the object at `path`, for "did you mean". */
function knownKeys(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = schema;
  const steps = [...path];
  while (node) {
    const def = node._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    if (def.type === 'object') {
      if (steps.length === 0) return Object.keys(def.shape as object);
      node = (def.shape as Record<PropertyKey, z.core.$ZodType>)[steps.shift() as PropertyKey];
    } else if (def.type === 'array') {
      steps.shift();
      node = def.element as z.core.$ZodType;
    } else if (def.type === 'pipe') node = def.in as z.core.$ZodType;
    else node = def.innerType as z.core.$ZodType | undefined;
  }
  return [];
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(document)';
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
