/**
 * Running the real Lambda handlers in-process: a Lambda context, and what they write to stdout and stderr
 * (Powertools' JSON log lines and EMF metrics), captured while they run.
 */
import type { Context } from 'aws-lambda';

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `alb-warden-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:ap-northeast-2:123456789012:function:alb-warden-${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: '6f1c9f5e-3b0a-4f5e-9d51-0c0ffee0c0de',
    logGroupName: `/aws/lambda/alb-warden-${functionName}`,
    logStreamName: '2026/11/20/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface Captured<T> {
  readonly value?: T | undefined;
  readonly error?: unknown;
  /** Everything written to stdout and stderr, line by line. */
  readonly lines: readonly string[];
  /** The lines that are JSON objects (log lines and EMF documents), parsed. */
  readonly json: readonly Record<string, unknown>[];
}

/**
 * Runs `work` with process.stdout and process.stderr captured. Not reentrant: a file that uses it runs its
 * tests one at a time.
 */
export async function captureOutput<T>(work: () => Promise<T>): Promise<Captured<T>> {
  const chunks: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const keep = (chunk: unknown, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    const callback = rest.find((item) => typeof item === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  process.stdout.write = keep as typeof process.stdout.write;
  process.stderr.write = keep as typeof process.stderr.write;
  let value: T | undefined;
  let error: unknown;
  try {
    value = await work();
  } catch (thrown) {
    error = thrown;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const lines = chunks.join('').split('\n').filter(Boolean);
  const json = lines.flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return typeof parsed === 'object' && parsed !== null ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
  return { value, error, lines, json };
}
