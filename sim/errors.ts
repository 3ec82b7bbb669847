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
  /** The code a query-compatible JSON service (SQS) reports to clients that speak its old query protocol. */
  readonly queryCode: string;

  constructor(
    code: string,
    message: string,
    status = 400,
    extra: Record<string, unknown> = {},
    queryCode = code,
  ) {
    super(message);
    this.code = code;
    this.status = status;
    this.extra = extra;
    this.queryCode = queryCode;
  }
}
