import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isPackyardError, runTool } from '@packyard/core';
import { writeZip, type ArchiveEntry } from '@packyard/archive';
import { checkZipFile } from '@packyard/wheel-index';
import { ensureSystemTools, rejectionOf } from '@packyard/test-helpers';

let root: string;

beforeAll(async () => {
  await ensureSystemTools(['unzip', 'zipinfo']);
  root = await mkdtemp(join(tmpdir(), 'packyard-zip-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function aDir(
  files: Record<string, string | Buffer | { content: string; mode: number }>,
): Promise<string> {
  const dir = await mkdtemp(join(root, 'case-'));
  for (const [name, spec] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    if (typeof spec === 'string' || Buffer.isBuffer(spec)) {
      await writeFile(path, spec);
    } else {
      await writeFile(path, spec.content);
      await chmod(path, spec.mode);
    }
  }
  return dir;
}

function hex(algorithm: string, bytes: Buffer): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

async function aMixedInput(): Promise<{ dir: string; entries: ArchiveEntry[] }> {
  const dir = await aDir({
    'big.bin': randomBytes(3 * 1024 * 1024 + 17),
    'notes.txt': 'hello\n'.repeat(10_000),
    'tool.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
    empty: '',
  });
  const entries: ArchiveEntry[] = [
    { name: 'pkg/notes.txt', source: { path: join(dir, 'notes.txt') } },
    { name: 'pkg/bin/tool', source: { path: join(dir, 'tool.sh') } },
    { name: 'pkg/data/big.bin', source: { path: join(dir, 'big.bin') } },
    { name: 'pkg/empty', source: { path: join(dir, 'empty') } },
    { name: 'pkg/VERSION', source: { data: '1.2.3\n' } },
    { name: 'pkg/bin/run', source: { data: new Uint8Array([35, 33, 10]) }, executable: true },
    { name: 'pkg/ünïcode.txt', source: { data: 'ü\n' } },
  ];
  return { dir, entries };
}

describe('writeZip', () => {
  it('writes byte-identical zips for the same inputs in any order, in any time zone', async () => {
    const { dir, entries } = await aMixedInput();
    const savedTz = process.env['TZ'];
    try {
      process.env['TZ'] = 'UTC';
      const first = await writeZip(join(dir, 'one.zip'), entries, { mtime: 1_700_000_001 });
      process.env['TZ'] = 'America/New_York';
      const second = await writeZip(join(dir, 'two.zip'), [...entries].reverse(), { mtime: 1_700_000_001 });
      process.env['TZ'] = 'Asia/Kolkata';
      const third = await writeZip(join(dir, 'three.zip'), entries, { mtime: 1_700_000_001 });

      const bytes = await readFile(first.path);
      expect((await readFile(second.path)).equals(bytes)).toBe(true);
      expect((await readFile(third.path)).equals(bytes)).toBe(true);
      expect(first.size).toBe(bytes.byteLength);
      expect(first.sha256).toBe(hex('sha256', bytes));
      expect(first.digests).toEqual({
        sha256: hex('sha256', bytes),
        sha512: hex('sha512', bytes),
        blake2b: hex('blake2b512', bytes),
      });
      expect(second.digests).toEqual(first.digests);
      // The first local header's DOS time and date hold the UTC wall clock, 2023-11-14 22:13:20.
      expect(bytes.readUInt16LE(10)).toBe((22 << 11) | (13 << 5) | (21 >> 1));
      expect(bytes.readUInt16LE(12)).toBe(((2023 - 1980) << 9) | (11 << 5) | 14);
    } finally {
      if (savedTz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = savedTz;
    }
  });

  it('passes unzip -t and lists sorted entries with normalised modes and the fixed UTC date', async () => {
    const { dir, entries } = await aMixedInput();
    const out = join(dir, 'pkg.zip');
    await writeZip(out, entries, { mtime: 1_700_000_001 });

    const test = await runTool('unzip', ['-t', out], { env: { LC_ALL: 'C.UTF-8' } });
    expect(test.stdout).toContain('No errors detected in compressed data');

    // zipinfo -T prints yyyymmdd.hhmmss, from the exact UTC time in the "UT" extra field.
    const { stdout } = await runTool('zipinfo', ['-T', out], { env: { TZ: 'UTC', LC_ALL: 'C.UTF-8' } });
    const lines = stdout
      .trim()
      .split('\n')
      .filter((line) => /^[-d]r/.test(line));
    const listed = lines.map((line) => {
      const parts = line.trim().split(/\s+/);
      return { mode: parts[0], date: parts[6], name: parts.slice(7).join(' ') };
    });
    expect(listed.map((row) => row.name)).toEqual([
      'pkg/VERSION',
      'pkg/bin/run',
      'pkg/bin/tool',
      'pkg/data/big.bin',
      'pkg/empty',
      'pkg/notes.txt',
      'pkg/ünïcode.txt',
    ]);
    expect(listed.map((row) => row.mode)).toEqual([
      '-rw-r--r--',
      '-rwxr-xr-x',
      '-rwxr-xr-x',
      '-rw-r--r--',
      '-rw-r--r--',
      '-rw-r--r--',
      '-rw-r--r--',
    ]);
    expect(new Set(listed.map((row) => row.date))).toEqual(new Set(['20231114.221321']));

    const extracted = join(dir, 'x');
    await runTool('unzip', ['-q', out, '-d', extracted]);
    expect(await readFile(join(extracted, 'pkg/data/big.bin'))).toEqual(await readFile(join(dir, 'big.bin')));
    expect(await readFile(join(extracted, 'pkg/VERSION'), 'utf8')).toBe('1.2.3\n');
  });

  it("follows PyPI's zip rules: no data descriptor, the central directory equal to the local headers", async () => {
    const { dir, entries } = await aMixedInput();
    const out = join(dir, 'rules.zip');
    await writeZip(out, entries, { mtime: 1_700_000_001 });
    expect(await checkZipFile(out)).toEqual([]);
  });

  it('takes the date from SOURCE_DATE_EPOCH, and writes times before 1980 as 1980-01-01', async () => {
    const dir = await aDir({});
    const saved = process.env['SOURCE_DATE_EPOCH'];
    try {
      process.env['SOURCE_DATE_EPOCH'] = '1234567890';
      const fromEnv = await writeZip(join(dir, 'env.zip'), [{ name: 'a', source: { data: 'a' } }]);
      const early = await writeZip(join(dir, 'early.zip'), [{ name: 'a', source: { data: 'a' } }], {
        mtime: 0,
      });
      const dates = async (path: string): Promise<string> =>
        (await runTool('zipinfo', ['-T', path], { env: { TZ: 'UTC' } })).stdout
          .split('\n')[2]!
          .split(/\s+/)[6]!;
      expect(await dates(fromEnv.path)).toBe('20090213.233130');
      expect(await dates(early.path)).toBe('19800101.000000');
    } finally {
      if (saved === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = saved;
    }
  });

  it('refuses a missing source before writing anything, and leaves no file behind', async () => {
    const dir = await aDir({ 'ok.txt': 'ok' });
    const out = join(dir, 'out.zip');
    const error = await rejectionOf(
      writeZip(out, [
        { name: 'ok.txt', source: { path: join(dir, 'ok.txt') } },
        { name: 'gone.txt', source: { path: join(dir, 'gone.txt') } },
      ]),
    );
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as { file: string }).file).toBe(join(dir, 'gone.txt'));
    expect(await readdir(dir)).toEqual(['ok.txt']);
  });

  it('refuses a bad name and a bad level', async () => {
    const dir = await aDir({});
    const bad = await rejectionOf(writeZip(join(dir, 'a.zip'), [{ name: '../evil', source: { data: 'x' } }]));
    expect(isPackyardError(bad, 'ARCHIVE_INVALID')).toBe(true);
    const level = await rejectionOf(writeZip(join(dir, 'b.zip'), [], { level: 12 }));
    expect(isPackyardError(level, 'ARCHIVE_INVALID')).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves nothing at the output path when aborted', async () => {
    const { dir, entries } = await aMixedInput();
    const out = join(dir, 'aborted.zip');
    const controller = new AbortController();
    const writing = writeZip(out, entries, { signal: controller.signal });
    controller.abort();
    const error = await rejectionOf(writing);
    expect((error as { name: string }).name).toBe('AbortError');
    await expect(stat(out)).rejects.toThrow();
    expect((await readdir(dir)).filter((name) => name.includes('aborted'))).toEqual([]);
  });

  it('stores uncompressed at level 0', async () => {
    const dir = await aDir({});
    const result = await writeZip(
      join(dir, 'stored.zip'),
      [{ name: 'a.txt', source: { data: 'a'.repeat(1000) } }],
      {
        level: 0,
      },
    );
    const { stdout } = await runTool('zipinfo', ['-v', result.path]);
    expect(stdout).toMatch(/compression method:\s+none \(stored\)/);
  });
});
