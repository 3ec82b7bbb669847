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

/** A repair was written but the re-read state does not match what was desired. */
export class DriftRepairError extends WardenError {}

/** The AWS SDK error code (`error.name` on SDK v3 service exceptions), if `error` is one. */
export function awsErrorCode(error: unknown): string | undefined {
  if (error instanceof WardenError) return error.awsCode;
  if (typeof error !== 'object' || error === null) return undefined;
  const fault = (error as { $fault?: unknown }).$fault;
  const name = (error as { name?: unknown }).name;
  return fault !== undefined && typeof name === 'string' ? name : undefined;
}
