/**
 * CloudFormation stacks as a deployment leaves them: a name, a status and outputs. Deploying a template is
 * not simulated; the control API records a deployed stack (`POST /_sim/stacks`).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 */
import { AwsError } from '../errors.ts';
import { uuid } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';
import type { XmlObject } from '../protocols/xml.ts';
import type { Call, Environment } from './context.ts';

interface Stack {
  readonly name: string;
  readonly id: string;
  readonly createdAt: number;
  readonly outputs: Readonly<Record<string, string>>;
}

type Handler = (input: QueryInput, call: Call) => XmlObject;

export class CloudFormationService {
  readonly #env: Environment;
  readonly #stacks = new Map<string, Stack>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    DescribeStacks: (input) => {
      const name = input.str('StackName');
      const stacks = name === undefined ? [...this.#stacks.values()] : [this.#stack(name)];
      return { Stacks: stacks.map((stack) => this.#describe(stack)) };
    },
  };

  constructor(env: Environment) {
    this.#env = env;
  }

  /** Records a stack in CREATE_COMPLETE with these outputs (a later deployment replaces them). */
  deploy(name: string, outputs: Readonly<Record<string, string>>, now: number): Stack {
    const stack = this.#stacks.get(name) ?? {
      name,
      id: `arn:aws:cloudformation:${this.#env.region}:${this.#env.account}:stack/${name}/${uuid()}`,
      createdAt: now,
      outputs,
    };
    const deployed = { ...stack, outputs };
    this.#stacks.set(name, deployed);
    return deployed;
  }

  /** By name or stack id; a missing stack is a ValidationError, as at AWS. */
  #stack(nameOrId: string): Stack {
    const stack = [...this.#stacks.values()].find((s) => s.name === nameOrId || s.id === nameOrId);
    if (!stack) throw new AwsError('ValidationError', `Stack with id ${nameOrId} does not exist`);
    return stack;
  }

  #describe(stack: Stack): XmlObject {
    return {
      StackId: stack.id,
      StackName: stack.name,
      CreationTime: new Date(stack.createdAt),
      StackStatus: 'CREATE_COMPLETE',
      Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    };
  }
}
