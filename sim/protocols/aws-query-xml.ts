/**
 * awsQuery responses (ELBv2, SNS): `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>`,
 * lists of `<member>`; errors as `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#response-serialization
 */
import type { AwsError } from '../errors.ts';
import { escapeXml, renderXml, type XmlObject } from './xml.ts';

export function awsQueryResponse(
  namespace: string,
  action: string,
  requestId: string,
  result: XmlObject,
): string {
  return (
    `<${action}Response xmlns="${namespace}">` +
    `<${action}Result>${renderXml(result, 'member')}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function awsQueryError(namespace: string, error: AwsError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  const xmlns = namespace === '' ? '' : ` xmlns="${namespace}"`;
  return (
    `<ErrorResponse${xmlns}><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
