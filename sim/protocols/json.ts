/**
 * DynamoDB's awsJson1_0 protocol: the operation in `X-Amz-Target: DynamoDB_20120810.<Op>`, JSON bodies,
 * errors as `{"__type": "com.amazonaws.dynamodb.v20120810#<Code>", "message": …}`.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 */
import type { AwsError } from '../errors.ts';

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
export const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810.';

export function jsonError(error: AwsError): string {
  return JSON.stringify({
    __type: `com.amazonaws.dynamodb.v20120810#${error.code}`,
    message: error.message,
    ...error.extra,
  });
}
