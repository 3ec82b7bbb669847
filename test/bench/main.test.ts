/** `npm run bench`: one JSON object with `--json` (progress on stderr only), rendered as the table otherwise. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { render } from '../../bench/report.ts';

const run = promisify(execFile);
const MAIN = new URL('../../bench/main.ts', import.meta.url).pathname;

describe('the bench', () => {
  it('prints one JSON report object with --json, and the same figures as a table', async () => {
    // Act
    // The whole ELB API budget: the event paths refill the limiter's buckets between runs, in real time.
    const args = ['--json', '--only', 'events', '--runs', '1', '--api-share', '1'];
    const { stdout } = await run(process.execPath, [MAIN, ...args], { maxBuffer: 16 * 1024 * 1024 });

    // Assess
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      machine: { nproc: expect.any(Number), cpu: expect.any(String), node: process.version },
      repair: { elbCalls: expect.any(Number), apiCalls: expect.any(Number), wallMs: expect.any(Number) },
      register: { apiCalls: expect.any(Number) },
    });
    const table = render(report);
    expect(table).toContain('2. Event paths');
    expect(table).toMatch(/guard: repair a 302 +7 +4 +ok/);
  }, 60_000);
});
