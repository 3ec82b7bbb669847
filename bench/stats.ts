/** The few statistics the figures use. Times are reported as medians of repeated runs, never asserted. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/** Rounds for the report: whole numbers from 100 up, one decimal from 1, three below. */
export function round(value: number): number {
  const magnitude = Math.abs(value);
  const scale = magnitude >= 100 ? 1 : magnitude >= 1 ? 10 : 1000;
  return Math.round(value * scale) / scale;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
