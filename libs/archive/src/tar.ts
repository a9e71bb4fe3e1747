import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { produceAtomically } from '@packyard/core';
import { pack as createTarPack, type Pack } from 'tar-stream';
import { CompressStream } from 'zstd-napi';
import { planArchiveEntries, type ArchiveEntry } from './entries.js';
import { createDeterministicGzip, createGzipOsBytePin } from './gzip.js';
import { DigestCounter, type ArchiveDigests } from './hash.js';
import { checkMtime, defaultMtime } from './mtime.js';
import {
  asArchiveError,
  checkLevel,
  dataBytes,
  EXECUTABLE_MODE,
  REGULAR_MODE,
  sourceError,
  type ArchiveResult,
} from './write-common.js';

/** Knobs for the tar writers; every one has a fixed default so output never depends on the machine. */
export interface TarOptions {
  /** Seconds since the epoch written into every header; default `defaultMtime(process.env)`. */
  mtime?: number;
  /** Compression level: gzip 0-9 (default 9), xz 1-9 (default 6, as `xz`), zstd 1-19 (default 3, as `zstd`). */
  level?: number;
  /** Aborting stops the write; nothing is left at the output path. */
  signal?: AbortSignal;
}

/** Knobs for `writeTarGz` (the same as every tar writer's). */
export type TarGzOptions = TarOptions;

/** The compressions a tar can be written with. */
export type TarCompression = 'gzip' | 'xz' | 'zstd';

const READ_CHUNK_BYTES = 256 * 1024;

// The part of lzma-native 8 packyard uses, typed here: @types/lzma-native describes version 4, whose
// option types no longer match (`check` is one of the numeric constants, not a string). Loaded
// through require because it is a CommonJS module with a native addon.
interface Lzma {
  CHECK_CRC64: number;
  /** The bundled liblzma's version, such as "5.2.3". */
  versionString(): string;
  /** `preset` 0 is read as "the default" (6); any `threads`, even 1, selects the threaded encoder. */
  createCompressor(options: { preset: number; check: number }): Transform;
}
const require = createRequire(import.meta.url);
const lzma = require('lzma-native') as Lzma;
const zstdBinding = require('zstd-napi/binding') as { versionString(): string };

/**
 * The compressor libraries that fix the .tar.xz and .tar.zst bytes: liblzma and zstd bundled inside
 * the lzma-native and zstd-napi packages (not the system's), so they change only with those pins.
 */
export const COMPRESSOR_VERSIONS: Readonly<{ liblzma: string; zstd: string; zlib: string }> = Object.freeze({
  liblzma: lzma.versionString(),
  zstd: zstdBinding.versionString(),
  zlib: process.versions.zlib ?? 'unknown',
});

interface Compressor {
  name: string;
  defaultLevel: number;
  minLevel: number;
  maxLevel: number;
  /** The transforms between the tar bytes and the digest, created fresh for each archive. */
  create(level: number): Transform[];
}

const COMPRESSORS: Record<TarCompression, Compressor> = {
  gzip: {
    name: 'gzip',
    defaultLevel: 9,
    minLevel: 0,
    maxLevel: 9,
    create: (level) => [createDeterministicGzip(level), createGzipOsBytePin()],
  },
  // liblzma's single-threaded easy encoder (lzma-native picks the threaded one whenever `threads` is
  // given), with the preset and the CRC64 check that `xz` uses by default: one block, one definition
  // of the bytes.
  // Level 0 is left out because lzma-native reads a preset of 0 as "the default".
  xz: {
    name: 'xz',
    defaultLevel: 6,
    minLevel: 1,
    maxLevel: 9,
    create: (level) => [lzma.createCompressor({ preset: level, check: lzma.CHECK_CRC64 })],
  },
  // No workers (nbWorkers 0 is zstd's single-threaded mode), a content checksum as `zstd` writes by
  // default, and no content size (a stream does not know it in advance).
  zstd: {
    name: 'zstd',
    defaultLevel: 3,
    minLevel: 1,
    maxLevel: 19,
    create: (level) => [
      new CompressStream({
        compressionLevel: level,
        checksumFlag: true,
        contentSizeFlag: false,
        dictIDFlag: false,
        nbWorkers: 0,
      }),
    ],
  },
};

/**
 * Writes a deterministic tar of `entries`, compressed with `compression`, to `outPath` (atomically)
 * and returns its digests and size, computed over the compressed bytes as they are written. Same
 * inputs give the same bytes.
 */
export async function writeTar(
  outPath: string,
  entries: ArchiveEntry[],
  compression: TarCompression,
  options: TarOptions = {},
): Promise<ArchiveResult> {
  const compressor = COMPRESSORS[compression];
  const planned = planArchiveEntries(entries);
  const mtime = checkMtime(options.mtime ?? defaultMtime());
  const level = checkLevel(
    options.level ?? compressor.defaultLevel,
    compressor.name,
    compressor.minLevel,
    compressor.maxLevel,
  );
  const signal = options.signal;
  signal?.throwIfAborted();

  return produceAtomically(outPath, async (tmp) => {
    try {
      const stages = compressor.create(level);
      const { digests, size } = await writeStreams(tmp, planned, new Date(mtime * 1000), stages, signal);
      return { path: outPath, size, sha256: digests.sha256, digests };
    } catch (error) {
      throw asArchiveError(error, outPath);
    }
  });
}

/** Writes a deterministic .tar.gz (gzip level 9 unless given; see `writeTar`). */
export function writeTarGz(
  outPath: string,
  entries: ArchiveEntry[],
  options: TarOptions = {},
): Promise<ArchiveResult> {
  return writeTar(outPath, entries, 'gzip', options);
}

/** Writes a deterministic .tar.xz (xz preset 6 unless given; see `writeTar`). */
export function writeTarXz(
  outPath: string,
  entries: ArchiveEntry[],
  options: TarOptions = {},
): Promise<ArchiveResult> {
  return writeTar(outPath, entries, 'xz', options);
}

/** Writes a deterministic .tar.zst (zstd level 3 unless given; see `writeTar`). */
export function writeTarZst(
  outPath: string,
  entries: ArchiveEntry[],
  options: TarOptions = {},
): Promise<ArchiveResult> {
  return writeTar(outPath, entries, 'zstd', options);
}

// Two halves run at once: `feedEntries` pushes headers and file bytes into the tar packer (waiting
// whenever it is full), and the pipeline drains it through the compressor and the hash into the file. Whichever
// half fails first destroys the other, and both are settled before the temp file is removed.
async function writeStreams(
  tmp: string,
  entries: ArchiveEntry[],
  mtime: Date,
  stages: Transform[],
  signal: AbortSignal | undefined,
): Promise<{ digests: ArchiveDigests; size: number }> {
  const pack = createTarPack();
  const digest = new DigestCounter();
  let firstError: unknown;
  const fail = (error: unknown): void => {
    firstError ??= error;
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  };

  // `flush` fsyncs before close, so once produceAtomically renames, the name never points at data
  // that has not reached the disk.
  const output = createWriteStream(tmp, { flags: 'wx', mode: REGULAR_MODE, flush: true });
  const onAbort = (): void => fail(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    const feeding = feedEntries(pack, entries, mtime, signal).catch(fail);
    const draining = pipeline([Readable.from(tarChunks(pack)), ...stages, digest, output]).catch(fail);
    await Promise.all([feeding, draining]);
    // On failure the file may still be opening; produceAtomically must not remove it before then,
    // or the open would recreate it afterwards.
    if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (firstError !== undefined) throw firstError;
  return { digests: digest.digests(), size: digest.size };
}

// Handing pipeline an async generator, not the streamx Pack itself, keeps Node's stream machinery
// from treating a streamx stream as one of its own.
async function* tarChunks(pack: Pack): AsyncGenerator<Buffer> {
  for await (const chunk of pack) yield chunk as Buffer;
}

async function feedEntries(
  pack: Pack,
  entries: ArchiveEntry[],
  mtime: Date,
  signal?: AbortSignal,
): Promise<void> {
  for (const entry of entries) {
    signal?.throwIfAborted();
    const header = { name: entry.name, mtime, type: 'file' as const, uid: 0, gid: 0, uname: '', gname: '' };
    if ('data' in entry.source) {
      const bytes = dataBytes(entry.source.data);
      const mode = entry.executable === true ? EXECUTABLE_MODE : REGULAR_MODE;
      await new Promise<void>((resolve, reject) => {
        pack.entry({ ...header, mode, size: bytes.byteLength }, bytes, (error) =>
          error ? reject(error) : resolve(),
        );
      });
    } else {
      await feedFile(pack, entry, entry.source.path, header);
    }
  }
  pack.finalize();
}

async function feedFile(
  pack: Pack,
  entry: ArchiveEntry,
  path: string,
  header: { name: string; mtime: Date; type: 'file'; uid: number; gid: number; uname: string; gname: string },
): Promise<void> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw sourceError(entry, path, `cannot be read: ${(error as Error).message}`, error);
  }
  try {
    // Size and mode come from the open handle, so they describe the very file that is read.
    const stat = await file.stat();
    if (!stat.isFile()) throw sourceError(entry, path, 'is not a regular file');
    const executable = entry.executable ?? (stat.mode & 0o111) !== 0;
    const mode = executable ? EXECUTABLE_MODE : REGULAR_MODE;

    let sink!: ReturnType<Pack['entry']>;
    const finished = new Promise<void>((resolve, reject) => {
      sink = pack.entry({ ...header, mode, size: stat.size }, (error) => (error ? reject(error) : resolve()));
    });
    finished.catch(() => undefined); // awaited below; this only stops an early rejection counting as unhandled
    // When the pack is destroyed (an abort, a failed write) the entry's stream emits 'error' too; the
    // callback above already carries it, so a listener keeps it from being an unhandled 'error' event
    // when it comes while this loop is not waiting for 'drain'.
    sink.on('error', () => undefined);

    let written = 0;
    for await (const chunk of file.createReadStream({ autoClose: false, highWaterMark: READ_CHUNK_BYTES })) {
      written += (chunk as Buffer).byteLength;
      if (written > stat.size) break;
      if (!sink.write(chunk as Buffer)) await Promise.race([once(sink, 'drain'), finished]);
    }
    if (written !== stat.size) {
      throw sourceError(
        entry,
        path,
        `changed size while being archived (it was ${stat.size} bytes when opened)`,
      );
    }
    sink.end(null);
    await finished;
  } finally {
    await file.close();
  }
}
