import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Random lowercase hex, the form of EC2 resource ids (`i-` + 17) and ELB ARN suffixes (16). */
export function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

export function uuid(): string {
  return randomUUID();
}

/** A stable IAM-style unique id (`AROA…`, `AIDA…`) for a principal ARN: same ARN, same id. */
export function principalId(prefix: string, arn: string): string {
  const digest = createHash('sha256').update(arn).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = prefix;
  for (let i = 0; i < 17; i += 1) id += alphabet[(digest[i] ?? 0) % alphabet.length];
  return id;
}

/** ISO 8601 without milliseconds, as EventBridge and CloudTrail write times. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Opaque pagination token for an offset into a list (ELBv2 Marker, EC2 NextToken). */
export function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

/** The offset inside a token made by `encodeToken`, or undefined when the token is not one of ours. */
export function decodeToken(token: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = (parsed as { offset?: unknown }).offset;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}
