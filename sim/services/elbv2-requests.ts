/** Request conventions shared by the ELBv2 resources. */
import { AwsError } from '../errors.ts';
import { decodeToken, encodeToken } from '../ids.ts';
import type { QueryInput } from '../protocols/query.ts';

/** Marker/PageSize pagination of the Describe calls (PageSize 1–400). */
export function paginate<T>(
  items: readonly T[],
  input: QueryInput,
): { page: T[]; nextMarker: string | undefined } {
  const pageSize = input.int('PageSize') ?? 400;
  if (pageSize < 1 || pageSize > 400) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${pageSize}' at 'pageSize' failed to satisfy constraint: ` +
        'Member must have value between 1 and 400',
    );
  }
  const marker = input.str('Marker');
  const start = marker === undefined ? 0 : decodeToken(marker);
  if (start === undefined) throw new AwsError('ValidationError', `Invalid marker '${marker}'`);
  const end = start + pageSize;
  return { page: items.slice(start, end), nextMarker: end < items.length ? encodeToken(end) : undefined };
}

/** Whether two lists hold the same values in any order (the Create calls' "same settings" test). */
export function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}
