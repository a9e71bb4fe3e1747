import { PackyardError, createProgressReporter } from '@packyard/core';
import { TimeLimitError } from '@packyard/mip';
import { forEachPackage } from '@packyard/mip-pipeline';

function aLog() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(m), error: (m: string) => lines.push(`E ${m}`) } };
}

const each = {
  label: 'prepare',
  describe: (name: string) => ({ name, line: `starting ${name}` }),
  failureCode: 'BUILD_FAILED' as const,
};

describe('forEachPackage', () => {
  it('reports a failing package with its code and time limit, and still runs the others', async () => {
    const { lines, log } = aLog();
    const failed: string[] = [];
    const results = await forEachPackage(
      { log },
      ['a', 'b', 'c', 'd'],
      { ...each, onFailure: async (name) => void failed.push(name) },
      async (name) => {
        if (name === 'b') throw new PackyardError('CONFIG_INVALID', 'bad', { file: '/p/b/mip.yaml' });
        if (name === 'c') throw new TimeLimitError('BUILD_FAILED', 'timed out after 3 s');
        if (name === 'd') throw new Error('a bug');
        return { name, status: 'done', detail: 'ok' };
      },
    );
    expect(results).toEqual([
      { name: 'a', status: 'done', detail: 'ok' },
      { name: 'b', status: 'failed', detail: '/p/b/mip.yaml: bad', code: 'CONFIG_INVALID', timedOut: false },
      { name: 'c', status: 'failed', detail: 'timed out after 3 s', code: 'BUILD_FAILED', timedOut: true },
      { name: 'd', status: 'failed', detail: 'a bug', code: 'BUILD_FAILED', timedOut: false },
    ]);
    expect(failed).toEqual(['b', 'c', 'd']);
    // Without a progress reporter, each package's line carries its [n/N].
    expect(lines.filter((l) => l.startsWith('['))).toEqual([
      '[1/4] starting a',
      '[2/4] starting b',
      '[3/4] starting c',
      '[4/4] starting d',
    ]);
    expect(lines).toContain('E   b: /p/b/mip.yaml: bad');
  });

  it('shows [n/N] with an estimate through a progress reporter, as JSON lines with --json', async () => {
    const { log } = aLog();
    const written: string[] = [];
    let clock = 0;
    const progress = createProgressReporter({
      format: 'json',
      write: (text) => written.push(text),
      now: () => clock,
    });
    await forEachPackage({ log, progress }, ['a', 'b', 'c'], each, async (name) => {
      clock += 1000;
      if (name === 'b') throw new PackyardError('BUILD_FAILED', 'compile.m failed\nits output');
      return { name, status: name === 'c' ? 'skipped' : 'done', detail: '' };
    });
    const events = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => [e['event'], e['item']])).toEqual([
      ['start', undefined],
      ['begin', 'a'],
      ['done', 'a'],
      ['begin', 'b'],
      ['failed', 'b'],
      ['begin', 'c'],
      ['done', 'c'],
      ['finish', undefined],
    ]);
    expect(events[2]).toMatchObject({ label: 'prepare', done: 1, total: 3, elapsedMs: 1000, etaMs: 2000 });
    expect(events[4]).toMatchObject({ failed: 1, detail: 'compile.m failed' });
    expect(events[6]).toMatchObject({ done: 2, failed: 1, detail: 'skipped' });
  });

  it('starts no progress task for no packages', async () => {
    const written: string[] = [];
    const progress = createProgressReporter({ format: 'json', write: (text) => written.push(text) });
    expect(
      await forEachPackage({ log: aLog().log, progress }, [], each, () => Promise.reject(new Error('never'))),
    ).toEqual([]);
    expect(written).toEqual([]);
  });
});
