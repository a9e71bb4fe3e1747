// The .tar.zst and .tar.xz writers compress, hash and write in a worker thread. These tests check that
// the bytes are those the same compressor gives on this thread, that a failure inside a worker comes
// back as a typed error, and that an abort in the middle of a write leaves nothing behind.
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { buffer as collect } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { isPackyardError } from '@packyard/core';
import { digestFile, writeTarGz, writeTarXz, writeTarZst, type ArchiveEntry } from '@packyard/archive';
import { compressInWorker } from '../src/compress-worker.js';

const require = createRequire(import.meta.url);
const { CompressStream } = require('zstd-napi') as {
  CompressStream: new (options: Record<string, number | boolean>) => Transform;
};
const lzma = require('lzma-native') as {
  CHECK_CRC64: number;
  createCompressor(options: { preset: number; check: number }): Transform;
};

let root: string;
let entries: ArchiveEntry[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'packyard-worker-'));
  // Several chunks of tar bytes: small files, one above the 1 MiB streaming threshold.
  await writeFile(join(root, 'large.bin'), randomBytes(1024 * 1024 + 17));
  entries = [{ name: 'pkg/large.bin', source: { path: join(root, 'large.bin') } }];
  for (let index = 0; index < 300; index++) {
    entries.push({
      name: `pkg/src/file${index}.txt`,
      source: { data: `line ${index} of some text\n`.repeat(index * 7) },
    });
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Compresses `bytes` on this thread through `transform`, the way the writers did before the workers. */
async function compressHere(bytes: Buffer, transform: Transform): Promise<Buffer> {
  return collect(Readable.from([bytes]).pipe(transform));
}

describe('the worker path', () => {
  it('writes the bytes the same compressor writes on this thread, with their digests', async () => {
    // The tar stream itself, from the gzip writer (which compresses on this thread).
    const gz = await writeTarGz(join(root, 'same.tar.gz'), entries, { mtime: 1_600_000_000 });
    const tar = gunzipSync(await readFile(gz.path));

    const zst = await writeTarZst(join(root, 'same.tar.zst'), entries, { mtime: 1_600_000_000, level: 5 });
    const zstHere = await compressHere(
      tar,
      new CompressStream({
        compressionLevel: 5,
        checksumFlag: true,
        contentSizeFlag: false,
        dictIDFlag: false,
        nbWorkers: 0,
      }),
    );
    expect((await readFile(zst.path)).equals(zstHere)).toBe(true);
    expect(await digestFile(zst.path)).toEqual({ digests: zst.digests, size: zst.size });

    const xz = await writeTarXz(join(root, 'same.tar.xz'), entries, { mtime: 1_600_000_000, level: 2 });
    const xzHere = await compressHere(tar, lzma.createCompressor({ preset: 2, check: lzma.CHECK_CRC64 }));
    expect((await readFile(xz.path)).equals(xzHere)).toBe(true);
    expect(await digestFile(xz.path)).toEqual({ digests: xz.digests, size: xz.size });
  });

  it('reports a write that fails in the worker as ARCHIVE_WRITE_FAILED naming the file', async () => {
    // A descriptor open for reading only: the worker's first write fails with EBADF.
    const readOnly = join(root, 'read-only');
    await writeFile(readOnly, '');
    const fd = openSync(readOnly, 'r');
    try {
      const error = await compressInWorker({
        fd,
        outPath: join(root, 'out.tar.zst'),
        compressor: { module: 'zstd-napi', factory: 'CompressStream', options: { compressionLevel: 3 } },
        chunks: Readable.from([randomBytes(2 * 1024 * 1024), randomBytes(100)]),
      }).catch((caught: unknown) => caught);
      expect(isPackyardError(error, 'ARCHIVE_WRITE_FAILED')).toBe(true);
      expect(error).toMatchObject({ file: join(root, 'out.tar.zst') });
      expect((error as Error).message).toMatch(/EBADF/);
      expect(((error as Error).cause as { code?: string }).code).toBe('EBADF');
    } finally {
      closeSync(fd);
    }
  });

  it('reports a compressor that fails in its worker as ARCHIVE_WRITE_FAILED', async () => {
    const out = join(root, 'bad-preset');
    const fd = openSync(out, 'w');
    try {
      // liblzma refuses preset 99 (the writers never ask for it: levels are checked before).
      const error = await compressInWorker({
        fd,
        outPath: out,
        compressor: { module: 'lzma-native', factory: 'createCompressor', options: { preset: 99 } },
        chunks: Readable.from([Buffer.from('tar bytes')]),
      }).catch((caught: unknown) => caught);
      expect(isPackyardError(error, 'ARCHIVE_WRITE_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/^compressing the archive failed: /);
    } finally {
      closeSync(fd);
    }
  });

  it('stops on an abort in the middle of a write, leaving no file and no open descriptor', async () => {
    const dir = join(root, 'aborted');
    const big = join(root, 'big.bin');
    // Incompressible, so xz is still busy when the abort comes (it writes about 1-2 MB/s).
    await writeFile(big, randomBytes(12 * 1024 * 1024));
    const descriptors = readdirSync('/proc/self/fd').length;
    const controller = new AbortController();
    const writing = writeTarXz(join(dir, 'big.tar.xz'), [{ name: 'big.bin', source: { path: big } }], {
      signal: controller.signal,
    });
    let settled = false;
    void writing.finally(() => (settled = true)).catch(() => undefined);
    // Abort once the compressed bytes have started to reach the temporary file.
    let started = false;
    while (!started && !settled) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names)
        started ||= ((await stat(join(dir, name)).catch(() => undefined))?.size ?? 0) > 0;
      if (!started) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort();
    expect(started).toBe(true);
    await expect(writing).rejects.toMatchObject({ name: 'AbortError' });
    expect(await readdir(dir)).toEqual([]);
    expect(readdirSync('/proc/self/fd').length).toBe(descriptors);
  });
});
