import {
  chooseProgressFormat,
  createProgressReporter,
  estimateRemainingMs,
  fitToWidth,
  formatDuration,
  renderProgressLine,
  type ProgressFormat,
  type ProgressSnapshot,
} from '../src/index.js';

const aSnapshot = (over: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  label: 'pex builds',
  done: 0,
  failed: 0,
  total: 64,
  running: [],
  elapsedMs: 0,
  etaMs: undefined,
  ...over,
});

describe('formatDuration', () => {
  it('writes seconds, minutes and hours briefly', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(4_400)).toBe('4s');
    expect(formatDuration(59_600)).toBe('1m00s');
    expect(formatDuration(65_000)).toBe('1m05s');
    expect(formatDuration(3_600_000 + 3 * 60_000 + 10_000)).toBe('1h03m');
    expect(formatDuration(-5)).toBe('0s');
  });
});

describe('estimateRemainingMs', () => {
  it('goes at the pace of the finished items, and says nothing before the first', () => {
    expect(estimateRemainingMs(10_000, 0, 8)).toBeUndefined();
    expect(estimateRemainingMs(10_000, 2, 8)).toBe(30_000);
    expect(estimateRemainingMs(10_000, 8, 8)).toBe(0);
  });
});

describe('renderProgressLine', () => {
  it('shows n/N padded to the width of N, the elapsed time and the estimate', () => {
    expect(
      renderProgressLine(aSnapshot({ done: 3, elapsedMs: 65_000, etaMs: 1_300_000 }), 'black 26.10.0 done'),
    ).toBe('[ 3/64] 1m05s, about 21m40s left: black 26.10.0 done');
  });

  it('names the oldest running item and how many more run beside it', () => {
    expect(renderProgressLine(aSnapshot({ total: 4, running: ['a linux-amd64', 'a linux-arm64'] }))).toBe(
      '[0/4] 0s: pex builds: a linux-amd64 (+1 more)',
    );
    expect(renderProgressLine(aSnapshot({ total: 4, running: ['a linux-amd64'] }))).toBe(
      '[0/4] 0s: pex builds: a linux-amd64',
    );
  });

  it('counts failures towards n and shows them, and drops the estimate at the end', () => {
    expect(renderProgressLine(aSnapshot({ total: 2, done: 1, failed: 1, elapsedMs: 9_000, etaMs: 0 }))).toBe(
      '[2/2] 9s, 1 failed: pex builds',
    );
  });
});

describe('fitToWidth', () => {
  it('cuts a live line that would wrap, and leaves a short one', () => {
    expect(fitToWidth('abcdefghij', 8)).toBe('abcdef…');
    expect(fitToWidth('abc', 8)).toBe('abc');
    expect(fitToWidth('abcdefghij', undefined)).toBe('abcdefghij');
  });
});

describe('chooseProgressFormat', () => {
  it('uses the live line only on a terminal outside CI, and JSON when asked', () => {
    expect(chooseProgressFormat({ isTTY: true, env: {} })).toBe('tty');
    expect(chooseProgressFormat({ isTTY: true, env: { CI: 'true' } })).toBe('plain');
    expect(chooseProgressFormat({ isTTY: true, env: { CI: 'false' } })).toBe('tty');
    expect(chooseProgressFormat({ isTTY: true, env: { TERM: 'dumb' } })).toBe('plain');
    expect(chooseProgressFormat({ isTTY: false, env: {} })).toBe('plain');
    expect(chooseProgressFormat({ json: true, isTTY: true, env: {} })).toBe('json');
  });
});

// A clock the test moves by hand, and everything written.
function aReporter(format: ProgressFormat) {
  let t = 1_000;
  const out: string[] = [];
  const reporter = createProgressReporter({
    format,
    write: (text) => out.push(text),
    now: () => t,
    columns: () => 60,
  });
  return { reporter, out, advance: (ms: number) => (t += ms) };
}

describe('createProgressReporter', () => {
  it('plain: one line per finished item and a last line; log lines pass through', () => {
    const { reporter, out, advance } = aReporter('plain');
    const task = reporter.start('pex builds', 3);
    task.begin('a');
    task.begin('b');
    advance(10_000);
    task.done('a', 'uploaded');
    reporter.log('warn', 'slow index');
    advance(2_000);
    task.fail('b');
    task.begin('c');
    advance(3_000);
    task.done('c');
    task.finish();
    task.finish();
    expect(out.join('')).toBe(
      [
        '[1/3] 10s, about 20s left: a done (uploaded)',
        'warning: slow index',
        '[2/3] 12s, about 6s left, 1 failed: b failed',
        '[3/3] 15s, 1 failed: c done',
        '[3/3] 15s, 1 failed: pex builds finished',
        '',
      ].join('\n'),
    );
  });

  it('tty: redraws one line in place, keeps log lines above it, and ends with a newline', () => {
    const { reporter, out, advance } = aReporter('tty');
    const task = reporter.start('pex builds', 2);
    task.begin('wait-for-it 2.3.0 linux-arm64');
    advance(4_000);
    reporter.log('info', 'uploading');
    task.done('wait-for-it 2.3.0 linux-arm64');
    task.finish();
    reporter.log('info', 'after');
    expect(out).toEqual([
      '[0/2] 0s: pex builds',
      '\r\x1b[2K[0/2] 0s: pex builds: wait-for-it 2.3.0 linux-arm64',
      '\r\x1b[2Kuploading\n[0/2] 4s: pex builds: wait-for-it 2.3.0 linux-arm64',
      '\r\x1b[2K[1/2] 4s, about 4s left: pex builds',
      '\r\x1b[2K[1/2] 4s, about 4s left: pex builds finished\n',
      'after\n',
    ]);
    // The live line never exceeds the terminal width, so it can always be redrawn.
    for (const chunk of out) {
      const last = chunk.split('\n').at(-1)!.replace('\r\x1b[2K', '');
      expect(last.length).toBeLessThan(60);
    }
  });

  it('json: one parseable record per event, with counts, times and log lines', () => {
    const { reporter, out, advance } = aReporter('json');
    const task = reporter.start('pex builds', 2);
    task.begin('x');
    advance(1_500);
    task.done('x', 'skipped');
    reporter.log('error', 'boom');
    task.finish();
    const records = out
      .join('')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records).toEqual([
      {
        type: 'progress',
        event: 'start',
        label: 'pex builds',
        done: 0,
        failed: 0,
        total: 2,
        running: 0,
        elapsedMs: 0,
      },
      {
        type: 'progress',
        event: 'begin',
        item: 'x',
        label: 'pex builds',
        done: 0,
        failed: 0,
        total: 2,
        running: 1,
        elapsedMs: 0,
      },
      {
        type: 'progress',
        event: 'done',
        item: 'x',
        detail: 'skipped',
        label: 'pex builds',
        done: 1,
        failed: 0,
        total: 2,
        running: 0,
        elapsedMs: 1500,
        etaMs: 1500,
      },
      { type: 'log', level: 'error', message: 'boom' },
      {
        type: 'progress',
        event: 'finish',
        label: 'pex builds',
        done: 1,
        failed: 0,
        total: 2,
        running: 0,
        elapsedMs: 1500,
        etaMs: 1500,
      },
    ]);
  });
});
