// Long commands report `[n/N]` progress through core's reporter on stderr: plain lines, or JSON
// `progress` events with --json, while stdout carries the result (one JSON document with --json).
// `publish` to a directory store (one item per object) and `build` (one per file read back).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT } from '@packyard/core';
import { aTempDir, aWheel, runCli } from './helpers.js';

let indexDir: string;
let objects: number;

async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    count += entry.isDirectory() ? await countFiles(join(dir, entry.name)) : 1;
  }
  return count;
}

/** The `progress` events of a --json run's stderr (every line must be JSON). */
function progressEvents(stderr: string): Record<string, unknown>[] {
  return stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((event) => event['type'] === 'progress');
}

beforeAll(async () => {
  const base = await aTempDir();
  indexDir = join(base, 'index');
  const wheels = [
    await aWheel(join(base, 'in'), { name: 'alpha-pkg', version: '1.0' }),
    await aWheel(join(base, 'in'), { name: 'alpha-pkg', version: '1.1' }),
    await aWheel(join(base, 'in'), { name: 'beta', version: '0.1' }),
  ];
  const added = await runCli(['add', '--index-dir', indexDir, ...wheels]);
  expect(added.code).toBe(EXIT.ok);
  objects = await countFiles(indexDir);
});

describe('progress of a long command (publish)', () => {
  test('--json: progress events on stderr, one per object, and one result document on stdout', async () => {
    const store = join(await aTempDir(), 'store');
    const run = await runCli(['publish', '--index-dir', indexDir, '--to', store, '--json']);
    expect(run.code).toBe(EXIT.ok);
    const result = JSON.parse(run.stdout) as { location: string; uploaded: string[]; skipped: string[] };
    expect(result.uploaded).toHaveLength(objects);
    expect(result.skipped).toEqual([]);
    expect(await countFiles(store)).toBe(objects);

    const events = progressEvents(run.stderr);
    const done = events.filter((event) => event['event'] === 'done');
    expect(events[0]).toMatchObject({ event: 'start', label: 'publish', total: objects, done: 0 });
    expect(done.map((event) => event['done'])).toEqual(Array.from({ length: objects }, (_, i) => i + 1));
    expect(done.map((event) => event['item']).sort()).toEqual([...result.uploaded].sort());
    expect(done.every((event) => event['detail'] === 'uploaded' && typeof event['etaMs'] === 'number')).toBe(
      true,
    );
    expect(events.at(-1)).toMatchObject({ event: 'finish', done: objects, total: objects });
  });

  test('plain: one [n/N] line per object on stderr, the summary line on stdout', async () => {
    const store = join(await aTempDir(), 'store');
    expect((await runCli(['publish', '--index-dir', indexDir, '--to', store])).code).toBe(EXIT.ok);
    const again = await runCli(['publish', '--index-dir', indexDir, '--to', store]);
    expect(again.code).toBe(EXIT.ok);
    expect(again.stdout).toBe(
      `published ${indexDir} to ${store}: 0 uploaded, 0 replaced, ${objects} unchanged\n`,
    );
    const lines = again.stderr.trim().split('\n');
    const counted = lines.filter((line) => /^\[\s*\d+\/\d+\] /.test(line));
    expect(counted).toHaveLength(objects + 1);
    expect(counted[0]).toMatch(new RegExp(`^\\[\\s*1/${objects}\\] .*: \\S+ done \\(skipped\\)$`));
    expect(counted.at(-1)).toMatch(new RegExp(`^\\[${objects}/${objects}\\] .*: publish finished$`));
  });
});

describe('progress of build', () => {
  test('--index-dir --json: one progress event per file read back, then the result document', async () => {
    const run = await runCli(['build', '--index-dir', indexDir, '--json']);
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toEqual({ projects: ['alpha-pkg', 'beta'], files: 3 });
    const done = progressEvents(run.stderr).filter((event) => event['event'] === 'done');
    expect(done.map((event) => [event['label'], event['done'], event['total']])).toEqual([
      ['files read back', 1, 3],
      ['files read back', 2, 3],
      ['files read back', 3, 3],
    ]);
    expect(done.map((event) => event['item']).sort()).toEqual([
      'files/alpha-pkg/alpha_pkg-1.0-py3-none-any.whl',
      'files/alpha-pkg/alpha_pkg-1.1-py3-none-any.whl',
      'files/beta/beta-0.1-py3-none-any.whl',
    ]);
  });
});

describe('update --dry-run --json', () => {
  test('prints the plan as one document and runs nothing', async () => {
    const cwd = await aTempDir();
    const run = await runCli(
      [
        'update',
        '--owner',
        'Acme',
        '--repo',
        'lib',
        '--ref',
        'v1',
        '--index-repo',
        'file:///nowhere',
        '--dry-run',
        '--json',
      ],
      { cwd },
    );
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toEqual({
      owner: 'Acme',
      repo: 'lib',
      ref: 'v1',
      sourceUrl: 'https://github.com/Acme/lib',
      branch: 'main',
      target: 'refs/heads/main',
      commitMessage: 'updated dependency "Acme/lib"',
      actions: ['index', 'clone', 'build', 'install-test', 'publish'],
    });
    expect(await readdir(cwd)).toEqual([]);
  });
});
