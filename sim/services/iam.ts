/**
 * IAM roles with inline policies, and SimulatePrincipalPolicy over them: each action is evaluated on each
 * resource against the role's identity policies by @cloud-copilot/iam-simulate (IAM's evaluation logic:
 * explicit deny, then allow, else implicit deny).
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html
 * Decisions as EvaluationResult spells them (allowed | explicitDeny | implicitDeny):
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AwsError } from '../errors.ts';
import { IAM_PATH } from '../events.ts';
import { principalId } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import type { Call, Environment } from './context.ts';

interface Role {
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly assumeRolePolicy: string;
  /** Seconds; 3600 (the default) to 43200. */
  readonly maxSessionDuration: number;
  readonly policies: Map<string, unknown>;
}

/** What STS reads of a role: its ARN, path, trust policy and session limit. */
export type RoleForSts = Pick<Role, 'name' | 'path' | 'arn' | 'maxSessionDuration'> & {
  readonly trustPolicy: unknown;
};

type Handler = (input: QueryInput, call: Call) => XmlObject | Promise<XmlObject>;

const DECISION = {
  Allowed: 'allowed',
  ExplicitlyDenied: 'explicitDeny',
  ImplicitlyDenied: 'implicitDeny',
} as const;

export class IamService {
  readonly #env: Environment;
  readonly #roles = new Map<string, Role>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateRole: (input, call) => this.#createRole(input, call.now),
    GetRole: (input) => ({ Role: this.#describe(this.#role(input.required('RoleName'))) }),
    PutRolePolicy: (input) => {
      const role = this.#role(input.required('RoleName'));
      role.policies.set(input.required('PolicyName'), parsePolicy(input.required('PolicyDocument')));
      return {};
    },
    DeleteRolePolicy: (input) => {
      const role = this.#role(input.required('RoleName'));
      const name = input.required('PolicyName');
      if (!role.policies.delete(name))
        throw new AwsError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
      return {};
    },
    // https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html: inline policies go first.
    DeleteRole: (input) => {
      const role = this.#role(input.required('RoleName'));
      if (role.policies.size > 0)
        throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
      this.#roles.delete(role.name);
      return {};
    },
    SimulatePrincipalPolicy: (input) => this.#simulate(input),
  };

  /** The role STS would assume, or undefined when the account has no role of that name. */
  roleForSts(name: string): RoleForSts | undefined {
    const role = this.#roles.get(name);
    return (
      role && {
        name: role.name,
        path: role.path,
        arn: role.arn,
        maxSessionDuration: role.maxSessionDuration,
        trustPolicy: JSON.parse(role.assumeRolePolicy),
      }
    );
  }

  constructor(env: Environment) {
    this.#env = env;
  }

  #createRole(input: QueryInput, now: number): XmlObject {
    const name = input.required('RoleName');
    if (!/^[\w+=,.@-]{1,64}$/.test(name))
      throw new AwsError('ValidationError', `The specified value for roleName is invalid: ${name}`);
    if (this.#roles.has(name))
      throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
    const document = input.required('AssumeRolePolicyDocument');
    parsePolicy(document);
    const path = input.str('Path') ?? '/';
    if (!IAM_PATH.test(path))
      throw new AwsError('ValidationError', `The specified value for path is invalid: ${path}`);
    // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html: 3600 to 43200 seconds.
    const maxSessionDuration = input.int('MaxSessionDuration') ?? 3600;
    if (maxSessionDuration < 3600 || maxSessionDuration > 43200)
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${maxSessionDuration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`,
      );
    const role: Role = {
      name,
      path,
      arn: `arn:aws:iam::${this.#env.account}:role${path}${name}`,
      createdAt: now,
      assumeRolePolicy: document,
      maxSessionDuration,
      policies: new Map(),
    };
    this.#roles.set(name, role);
    return { Role: this.#describe(role) };
  }

  #role(name: string): Role {
    const role = this.#roles.get(name);
    if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return role;
  }

  #describe(role: Role): XmlObject {
    return {
      Path: role.path,
      RoleName: role.name,
      RoleId: principalId('AROA', role.arn),
      Arn: role.arn,
      CreateDate: new Date(role.createdAt),
      AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicy),
      MaxSessionDuration: role.maxSessionDuration,
    };
  }

  async #simulate(input: QueryInput): Promise<XmlObject> {
    const source = input.required('PolicySourceArn');
    const role = /^arn:aws:iam::\d{12}:role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(source)?.[1];
    if (!role) throw new AwsError('InvalidInput', `Invalid ARN: ${source} is not a role, user or group ARN.`);
    const policies = [...this.#role(role).policies.entries()];
    const actions = input.strings('ActionNames');
    if (actions.length === 0)
      throw new AwsError(
        'ValidationError',
        "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
      );
    const resources = input.strings('ResourceArns');
    const results: XmlObject[] = [];
    for (const action of actions) {
      for (const resource of resources.length > 0 ? resources : ['*']) {
        const outcome = await runSimulation(
          {
            request: {
              principal: source,
              action,
              resource: { resource, accountId: this.#env.account },
              contextVariables: {},
            },
            identityPolicies: policies.map(([name, policy]) => ({ name, policy })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          },
          {},
        );
        // A resource of a type the action does not take matches no statement of it: implicitly denied.
        const decision =
          outcome.resultType === 'error'
            ? 'implicitDeny'
            : (DECISION[outcome.overallResult as keyof typeof DECISION] ?? 'implicitDeny');
        results.push({ EvalActionName: action, EvalResourceName: resource, EvalDecision: decision });
      }
    }
    return { EvaluationResults: results, IsTruncated: false };
  }
}

function parsePolicy(document: string): unknown {
  try {
    return JSON.parse(document);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
}
