/**
 * How the demo looks: the timeline for a person (written as it happens, colour only on a terminal), a
 * one-line-per-step progress for `--json` runs, and the closing summary.
 */
import type { Summary } from './summary.ts';
import type { Entry, Source, Step, TimelineListener } from './timeline.ts';

export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

export interface Style {
  ok(text: string): string;
  bad(text: string): string;
  accent(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export function styleFor(writer: Writer, env: Readonly<Record<string, string | undefined>>): Style {
  const on = writer.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (text: string) =>
    on ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return { ok: wrap(32, 39), bad: wrap(31, 39), accent: wrap(36, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

const SOURCE_WIDTH = 11;
const INDENT = ' '.repeat(12 + 2 + SOURCE_WIDTH + 1);
/** The timeline fits a 120-column terminal: longer lines are wrapped under their own indentation. */
export const WIDTH = 120;

/**
 * Breaks `text` at spaces into lines of at most `width` characters; continuation lines keep the first line's
 * indentation plus two spaces. A word longer than a line (an ARN, a URL) is shortened in the middle with "…".
 */
export function wrap(text: string, width: number): string[] {
  const indent = /^ */.exec(text)?.[0] ?? '';
  const next = `${indent}  `;
  const lines: string[] = [];
  let line = indent;
  for (const word of text.slice(indent.length).split(' ')) {
    const room = width - (lines.length === 0 ? indent.length : next.length);
    // A word too long for any line is shortened to the room left on this one, when that room is enough.
    const left = width - line.length - 1;
    const fitted = word.length <= room ? word : elide(word, left >= 32 ? left : room);
    if (line.trim() !== '' && line.length + 1 + fitted.length > width) {
      lines.push(line);
      line = `${next}${fitted}`;
    } else line = line.trim() === '' ? `${line}${fitted}` : `${line} ${fitted}`;
  }
  lines.push(line);
  return lines;
}

function elide(word: string, width: number): string {
  const keep = Math.max(2, width - 1);
  return `${word.slice(0, Math.ceil(keep / 2))}…${word.slice(word.length - Math.floor(keep / 2))}`;
}

/** `06:21:30.412`: the time of day in UTC, to the millisecond. */
export function clock(iso: string): string {
  return iso.slice(11, 23);
}

export function formatEntry(entry: Entry, style: Style): string {
  const source: Record<Source, (text: string) => string> = {
    setup: style.dim,
    ec2: style.accent,
    person: style.accent,
    health: style.accent,
    eventbridge: style.dim,
    register: style.bold,
    guard: style.bold,
    sweep: style.bold,
    alert: style.bad,
    doctor: style.accent,
    check: entry.ok === false ? style.bad : style.ok,
  };
  const label = entry.source === 'check' ? `check ${entry.ok ? '✓' : '✗'}` : entry.source;
  const [first = '', ...rest] = wrap(entry.text, WIDTH - INDENT.length);
  const head = [
    `${style.dim(clock(entry.at))}  ${source[entry.source](label.padEnd(SOURCE_WIDTH))} ${first}`,
    ...rest.map((line) => `${INDENT}${line}`),
  ];
  const block = (entry.block ?? []).flatMap((line) =>
    wrap(line, WIDTH - INDENT.length - 2).map((part) => `${INDENT}${style.dim('│')} ${part}`.trimEnd()),
  );
  return [...head, ...block].join('\n');
}

export function formatStepHeader(step: Step, style: Style): string {
  return `\n${style.bold(`${step.number}. ${step.title}`)}\n${style.dim(`   expected: ${step.expectation}`)}`;
}

export function formatStepResult(step: Step, style: Style): string {
  const seconds = (step.durationMs / 1000).toFixed(2);
  if (step.ok) return style.ok(`   ✓ step ${step.number} reached its expected state (${seconds} s)`);
  const failed = step.checks.filter((check) => !check.ok).map((check) => check.name);
  return style.bad(`   ✗ step ${step.number} did NOT reach its expected state: ${failed.join(', ')}`);
}

/** The human timeline, written as it happens. */
export function humanTimeline(out: Writer, style: Style): TimelineListener {
  return {
    stepStarted: (step) => out.write(`${formatStepHeader(step, style)}\n`),
    entry: (_step, entry) => out.write(`${formatEntry(entry, style)}\n`),
    stepFinished: (step) => out.write(`${formatStepResult(step, style)}\n`),
  };
}

/** For `--json`: stdout carries only the document, so progress goes to stderr, one line per step. */
export function progressLines(err: Writer): TimelineListener {
  return {
    stepFinished: (step) =>
      err.write(
        `${step.ok ? '✓' : '✗'} ${step.number}. ${step.title} (${(step.durationMs / 1000).toFixed(2)} s)\n`,
      ),
  };
}

const WRITES: Readonly<Record<string, string>> = {
  ec2: 'EC2',
  elbv2: 'ELB',
  sns: 'alerts published',
  dynamodb: 'alert state',
};

/** "19 of them writes: ELB 9, alerts published 4, alert state 6"; a dry-run says it wrote no ELB or EC2. */
function writesLine(summary: Summary): string {
  const { mutating, mutatingByService } = summary.awsCalls.controller;
  const parts = Object.entries(mutatingByService).map(([service, n]) => `${WRITES[service] ?? service} ${n}`);
  const resources = (mutatingByService.elbv2 ?? 0) + (mutatingByService.ec2 ?? 0);
  const note = summary.mode === 'dry-run' && resources === 0 ? ' (no ELB or EC2 write: dry-run)' : '';
  return `${mutating} of them writes${parts.length > 0 ? `: ${parts.join(', ')}` : ''}${note}`;
}

export function formatSummary(summary: Summary, style: Style): string {
  const label = (name: string) => `  ${name.padEnd(14)} `;
  const row = (name: string, text: string) =>
    wrap(text, WIDTH - label('').length)
      .map((line, index) => `${index === 0 ? label(name) : label('')}${line}`)
      .join('\n');
  const counts = (entries: Readonly<Record<string, number>>) =>
    Object.entries(entries)
      .map(([name, n]) => `${name} ×${n}`)
      .join(', ') || 'none';
  const services = Object.entries(summary.awsCalls.controller.byService)
    .filter(([, service]) => service.total > 0)
    .map(([name, service]) => `${name} ${service.total}`)
    .join(', ');
  const lines = [
    '',
    style.bold(
      `Summary (${summary.mode}${summary.mode === 'dry-run' ? ': nothing was changed by the controller' : ''})`,
    ),
    row(
      'steps',
      `${summary.steps.reached} of ${summary.steps.total} reached their expected state${summary.steps.failed.length > 0 ? `; failed: ${summary.steps.failed.join(', ')}` : ''}`,
    ),
    row(
      'repairs',
      `${summary.repairs.total}${summary.repairs.total > 0 ? ` (${counts(summary.repairs.byAction)})` : ''}`,
    ),
    row(
      'registrations',
      `${summary.registrations.registered} registered, ${summary.registrations.deregistered} deregistered`,
    ),
  ];
  if (summary.mode === 'dry-run') {
    const would = summary.wouldHaveDone;
    lines.push(
      row(
        'would have',
        `repaired ${would.repairs}, registered ${would.registered}, deregistered ${would.deregistered} (as the controller reported it)`,
      ),
    );
  }
  lines.push(
    row('alerts', `${summary.alerts.total} (${counts(summary.alerts.byKind)})`),
    row('AWS calls', `${summary.awsCalls.controller.total} by the controller (${services})`),
    row('', writesLine(summary)),
    row(
      '',
      style.dim(
        `${summary.awsCalls.all.total} in all, with the seed, the people in the story and the checks`,
      ),
    ),
    row(
      'invocations',
      `${counts(summary.invocations)}; ${summary.eventsDropped} event(s) dropped by the rules (the controller's own calls, calls the guard does not watch)`,
    ),
    row('duration', `${(summary.durationMs / 1000).toFixed(1)} s`),
    '',
    summary.ok
      ? style.ok('✓ every step reached its expected state')
      : style.bad('✗ some steps did not reach their expected state (see above)'),
  );
  return lines.join('\n');
}
