/**
 * An error as AWS reports it: an error code, a message and the HTTP status the service answers with.
 * Services throw it; the protocol layer renders it in the service's own error format.
 */
export class AwsError extends Error {
  override readonly name = 'AwsError';
  readonly code: string;
  readonly status: number;
  /** Extra members some errors carry (DynamoDB's `Item` on a failed condition check). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, status = 400, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.extra = extra;
  }
}
