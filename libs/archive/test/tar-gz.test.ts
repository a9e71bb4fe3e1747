import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { isPackyardError, runTool } from '@packyard/core';
import {
  FALLBACK_MTIME,
  GZIP_OS_BYTE,
  hashFile,
  writeTarGz,
  type ArchiveEntry,
  type TarGzOptions,
} from '@packyard/archive';
import { extract, type Header } from 'tar-stream';
import { rejectionOf, useTempRoot } from '@packyard/test-helpers';

const root = useTempRoot('packyard-archive-');

/** A fresh directory holding `files` (name → content; a `mode` makes it that mode). */
async function aDir(
  files: Record<string, string | Buffer | { content: string | Buffer; mode: number }>,
): Promise<string> {
  const dir = await mkdtemp(join(root.path, 'case-'));
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

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Every header in a .tar.gz, read back with tar-stream's parser. */
async function readHeaders(path: string): Promise<Header[]> {
  const headers: Header[] = [];
  const reader = extract();
  const reading = (async () => {
    for await (const entry of reader) {
      headers.push(entry.header);
      entry.resume();
    }
  })();
  await pipeline(createReadStream(path), createGunzip(), reader);
  await reading;
  return headers;
}

async function listVerbose(path: string): Promise<string[]> {
  const { stdout } = await runTool('tar', ['--full-time', '-tvzf', path], {
    env: { TZ: 'UTC', LC_ALL: 'C' },
  });
  return stdout.trim().split('\n');
}

/** A mixed set of inputs: a multi-megabyte file (so backpressure happens), text, an executable. */
async function aMixedInput(): Promise<{ dir: string; entries: ArchiveEntry[] }> {
  const dir = await aDir({
    'big.bin': randomBytes(6 * 1024 * 1024 + 123),
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
  ];
  return { dir, entries };
}

describe('writeTarGz', () => {
  it('writes byte-identical archives for the same inputs, whose sha256 and size it returns', async () => {
    const { dir, entries } = await aMixedInput();
    const first = await writeTarGz(join(dir, 'one.tar.gz'), entries);
    const second = await writeTarGz(join(dir, 'two.tar.gz'), [...entries].reverse());

    expect(first.path).toBe(join(dir, 'one.tar.gz'));
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.sha256).toBe(await sha256Of(first.path));
    expect(first.size).toBe((await stat(first.path)).size);
    expect(second.sha256).toBe(first.sha256);
    expect(second.size).toBe(first.size);
    expect((await readFile(second.path)).equals(await readFile(first.path))).toBe(true);
  });

  it('lists sorted entries with fixed modes, owner 0/0 and the 1980 date in GNU tar', async () => {
    const saved = process.env['SOURCE_DATE_EPOCH'];
    delete process.env['SOURCE_DATE_EPOCH'];
    try {
      const { dir, entries } = await aMixedInput();
      const out = join(dir, 'out.tar.gz');
      await writeTarGz(out, entries);
      const lines = await listVerbose(out);
      expect(lines.map((line) => line.replace(/ +/g, ' '))).toEqual([
        '-rw-r--r-- 0/0 6 1980-01-01 00:00:00 pkg/VERSION',
        '-rwxr-xr-x 0/0 3 1980-01-01 00:00:00 pkg/bin/run',
        '-rwxr-xr-x 0/0 18 1980-01-01 00:00:00 pkg/bin/tool',
        `-rw-r--r-- 0/0 ${6 * 1024 * 1024 + 123} 1980-01-01 00:00:00 pkg/data/big.bin`,
        '-rw-r--r-- 0/0 0 1980-01-01 00:00:00 pkg/empty',
        '-rw-r--r-- 0/0 60000 1980-01-01 00:00:00 pkg/notes.txt',
      ]);
    } finally {
      if (saved !== undefined) process.env['SOURCE_DATE_EPOCH'] = saved;
    }
  });

  it('writes uid/gid 0, empty owner names, the mtime and regular-file type into every header', async () => {
    const { dir, entries } = await aMixedInput();
    const out = join(dir, 'out.tar.gz');
    await writeTarGz(out, entries, { mtime: 1_600_000_000 });
    const headers = await readHeaders(out);
    expect(headers).toHaveLength(entries.length);
    for (const header of headers) {
      expect(header).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', type: 'file' });
      expect(header.mtime.getTime()).toBe(1_600_000_000_000);
      expect([0o644, 0o755]).toContain(header.mode);
    }
  });

  it('respects SOURCE_DATE_EPOCH from the environment, which changes the bytes', async () => {
    const { dir, entries } = await aMixedInput();
    const saved = process.env['SOURCE_DATE_EPOCH'];
    try {
      delete process.env['SOURCE_DATE_EPOCH'];
      const plain = await writeTarGz(join(dir, 'plain.tar.gz'), entries);
      process.env['SOURCE_DATE_EPOCH'] = '1700000000';
      const dated = await writeTarGz(join(dir, 'dated.tar.gz'), entries);
      const again = await writeTarGz(join(dir, 'again.tar.gz'), entries);

      expect(dated.sha256).not.toBe(plain.sha256);
      expect(again.sha256).toBe(dated.sha256);
      expect((await readHeaders(dated.path)).map((header) => header.mtime.getTime() / 1000)).toEqual(
        entries.map(() => 1_700_000_000),
      );
      expect((await readHeaders(plain.path))[0]?.mtime.getTime()).toBe(FALLBACK_MTIME * 1000);
      for (const line of await listVerbose(dated.path)) expect(line).toContain('2023-11-14 22:13:20');
    } finally {
      if (saved === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = saved;
    }
  });

  it('lets options.mtime win over SOURCE_DATE_EPOCH', async () => {
    const saved = process.env['SOURCE_DATE_EPOCH'];
    try {
      process.env['SOURCE_DATE_EPOCH'] = '1700000000';
      const dir = await aDir({});
      const out = join(dir, 'out.tar.gz');
      await writeTarGz(out, [{ name: 'a', source: { data: 'a' } }], { mtime: 86_400 });
      expect((await readHeaders(out))[0]?.mtime.toISOString()).toBe('1970-01-02T00:00:00.000Z');
    } finally {
      if (saved === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = saved;
    }
  });

  it('round-trips every byte through tar -xzf, with the modes it listed', async () => {
    const { dir, entries } = await aMixedInput();
    const out = join(dir, 'out.tar.gz');
    await writeTarGz(out, entries);
    const target = join(dir, 'extracted');
    await mkdir(target);
    await runTool('tar', ['-xzf', out, '-C', target]);

    for (const entry of entries) {
      const expected =
        'path' in entry.source
          ? await readFile(entry.source.path)
          : Buffer.from(entry.source.data as string | Uint8Array);
      const actual = await readFile(join(target, entry.name));
      expect(actual.equals(expected)).toBe(true);
    }
    expect((await stat(join(target, 'pkg/bin/tool'))).mode & 0o111).not.toBe(0);
    expect((await stat(join(target, 'pkg/VERSION'))).mode & 0o111).toBe(0);
  });

  it('writes a gzip header with MTIME 0, no file name and OS byte 255', async () => {
    const dir = await aDir({});
    const out = join(dir, 'out.tar.gz');
    await writeTarGz(out, [{ name: 'a.txt', source: { data: 'a' } }]);
    const header = (await readFile(out)).subarray(0, 10);
    expect([...header.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]); // magic, deflate, FLG 0 (no FNAME)
    expect(header.readUInt32LE(4)).toBe(0);
    expect(header[9]).toBe(GZIP_OS_BYTE);
    expect(GZIP_OS_BYTE).toBe(255);
    await runTool('gzip', ['-t', out]);
  });

  it('takes executable from the source file x bit unless the entry says otherwise', async () => {
    const dir = await aDir({
      'x.sh': { content: 'x', mode: 0o700 },
      'group-x': { content: 'g', mode: 0o610 },
      plain: { content: 'p', mode: 0o600 },
    });
    const out = join(dir, 'out.tar.gz');
    await writeTarGz(out, [
      { name: 'a-inferred-x', source: { path: join(dir, 'x.sh') } },
      { name: 'b-inferred-group-x', source: { path: join(dir, 'group-x') } },
      { name: 'c-inferred-plain', source: { path: join(dir, 'plain') } },
      { name: 'd-forced-off', source: { path: join(dir, 'x.sh') }, executable: false },
      { name: 'e-forced-on', source: { path: join(dir, 'plain') }, executable: true },
      { name: 'f-data', source: { data: 'd' } },
    ]);
    expect((await readHeaders(out)).map((header) => [header.name, header.mode])).toEqual([
      ['a-inferred-x', 0o755],
      ['b-inferred-group-x', 0o755],
      ['c-inferred-plain', 0o644],
      ['d-forced-off', 0o644],
      ['e-forced-on', 0o755],
      ['f-data', 0o644],
    ]);
  });

  it('stores names longer than 100 bytes, with and without slashes, and non-ASCII names', async () => {
    const dir = await aDir({});
    const names = [
      `${'d'.repeat(60)}/${'e'.repeat(60)}/file.txt`, // fits the ustar prefix/name split
      'f'.repeat(180), // one segment: only a pax header can hold it
      `${'deep/'.repeat(70)}leaf`, // over 255 bytes
      'ünïcødé/名前.txt',
    ];
    const out = join(dir, 'out.tar.gz');
    await writeTarGz(
      out,
      names.map((name) => ({ name, source: { data: `content of ${name}` } })),
    );
    const { stdout } = await runTool('tar', ['-tzf', out], { env: { LC_ALL: 'C.UTF-8' } });
    expect(stdout.trim().split('\n').sort()).toEqual([...names].sort());

    const target = join(dir, 'x');
    await mkdir(target);
    await runTool('tar', ['-xzf', out, '-C', target], { env: { LC_ALL: 'C.UTF-8' } });
    for (const name of names) expect(await readFile(join(target, name), 'utf8')).toBe(`content of ${name}`);
  });

  it('writes an archive of no entries that tar accepts', async () => {
    const dir = await aDir({});
    const out = join(dir, 'out.tar.gz');
    const result = await writeTarGz(out, []);
    expect(result.sha256).toBe(await sha256Of(out));
    const { stdout } = await runTool('tar', ['-tzf', out]);
    expect(stdout.trim()).toBe('');
  });

  it('changes the bytes, not the content, with the gzip level', async () => {
    const { dir, entries } = await aMixedInput();
    const fast = await writeTarGz(join(dir, 'fast.tar.gz'), entries, { level: 1 });
    const best = await writeTarGz(join(dir, 'best.tar.gz'), entries);
    expect(fast.sha256).not.toBe(best.sha256);
    expect((await readHeaders(fast.path)).map((header) => header.name)).toEqual(
      (await readHeaders(best.path)).map((header) => header.name),
    );
  });

  it.each([
    ['level', { level: 10 }],
    ['level', { level: 1.5 }],
    ['mtime', { mtime: -1 }],
    ['mtime', { mtime: Date.now() }], // milliseconds by mistake
    ['mtime', { mtime: 1.5 }],
  ] as Array<[string, TarGzOptions]>)('rejects a bad %s option %j', async (field, options) => {
    const dir = await aDir({});
    const out = join(dir, 'out.tar.gz');
    const error = await rejectionOf(writeTarGz(out, [{ name: 'a', source: { data: 'a' } }], options));
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as { field: string }).field).toBe(field);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each(['/abs/path', '../escape', 'a/../b', ''])(
    'rejects the entry name %j and writes nothing',
    async (name) => {
      const dir = await aDir({});
      const out = join(dir, 'out.tar.gz');
      const error = await rejectionOf(
        writeTarGz(out, [
          { name: 'fine', source: { data: 'f' } },
          { name, source: { data: 'x' } },
        ]),
      );
      expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
      expect((error as Error).message).toContain(JSON.stringify(name));
      expect(await readdir(dir)).toEqual([]);
    },
  );

  it('rejects duplicate names', async () => {
    const dir = await aDir({});
    const error = await rejectionOf(
      writeTarGz(join(dir, 'out.tar.gz'), [
        { name: 'dup', source: { data: '1' } },
        { name: 'dup', source: { data: '2' } },
      ]),
    );
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as Error).message).toContain('"dup"');
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails mid-write on a missing source, leaving neither the archive nor a temp file', async () => {
    const dir = await aDir({ 'big.bin': randomBytes(4 * 1024 * 1024) });
    const outDir = join(dir, 'out');
    const out = join(outDir, 'out.tar.gz');
    const missing = join(dir, 'no-such-file');
    // Sorted after big.bin, so the archive is partly written when the missing file is reached.
    const error = await rejectionOf(
      writeTarGz(out, [
        { name: 'a/big.bin', source: { path: join(dir, 'big.bin') } },
        { name: 'z/missing', source: { path: missing } },
      ]),
    );
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as Error).message).toContain('"z/missing"');
    expect((error as { file: string }).file).toBe(missing);
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
    expect(await readdir(outDir)).toEqual([]);
  });

  it('rejects a source that is a directory', async () => {
    const dir = await aDir({ 'sub/file': 'x' });
    const error = await rejectionOf(
      writeTarGz(join(dir, 'out.tar.gz'), [{ name: 'sub', source: { path: join(dir, 'sub') } }]),
    );
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as Error).message).toContain('is not a regular file');
    expect((await readdir(dir)).sort()).toEqual(['sub']);
  });

  it('keeps an existing archive intact when a rewrite fails', async () => {
    const dir = await aDir({});
    const out = join(dir, 'out.tar.gz');
    const good = await writeTarGz(out, [{ name: 'a', source: { data: 'a' } }]);
    await rejectionOf(writeTarGz(out, [{ name: 'b', source: { path: join(dir, 'missing') } }]));
    expect(await sha256Of(out)).toBe(good.sha256);
    expect(await readdir(dir)).toEqual(['out.tar.gz']);
  });

  it('stops when aborted mid-write, leaving neither the archive nor a temp file', async () => {
    const dir = await aDir({ 'big.bin': randomBytes(32 * 1024 * 1024) });
    const outDir = join(dir, 'out');
    await mkdir(outDir);
    const controller = new AbortController();
    const writing = writeTarGz(
      join(outDir, 'out.tar.gz'),
      [{ name: 'big.bin', source: { path: join(dir, 'big.bin') } }],
      {
        signal: controller.signal,
      },
    );
    // Abort once compressed bytes have reached the temp file, so the write is truly under way.
    let started = false;
    while (!started) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const name of await readdir(outDir)) {
        if ((await stat(join(outDir, name)).catch(() => undefined))?.size) started = true;
      }
    }
    controller.abort();
    const error = await rejectionOf(writing);
    expect((error as Error).name).toBe('AbortError');
    expect(await readdir(outDir)).toEqual([]);
  });

  it('rejects an already-aborted signal without creating anything', async () => {
    const dir = await aDir({});
    const error = await rejectionOf(
      writeTarGz(join(dir, 'out.tar.gz'), [{ name: 'a', source: { data: 'a' } }], {
        signal: AbortSignal.abort(),
      }),
    );
    expect((error as Error).name).toBe('AbortError');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('hashFile', () => {
  it('returns the sha256 and size of a file', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 7);
    const dir = await aDir({ 'f.bin': content });
    const result = await hashFile(join(dir, 'f.bin'));
    expect(result).toEqual({
      sha256: createHash('sha256').update(content).digest('hex'),
      size: content.byteLength,
    });
  });

  it('hashes an empty file', async () => {
    const dir = await aDir({ empty: '' });
    expect(await hashFile(join(dir, 'empty'))).toEqual({
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 0,
    });
  });
});
