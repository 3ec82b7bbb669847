/**
 * `alb-warden doctor`: a read-only diagnosis of a deployed controller with the operator's credentials. It
 * finds the deployment from the Warden stack's outputs, reads what decides whether the controller hears
 * about changes and can act on them, and turns each into a check (checks.ts).
 */
import type { Binding, WardenConfig } from '../../config.ts';
import { summarizePipeline } from '../../domain/pipeline-stats.ts';
import { decode, KEY } from '../../domain/state.ts';
import { errorText, isAwsError, WardenError } from '../../errors.ts';
import type { Instances, LoadBalancing, StateStore } from '../../ports.ts';
import { mapLimit } from '../../use-cases/context.ts';

import {
  bindingChecks,
  type Check,
  type CheckName,
  deadLetterCheck,
  functionsCheck,
  permissionsCheck,
  pipelineCheck,
  rulesCheck,
  scheduleIntervalMs,
  topicCheck,
  topicKeyCheck,
  trailCheck,
} from './checks.ts';
import { type Deployment, FUNCTION_NAMES, type FunctionName, type OperatorAws } from './model.ts';
import { permissionRequests } from './permissions.ts';

export interface DoctorContext {
  readonly aws: OperatorAws;
  readonly elb: LoadBalancing;
  readonly instances: Instances;
  readonly state: StateStore;
  readonly config: WardenConfig;
  readonly now: () => number;
}

/** The deployment cannot be found or its outputs are incomplete: a configuration error (exit 2). */
export class DeploymentError extends WardenError {}

const capitalize = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`;

/** The outputs the Warden stack declares (infra/alb-warden.ts); `overrides` supply or replace them. */
export async function findDeployment(
  aws: OperatorAws,
  stackName: string,
  overrides: Readonly<Record<string, string>> = {},
): Promise<Deployment> {
  const required = [
    'AlertTopicArn',
    'AlertStateTableName',
    'ControllerRoleArns',
    ...FUNCTION_NAMES.flatMap((fn) => [
      `${capitalize(fn)}FunctionName`,
      `${capitalize(fn)}DeadLetterQueueUrl`,
    ]),
  ];
  const complete = required.every((key) => overrides[key]);
  const stack = complete ? {} : await aws.stackOutputs(stackName);
  const region = await aws.region();
  if (!stack)
    throw new DeploymentError(
      `no stack ${stackName} in ${region}: pass --stack NAME (the Warden stack's name), or each output with --output KEY=VALUE`,
    );
  const outputs = { ...stack, ...overrides };
  const missing = required.filter((key) => !outputs[key]);
  if (missing.length > 0)
    throw new DeploymentError(
      `stack ${stackName} lacks the output(s) ${missing.join(', ')}: is it the alb-warden Warden stack? Pass them with --output KEY=VALUE`,
    );
  const value = (key: string) => outputs[key] ?? '';
  const roles = value('ControllerRoleArns').split(',');
  const account = /^arn:[^:]+:iam::(\d{12}):role\//.exec(roles[0] ?? '')?.[1];
  // A fourth role is the sweep worker's (the sweep then only queues): it is the one that reconciles.
  if (!account || (roles.length !== FUNCTION_NAMES.length && roles.length !== FUNCTION_NAMES.length + 1))
    throw new DeploymentError(
      `ControllerRoleArns "${value('ControllerRoleArns')}" is not the ${FUNCTION_NAMES.join(', ')} functions' role ARNs, comma-separated`,
    );
  return {
    stackName,
    region,
    account,
    topicArn: value('AlertTopicArn'),
    tableName: value('AlertStateTableName'),
    roleArns: Object.fromEntries(
      FUNCTION_NAMES.map((fn, index) => [
        fn,
        (fn === 'sweep' ? roles[FUNCTION_NAMES.length] : undefined) ?? roles[index] ?? '',
      ]),
    ) as Deployment['roleArns'],
    functions: Object.fromEntries(
      FUNCTION_NAMES.map((fn) => [
        fn,
        {
          name: value(`${capitalize(fn)}FunctionName`),
          deadLetterQueueUrl: value(`${capitalize(fn)}DeadLetterQueueUrl`),
        },
      ]),
    ) as Deployment['functions'],
  };
}

export function functionArn(deployment: Deployment, fn: FunctionName): string {
  return `arn:aws:lambda:${deployment.region}:${deployment.account}:function:${deployment.functions[fn].name}`;
}

const HOUR = 3600_000;
const PERIOD_SECONDS = 60;

export async function diagnose(
  context: DoctorContext,
  deployment: Deployment,
  bindings: readonly Binding[] = context.config.bindings,
): Promise<Check[]> {
  const { aws } = context;
  const trail = await attempt('trail', undefined, async () => {
    const observed = await Promise.all(
      (await aws.trails()).map(async (found) => ({
        trail: found,
        logging: await aws.isLogging(found.arn),
        selectors: await aws.eventSelectors(found.arn),
      })),
    );
    return trailCheck(deployment.region, observed);
  });
  let sweepInterval = 60_000;
  const rules = await each(FUNCTION_NAMES, (fn) =>
    attempt('rules', undefined, async () => {
      const found = await aws.rulesTargeting(functionArn(deployment, fn));
      const enabled = found.find((rule) => rule.state === 'ENABLED');
      if (fn === 'sweep') sweepInterval = scheduleIntervalMs(enabled?.scheduleExpression);
      return rulesCheck(fn, deployment.functions[fn].name, functionArn(deployment, fn), found);
    }),
  );
  const deadLetters = await each(FUNCTION_NAMES, (fn) => {
    const url = deployment.functions[fn].deadLetterQueueUrl;
    return attempt('dead-letters', undefined, async () =>
      deadLetterCheck(fn, url, await aws.queueDepth(url)),
    );
  });
  const functions = await each(FUNCTION_NAMES, (fn) =>
    attempt('functions', undefined, () =>
      functionCheck(context, deployment, fn, fn === 'sweep' ? sweepInterval : undefined),
    ),
  );
  const perBinding = await mapLimit(bindings, 4, async (binding) => [
    ...(await attempt('binding', binding.name, () => checkBinding(context, deployment, binding))),
    ...(await attempt('pipeline', binding.name, () => checkPipeline(context, binding))),
  ]);
  return [
    ...trail,
    ...rules,
    ...deadLetters,
    ...functions,
    ...(await alertChecks(context, deployment)),
    ...perBinding.flat(),
  ];
}

/** One check's work; a read that fails becomes a failed check that says what it needs. */
async function attempt(
  check: CheckName,
  binding: string | undefined,
  work: () => Promise<Check | Check[]>,
): Promise<Check[]> {
  try {
    return [await work()].flat();
  } catch (error) {
    const denied = isAwsError(error, 'AccessDenied', 'AuthorizationError', 'UnauthorizedOperation');
    return [
      {
        check,
        ...(binding ? { binding } : {}),
        ok: false,
        detail: `could not read: ${errorText(error)}`,
        fix: denied
          ? 'run the doctor with credentials that may read this (ReadOnlyAccess and iam:SimulatePrincipalPolicy)'
          : 'run the doctor again; if it persists, read the error above',
      },
    ];
  }
}

/** In order, one after the other (the sweep's rule sets the interval its metrics are judged by). */
async function each<T>(items: readonly T[], work: (item: T) => Promise<Check[]>): Promise<Check[]> {
  const checks: Check[] = [];
  for (const item of items) checks.push(...(await work(item)));
  return checks;
}

async function functionCheck(
  context: DoctorContext,
  deployment: Deployment,
  fn: FunctionName,
  sweepInterval: number | undefined,
): Promise<Check> {
  const to = context.now();
  const name = deployment.functions[fn].name;
  const [invocations, errors] = await Promise.all([
    context.aws.lambdaMetric(name, 'Invocations', to - HOUR, to, PERIOD_SECONDS),
    context.aws.lambdaMetric(name, 'Errors', to - HOUR, to, PERIOD_SECONDS),
  ]);
  return functionsCheck(
    fn,
    name,
    { invocations, errors, periodMs: PERIOD_SECONDS * 1000 },
    to,
    sweepInterval,
  );
}

async function alertChecks(context: DoctorContext, deployment: Deployment): Promise<Check[]> {
  const { aws } = context;
  let keyId: string | undefined;
  const topic = await attempt('alerts', undefined, async () => {
    const attributes = await aws.topicAttributes(deployment.topicArn);
    keyId = attributes?.KmsMasterKeyId;
    const subscriptions = attributes ? await aws.subscriptions(deployment.topicArn) : [];
    return topicCheck(deployment.topicArn, attributes, subscriptions);
  });
  const key = await attempt('alerts', undefined, async () =>
    topicKeyCheck(keyId, keyId ? await aws.keyPolicy(keyId) : undefined),
  );
  return [...topic, ...key];
}

async function checkPipeline(context: DoctorContext, binding: Binding): Promise<Check> {
  const records = new Map(
    (await context.state.load(binding.name)).map((record) => [record.key, record.data]),
  );
  const summary = summarizePipeline(
    decode.repairs(records.get(KEY.repairs)),
    decode.pipeline(records.get(KEY.pipeline)).unreported,
    context.now(),
  );
  return pipelineCheck(binding.name, summary, context.config.eventPipeline.warnAfterUnreportedDrifts);
}

async function checkBinding(
  context: DoctorContext,
  deployment: Deployment,
  binding: Binding,
): Promise<Check[]> {
  const { elb, instances, aws, config } = context;
  const listeners = await elb.listListeners(binding.loadBalancerArn).catch((error: unknown) => {
    if (isAwsError(error, 'LoadBalancerNotFound')) return undefined;
    throw error;
  });
  const [[group], matching] = await Promise.all([
    elb.describeTargetGroups([binding.targetGroupArn]),
    instances.findByTags(binding.instanceSelector.tags),
  ]);
  const checks = bindingChecks(binding, { listeners, group, instances: matching });

  const http = listeners?.find((listener) => listener.port === binding.http.port);
  const rules = http ? await elb.listRules(http.arn) : [];
  const candidates = [
    binding.loadBalancerArn,
    ...(listeners ?? []).map((listener) => listener.arn),
    ...rules.map((rule) => rule.arn),
    binding.targetGroupArn,
    deployment.topicArn,
    `arn:aws:dynamodb:${deployment.region}:${deployment.account}:table/${deployment.tableName}`,
  ];
  const results = await Promise.all(
    FUNCTION_NAMES.map(async (fn) => {
      const requests = await permissionRequests(fn, binding, config, candidates);
      const decisions = await aws.simulate(deployment.roleArns[fn], requests);
      return decisions.map((decision) => ({ ...decision, role: fn }));
    }),
  );
  checks.push(permissionsCheck(binding, results.flat()));
  return checks;
}
