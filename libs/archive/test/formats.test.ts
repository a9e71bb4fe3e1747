import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPackyardError, runTool } from '@packyard/core';
import { archiveFormatOf, digestFile, writeArchive, type ArchiveEntry } from '@packyard/archive';
import { ensureSystemTools } from '@packyard/test-helpers';

let root: string;
let entries: ArchiveEntry[];

const EXPECTED = ['top/README', 'top/bin/tool', 'top/data/random.bin', 'top/data/text.txt'];

beforeAll(async () => {
  await ensureSystemTools(['xz', 'zstd', 'tar', 'unzip']);
  root = await mkdtemp(join(tmpdir(), 'packyard-formats-'));
  await writeFile(join(root, 'random.bin'), randomBytes(512 * 1024));
  entries = [
    { name: 'top/data/text.txt', source: { data: 'the same words again and again\n'.repeat(20_000) } },
    { name: 'top/data/random.bin', source: { path: join(root, 'random.bin') } },
    { name: 'top/bin/tool', source: { data: '#!/bin/sh\n' }, executable: true },
    { name: 'top/README', source: { data: 'HELLO' } },
  ];
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listing(path: string): Promise<string[]> {
  if (path.endsWith('.zip')) {
    const { stdout } = await runTool('zipinfo', ['-1', path]);
    return stdout.trim().split('\n');
  }
  const { stdout } = await runTool('tar', ['-tf', path]);
  return stdout.trim().split('\n');
}

describe.each([
  ['pkg-1.0.tar.gz', ['gzip', '-t']],
  ['pkg-1.0.tar.xz', ['xz', '-t']],
  ['pkg-1.0.tar.zst', ['zstd', '-q', '-t']],
  ['pkg-1.0.zip', ['unzip', '-tq']],
])('writeArchive %s', (name, checker) => {
  it('writes the same bytes twice, which its own tool accepts, listing exactly the entries', async () => {
    const first = await writeArchive(join(root, 'a', name), entries, { mtime: 1_600_000_000 });
    const second = await writeArchive(join(root, 'b', name), [...entries].reverse(), {
      mtime: 1_600_000_000,
    });
    expect((await readFile(second.path)).equals(await readFile(first.path))).toBe(true);
    expect(await digestFile(first.path)).toEqual({ digests: first.digests, size: first.size });

    const [tool, ...args] = checker as [string, ...string[]];
    await runTool(tool, [...args, first.path]);
    expect(await listing(first.path)).toEqual(EXPECTED);

    const out = join(root, 'x-' + name);
    await runTool('mkdir', ['-p', out]);
    if (name.endsWith('.zip')) await runTool('unzip', ['-q', first.path, '-d', out]);
    else await runTool('tar', ['-xf', first.path, '-C', out]);
    expect(await readFile(join(out, 'top/data/random.bin'))).toEqual(
      await readFile(join(root, 'random.bin')),
    );
    expect(await readFile(join(out, 'top/README'), 'utf8')).toBe('HELLO');
  });
});

describe('archiveFormatOf', () => {
  it('picks the format by the ending of the name', () => {
    expect(archiveFormatOf('a-1.tar.gz')).toBe('tar.gz');
    expect(archiveFormatOf('a-1.tar.xz')).toBe('tar.xz');
    expect(archiveFormatOf('a-1.tar.zst')).toBe('tar.zst');
    expect(archiveFormatOf('a-1.tar.zstd')).toBe('tar.zst');
    expect(archiveFormatOf('a-1.zip')).toBe('zip');
  });

  it('refuses another ending, naming the supported ones', () => {
    let error: unknown;
    try {
      archiveFormatOf('a-1.tar.bz2');
    } catch (caught) {
      error = caught;
    }
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as Error).message).toContain('.tar.gz, .tar.xz, .tar.zst, .tar.zstd, .zip');
    expect((error as { value: unknown }).value).toBe('a-1.tar.bz2');
  });
});

describe('compression levels', () => {
  it('refuses a level outside the format range before writing', async () => {
    await expect(writeArchive(join(root, 'bad.tar.zst'), entries, { level: 25 })).rejects.toThrow(
      /zstd level 25 is not an integer in 1..19/,
    );
    await expect(writeArchive(join(root, 'bad.tar.xz'), entries, { level: 0 })).rejects.toThrow(
      /xz level 0 is not an integer in 1..9/,
    );
  });
});
