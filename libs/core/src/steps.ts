/**
 * The step kernel every pipeline runs on, in the spirit of GoReleaser's pipes and changesets'
 * plan/apply: a pipeline is an ordered list of steps over one context. A step says why it has
 * nothing to do (`skip` returns a reason), does its work (`run`), and says whether the pipeline goes
 * on after it fails (`continueOnError`). The runner times each step, reports `[n/N]` with an estimate,
 * sends every event to one sink, and wraps a failure in a StepError that names the step and chains the
 * original as `cause`. Deciding is the plan's job: a step carries out the actions in its context and
 * never decides again.
 */
import { estimateRemainingMs, formatDuration, type ProgressReporter, type ProgressTask } from './progress.js';
import { PackyardError, toPackyardError } from './errors.js';

/** One step of a pipeline over the context `C`. */
export interface Step<C> {
  /** Short and stable: shown in progress lines, events and errors. */
  readonly name: string;
  /** Why the step has nothing to do in this context, or undefined to run it. Asked right before `run`. */
  skip?(ctx: C): string | undefined;
  run(ctx: C): Promise<void>;
  /** Whether the steps after this one still run when it fails (its error is reported either way). */
  readonly continueOnError?: boolean;
}

/** A context that carries the plan's typed actions for the steps to carry out. */
export interface PlannedContext<A> {
  readonly actions: readonly A[];
}

/** Where a step event happened: which run (`label`), which step, and its place in the list. */
interface StepPlace {
  label: string;
  step: string;
  /** 0-based position of the step in the list. */
  index: number;
  total: number;
}

/** What the runner reports, in order, through `onEvent`. */
export type StepEvent =
  | ({ type: 'step-start' } & StepPlace)
  | ({ type: 'step-skip'; reason: string } & StepPlace)
  | ({ type: 'step-end'; ms: number } & StepPlace)
  | ({ type: 'step-fail'; ms: number; error: StepError; continued: boolean } & StepPlace)
  | {
      type: 'progress';
      label: string;
      /** Steps finished so far (run, skipped or failed). */
      done: number;
      total: number;
      elapsedMs: number;
      /** Time left at the pace of the steps that ran (skips cost nothing); undefined before one ran. */
      etaMs: number | undefined;
      /** The run is over: every step finished, or a failure stopped it. */
      finished: boolean;
    };

/** What happened to one step. */
export type StepOutcome =
  | { step: string; status: 'done'; ms: number }
  | { step: string; status: 'skipped'; reason: string }
  | { step: string; status: 'failed'; ms: number; error: StepError };

/** The runner's result: one outcome per step reached, and the errors of the steps that continued. */
export interface StepsReport {
  outcomes: StepOutcome[];
  /** Failures of `continueOnError` steps; a stopping failure is thrown instead. */
  errors: StepError[];
  elapsedMs: number;
}

/** Options of `runSteps`. */
export interface RunStepsOptions {
  /** Names this run in events and progress, e.g. the package it works on. */
  label?: string;
  /** Receives every event, in order. See `createStepEventRenderer` for the usual sink. */
  onEvent?: (event: StepEvent) => void;
  /** Milliseconds; default `performance.now()`. */
  now?: () => number;
}

/** A step's failure: the step's name, the original's code and place, and the original as `cause`. */
export class StepError extends PackyardError {
  readonly step: string;

  constructor(step: string, error: unknown) {
    const original = toPackyardError(error);
    super(original.code, `${step}: ${original.message}`, {
      file: original.file,
      field: original.field,
      value: original.value,
      hint: original.hint,
      cause: error,
    });
    this.step = step;
  }

  /** The original's line, after the step's name: `pex: file: field: message`. */
  override format(): string {
    const cause = this.cause;
    return `${this.step}: ${cause instanceof PackyardError ? cause.format() : toPackyardError(cause).format()}`;
  }
}

/**
 * The `[n/N]` estimate after `done` of `total` steps, `ran` of which ran (the others were skipped):
 * the remaining steps go at the pace of the ones that ran. Pure.
 */
export function estimateStepsRemainingMs(
  elapsedMs: number,
  done: number,
  ran: number,
  total: number,
): number | undefined {
  return estimateRemainingMs(elapsedMs, ran, ran + Math.max(0, total - done));
}

/**
 * Runs `steps` in order over `ctx`. A skipped step reports its reason; a failing step is wrapped in a
 * StepError and either recorded (continueOnError) or thrown after its events, stopping the run.
 */
export async function runSteps<C>(
  steps: readonly Step<C>[],
  ctx: C,
  options: RunStepsOptions = {},
): Promise<StepsReport> {
  const now = options.now ?? (() => performance.now());
  const emit = options.onEvent ?? (() => undefined);
  const label = options.label ?? 'steps';
  const total = steps.length;
  const started = now();
  const outcomes: StepOutcome[] = [];
  const errors: StepError[] = [];
  let ran = 0;
  const progress = (finished: boolean) => {
    const elapsedMs = Math.round(now() - started);
    emit({
      type: 'progress',
      label,
      done: outcomes.length,
      total,
      elapsedMs,
      etaMs: finished ? 0 : estimateStepsRemainingMs(elapsedMs, outcomes.length, ran, total),
      finished,
    });
  };
  for (const [index, step] of steps.entries()) {
    const place = { label, step: step.name, index, total };
    const isLast = index === total - 1;
    const reason = step.skip?.(ctx);
    if (reason !== undefined) {
      outcomes.push({ step: step.name, status: 'skipped', reason });
      emit({ type: 'step-skip', reason, ...place });
      progress(isLast);
      continue;
    }
    emit({ type: 'step-start', ...place });
    const stepStarted = now();
    try {
      await step.run(ctx);
    } catch (error) {
      const ms = Math.round(now() - stepStarted);
      const failure = new StepError(step.name, error);
      const continued = step.continueOnError === true;
      ran += 1;
      outcomes.push({ step: step.name, status: 'failed', ms, error: failure });
      emit({ type: 'step-fail', ms, error: failure, continued, ...place });
      progress(isLast || !continued);
      if (!continued) throw failure;
      errors.push(failure);
      continue;
    }
    const ms = Math.round(now() - stepStarted);
    ran += 1;
    outcomes.push({ step: step.name, status: 'done', ms });
    emit({ type: 'step-end', ms, ...place });
    progress(isLast);
  }
  if (total === 0) progress(true);
  return { outcomes, errors, elapsedMs: Math.round(now() - started) };
}

/**
 * The usual event sink: shows each run's steps as one `[n/N]` task of the app's progress reporter, so
 * a terminal gets the live line, CI plain lines and `--json` JSON lines on stderr (the reporter's
 * format). A skip shows its reason, a step its time, a failure its message.
 */
export function createStepEventRenderer(reporter: ProgressReporter): (event: StepEvent) => void {
  let task: ProgressTask | undefined;
  return (event) => {
    if (event.type === 'progress') {
      if (event.finished) {
        task?.finish();
        task = undefined;
      }
      return;
    }
    task ??= reporter.start(event.label, event.total);
    switch (event.type) {
      case 'step-start':
        task.begin(event.step);
        break;
      case 'step-skip':
        task.done(event.step, `skipped: ${event.reason}`);
        break;
      case 'step-end':
        task.done(event.step, formatDuration(event.ms));
        break;
      case 'step-fail':
        task.fail(event.step, event.error.message.split('\n')[0]);
        break;
    }
  };
}
