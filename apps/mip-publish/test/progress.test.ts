import { aWorkspace, runCli } from './helpers.js';

const MHLS = [
  'hello_mip-1.0.0-any-none-any',
  'string-tools-0.3.1-any-none-any',
  'timestwo-1.2.0-any-none-linux_x86_64',
];

describe('progress of a command over several packages', () => {
  let root: string;
  beforeAll(async () => {
    root = await aWorkspace();
  });

  it('with --json: progress events on stderr as JSON lines, one result document on stdout', async () => {
    const run = await runCli(root, ['prepare', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out) as { results: Array<{ name: string; status: string }> };
    expect(result.results.map((r) => [r.name, r.status])).toEqual(MHLS.map((m) => [m, 'done']));
    const events = run.err
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const progress = events.filter((e) => e['type'] === 'progress' && e['label'] === 'prepare');
    expect(progress.map((e) => [e['event'], e['item']])).toEqual([
      ['start', undefined],
      ...MHLS.flatMap((m) => [
        ['begin', m],
        ['done', m],
      ]),
      ['finish', undefined],
    ]);
    const done = progress.filter((e) => e['event'] === 'done');
    expect(done.map((e) => [e['done'], e['total']])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    // An estimate once a package has finished.
    for (const e of done) expect(e['etaMs']).toEqual(expect.any(Number));
    expect(events.at(-1)).toMatchObject({ type: 'summary', command: 'prepare' });
  });

  it('without --json: one [n/N] line per package with the time and an estimate', async () => {
    const run = await runCli(root, ['prepare', '--force']);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/^\[1\/3\] \d+s, about \d+s left: hello_mip-1\.0\.0-any-none-any done$/m);
    expect(run.err).toMatch(/^\[2\/3\] \d+s, about \d+s left: string-tools-0\.3\.1-any-none-any done$/m);
    expect(run.err).toMatch(/^\[3\/3\] \d+s: timestwo-1\.2\.0-any-none-linux_x86_64 done$/m);
    expect(run.err).toMatch(/^\[3\/3\] \d+s: prepare finished$/m);
    expect(run.out).toBe('✓ prepare: 3 done, 0 skipped, 0 failed\n');
  });
});
