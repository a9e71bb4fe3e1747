import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { findInterpreter } from '../src/index.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

describe('findInterpreter', () => {
  it('finds this machine’s CPython 3.11 and returns its real path', async () => {
    const python = await findInterpreter('3.11');
    expect(python).toBeDefined();
    const probe = await execa(python!, ['-c', "import sys; print('%d.%d' % sys.version_info[:2])"]);
    expect(probe.stdout.trim()).toBe('3.11');
  });

  it('skips names on PATH that do not run or are another version', async () => {
    const real = await findInterpreter('3.11');
    const fakeDir = await makeTempDir('fake-python');
    // Like a pyenv shim for an inactive version: present on PATH, fails when run.
    await writeFile(join(fakeDir, 'python3.11'), '#!/bin/sh\nexit 127\n', { mode: 0o755 });
    await writeFile(join(fakeDir, 'python3'), '#!/bin/sh\necho 3.9; echo /fake/python3\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${fakeDir}:${process.env['PATH'] ?? ''}` };
    expect(await findInterpreter('3.11', env)).toBe(real);
    expect(await findInterpreter('3.11', { PATH: fakeDir })).toBeUndefined();
  });

  it('runs the candidates once per version and PATH, and keeps the answer', async () => {
    const dir = await makeTempDir('counted-python');
    const runs = join(dir, 'runs.log');
    // Stands in for a pyenv shim that is slow to start: each run is counted.
    await writeFile(
      join(dir, 'python3.12'),
      `#!/bin/sh\necho run >> '${runs}'\necho 3.12; echo /counted/python3.12\n`,
      {
        mode: 0o755,
      },
    );
    const env = { PATH: dir };
    expect(await findInterpreter('3.12', env)).toBe('/counted/python3.12');
    expect(await Promise.all([findInterpreter('3.12', env), findInterpreter('3.12', { ...env })])).toEqual([
      '/counted/python3.12',
      '/counted/python3.12',
    ]);
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toEqual(['run']);
    // Another PATH is another question.
    expect(await findInterpreter('3.12', { PATH: `${dir}:/nonexistent` })).toBe('/counted/python3.12');
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toEqual(['run', 'run']);
  });

  it('returns undefined for a version that is not installed', async () => {
    expect(await findInterpreter('3.99')).toBeUndefined();
  });
});
