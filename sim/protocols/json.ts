/**
 * The awsJson1_0 / awsJson1_1 protocols (DynamoDB, SQS and CloudWatch on 1.0; CloudTrail, EventBridge and KMS
 * on 1.1): the operation in `X-Amz-Target: <ServiceTarget>.<Op>`, JSON bodies, errors as
 * `{"__type": "<namespace>#<Code>", "message": …}`. SQS and CloudWatch are "awsQuery compatible": their SDK
 * clients read the query-protocol error code from the `x-amzn-query-error` header.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#aws-protocols-awsquerycompatible-trait
 */
import type { AwsError } from '../errors.ts';

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
export const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810.';

/** Per JSON service: its `X-Amz-Target` prefix, content type and error namespace. */
export interface JsonProtocol {
  readonly targetPrefix: string;
  readonly contentType: string;
  readonly errorNamespace: string;
  readonly queryCompatible?: boolean;
}

export function jsonError(error: AwsError, namespace = 'com.amazonaws.dynamodb.v20120810'): string {
  return JSON.stringify({
    __type: `${namespace}#${error.code}`,
    message: error.message,
    ...error.extra,
  });
}
