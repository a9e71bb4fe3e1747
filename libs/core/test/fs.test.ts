import { constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAccessible, isProcessAlive, removeStaleTemporaries, writeFileAtomically } from '../src/index.js';

describe('isAccessible', () => {
  it('tells an existing file from a missing one, and an executable from a plain file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-core-'));
    const file = join(dir, 'tool');
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o644);
    expect(await isAccessible(file)).toBe(true);
    expect(await isAccessible(join(dir, 'missing'))).toBe(false);
    expect(await isAccessible(file, constants.X_OK)).toBe(false);
    await chmod(file, 0o755);
    expect(await isAccessible(file, constants.X_OK)).toBe(true);
  });
});

describe('writeFileAtomically', () => {
  it('creates missing directories and replaces the content whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-core-'));
    const file = join(dir, 'a', 'b', 'state.yaml');
    await writeFileAtomically(file, 'one\n');
    await writeFileAtomically(file, 'two\n');
    expect(await readFile(file, 'utf8')).toBe('two\n');
  });
});

describe('removeStaleTemporaries', () => {
  it("removes a killed process's temporaries, keeps a live one's and everything else", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-core-stale-'));
    // A process that has exited: its pid is free (and not reused within this test).
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await mkdir(join(dir, `.root.tmp-${dead}-abcd1234`));
    await writeFile(join(dir, `.root.tmp-${dead}-abcd1234`, 'half.pex'), 'x');
    await writeFile(join(dir, `requirements.txt.tmp-${dead}-lq2k3`), 'x');
    await writeFile(join(dir, `tool.tar.gz.tmp-${process.pid}-lq2k3`), 'mine, in flight');
    await writeFile(join(dir, 'tool.tar.gz'), 'done');
    expect((await removeStaleTemporaries(dir)).sort()).toEqual([
      `.root.tmp-${dead}-abcd1234`,
      `requirements.txt.tmp-${dead}-lq2k3`,
    ]);
    expect((await readdir(dir)).sort()).toEqual(['tool.tar.gz', `tool.tar.gz.tmp-${process.pid}-lq2k3`]);
    expect(await removeStaleTemporaries(join(dir, 'missing'))).toEqual([]);
  });
});

describe('isProcessAlive', () => {
  it('tells a running process from one that has exited', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    // pid 1 runs as another user or root: EPERM for a non-root caller, alive either way.
    expect(isProcessAlive(1)).toBe(true);
    const exited = spawnSync(process.execPath, ['-e', '0']);
    expect(exited.status).toBe(0);
    expect(isProcessAlive(exited.pid as number)).toBe(false);
  });
});
