/**
 * What the reliability suite ran: faults injected, property cases, interleavings, bad inputs. Each test
 * file counts its own and prints them when it ends; the files of one run also add theirs to a tally in the
 * temporary directory, and the file that completes it prints the suite's summary line.
 */
import { appendFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Figures {
  /** Failed responses the simulator injected (throttling, 5xx, AccessDenied …), one per failed attempt. */
  faults: number;
  /** Responses lost after the server applied the request (a timeout on the client's side). */
  lostResponses: number;
  /** Runs with random latency on every call. */
  latencyRounds: number;
  /** Pairs of invocations (event handler and sweep, or two sweeps) started concurrently on one binding. */
  interleavings: number;
  /** Property-based tests, and the cases they tried. */
  properties: number;
  cases: number;
  /** Malformed, unexpected or hostile inputs given to a handler or the loader. */
  badInputs: number;
}

const figures: Figures = {
  faults: 0,
  lostResponses: 0,
  latencyRounds: 0,
  interleavings: 0,
  properties: 0,
  cases: 0,
  badInputs: 0,
};

export function count(figure: keyof Figures, by = 1): void {
  figures[figure] += by;
}

export function describeFigures(value: Figures): string {
  return [
    `${value.faults} faults injected`,
    `${value.lostResponses} responses lost`,
    `${value.latencyRounds} runs with random latency`,
    `${value.interleavings} interleavings of concurrent invocations`,
    `${value.properties} properties over ${value.cases} cases`,
    `${value.badInputs} bad inputs`,
  ].join(', ');
}

const SUITE_DIR = new URL('../', import.meta.url).pathname;

/** Prints this file's figures; the last file of a full run also prints the suite's totals. */
export function reportFigures(file: string): void {
  console.log(`[reliability] ${file}: ${describeFigures(figures)}`);
  // Test files run in worker processes of one vitest process: its pid names the run.
  const tally = join(tmpdir(), `alb-warden-reliability-${process.ppid}.jsonl`);
  appendFileSync(tally, `${JSON.stringify({ file, figures })}\n`);
  const files = readdirSync(SUITE_DIR).filter((name) => name.endsWith('.test.ts'));
  const lines = readFileSync(tally, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { file: string; figures: Figures });
  const seen = new Set(lines.map((line) => line.file));
  if (!files.every((name) => seen.has(name))) return;
  const total = { ...figures };
  for (const key of Object.keys(total) as (keyof Figures)[]) {
    total[key] = lines.reduce((sum, line) => sum + line.figures[key], 0);
  }
  console.log(`[reliability] suite (${files.length} files): ${describeFigures(total)}`);
  rmSync(tally, { force: true });
}
