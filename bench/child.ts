/**
 * A fresh Node process that does what a Lambda execution environment does on a cold start: import the
 * handler module, then handle events, against the simulator running in the parent. It is plain JavaScript
 * passed with `-e`, so it starts like `node -e 0` and loads no TypeScript of its own.
 *
 * It reports in a file (stdout belongs to the handler's logs): timings from its own clock
 * (`performance.now()` counts from the process's start), CPU time and its own peak RSS, and, when asked, every
 * module URL it loaded (Node's module hooks), so tests can prove which code a path never loads.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = `
const loaded = [];
if (process.env.BENCH_TRACE_MODULES === '1') {
  const { registerHooks } = await import('node:module');
  registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
}
const { readFileSync, writeFileSync } = await import('node:fs');
// The process's own peak: getrusage's maxRSS survives exec, so it counts the parent (the simulator) as
// it was at spawn; Linux's VmHWM belongs to this process's memory alone.
const ownPeakRssMb = () => {
  try {
    return Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  } catch {
    return process.resourceUsage().maxRSS / 1024;
  }
};
const report = (value) => { writeFileSync(process.env.BENCH_REPORT, JSON.stringify(value)); process.exit(0); };
try {
  const importStart = performance.now();
  const module = await import(process.env.BENCH_MODULE);
  const importEnd = performance.now();
  const rssAfterImportMb = process.memoryUsage.rss() / 1048576;
  const events = JSON.parse(process.env.BENCH_EVENTS);
  const invocations = [];
  for (const [index, event] of events.entries()) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = await module.handler(event, {
      functionName: 'alb-warden-bench', functionVersion: '$LATEST', memoryLimitInMB: '512',
      invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:123456789012:function:alb-warden-bench',
      awsRequestId: 'bench-' + index, logGroupName: '/aws/lambda/alb-warden-bench', logStreamName: 'bench',
      callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 60000,
    });
    const used = process.cpuUsage(cpu);
    invocations.push({ wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000, result });
  }
  report({
    importStartMs: importStart, importMs: importEnd - importStart, readyMs: performance.now(),
    rssAfterImportMb, peakRssMb: ownPeakRssMb(), invocations, loaded,
  });
} catch (error) {
  report({ error: String(error && error.stack || error) });
}
`;

export interface ChildOptions {
  /** A file URL (`file:///…/index.mjs`) exporting `handler`. */
  readonly module: string;
  /** Handled one after another in the same process: the first is the cold one. */
  readonly events: readonly unknown[];
  /** The function's environment (configuration, endpoint, credentials); nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly traceModules?: boolean;
}

export interface ChildReport {
  /** From spawn to exit, as the parent saw it. */
  readonly processMs: number;
  /** When the import started, by the child's clock (Node's own start before that). */
  readonly importStartMs: number;
  readonly importMs: number;
  /** Until the last event was handled, by the child's clock. */
  readonly readyMs: number;
  readonly rssAfterImportMb: number;
  readonly peakRssMb: number;
  readonly invocations: readonly {
    readonly wallMs: number;
    readonly cpuMs: number;
    readonly result: unknown;
  }[];
  /** Module URLs loaded, in order (with `traceModules`). */
  readonly loaded: readonly string[];
}

export async function runChild(options: ChildOptions): Promise<ChildReport> {
  const dir = await mkdtemp(join(tmpdir(), 'alb-warden-child-'));
  try {
    return await spawnChild(options, join(dir, 'report.json'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function spawnChild(options: ChildOptions, reportFile: string): Promise<ChildReport> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', SOURCE], {
    env: {
      PATH: process.env.PATH ?? '',
      ...options.env,
      BENCH_MODULE: options.module,
      BENCH_EVENTS: JSON.stringify(options.events),
      BENCH_TRACE_MODULES: options.traceModules ? '1' : '0',
      BENCH_REPORT: reportFile,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const processMs = performance.now() - started;
  const text = await readFile(reportFile, 'utf8').catch(() => '');
  if (code !== 0 || text === '') {
    throw new Error(`child exited with ${code}: ${Buffer.concat(stderr).toString('utf8').slice(-2000)}`);
  }
  const parsed = JSON.parse(text) as Omit<ChildReport, 'processMs'> & { error?: string };
  if (parsed.error) throw new Error(`the handler failed in the child process: ${parsed.error}`);
  return { ...parsed, processMs };
}

/** `node -e 0`, timed the same way: Node's own start and exit, the floor under every cold start. */
export async function runBareNode(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: 'ignore',
  });
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return performance.now() - started;
}
