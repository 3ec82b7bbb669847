// `npm test`: the typecheck and Biome run beside the tests instead of before them: run first, they would keep
// cores idle, and the test workers leave room for them. The typecheck runs on one thread: the workers keep the
// cores busy, and its own threads would only add their overhead. Their output is printed after the tests'
// (each in one piece), and the run fails if any of the three fails.
// Arguments go to vitest (`npm test -- test/unit`). Plain JavaScript: the Node check must run first.
// The run's processes share Node's on-disk compile cache: the workers and the many child processes (the CLI,
// the demo, the bundles, `cdk synth`) load the same SDK and CDK modules, compiled once instead of in each.
import './require-node.mjs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

process.env.NODE_COMPILE_CACHE ??= join(
  process.cwd(),
  'node_modules',
  '.cache',
  'alb-warden',
  'compile-cache',
);

/** Runs `npm run -s SCRIPT -- ...ARGS`, its output kept for later. */
function check(script, args = []) {
  return new Promise((resolve) => {
    const extra = args.length > 0 ? ['--', ...args] : [];
    const child = spawn('npm', ['run', '-s', script, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (error) => resolve({ script, code: 1, output: `${output}${error.message}\n` }));
    child.on('close', (code, signal) => resolve({ script, code: code ?? 1, output, signal }));
  });
}

function vitest(args) {
  return new Promise((resolve) => {
    const child = spawn('vitest', ['run', ...args], { stdio: 'inherit' });
    child.on('error', (error) => {
      process.stderr.write(`npm test: cannot start vitest: ${error.message}\n`);
      resolve(1);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const checks = [check('typecheck', ['--singleThreaded']), check('lint')];
const tests = await vitest(process.argv.slice(2));
let failed = tests !== 0;
for (const { script, code, output, signal } of await Promise.all(checks)) {
  const verdict = code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})`;
  process.stdout.write(`\nnpm run ${script}: ${verdict}\n${output}`);
  if (code !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
