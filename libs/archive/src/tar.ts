import fs, { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { produceAtomically } from '@packyard/core';
import { CompressStream } from 'zstd-napi';
import {
  isDirectoryEntry,
  nameBytes,
  planArchiveEntries,
  type ArchiveEntry,
  type ArchiveItem,
} from './entries.js';
import { createDeterministicGzip, createGzipOsBytePin } from './gzip.js';
import { DigestCounter, type ArchiveDigests } from './hash.js';
import { checkMtime, defaultMtime } from './mtime.js';
import { encodeTarHeader, TAR_END, tarPadding } from './tar-header.js';
import { displayName } from './tree.js';
import {
  asArchiveError,
  checkLevel,
  dataBytes,
  DIRECTORY_MODE,
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
  entries: ArchiveItem[],
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
      const { digests, size } = await writeStreams(tmp, planned, mtime, stages, signal);
      return { path: outPath, size, sha256: digests.sha256, digests };
    } catch (error) {
      throw asArchiveError(error, outPath);
    }
  });
}

/** Writes a deterministic .tar.gz (gzip level 9 unless given; see `writeTar`). */
export function writeTarGz(
  outPath: string,
  entries: ArchiveItem[],
  options: TarOptions = {},
): Promise<ArchiveResult> {
  return writeTar(outPath, entries, 'gzip', options);
}

/** Writes a deterministic .tar.xz (xz preset 6 unless given; see `writeTar`). */
export function writeTarXz(
  outPath: string,
  entries: ArchiveItem[],
  options: TarOptions = {},
): Promise<ArchiveResult> {
  return writeTar(outPath, entries, 'xz', options);
}

/** Writes a deterministic .tar.zst (zstd level 3 unless given; see `writeTar`). */
export function writeTarZst(
  outPath: string,
  entries: ArchiveItem[],
  options: TarOptions = {},
): Promise<ArchiveResult> {
  return writeTar(outPath, entries, 'zstd', options);
}

// The tar bytes come from `tarChunks` (headers and file contents in order, read by `FileReader`), and the pipeline drains them through the compressor and the hash into the file.
// Whichever part fails first stops the rest, and the file is closed before the temp file is removed.
async function writeStreams(
  tmp: string,
  entries: ArchiveItem[],
  mtime: number,
  stages: Transform[],
  signal: AbortSignal | undefined,
): Promise<{ digests: ArchiveDigests; size: number }> {
  const digest = new DigestCounter();
  // `flush` fsyncs before close, so once produceAtomically renames, the name never points at data
  // that has not reached the disk.
  const output = createWriteStream(tmp, { flags: 'wx', mode: REGULAR_MODE, flush: true });
  const reader = new FileReader();
  try {
    await pipeline([Readable.from(tarChunks(entries, mtime, reader, signal)), ...stages, digest, output], {
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    // On failure the file may still be opening; produceAtomically must not remove it before then,
    // or the open would recreate it afterwards.
    if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()));
    throw signal?.aborted === true ? signal.reason : error;
  } finally {
    await reader.close();
  }
  return { digests: digest.digests(), size: digest.size };
}

// Chunks handed to the compressor: many small headers and files are joined into one buffer of about
// this size, so the per-chunk cost of the streams is paid per megabyte, not per file.
const CHUNK_BYTES = 1024 * 1024;

async function* tarChunks(
  entries: ArchiveItem[],
  mtime: number,
  reader: FileReader,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let bytes = 0;
  const add = (part: Buffer): boolean => {
    parts.push(part);
    bytes += part.length;
    return bytes >= CHUNK_BYTES;
  };
  const take = (): Buffer => {
    const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
    parts = [];
    bytes = 0;
    return chunk;
  };
  for (const entry of entries) {
    signal?.throwIfAborted();
    const name = nameBytes(entry);
    const binaryName = entry.rawName !== undefined;
    if (isDirectoryEntry(entry)) {
      if (add(encodeTarHeader({ name, directory: true, mode: DIRECTORY_MODE, size: 0, mtime, binaryName })))
        yield take();
      continue;
    }
    const file = reader.read(entry);
    add(encodeTarHeader({ name, directory: false, mode: file.mode, size: file.size, mtime, binaryName }));
    if (file.data !== undefined) {
      add(file.data);
    } else {
      // A large file: streamed in chunks, never held whole.
      for await (const chunk of reader.stream(entry as ArchiveEntry, file)) {
        if (add(chunk)) yield take();
      }
    }
    if (add(tarPadding(file.size))) yield take();
  }
  add(TAR_END);
  yield take();
}

/** A file ready to be written: its mode and size, and its bytes (small files) or its open descriptor. */
interface ReadFile {
  mode: number;
  size: number;
  data?: Buffer;
  fd?: number;
  path?: string | Buffer;
}

const fsRead = promisify(fs.read);
const fsClose = promisify(fs.close);

// Files read whole, in one call; larger ones are streamed in READ_CHUNK_BYTES pieces.
const SMALL_FILE_BYTES = 1024 * 1024;

/**
 * Opens, stats (through the descriptor, so size and mode describe the very file read) and, when
 * small, reads each file with synchronous calls, one after the other, as tar does. On a tree of many
 * small files the cost is per call: a round trip through libuv's thread pool for each open, fstat,
 * read and close cost more than the calls themselves (measured: 2-3x slower on a 5,000-file tree,
 * even with 64 files read ahead), while the compressor and the output file work between chunks.
 * Large files keep their descriptor and are streamed asynchronously.
 */
class FileReader {
  readonly #open = new Set<number>();

  /** The next file's mode, size and, when small, bytes. */
  read(entry: ArchiveEntry): ReadFile {
    if ('data' in entry.source) {
      const data = dataBytes(entry.source.data);
      return { mode: entry.executable === true ? EXECUTABLE_MODE : REGULAR_MODE, size: data.length, data };
    }
    const path = entry.source.path;
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (error) {
      throw sourceError(entry, shown(path), `cannot be read: ${(error as Error).message}`, error);
    }
    this.#open.add(fd);
    let keep = false;
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw sourceError(entry, shown(path), 'is not a regular file');
      const executable = entry.executable ?? (stat.mode & 0o111) !== 0;
      const mode = executable ? EXECUTABLE_MODE : REGULAR_MODE;
      if (stat.size > SMALL_FILE_BYTES) {
        keep = true;
        return { mode, size: stat.size, fd, path };
      }
      // One byte more than the size: a read that fills it means the file grew.
      const buffer = Buffer.allocUnsafe(stat.size + 1);
      let filled = 0;
      for (;;) {
        const bytesRead = fs.readSync(fd, buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
        if (filled === buffer.length) break;
      }
      if (filled !== stat.size) throw changed(entry, path, stat.size);
      return { mode, size: stat.size, data: buffer.subarray(0, filled) };
    } finally {
      if (!keep) {
        this.#open.delete(fd);
        fs.closeSync(fd);
      }
    }
  }

  /** The bytes of a large file, in chunks; checks it still has the size it had when opened. */
  async *stream(entry: ArchiveEntry, file: ReadFile): AsyncGenerator<Buffer> {
    const fd = file.fd!;
    try {
      let position = 0;
      for (;;) {
        const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
        const { bytesRead } = await fsRead(fd, buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        if (position > file.size) break;
        yield buffer.subarray(0, bytesRead);
      }
      if (position !== file.size) throw changed(entry, file.path!, file.size);
    } finally {
      this.#open.delete(fd);
      await fsClose(fd);
    }
  }

  /** Closes every descriptor still open (after a failure). */
  async close(): Promise<void> {
    for (const fd of this.#open) await fsClose(fd).catch(() => undefined);
    this.#open.clear();
  }
}

function shown(path: string | Buffer): string {
  return typeof path === 'string' ? path : displayName(path);
}

function changed(entry: ArchiveItem, path: string | Buffer, size: number): Error {
  return sourceError(
    entry,
    shown(path),
    `changed size while being archived (it was ${size} bytes when opened)`,
  );
}
