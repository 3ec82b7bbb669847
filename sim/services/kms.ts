/**
 * KMS keys and their key policies (only the policy named `default` exists). A key created without a policy
 * gets AWS's default: the account root may do everything.
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */
import { AwsError } from '../errors.ts';
import { uuid } from '../ids.ts';
import type { Call, Environment } from './context.ts';
import { type JsonBody, optionalString, requiredString } from './json-input.ts';

interface Key {
  readonly id: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly description: string;
  policy: string;
}

type Handler = (body: JsonBody, call: Call) => JsonBody;

export class KmsService {
  readonly #env: Environment;
  readonly #keys = new Map<string, Key>();
  readonly #aliases = new Map<string, string>();

  readonly handlers: Readonly<Record<string, Handler>> = {
    CreateKey: (body, call) => this.#createKey(body, call.now),
    DescribeKey: (body) => ({ KeyMetadata: this.#metadata(this.#key(requiredString(body, 'KeyId'))) }),
    CreateAlias: (body) => {
      const alias = requiredString(body, 'AliasName');
      if (!alias.startsWith('alias/') || alias.startsWith('alias/aws/'))
        throw new AwsError(
          'ValidationException',
          `Alias must start with the prefix "alias/" and not "alias/aws/": ${alias}`,
        );
      this.#aliases.set(alias, this.#key(requiredString(body, 'TargetKeyId')).id);
      return {};
    },
    // https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
    GetKeyPolicy: (body) => {
      const key = this.#key(requiredString(body, 'KeyId'));
      this.#policyName(body);
      return { Policy: key.policy, PolicyName: 'default' };
    },
    PutKeyPolicy: (body) => {
      const key = this.#key(requiredString(body, 'KeyId'));
      this.#policyName(body);
      key.policy = validPolicy(requiredString(body, 'Policy'));
      return {};
    },
  };

  constructor(env: Environment) {
    this.#env = env;
  }

  #createKey(body: JsonBody, now: number): JsonBody {
    const id = uuid();
    const policy = optionalString(body, 'Policy');
    const key: Key = {
      id,
      arn: `arn:aws:kms:${this.#env.region}:${this.#env.account}:key/${id}`,
      createdAt: now,
      description: optionalString(body, 'Description') ?? '',
      policy: policy === undefined ? this.#defaultPolicy() : validPolicy(policy),
    };
    this.#keys.set(id, key);
    return { KeyMetadata: this.#metadata(key) };
  }

  /** A key by id, ARN, alias name or alias ARN; NotFoundException otherwise. */
  #key(keyId: string): Key {
    const alias = /^(?:arn:aws:kms:[^:]+:\d{12}:)?(alias\/.+)$/.exec(keyId)?.[1];
    const id = alias ? this.#aliases.get(alias) : keyId.split(':key/').pop();
    const key = id === undefined ? undefined : this.#keys.get(id);
    if (!key) throw new AwsError('NotFoundException', `Key '${keyId}' does not exist`);
    return key;
  }

  #policyName(body: JsonBody): void {
    const name = optionalString(body, 'PolicyName') ?? 'default';
    if (name !== 'default') throw new AwsError('NotFoundException', `Policy ${name} does not exist`);
  }

  #defaultPolicy(): string {
    return JSON.stringify({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${this.#env.account}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    });
  }

  #metadata(key: Key): JsonBody {
    return {
      AWSAccountId: this.#env.account,
      KeyId: key.id,
      Arn: key.arn,
      CreationDate: key.createdAt / 1000,
      Enabled: true,
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeySpec: 'SYMMETRIC_DEFAULT',
    };
  }
}

function validPolicy(policy: string): string {
  try {
    JSON.parse(policy);
  } catch {
    throw new AwsError('MalformedPolicyDocumentException', 'The new key policy is not valid JSON.');
  }
  return policy;
}
