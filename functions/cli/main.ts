/**
 * `alb-warden`: the on-call engineer's tool. Runs with ordinary AWS credentials (or AWS_ENDPOINT_URL for the
 * simulator). Exit codes: 0 all well, 1 something is off, 2 usage or configuration error.
 */

import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig, type WardenConfig } from '../config.ts';
import { createDeps } from '../deps.ts';
import { discoveryScopes } from '../domain/accounts.ts';
import { wouldDo } from '../domain/alert-kinds.ts';
import { sweepSummary } from '../domain/sweep-schedule.ts';
import { ConfigError, errorText } from '../errors.ts';
import { closest } from '../suggest.ts';
import { type Deps, type Log, previewDeps, silentTelemetry, type Telemetry } from '../use-cases/context.ts';
import { discoverFleet, discoverySummary, withBindings } from '../use-cases/discovery.ts';
import { FleetFilterError, fleetStatus, requireConfiguredScope, selectBindings } from '../use-cases/fleet.ts';
import { previewEverywhere } from '../use-cases/member-discovery.ts';
import { sweepFleet } from '../use-cases/members.ts';
import type { BindingResult } from '../use-cases/results.ts';
import { type BindingStatus, bindingStatuses, setPause } from '../use-cases/status.ts';
import { type DiscoveryReport, formatDiscovery } from './discovery.ts';
import { type DoctorOptions, doctorCommand } from './doctor/command.ts';
import { formatFleet } from './fleet-format.ts';

export interface Io {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean | undefined };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface CliOptions {
  /** Builds the dependencies (tests inject the simulator's endpoint here). */
  readonly deps?: (config: WardenConfig, telemetry: Telemetry) => Deps;
  readonly doctor?: DoctorOptions;
}

const USAGE = `Usage: alb-warden <command> [options]

Commands:
  status      read-only report: counts by state, then the bindings that are off
  reconcile   run the sweep now and print what was planned and done
  validate    check a configuration file
  pause       stop repairs for one binding for a while (registration goes on)
  resume      restart repairs for one binding (also resets its circuit breaker)
  doctor      diagnose the deployed controller; --drill BINDING times a real repair

Global options:
  --config FILE   configuration file (default: $WARDEN_CONFIG_FILE, or $WARDEN_CONFIG inline)
  --json          machine-readable output
  -h, --help      help for a command

Exit codes: 0 all well, 1 something is off, 2 usage or configuration error.`;

interface Command {
  /** First line of its help: the usage. */
  readonly usage: string;
  readonly text: string;
  readonly options: readonly (keyof typeof OPTIONS)[];
}

const COMMANDS: Readonly<Record<string, Command>> = {
  status: {
    usage:
      'alb-warden status [--config FILE] [--binding NAME] [--tag KEY=VALUE]… [--account ID] [--region REGION] [--all] [--json]',
    text: `Read-only. For several bindings: the counts by state (in sync, drift, repairing, unhealthy, paused,
suspended, failing), then one line for each binding that is not in sync (--all: for every binding).
--tag (repeatable) keeps the bindings whose instance selector has the tag; --account and --region, those
whose load balancer is there (a member's read through its role, as the hub reads it). For one binding (--binding NAME, or a configuration or filter that leaves one):
whether the listeners match (and the drift when they do not), the targets (registered, healthy, unhealthy
with AWS's reason, matching instances not registered, targets added by hand) and the alert state (targets
being alerted on, pause, suspended repairs, alerts waiting to be sent).
--json: {ok, summary: {bindings, inSync, drift, …}, bindings: [every selected binding, with its state]}.
Exit 0 when all is well, 1 when anything is off.`,
    options: ['config', 'binding', 'tag', 'account', 'region', 'all', 'json'],
  },
  reconcile: {
    usage:
      'alb-warden reconcile [--config FILE] [--binding NAME] [--account ID] [--region REGION] [--dry-run] [--by NAME] [--json]',
    text: `Runs the sweep now: listeners, health check, registrations and alerts, exactly as the scheduled function
would. --dry-run computes and prints the plan and the alerts it would send, and changes nothing: no AWS
write, no alert published, no alert state recorded. Alerts name who ran it (--by, default user@host).
--binding, --account and --region keep the bindings named, or whose load balancer is there. A member
account's bindings are reached as the hub reaches them: your credentials assume the member role
(members[].roleName, default AlbWardenMember-<region>). Exit 1 when a binding failed.`,
    options: ['config', 'binding', 'account', 'region', 'dry-run', 'by', 'json'],
  },
  validate: {
    usage: 'alb-warden validate --config FILE [--discover] [--json]',
    text: `Validates a configuration file and prints every bad field with its value. Exit 0 valid, 2 invalid.
--discover also reads the load balancers' tags (needs credentials) and lists the bindings the discovery
policies find, and every problem: tags that make no binding, a load balancer two policies select (exit 2).
A member's policies read its tags through its role; a member that cannot be read is listed (exit 1).`,
    options: ['config', 'discover', 'json'],
  },
  pause: {
    usage:
      'alb-warden pause --binding NAME --for DURATION [--reason TEXT] [--by NAME] [--config FILE] [--json]',
    text: `Stops repairs for one binding until the pause ends (DURATION like 30m, 2h, 1d; at most 7d): drift of its
listeners and health check is observed and reported, never changed back. Registration goes on (instances that
start are registered, stopped ones deregistered): it follows the instances' own lifecycle, not a repair.
Alerts name who paused it (--by, default user@host). --json prints {binding, paused, until, by}.`,
    options: ['binding', 'for', 'reason', 'by', 'config', 'json'],
  },
  resume: {
    usage: 'alb-warden resume --binding NAME [--config FILE] [--json]',
    text: `Ends a pause now and resets the binding's circuit breaker, so repairs start again at the next event or sweep.
--json prints {binding, paused}.`,
    options: ['binding', 'config', 'json'],
  },
};

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  binding: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  discover: { type: 'boolean', default: false },
  for: { type: 'string' },
  reason: { type: 'string' },
  by: { type: 'string' },
  tag: { type: 'string', multiple: true },
  account: { type: 'string' },
  region: { type: 'string' },
  all: { type: 'boolean', default: false },
} as const;

type Values = {
  -readonly [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof OPTIONS)[K]['type'] extends 'string'
      ? string
      : boolean;
};

class UsageError extends Error {}

export async function main(argv: readonly string[], io: Io, options: CliOptions = {}): Promise<number> {
  if (argv[0] === 'doctor') return doctorCommand(argv.slice(1), io, options.doctor);
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const line = readCommandLine(argv, io);
  if (typeof line === 'number') return line;
  const { command, values, extra } = line;
  try {
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (command === 'validate' && !values.config) throw new UsageError('validate needs --config FILE');
    const config = loadCliConfig(values.config, io.env);
    if (command === 'validate' && !values.discover) {
      out(validated(config, values.json === true));
      return 0;
    }
    const effective = values['dry-run'] ? { ...config, mode: 'dry-run' as const } : config;
    const telemetry: Telemetry = {
      ...silentTelemetry,
      log: stderrLog(io, io.env.ALB_WARDEN_VERBOSE === '1'),
    };
    const deps = (options.deps ?? ((cfg, tel) => createDeps(cfg, { telemetry: tel })))(effective, telemetry);
    const color = colors(io);
    const place = { account: values.account, region: values.region };
    if (place.account !== undefined || place.region !== undefined) requireConfiguredScope(config, place);
    // A reconcile discovers on its own, unless the bindings it must find may be discovered ones.
    const filtered =
      values.binding !== undefined || place.account !== undefined || place.region !== undefined;
    const { fleet, discovery } = await withDiscovered(deps, command !== 'reconcile' || filtered);
    const names =
      values.binding === undefined ? undefined : [requireBinding(fleet.config, values.binding).name];
    switch (command) {
      case 'validate': {
        const report = discovery ?? { discovered: [], problems: [], shadowed: [] };
        const valid = report.problems.length === 0;
        if (values.json) out(JSON.stringify({ valid, ...report }, null, 2));
        else out(formatDiscovery(report, color.bad));
        // A member whose tags cannot be read is something off, not a bad configuration.
        return !valid ? 2 : (report.failed?.length ?? 0) > 0 ? 1 : 0;
      }
      case 'status':
        return await status({ fleet, discovery, names, values, color, out });
      case 'reconcile':
        return await reconcile({ fleet, filtered, names, place, values, io, color, out });
      case 'pause':
        return await pause(fleet.config, deps, values, io);
      case 'resume': {
        const binding = requireBinding(
          fleet.config,
          requireOption(values.binding, 'resume needs --binding NAME'),
        );
        await setPause(deps, binding, null);
        if (values.json) out(JSON.stringify({ binding: binding.name, paused: false }));
        else out(`${binding.name}: resumed; repairs start again at the next event or sweep`);
        return 0;
      }
    }
    return 2;
  } catch (error) {
    return reportError(error, values, io);
  }
}

/** The offline check's answer: the explicit bindings, and the discovery policies when there are any. */
function validated(config: WardenConfig, json: boolean): string {
  const names = config.bindings.map((binding) => binding.name);
  const policies = config.discovery.map((policy) => policy.name);
  if (json)
    return JSON.stringify({
      valid: true,
      bindings: names,
      ...(policies.length > 0 ? { discovery: policies } : {}),
    });
  const found =
    policies.length > 0 ? `; ${policies.length} discovery policy(ies): ${policies.join(', ')}` : '';
  return `valid: ${names.length} binding(s): ${names.join(', ')}${found} (mode ${config.mode})`;
}

/**
 * The sweep, now. A filtered reconcile acts on the bindings already found and discovers nowhere again:
 * discovering records and alerts in every account and region, outside what the operator asked for.
 */
async function reconcile(run: {
  fleet: Deps;
  filtered: boolean;
  names: string[] | undefined;
  place: { account?: string | undefined; region?: string | undefined };
  values: Values;
  io: Io;
  color: Colors;
  out: (text: string) => void;
}): Promise<number> {
  // Unfiltered, `fleet` is the configuration as given: the sweep discovers for itself.
  const { fleet: base, filtered, values, out } = run;
  // A dry-run preview writes nothing anywhere and pages no one: it reads the real state, keeps its own.
  const preview = values['dry-run'] ? previewDeps(base) : undefined;
  const selected =
    run.names ??
    (filtered
      ? selectBindings(run.fleet.config.bindings, run.place).map((binding) => binding.name)
      : undefined);
  const result = await sweepFleet(preview ?? base, {
    bindings: selected,
    trigger: { type: 'manual', by: whoAmI(values.by, run.io.env) },
    throwOnTransient: false,
    ...(filtered ? { discover: false } : {}),
  });
  const wouldAlert = preview?.preview.wouldAlert.map((alert) => alert.subject);
  if (values.json) out(JSON.stringify(wouldAlert ? { ...result, wouldAlert } : result, null, 2));
  else {
    out(formatReconcile(result.bindings, base.config.mode, run.color));
    for (const subject of wouldAlert ?? []) out(`     ${'would alert'.padEnd(12)} ${subject}`);
  }
  return result.bindings.every((binding) => binding.status === 'ok') ? 0 : 1;
}

/** `status`: the fleet view of the selected bindings, or the detail of one; then the discovery problems. */
async function status(run: {
  fleet: Deps;
  discovery: DiscoveryReport | undefined;
  names: string[] | undefined;
  values: Values;
  color: Colors;
  out: (text: string) => void;
}): Promise<number> {
  const { fleet, discovery, values, color, out } = run;
  const selected =
    run.names ??
    selectBindings(fleet.config.bindings, {
      tags: values.tag,
      account: values.account,
      region: values.region,
    }).map((binding) => binding.name);
  const view = fleetStatus(await bindingStatuses(fleet, selected), fleet.config.bindings, fleet.config.mode);
  const ok = view.ok && (discovery?.problems.length ?? 0) === 0 && (discovery?.failed?.length ?? 0) === 0;
  if (values.json) out(JSON.stringify({ ...view, ok, ...more(fleet.config, discovery) }, null, 2));
  else {
    const sweep = formatSweep(sweepOf(fleet.config), color);
    // One binding: the interval heads its detail; a fleet: the counts come first, the interval last.
    if (view.bindings.length === 1 && !values.all) out(`${sweep}\n${formatStatus(view.bindings, color)}`);
    else out(`${formatFleet(view, { all: values.all === true, color })}\n\n${sweep}`);
    if (discovery) out(formatDiscovery(discovery, color.bad));
  }
  return ok ? 0 : 1;
}

/** Discovery's bindings are bindings like any other to every command: `deps` with them, and what was found. */
async function withDiscovered(
  deps: Deps,
  wanted: boolean,
): Promise<{ fleet: Deps; discovery?: DiscoveryReport | undefined }> {
  if (!wanted || discoveryScopes(deps.config).length === 0) return { fleet: deps };
  if (deps.clientsFor) {
    const found = await previewEverywhere(deps);
    return { fleet: found.deps, discovery: found.summary };
  }
  const found = await discoverFleet(deps);
  return { fleet: withBindings(deps, found.effective), discovery: discoverySummary(found) };
}

/** The command and its options, or the exit code when there is nothing more to do (help, usage error). */
function readCommandLine(
  argv: readonly string[],
  io: Io,
): { command: string; values: Values; extra: string[] } | number {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const parsed = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const [command, ...extra] = parsed.positionals;
  if (!command || command === 'help') {
    out(USAGE);
    return command || parsed.values.help ? 0 : 2;
  }
  const spec = COMMANDS[command];
  if (!spec) {
    io.stderr.write(
      `alb-warden: unknown command "${command}"${didYouMean(command, Object.keys(COMMANDS))}\n\n${USAGE}\n`,
    );
    return 2;
  }
  let values: Values;
  try {
    values = checkOptions(spec, parsed.tokens, parsed.values);
  } catch (error) {
    io.stderr.write(`alb-warden ${command}: ${(error as Error).message}\nUsage: ${spec.usage}\n`);
    return 2;
  }
  if (values.help) {
    out(`Usage: ${spec.usage}\n\n${spec.text}`);
    return 0;
  }
  return { command, values, extra };
}

async function pause(config: WardenConfig, deps: Deps, values: Values, io: Io): Promise<number> {
  const binding = requireBinding(config, requireOption(values.binding, 'pause needs --binding NAME'));
  const ms = parseDuration(requireOption(values.for, 'pause needs --for DURATION (for example 2h)'));
  const at = deps.now() + ms;
  const until = new Date(at).toISOString();
  const by = whoAmI(values.by, io.env);
  await setPause(deps, binding, { until: at, by, reason: values.reason });
  io.stdout.write(
    values.json
      ? `${JSON.stringify({ binding: binding.name, paused: true, until, by })}\n`
      : `${binding.name}: paused until ${until} by ${by}; drift is reported, not repaired (registration goes on)\n`,
  );
  return 0;
}

/** Usage and configuration errors exit 2 (as JSON too with --json); anything else, an AWS failure, exits 1. */
function reportError(error: unknown, values: Values, io: Io): number {
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof FleetFilterError) {
    if (values.json) {
      const issues = error instanceof ConfigError ? error.issues : undefined;
      io.stdout.write(`${JSON.stringify({ valid: false, error: error.message, issues })}\n`);
    }
    io.stderr.write(`alb-warden: ${error.message}\n`);
    return 2;
  }
  io.stderr.write(`alb-warden: ${errorText(error)}\n`);
  return 1;
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** The options a command takes, each with the value its type needs; anything else is a usage error. */
function checkOptions(spec: Command, tokens: readonly Token[], values: Record<string, unknown>): Values {
  const allowed = [...spec.options, 'help'];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!allowed.includes(token.name)) {
      const flags = allowed.map((name) => `--${name}`);
      throw new UsageError(`unknown option ${token.rawName}${didYouMean(token.rawName, flags)}`);
    }
    const type = OPTIONS[token.name as keyof typeof OPTIONS].type;
    if (type === 'string' && token.value === undefined)
      throw new UsageError(`${token.rawName} needs a value`);
    if (type === 'boolean' && token.value !== undefined)
      throw new UsageError(`${token.rawName} takes no value`);
  }
  return values as Values;
}

/** ` (did you mean X?)` when one candidate is a likely misspelling of `word`, else nothing. */
function didYouMean(word: string, candidates: readonly string[]): string {
  const close = closest(word, candidates);
  return close ? ` (did you mean ${close}?)` : '';
}

function loadCliConfig(file: string | undefined, env: Io['env']): WardenConfig {
  if (file) {
    try {
      return loadConfig({ env: { ...env, WARDEN_CONFIG: undefined, WARDEN_CONFIG_FILE: file } });
    } catch (error) {
      // The loader speaks of the environment variable; here the file came from the command line.
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(
        `--config ${file}`,
        error.issues.map((issue) =>
          issue.field === 'WARDEN_CONFIG_FILE' ? { ...issue, field: '--config' } : issue,
        ),
        { cause: error.cause },
      );
    }
  }
  if (!env.WARDEN_CONFIG && !env.WARDEN_CONFIG_FILE)
    throw new UsageError(
      'no configuration: pass --config FILE, or set WARDEN_CONFIG_FILE (a path) or WARDEN_CONFIG (inline JSON)',
    );
  return loadConfig({ env });
}

function requireOption(value: string | undefined, message: string): string {
  if (!value) throw new UsageError(message);
  return value;
}

function requireBinding(config: WardenConfig, name: string) {
  const binding = config.bindings.find((candidate) => candidate.name === name);
  if (!binding)
    throw new UsageError(
      `no binding named "${name}" (bindings: ${config.bindings.map((entry) => entry.name).join(', ')})`,
    );
  return binding;
}

const MAX_PAUSE_MS = 7 * 24 * 3600_000;

export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!match)
    throw new UsageError(
      `--for "${text}" is not a duration: use a number and s, m, h or d (for example 90m, 2h)`,
    );
  const unit = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0 || ms > MAX_PAUSE_MS)
    throw new UsageError(`--for "${text}" must be more than 0 and at most 7d`);
  return ms;
}

function whoAmI(by: string | undefined, env: Io['env']): string {
  if (by) return by;
  let user = env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No user database entry (a container): keep $USER.
  }
  return `${user}@${hostname()}`;
}

function stderrLog(io: Io, verbose: boolean): Log {
  const write = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    if (verbose || level === 'error')
      io.stderr.write(`${level}: ${message}${attributes ? ` ${JSON.stringify(attributes)}` : ''}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export interface Colors {
  ok(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
}

function colors(io: Io): Colors {
  const on = io.stdout.isTTY === true && !io.env.NO_COLOR;
  const wrap = (code: number) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { ok: wrap(32), bad: wrap(31), warn: wrap(33), dim: wrap(2) };
}

function formatStatus(statuses: readonly BindingStatus[], color: Colors): string {
  const lines: string[] = [];
  for (const status of statuses) {
    lines.push(`${status.ok ? color.ok('OK    ') : color.bad('NOT OK')} ${status.binding}`);
    if (status.error) {
      lines.push(`     error        ${color.bad(status.error)}`);
      continue;
    }
    const row = (label: string, text: string) => lines.push(`     ${label.padEnd(12)} ${text}`);
    row(
      'listeners',
      status.listeners.inSync
        ? color.ok('in sync')
        : color.bad(`drift: ${status.listeners.drift.join('; ')}`),
    );
    for (const blocked of status.listeners.blocked) row('', color.warn(`blocked: ${blocked}`));
    const { targets } = status;
    row(
      'targets',
      `${targets.registered} registered, ${targets.healthy} healthy, ${targets.unhealthy.length} unhealthy`,
    );
    for (const entry of targets.unhealthy)
      row(
        '',
        color.bad(`${entry.target} ${entry.state} ${entry.reason ?? ''} ${entry.description ?? ''}`.trim()),
      );
    if (targets.missing.length > 0)
      row('missing', color.warn(`${targets.missing.join(', ')} (running, matching, not registered)`));
    if (targets.foreign.length > 0) row('by hand', color.dim(`${targets.foreign.join(', ')} (left alone)`));
    const alert = status.alertState;
    const notes = [
      alert.alerting.length > 0 ? `alerting on ${alert.alerting.join(', ')}` : '',
      alert.noHealthyTargets ? 'no healthy targets' : '',
      alert.paused
        ? `paused by ${alert.paused.by} until ${alert.paused.until}${alert.paused.reason ? ` (${alert.paused.reason})` : ''}`
        : '',
      alert.suspended.length > 0 ? `repairs suspended: ${alert.suspended.join(', ')}` : '',
      alert.parkedAlerts > 0 ? `${alert.parkedAlerts} alert(s) waiting to be sent` : '',
    ].filter(Boolean);
    row('alert state', notes.length > 0 ? color.warn(notes.join('; ')) : color.dim('quiet'));
  }
  return lines.join('\n');
}

function formatReconcile(results: readonly BindingResult[], mode: string, color: Colors): string {
  const would = mode === 'dry-run';
  const lines: string[] = [
    would ? color.warn('dry-run: nothing is changed; "would" marks what enforce mode does') : '',
  ];
  for (const result of results) {
    lines.push(`${result.status === 'ok' ? color.ok('OK  ') : color.bad('FAIL')} ${result.binding}`);
    const row = (label: string, text: string) => lines.push(`     ${label.padEnd(12)} ${text}`);
    if (result.listeners) {
      row(
        'listeners',
        result.listeners.outcome === 'in-sync'
          ? color.ok('in sync')
          : color.warn(`${result.listeners.outcome}: ${result.listeners.drift.join('; ')}`),
      );
      // Steps of a repair that did not run (dry-run, paused) are what would be done.
      const notDone = result.listeners.outcome !== 'repaired';
      for (const step of result.listeners.steps) row('', notDone ? wouldDo(step) : step);
    }
    if (result.healthCheck)
      row(
        'health check',
        result.healthCheck.outcome === 'in-sync'
          ? color.ok('in sync')
          : color.warn(`${result.healthCheck.outcome}: ${result.healthCheck.drift.join('; ')}`),
      );
    const registration = result.registration;
    if (registration) {
      const verb = registration.applied ? '' : 'would ';
      if (registration.withheld) row('registration', color.bad(`withheld: ${registration.withheld}`));
      else if (registration.register.length === 0 && registration.deregister.length === 0)
        row('registration', color.ok(`in sync (${registration.unchanged} targets)`));
      if (registration.register.length > 0)
        row('registration', `${verb}register ${registration.register.join(', ')}`);
      if (registration.deregister.length > 0)
        row('', `${verb}deregister ${registration.deregister.join(', ')}`);
      if (registration.foreign.length > 0)
        row('', color.dim(`left alone (added by hand): ${registration.foreign.join(', ')}`));
      if (registration.rejected.length > 0)
        row('', color.bad(`refused by AWS: ${registration.rejected.join(', ')}`));
    }
    if (result.health)
      row(
        'health',
        `${result.health.healthy}/${result.health.registered} healthy${result.health.unhealthy.length > 0 ? `; unhealthy: ${result.health.unhealthy.map((entry) => `${entry.target} ${entry.reason ?? entry.state}`).join(', ')}` : ''}`,
      );
    if (result.alerts.length > 0) row('alerts sent', result.alerts.join(', '));
    if (result.error)
      row(
        'error',
        color.bad(`${result.error.message}${result.error.transient ? ' (transient: try again)' : ''}`),
      );
  }
  return lines.filter((line, index) => index > 0 || line !== '').join('\n');
}

/** How often every binding, explicit and discovered, comes up for a sweep. */
function formatSweep(sweep: ReturnType<typeof sweepSummary>, color: Colors): string {
  return color.dim(
    `sweep: every binding once every ${plural(sweep.intervalMinutes, 'minute')} (${plural(sweep.bindings, 'binding')}, ${sweep.workers} workers)`,
  );
}

/** What `status --json` tells beside the bindings: the sweep interval, and discovery when configured. */
const more = <T>(config: WardenConfig, discovery: T | undefined) => ({
  sweep: sweepOf(config),
  ...(discovery ? { discovery } : {}),
});
/** Every binding, explicit and discovered, comes up once in this interval. */
const sweepOf = (config: WardenConfig) => sweepSummary(config.bindings.length, config.limits);

/** `1 minute`, `3 minutes`. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
