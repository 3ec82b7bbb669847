/**
 * EC2's query protocol responses: `<ActionResponse xmlns=…>` with camelCase members and lists of `<item>`;
 * errors as `<Response><Errors><Error>…</Error></Errors><RequestID/></Response>`.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
import type { AwsError } from '../errors.ts';
import { escapeXml, renderXml, type XmlObject } from './xml.ts';

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function ec2Response(action: string, requestId: string, result: XmlObject): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<${action}Response xmlns="${NAMESPACE}"><requestId>${requestId}</requestId>` +
    `${renderXml(result, 'item')}</${action}Response>`
  );
}

export function ec2Error(error: AwsError, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Response><Errors><Error><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error></Errors>` +
    `<RequestID>${requestId}</RequestID></Response>`
  );
}
