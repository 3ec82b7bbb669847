/** Validating reads of an awsJson request body, with the ValidationException AWS answers a bad member with. */
import { AwsError } from '../errors.ts';

export type JsonBody = Record<string, unknown>;

export function requiredString(body: JsonBody, name: string, code = 'ValidationException'): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') {
    throw new AwsError(
      code,
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalString(body: JsonBody, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

export function objectList(body: JsonBody, name: string): JsonBody[] {
  const value = body[name];
  return Array.isArray(value)
    ? value.filter((item): item is JsonBody => typeof item === 'object' && item !== null)
    : [];
}

export function stringList(body: JsonBody, name: string): string[] {
  const value = body[name];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A JSON-protocol timestamp: epoch seconds (a number), or an ISO string some clients send. */
export function timestamp(body: JsonBody, name: string): number | undefined {
  const value = body[name];
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}
