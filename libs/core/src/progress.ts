/**
 * One progress reporter for every app: `[n/N]` counts with the elapsed time and an estimate of what is
 * left. Three renderings of the same events: a live line rewritten in place on a terminal, plain lines
 * (one per finished item) in CI and pipes, and JSON lines for machines. Rendering is pure; the
 * reporter only keeps counts and writes.
 */

/** How progress is shown: `tty` a live line, `plain` one line per finished item, `json` JSON lines. */
export type ProgressFormat = 'tty' | 'plain' | 'json';

/** What the renderers see: a snapshot of the counts after an event. */
export interface ProgressSnapshot {
  /** What the work is, e.g. "pex builds". */
  label: string;
  done: number;
  failed: number;
  total: number;
  /** Items started and not finished yet, oldest first. */
  running: readonly string[];
  elapsedMs: number;
  /** Estimated time left, once at least one item has finished. */
  etaMs: number | undefined;
}

/** One event of the JSON-lines format (`--json`). */
export type ProgressEvent =
  | ({ type: 'progress'; event: 'start' | 'begin' | 'done' | 'failed' | 'finish'; item?: string } & Omit<
      ProgressSnapshot,
      'running'
    > & { running: number; detail?: string })
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** Chooses the format: `--json` wins; a terminal gets the live line unless CI is set; else plain. Pure. */
export function chooseProgressFormat(input: {
  json?: boolean;
  isTTY?: boolean;
  env?: Record<string, string | undefined>;
}): ProgressFormat {
  if (input.json === true) return 'json';
  const ci = input.env?.['CI'];
  const inCi = ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
  return input.isTTY === true && !inCi && input.env?.['TERM'] !== 'dumb' ? 'tty' : 'plain';
}

/** `4s`, `1m05s`, `2h03m`: whole seconds, always short. Pure. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * The time left if the remaining items go at the pace of the finished ones (elapsed / finished ×
 * remaining): with parallel work the elapsed time already reflects the parallelism. Undefined until
 * something has finished. Pure.
 */
export function estimateRemainingMs(elapsedMs: number, finished: number, total: number): number | undefined {
  if (finished <= 0 || total <= 0) return undefined;
  return Math.max(0, Math.round((elapsedMs / finished) * Math.max(0, total - finished)));
}

/**
 * The progress line shared by the terminal and plain formats, e.g.
 * `[3/64] 1m05s, about 21m40s left: black 26.10.0 linux-arm64 done`. Pure.
 */
export function renderProgressLine(snapshot: ProgressSnapshot, message?: string): string {
  const finished = snapshot.done + snapshot.failed;
  const width = String(snapshot.total).length;
  const count = `[${String(finished).padStart(width)}/${snapshot.total}]`;
  const timing =
    snapshot.etaMs === undefined || finished >= snapshot.total
      ? formatDuration(snapshot.elapsedMs)
      : `${formatDuration(snapshot.elapsedMs)}, about ${formatDuration(snapshot.etaMs)} left`;
  const failed = snapshot.failed > 0 ? `, ${snapshot.failed} failed` : '';
  const text =
    message ??
    (snapshot.running.length > 0
      ? `${snapshot.label}: ${snapshot.running[0]}${snapshot.running.length > 1 ? ` (+${snapshot.running.length - 1} more)` : ''}`
      : snapshot.label);
  return `${count} ${timing}${failed}: ${text}`;
}

/** The terminal's live line: cut to the terminal width so it never wraps, since a wrapped line cannot be redrawn. Pure. */
export function fitToWidth(line: string, columns: number | undefined): string {
  if (columns === undefined || columns <= 1 || line.length < columns) return line;
  return `${line.slice(0, columns - 2)}…`;
}

/** One JSON-lines record for a progress event. Pure. */
export function renderProgressEvent(
  snapshot: ProgressSnapshot,
  event: 'start' | 'begin' | 'done' | 'failed' | 'finish',
  item?: string,
  detail?: string,
): string {
  const record: ProgressEvent = {
    type: 'progress',
    event,
    ...(item !== undefined ? { item } : {}),
    label: snapshot.label,
    done: snapshot.done,
    failed: snapshot.failed,
    total: snapshot.total,
    running: snapshot.running.length,
    elapsedMs: snapshot.elapsedMs,
    etaMs: snapshot.etaMs,
    ...(detail !== undefined ? { detail } : {}),
  };
  return `${JSON.stringify(record)}\n`;
}

/** A long piece of work with a known number of items. */
export interface ProgressTask {
  /** An item started (shown on the live line). */
  begin(item: string): void;
  /** An item finished; `detail` is shown with it (plain, json). */
  done(item: string, detail?: string): void;
  /** An item failed; it counts towards n/N, and the count of failures is shown. */
  fail(item: string, detail?: string): void;
  /** The work is over: the live line is replaced by a final plain line. */
  finish(): void;
}

/** Shows progress and the log lines written while it runs, without the two garbling each other. */
export interface ProgressReporter {
  readonly format: ProgressFormat;
  /** Starts a task of `total` items, e.g. `start('pex builds', 64)`. */
  start(label: string, total: number): ProgressTask;
  /** A log line (no trailing newline): above the live line on a terminal, a JSON record with --json. */
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** Options for `createProgressReporter`: where to write, and a clock for tests. */
export interface ProgressReporterOptions {
  format: ProgressFormat;
  /** Receives whole chunks of text (stderr, usually). */
  write: (text: string) => void;
  /** Milliseconds; default `performance.now()`. */
  now?: () => number;
  /** The terminal's width, for the live line. */
  columns?: () => number | undefined;
}

const CLEAR_LINE = '\r\x1b[2K';

/** Makes the reporter; the app decides the format (see chooseProgressFormat) and the stream. */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const now = options.now ?? (() => performance.now());
  const { format, write } = options;
  // The task whose live line is on screen (tty only).
  let live: { redraw: () => string } | undefined;

  const prefix: Record<'info' | 'warn' | 'error', string> = { info: '', warn: 'warning: ', error: 'error: ' };

  return {
    format,
    log(level, message) {
      if (format === 'json') {
        write(`${JSON.stringify({ type: 'log', level, message } satisfies ProgressEvent)}\n`);
        return;
      }
      const text = `${prefix[level]}${message}\n`;
      write(live ? `${CLEAR_LINE}${text}${live.redraw()}` : text);
    },
    start(label, total) {
      const started = now();
      let done = 0;
      let failed = 0;
      const running: string[] = [];
      const snapshot = (): ProgressSnapshot => {
        const elapsedMs = Math.round(now() - started);
        return {
          label,
          done,
          failed,
          total,
          running: [...running],
          elapsedMs,
          etaMs: estimateRemainingMs(elapsedMs, done + failed, total),
        };
      };
      const liveLine = () => fitToWidth(renderProgressLine(snapshot()), options.columns?.());
      const me = { redraw: liveLine };
      const finishItem = (item: string, outcome: 'done' | 'failed', detail: string | undefined) => {
        const at = running.indexOf(item);
        if (at >= 0) running.splice(at, 1);
        if (outcome === 'done') done += 1;
        else failed += 1;
        const s = snapshot();
        if (format === 'json') write(renderProgressEvent(s, outcome, item, detail));
        else if (format === 'plain') {
          write(`${renderProgressLine(s, `${item} ${outcome}${detail ? ` (${detail})` : ''}`)}\n`);
        } else {
          write(`${CLEAR_LINE}${liveLine()}`);
        }
      };
      if (format === 'json') write(renderProgressEvent(snapshot(), 'start'));
      else if (format === 'tty') {
        live = me;
        write(liveLine());
      }
      let finished = false;
      return {
        begin(item) {
          running.push(item);
          if (format === 'json') write(renderProgressEvent(snapshot(), 'begin', item));
          else if (format === 'tty') write(`${CLEAR_LINE}${liveLine()}`);
        },
        done: (item, detail) => finishItem(item, 'done', detail),
        fail: (item, detail) => finishItem(item, 'failed', detail),
        finish() {
          if (finished) return;
          finished = true;
          const s = snapshot();
          if (format === 'json') write(renderProgressEvent(s, 'finish'));
          else if (format === 'tty') {
            if (live === me) live = undefined;
            write(`${CLEAR_LINE}${renderProgressLine(s, `${label} finished`)}\n`);
          } else write(`${renderProgressLine(s, `${label} finished`)}\n`);
        },
      };
    },
  };
}
