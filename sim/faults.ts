/**
 * Injected failures: the next N calls of an action fail with a chosen AWS error code, with the HTTP status
 * and spelling the real service uses, so the SDK's retry strategy classifies them as AWS's would.
 */
import { AwsError } from './errors.ts';

/** Every call count lists these, even before their first call. */
export const SERVICES = ['ec2', 'elbv2', 'sns', 'dynamodb', 'autoscaling'] as const;
export type ServiceName = (typeof SERVICES)[number];
/** Every simulated service; those beyond SERVICES appear in call counts once called. */
export const ALL_SERVICES = [
  ...SERVICES,
  'cloudtrail',
  'events',
  'monitoring',
  'sqs',
  'kms',
  'iam',
  'cloudformation',
  'tagging',
  'sts',
] as const;
export type AnyService = (typeof ALL_SERVICES)[number];

export interface FaultSpec {
  readonly service: AnyService;
  readonly action: string;
  readonly error: string;
  readonly count: number;
}

/** Thrown for a fault request the simulator cannot honour; the message names the bad field. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

// HTTP status per error code, from each service's common errors page (EC2 answers RequestLimitExceeded
// with 503; the awsQuery services throttle with 400; DynamoDB's errors are all 400 except 500s).
const STATUS: Readonly<Record<string, number>> = {
  Throttling: 400,
  ThrottlingException: 400,
  ProvisionedThroughputExceededException: 400,
  RequestLimitExceeded: 503,
  Throttled: 429,
  ThrottledException: 400,
  TooManyRequestsException: 429,
  InternalFailure: 500,
  InternalError: 500,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  Unavailable: 503,
  AccessDenied: 403,
  UnauthorizedOperation: 403,
  AuthorizationError: 403,
  AccessDeniedException: 400,
  // SNS's permanent Publish errors (API_Publish, Errors).
  NotFound: 404,
  EndpointDisabled: 400,
  KMSDisabled: 400,
  KMSNotFound: 400,
  KMSAccessDenied: 400,
  KMSInvalidState: 400,
  InvalidSecurity: 403,
};

const MESSAGES: Readonly<Record<string, string>> = {
  Throttling: 'Rate exceeded',
  ThrottlingException: 'Rate of requests exceeds the allowed throughput.',
  ProvisionedThroughputExceededException:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  RequestLimitExceeded: 'Request limit exceeded.',
  InternalFailure: 'The request processing has failed because of an unknown error, exception or failure.',
  InternalServerError: 'Internal server error',
  ServiceUnavailable: 'The request has failed due to a temporary failure of the server.',
  NotFound: 'Topic does not exist',
  KMSDisabled: "The request was rejected because the specified Amazon Web Services KMS key isn't enabled.",
  KMSNotFound: "The request was rejected because the specified entity or resource can't be found.",
  KMSAccessDenied: "The ciphertext references a key that doesn't exist or that you don't have access to.",
  KMSInvalidState:
    "The request was rejected because the state of the specified resource isn't valid for this request.",
};

/** Each service's own spelling of "access denied" (EC2 UnauthorizedOperation, SNS AuthorizationError …). */
const ACCESS_DENIED: Readonly<Record<AnyService, string>> = {
  ec2: 'UnauthorizedOperation',
  elbv2: 'AccessDenied',
  sns: 'AuthorizationError',
  dynamodb: 'AccessDeniedException',
  autoscaling: 'AccessDenied',
  cloudtrail: 'AccessDeniedException',
  events: 'AccessDeniedException',
  monitoring: 'AccessDenied',
  sqs: 'AccessDenied',
  kms: 'AccessDeniedException',
  iam: 'AccessDenied',
  cloudformation: 'AccessDenied',
  tagging: 'AccessDeniedException',
  sts: 'AccessDenied',
};

const IAM_PREFIX: Readonly<Record<AnyService, string>> = {
  ec2: 'ec2',
  elbv2: 'elasticloadbalancing',
  sns: 'sns',
  dynamodb: 'dynamodb',
  autoscaling: 'autoscaling',
  cloudtrail: 'cloudtrail',
  events: 'events',
  monitoring: 'cloudwatch',
  sqs: 'sqs',
  kms: 'kms',
  iam: 'iam',
  cloudformation: 'cloudformation',
  tagging: 'tag',
  sts: 'sts',
};

export class Faults {
  readonly #pending = new Map<string, { error: string; remaining: number }>();
  #latencyMs = 0;

  get latencyMs(): number {
    return this.#latencyMs;
  }

  /** Applies a control-API fault body: `{service, action, error, count}`, `{latencyMs}` or `{clear: true}`. */
  configure(body: Record<string, unknown>): void {
    const known = ['service', 'action', 'error', 'count', 'latencyMs', 'clear'];
    const unknown = Object.keys(body).filter((key) => !known.includes(key));
    if (unknown.length > 0)
      throw new FaultSpecError(`unknown field(s) ${unknown.join(', ')}; known: ${known}`);
    if (body.clear === true) this.clear();
    if (body.latencyMs !== undefined) {
      if (typeof body.latencyMs !== 'number' || body.latencyMs < 0) {
        throw new FaultSpecError(
          `latencyMs must be a non-negative number, got ${JSON.stringify(body.latencyMs)}`,
        );
      }
      this.#latencyMs = body.latencyMs;
    }
    if (body.service !== undefined || body.action !== undefined || body.error !== undefined) {
      this.add(parseFaultSpec(body));
    }
  }

  add(spec: FaultSpec): void {
    this.#pending.set(`${spec.service}:${spec.action}`, { error: spec.error, remaining: spec.count });
  }

  clear(): void {
    this.#pending.clear();
    this.#latencyMs = 0;
  }

  list(): FaultSpec[] {
    return [...this.#pending].map(([key, fault]) => {
      const [service, action] = key.split(':') as [AnyService, string];
      return { service, action, error: fault.error, count: fault.remaining };
    });
  }

  /** The error the next call of `action` must fail with, if a fault is pending for it (consumes one). */
  take(service: AnyService, action: string, callerArn: string): AwsError | undefined {
    const key = `${service}:${action}`;
    const fault = this.#pending.get(key);
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#pending.delete(key);
    return faultError(service, action, fault.error, callerArn);
  }
}

function parseFaultSpec(body: Record<string, unknown>): FaultSpec {
  const { service, action, error, count = 1 } = body;
  if (typeof service !== 'string' || !(ALL_SERVICES as readonly string[]).includes(service)) {
    throw new FaultSpecError(
      `service must be one of ${ALL_SERVICES.join(', ')}, got ${JSON.stringify(service)}`,
    );
  }
  if (typeof action !== 'string' || !/^[A-Z][A-Za-z0-9]+$/.test(action)) {
    throw new FaultSpecError(
      `action must be an API action name such as DescribeInstances, got ${JSON.stringify(action)}`,
    );
  }
  if (typeof error !== 'string' || error === '') {
    throw new FaultSpecError(
      `error must be an AWS error code such as Throttling, got ${JSON.stringify(error)}`,
    );
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new FaultSpecError(`count must be a positive integer, got ${JSON.stringify(count)}`);
  }
  return { service: service as AnyService, action, error, count };
}

function faultError(service: AnyService, action: string, requested: string, callerArn: string): AwsError {
  const code = requested === 'AccessDenied' ? ACCESS_DENIED[service] : dynamoSpelling(service, requested);
  const status = STATUS[code] ?? 400;
  if (code === ACCESS_DENIED[service]) {
    const message =
      service === 'ec2'
        ? 'You are not authorized to perform this operation.'
        : `User: ${callerArn} is not authorized to perform: ${IAM_PREFIX[service]}:${action}`;
    return new AwsError(code, message, status);
  }
  return new AwsError(code, MESSAGES[code] ?? `Simulated ${code} for ${action}`, status);
}

/** DynamoDB names its 500 InternalServerError; the other services say InternalFailure. */
function dynamoSpelling(service: AnyService, code: string): string {
  return service === 'dynamodb' && code === 'InternalFailure' ? 'InternalServerError' : code;
}
