/**
 * IAM policy simulation over a synthesized template: the controller role's policies, with every
 * CloudFormation intrinsic resolved to a plausible physical value, evaluated by @cloud-copilot/iam-simulate.
 */
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT, REGION } from './synth.ts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface Policy {
  readonly Version: string;
  readonly Statement: readonly {
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: unknown;
  }[];
}

/**
 * Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, SSM parameter values (`values`, by parameter
 * name) and plain parameters (`values` by logical id, else their default; a CommaDelimitedList as a list).
 */
export function resolver(template: Template, values: Readonly<Record<string, string>> = {}) {
  const resources = template.toJSON().Resources as Resources;
  const parameters = (template.toJSON().Parameters ?? {}) as Record<
    string,
    { Type: string; Default?: string }
  >;
  const typeOf = (id: string) => {
    const type = resources[id]?.Type;
    if (!type) throw new Error(`no resource ${id} in the template`);
    return type;
  };
  const ref = (id: string): string | string[] => {
    const pseudo: Record<string, string> = {
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (pseudo[id]) return pseudo[id];
    const parameter = parameters[id];
    if (parameter && !parameter.Type.startsWith('AWS::SSM::')) {
      const value = values[id] ?? parameter.Default;
      if (value === undefined) throw new Error(`no value given for the parameter ${id}`);
      return parameter.Type === 'CommaDelimitedList' ? value.split(',') : value;
    }
    if (parameter?.Type.startsWith('AWS::SSM::Parameter::Value')) {
      const value = values[parameter.Default ?? ''];
      if (value === undefined) throw new Error(`no value given for the SSM parameter ${parameter.Default}`);
      return value;
    }
    switch (typeOf(id)) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
      case 'AWS::Lambda::LayerVersion':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:${id}:1`;
      default:
        return id;
    }
  };
  const arn = (id: string): string => {
    const type = typeOf(id);
    const arns: Record<string, string> = {
      'AWS::SNS::Topic': `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`,
      'AWS::DynamoDB::Table': `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`,
      'AWS::SQS::Queue': `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`,
      'AWS::IAM::Role': `arn:aws:iam::${ACCOUNT}:role/${id}`,
      'AWS::KMS::Key': `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`,
      'AWS::Logs::LogGroup': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`,
      'AWS::Lambda::Function': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`,
      'AWS::Events::Rule': `arn:aws:events:${REGION}:${ACCOUNT}:rule/${id}`,
    };
    const value = arns[type];
    if (!value) throw new Error(`no ARN known for ${type} (${id}); teach test/infra/support/iam.ts`);
    return value;
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const node = value as Record<string, unknown>;
    if ('Ref' in node) return ref(String(node.Ref));
    if ('Fn::GetAtt' in node) {
      const [id, attribute] = node['Fn::GetAtt'] as [string, string];
      if (attribute !== 'Arn') throw new Error(`Fn::GetAtt ${id}.${attribute} is not resolved by the test`);
      return arn(id);
    }
    if ('Fn::Join' in node) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(resolve(part))).join(separator);
    }
    if ('Fn::Select' in node) {
      const [index, list] = node['Fn::Select'] as [number, unknown];
      return (resolve(list) as unknown[])[index];
    }
    if ('Fn::Split' in node) {
      const [separator, source] = node['Fn::Split'] as [string, unknown];
      return String(resolve(source)).split(separator);
    }
    return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, resolve(item)]));
  };
  return { resolve, resources, arn, ref };
}

/**
 * The identity policies of a role, resolved: its inline policies and every AWS::IAM::Policy and
 * AWS::IAM::ManagedPolicy of the template attached to it.
 */
export function rolePolicies(
  template: Template,
  roleLogicalId: string,
  values: Readonly<Record<string, string>> = {},
): Policy[] {
  const { resolve, resources } = resolver(template, values);
  const role = resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
  if (role.Properties?.ManagedPolicyArns)
    throw new Error('the controller role must carry no managed policies but its own');
  const inline = ((role.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map(
    (p) => p.PolicyDocument,
  );
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter((r) => JSON.stringify(r.Properties?.Roles ?? []).includes(JSON.stringify({ Ref: roleLogicalId })))
    .map((r) => r.Properties?.PolicyDocument);
  return [...inline, ...attached].map((document) => resolve(document) as Policy);
}

/** Every action the policies allow. */
export function allowedActions(policies: readonly Policy[]): Set<string> {
  const actions = new Set<string>();
  for (const policy of policies) {
    for (const statement of policy.Statement) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action].flat()) actions.add(action);
    }
  }
  return actions;
}

export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly resourcePolicy?: unknown;
  readonly context?: Record<string, string | string[]>;
}

/** The decision for one request, or `invalid` when the resource is not of a type the action takes. */
export async function decide(
  principal: string,
  policies: readonly Policy[],
  request: Request,
): Promise<Decision | 'invalid'> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: request.context ?? {},
      },
      identityPolicies: policies.map((policy, index) => ({ name: `policy${index}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') {
    if (JSON.stringify(result.errors).includes('no.resource.types')) return 'invalid';
    throw new Error(
      `simulation of ${request.action} on ${request.resource} failed: ${JSON.stringify(result.errors)}`,
    );
  }
  return result.overallResult as Decision;
}

/** Whether IAM accepts only `*` as the resource of an action. */
export async function wildcardOnly(action: string): Promise<boolean> {
  const [service = '', name = ''] = action.split(':');
  return isWildcardOnlyAction(service, name);
}
