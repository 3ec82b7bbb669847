/**
 * The controller's errors. Every error thrown by our code is a WardenError, so handlers can tell our
 * failures from bugs, and the AWS error code (when there is one) travels with it.
 */
export class WardenError extends Error {
  /** The AWS error code behind this error, when an AWS call failed (for example `AccessDenied`). */
  readonly awsCode: string | undefined;

  constructor(message: string, options: { cause?: unknown; awsCode?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.awsCode = options.awsCode ?? awsErrorCode(options.cause);
  }
}

export interface ConfigIssue {
  /** Dotted path of the field, for example `bindings[0].http.redirect.statusCode`. */
  readonly field: string;
  readonly message: string;
}

/** The configuration is invalid; nothing was applied. */
export class ConfigError extends WardenError {
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const list = issues.map((issue) => `  - ${issue.field}: ${issue.message}`).join('\n');
    super(`invalid configuration (${source}):\n${list}`, options);
    this.issues = issues;
  }
}

/** An AWS call failed in a way the controller does not handle itself. */
export class AwsCallError extends WardenError {
  readonly action: string;

  constructor(action: string, cause: unknown, detail?: string) {
    const code = awsErrorCode(cause) ?? 'UnknownError';
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${action} failed${detail ? ` (${detail})` : ''}: ${code}: ${reason}`, { cause, awsCode: code });
    this.action = action;
  }
}

/** Awaits an AWS call; its failure becomes an AwsCallError naming `action` and, in `detail`, what it was about. */
export async function awsCall<T>(action: string, send: () => Promise<T>, detail?: string): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new AwsCallError(action, error, detail);
  }
}

/**
 * A `running` event for an instance DescribeInstances does not return yet (EC2 is eventually consistent):
 * transient, so Lambda retries the event instead of taking the instance as gone.
 */
export class InstanceNotVisibleYetError extends WardenError {}

/** A repair was written but the re-read state does not match what was desired. */
export class DriftRepairError extends WardenError {}

/** The hub could not assume a member's role: that account and region's bindings go unchecked until it can. */
export class MemberAccessError extends WardenError {
  readonly account: string;
  readonly region: string;
  readonly roleArn: string;

  constructor(
    message: string,
    options: { cause?: unknown; account: string; region: string; roleArn: string },
  ) {
    super(message, { cause: options.cause });
    this.account = options.account;
    this.region = options.region;
    this.roleArn = options.roleArn;
  }
}

/**
 * SNS refused an alert for a reason no retry fixes: the topic is gone, its KMS key unusable, the controller
 * not allowed to publish, or the request invalid for the topic. Someone has to act; see the runbook.
 */
export class AlertRefusedError extends WardenError {}

/**
 * Publish errors AWS documents as the caller's or the topic's to fix, not as transient.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors
 */
const PERMANENT_PUBLISH_ERRORS = [
  'NotFound',
  'AuthorizationError',
  'KMSDisabled',
  'KMSNotFound',
  'KMSAccessDenied',
  'KMSInvalidState',
  'KMSOptInRequired',
  'InvalidParameter',
  'InvalidParameterValue',
  'InvalidSecurity',
  'ValidationException',
];

/** Whether SNS refused a Publish for good (as opposed to throttling, a 5xx or a timeout). */
export function isPermanentPublishError(error: unknown): boolean {
  return !isTransient(error) && isAwsError(error, ...PERMANENT_PUBLISH_ERRORS);
}

/**
 * The AWS error code of an SDK v3 service exception, as AWS sends it on the wire (`InvalidTarget`, not the
 * SDK's class name `InvalidTargetException`); undefined when `error` is not one.
 */
export function awsErrorCode(error: unknown): string | undefined {
  if (error instanceof WardenError) return error.awsCode;
  if (typeof error !== 'object' || error === null) return undefined;
  const { $fault, name, Code } = error as { $fault?: unknown; name?: unknown; Code?: unknown };
  if ($fault === undefined) return undefined;
  if (typeof Code === 'string' && Code) return Code;
  return typeof name === 'string' ? name : undefined;
}

/** Whether `error` is the AWS error `code`, however the SDK spells it (with or without `Exception`). */
export function isAwsError(error: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(error);
  if (!code) return false;
  return codes.some(
    (wanted) => code === wanted || code === `${wanted}Exception` || `${code}Exception` === wanted,
  );
}

const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

/** Throttling and server-side faults: worth retrying later, as opposed to a request AWS will always refuse. */
export function isTransient(error: unknown): boolean {
  if (error instanceof InstanceNotVisibleYetError) return true;
  if (
    isAwsError(
      error,
      'Throttling',
      'ThrottlingException',
      'RequestLimitExceeded',
      'TooManyRequestsException',
      'ProvisionedThroughputExceededException',
      'RequestThrottled',
      'KMSThrottling',
      // The Resource Groups Tagging API's ThrottledException.
      'Throttled',
    )
  ) {
    return true;
  }
  if (error instanceof WardenError) return error.cause !== undefined && isTransient(error.cause);
  if (typeof error !== 'object' || error === null) return false;
  const { $fault, $metadata, $retryable, code, name } = error as {
    $fault?: unknown;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
    code?: unknown;
    name?: unknown;
  };
  if ($fault === 'server' || ($metadata?.httpStatusCode ?? 0) >= 500 || $retryable) return true;
  // Timeouts the SDK gives up on carry only a name (the names @smithy's retry strategy treats as transient).
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
  // Network failures surface as Node errors without an AWS fault.
  return (
    typeof code === 'string' &&
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'].includes(code)
  );
}

/** An error as one line for logs and alerts: its AWS error code (when not already in the message) and message. */
export function errorText(error: unknown): string {
  const code = awsErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
