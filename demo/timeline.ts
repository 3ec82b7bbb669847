/**
 * The demo's story as data: steps made of timestamped entries (what happened, who did it) and checks (what
 * AWS says afterwards). Renderers listen to it while it is written, so progress shows as it happens, and the
 * finished timeline is the `--json` document.
 */

/** Who an entry is about: the world (EC2, a person), EventBridge, one of the controller's functions, or the demo's checks. */
export type Source =
  | 'setup'
  | 'ec2'
  | 'person'
  | 'health'
  | 'eventbridge'
  | 'register'
  | 'guard'
  | 'sweep'
  | 'alert'
  | 'doctor'
  | 'check';

export interface Entry {
  /** ISO time (UTC) the entry was recorded. */
  readonly at: string;
  /** Milliseconds since the demo started. */
  readonly elapsedMs: number;
  readonly source: Source;
  readonly text: string;
  /** A block shown as it is, indented (an alert as the on-call reads it). */
  readonly block?: readonly string[] | undefined;
  /** For checks: whether the expectation held. */
  readonly ok?: boolean | undefined;
}

/** An expectation verified through AWS API calls or the simulator's records, never the controller's word. */
export interface Check {
  readonly name: string;
  readonly expected: string;
  readonly observed: string;
  /** The calls or records the observation comes from. */
  readonly via: string;
  readonly ok: boolean;
}

export interface Step {
  readonly id: string;
  readonly number: number;
  readonly title: string;
  /** What this step should end in, in this mode. */
  readonly expectation: string;
  readonly startedAt: string;
  durationMs: number;
  ok: boolean;
  readonly entries: Entry[];
  readonly checks: Check[];
}

export interface TimelineListener {
  stepStarted?(step: Step): void;
  entry?(step: Step | undefined, entry: Entry): void;
  stepFinished?(step: Step): void;
}

export class Timeline {
  readonly steps: Step[] = [];
  /** Entries before the first step (setting the stage). */
  readonly prologue: Entry[] = [];
  readonly startedAt = Date.now();
  readonly #listener: TimelineListener;
  #current: Step | undefined;

  constructor(listener: TimelineListener = {}) {
    this.#listener = listener;
  }

  get current(): Step | undefined {
    return this.#current;
  }

  begin(id: string, title: string, expectation: string): Step {
    this.finish();
    const step: Step = {
      id,
      number: this.steps.length + 1,
      title,
      expectation,
      startedAt: new Date().toISOString(),
      durationMs: 0,
      ok: true,
      entries: [],
      checks: [],
    };
    this.steps.push(step);
    this.#current = step;
    this.#listener.stepStarted?.(step);
    return step;
  }

  note(source: Source, text: string, block?: readonly string[]): Entry {
    const now = Date.now();
    const entry: Entry = {
      at: new Date(now).toISOString(),
      elapsedMs: now - this.startedAt,
      source,
      text,
      ...(block ? { block } : {}),
    };
    (this.#current?.entries ?? this.prologue).push(entry);
    this.#listener.entry?.(this.#current, entry);
    return entry;
  }

  /** Records a verified expectation; a failed one fails the step (and so the demo). */
  check(check: Omit<Check, 'ok'> & { ok: boolean }): Check {
    const step = this.#current;
    if (!step) throw new Error('a check belongs to a step: begin one first');
    step.checks.push(check);
    if (!check.ok) step.ok = false;
    const now = Date.now();
    const entry: Entry = {
      at: new Date(now).toISOString(),
      elapsedMs: now - this.startedAt,
      source: 'check',
      text: check.ok
        ? `${check.name}: ${check.observed}`
        : `${check.name}: expected ${check.expected}, got ${check.observed}`,
      ok: check.ok,
    };
    step.entries.push(entry);
    this.#listener.entry?.(step, entry);
    return check;
  }

  /** A step that could not finish (an exception) fails with the reason recorded. */
  fail(reason: string): void {
    const step = this.#current;
    if (!step) return;
    this.check({
      name: 'step completed',
      expected: 'no error',
      observed: reason,
      via: 'the demo',
      ok: false,
    });
  }

  finish(): void {
    const step = this.#current;
    if (!step) return;
    step.durationMs = Date.now() - Date.parse(step.startedAt);
    this.#current = undefined;
    this.#listener.stepFinished?.(step);
  }
}
