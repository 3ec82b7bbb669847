/**
 * `npm run demo`: alb-warden's whole story on the bundled AWS simulator, printed as a timeline. Exit 0 when
 * every step reached its expected state, 1 when one did not, 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { formatSummary, humanTimeline, progressLines, styleFor } from './render.ts';

const USAGE = `Usage: npm run demo -- [--dry-run] [--json] [--speed N] [--verbose]

Runs alb-warden's story on the bundled AWS simulator with the real Lambda handlers: instances launch and
are registered, someone breaks the HTTP redirect and adds a rule on port 80, a target turns unhealthy and
recovers, an instance stops, a last sweep finds nothing to do, the on-call runs alb-warden doctor, and two
member accounts join a hub. No AWS account is needed.

Options:
  --dry-run     run the controller in dry-run: it says what it would do and changes nothing
  --json        print one machine-readable timeline document on stdout (progress goes to stderr)
  --speed N     pace the story for a person watching: 1 is about a second per beat, 2 twice as fast
                (default: no pauses)
  --verbose     also show the functions' JSON logs and EMF metrics (on stderr)
  -h, --help    this help

Exit codes: 0 every step reached its expected state, 1 one did not, 2 usage error.`;

async function main(argv: readonly string[]): Promise<number> {
  let values: { 'dry-run'?: boolean; json?: boolean; speed?: string; verbose?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        speed: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const speed = values.speed === undefined ? Number.POSITIVE_INFINITY : Number(values.speed);
  if (!(speed > 0)) {
    process.stderr.write(
      `demo: --speed must be a positive number (for example 1 or 2), got "${values.speed}"\n`,
    );
    return 2;
  }
  const json = values.json === true;
  const style = styleFor(process.stdout, process.env);
  if (!json) {
    const mode = values['dry-run'] ? 'dry-run: the controller changes nothing' : 'enforce';
    process.stdout.write(`${style.bold(`alb-warden demo (${mode})`)}  ${style.dim('times are UTC')}\n\n`);
  }
  // Loaded only now: a usage error answers without loading the SDK and the simulator.
  const { demoDocument, runDemo } = await import('./run.ts');
  const result = await runDemo({
    dryRun: values['dry-run'] === true,
    speed,
    verbose: values.verbose === true,
    listener: json ? progressLines(process.stderr) : humanTimeline(process.stdout, style),
  });
  if (json) process.stdout.write(`${JSON.stringify(demoDocument(result), null, 2)}\n`);
  else process.stdout.write(`${formatSummary(result.summary, style)}\n`);
  return result.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
