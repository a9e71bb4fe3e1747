import fs, { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { produceAtomically } from '@packyard/core';
import {
  isDirectoryEntry,
  planNamedEntries,
  type ArchiveEntry,
  type ArchiveItem,
  type NamedItem,
} from './entries.js';
import { compressInWorker, type WorkerCompressor } from './compress-worker.js';
import { createDeterministicGzip, createGzipOsBytePin } from './gzip.js';
import { DigestCounter, type ArchiveDigests } from './hash.js';
import { checkMtime, defaultMtime } from './mtime.js';
import { encodeTarHeader, paddingBytes, TAR_END, writeFileHeader } from './tar-header.js';
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
  /**
   * How the tar bytes are compressed, created fresh for each archive: transforms on this thread, or a
   * compressor for a worker thread (see `compressInWorker`).
   */
  create(level: number): { transforms: Transform[] } | { worker: WorkerCompressor };
}

const COMPRESSORS: Record<TarCompression, Compressor> = {
  // zlib already deflates on libuv's thread pool, so gzip stays on this thread.
  gzip: {
    name: 'gzip',
    defaultLevel: 9,
    minLevel: 0,
    maxLevel: 9,
    create: (level) => ({ transforms: [createDeterministicGzip(level), createGzipOsBytePin()] }),
  },
  // liblzma's single-threaded easy encoder (lzma-native picks the threaded one whenever `threads` is
  // given), with the preset and the CRC64 check that `xz` uses by default: one block, one definition
  // of the bytes. Level 0 is left out because lzma-native reads a preset of 0 as "the default".
  // Encoded in the worker thread with lzma-native's synchronous mode (the same encoder, so the same
  // bytes): its asynchronous mode runs on a thread of its own that calls back into the worker, and
  // stopping the worker during such a call (an abort, a failure) would crash the process.
  xz: {
    name: 'xz',
    defaultLevel: 6,
    minLevel: 1,
    maxLevel: 9,
    create: (level) => ({
      worker: {
        module: 'lzma-native',
        factory: 'createCompressor',
        options: { preset: level, check: lzma.CHECK_CRC64, synchronous: true },
      },
    }),
  },
  // No workers of zstd's own (nbWorkers 0 is zstd's single-threaded mode, whose bytes do not depend on
  // the machine), a content checksum as `zstd` writes by default, and no content size (a stream does
  // not know it in advance). zstd-napi compresses on the calling thread, so that is a worker thread.
  zstd: {
    name: 'zstd',
    defaultLevel: 3,
    minLevel: 1,
    maxLevel: 19,
    create: (level) => ({
      worker: {
        module: 'zstd-napi',
        factory: 'CompressStream',
        options: {
          compressionLevel: level,
          checksumFlag: true,
          contentSizeFlag: false,
          dictIDFlag: false,
          nbWorkers: 0,
        },
      },
    }),
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
  const planned = planNamedEntries(entries);
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
      const { digests, size } = await writeStreams(
        outPath,
        tmp,
        planned,
        mtime,
        compressor.create(level),
        signal,
      );
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

// The tar bytes come from `tarChunks` (headers and file contents in order, read by `FileReader`), and
// are compressed, hashed and written to the file either through a stream pipeline on this thread or
// by a worker thread. Whichever part fails first stops the rest, and the file is closed before the
// temp file is removed.
async function writeStreams(
  outPath: string,
  tmp: string,
  entries: NamedItem[],
  mtime: number,
  stages: ReturnType<Compressor['create']>,
  signal: AbortSignal | undefined,
): Promise<{ digests: ArchiveDigests; size: number }> {
  const reader = new FileReader();
  // Chunk buffers a worker has given back, filled again instead of allocating new ones.
  const spare: ArrayBuffer[] = [];
  try {
    const chunks = tarChunks(entries, mtime, reader, signal, spare);
    if ('worker' in stages) return await writeInWorker(outPath, tmp, chunks, stages.worker, signal, spare);
    return await writeInThread(tmp, chunks, stages.transforms, signal);
  } finally {
    await reader.close();
  }
}

async function writeInThread(
  tmp: string,
  chunks: AsyncGenerator<Buffer>,
  transforms: Transform[],
  signal: AbortSignal | undefined,
): Promise<{ digests: ArchiveDigests; size: number }> {
  const digest = new DigestCounter();
  // `flush` fsyncs before close, so once produceAtomically renames, the name never points at data
  // that has not reached the disk.
  const output = createWriteStream(tmp, { flags: 'wx', mode: REGULAR_MODE, flush: true });
  try {
    await pipeline([Readable.from(chunks), ...transforms, digest, output], {
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    // On failure the file may still be opening; produceAtomically must not remove it before then,
    // or the open would recreate it afterwards.
    if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()));
    throw signal?.aborted === true ? signal.reason : error;
  }
  return { digests: digest.digests(), size: digest.size };
}

async function writeInWorker(
  outPath: string,
  tmp: string,
  chunks: AsyncGenerator<Buffer>,
  compressor: WorkerCompressor,
  signal: AbortSignal | undefined,
  spare: ArrayBuffer[],
): Promise<{ digests: ArchiveDigests; size: number }> {
  const output = await open(tmp, 'wx', REGULAR_MODE);
  try {
    const recycle = (buffer: ArrayBuffer): number => spare.push(buffer);
    const written = await compressInWorker({ fd: output.fd, outPath, compressor, chunks, signal, recycle });
    // Synced before the rename, as the in-thread path does with `flush`.
    await output.sync();
    return written;
  } catch (error) {
    throw signal?.aborted === true ? signal.reason : error;
  } finally {
    await output.close();
  }
}

// Chunks handed to the compressor: headers and file contents are packed into one buffer of about
// this size, so the per-chunk cost of the streams (or of the hand-off to a worker) is paid per
// megabyte, not per file.
const CHUNK_BYTES = 1024 * 1024;

/**
 * Packs the tar stream into fresh chunks of about `CHUNK_BYTES`: each small file is read straight
 * into the chunk (no buffer of its own, no copy), and every chunk is a new buffer that is never
 * touched again once yielded, so it can be moved to a worker thread.
 */
async function* tarChunks(
  entries: NamedItem[],
  mtime: number,
  reader: FileReader,
  signal: AbortSignal | undefined,
  spare: ArrayBuffer[],
): AsyncGenerator<Buffer> {
  // Room for a full chunk plus a whole small file with its header, so a file is never split.
  const capacity = CHUNK_BYTES + SMALL_FILE_BYTES + 64 * 1024;
  const fresh = (bytes: number): Buffer => {
    const reused = spare.pop();
    return reused !== undefined && reused.byteLength >= bytes
      ? Buffer.from(reused)
      : Buffer.allocUnsafe(bytes);
  };
  let chunk = fresh(capacity);
  let at = 0;
  function* flushIfFull(): Generator<Buffer> {
    if (at < CHUNK_BYTES) return;
    yield chunk.subarray(0, at);
    chunk = fresh(capacity);
    at = 0;
  }
  // Makes room for `bytes` more in one piece, yielding what the chunk holds first if they would not fit.
  function* reserve(bytes: number): Generator<Buffer> {
    if (at + bytes <= chunk.length) return;
    if (at > 0) yield chunk.subarray(0, at);
    chunk = fresh(Math.max(capacity, bytes));
    at = 0;
  }
  // Copies `bytes` in, across as many chunks as it takes.
  function* put(bytes: Buffer): Generator<Buffer> {
    for (let from = 0; from < bytes.length;) {
      const copied = bytes.copy(chunk, at, from, Math.min(bytes.length, from + CHUNK_BYTES - at));
      from += copied;
      at += copied;
      yield* flushIfFull();
    }
  }
  for (const { entry, name } of entries) {
    signal?.throwIfAborted();
    const binaryName = entry.rawName !== undefined;
    if (isDirectoryEntry(entry)) {
      yield* put(
        encodeTarHeader({ name, directory: true, mode: DIRECTORY_MODE, size: 0, mtime, binaryName }),
      );
      continue;
    }
    const file = reader.open(entry);
    const fields = { name, directory: false, mode: file.mode, size: file.size, mtime, binaryName };
    const padding = paddingBytes(file.size);
    if (file.fd === undefined || file.size <= SMALL_FILE_BYTES) {
      // Header, bytes and padding in one place: one more byte than the size, to see a file that grew.
      // The header is encoded straight into the chunk when it is one ustar block (nearly always).
      const room = file.size + 1 + padding;
      // The checks before `reserve` and `flushIfFull` spare a generator per file when nothing is due.
      if (at + HEADER_BYTES + room > chunk.length) yield* reserve(HEADER_BYTES + room);
      let written = writeFileHeader(chunk, at, fields);
      if (written === 0) {
        const header = encodeTarHeader(fields);
        yield* reserve(header.length + room);
        written = header.copy(chunk, at);
      }
      at += written;
      at += reader.readInto(entry, file, chunk, at);
      // TypedArray's own fill: Buffer's checks its arguments in JavaScript first.
      Uint8Array.prototype.fill.call(chunk, 0, at, at + padding);
      at += padding;
      if (at >= CHUNK_BYTES) yield* flushIfFull();
    } else {
      // A large file: streamed in pieces, never held whole.
      yield* put(encodeTarHeader(fields));
      for await (const piece of reader.stream(entry, file)) yield* put(piece);
      yield* put(Buffer.alloc(padding));
    }
  }
  yield* put(TAR_END);
  if (at > 0) yield chunk.subarray(0, at);
}

/** A file ready to be written: its mode and size, and its bytes (`data` sources) or its open descriptor. */
interface ReadFile {
  mode: number;
  size: number;
  data?: Buffer;
  fd?: number;
  path?: string | Buffer;
}

const fsRead = promisify(fs.read);
const fsClose = promisify(fs.close);

// Files read whole, in one call, straight into the tar chunk; larger ones are streamed in
// READ_CHUNK_BYTES pieces.
const SMALL_FILE_BYTES = 1024 * 1024;

// One ustar header block.
const HEADER_BYTES = 512;

/**
 * Opens and stats each file (through the descriptor, so size and mode describe the very file read)
 * and reads the small ones with synchronous calls, one after the other, as tar does. On a tree of
 * many small files the cost is per call: a round trip through libuv's thread pool for each open,
 * fstat, read and close cost more than the calls themselves (measured: 2-3x slower on a 5,000-file
 * tree, even with 64 files read ahead), while the compressor and the output file work between
 * chunks. Large files are streamed asynchronously.
 */
class FileReader {
  readonly #open = new Set<number>();

  /** The next file's mode and size, with its bytes (`data` source) or its open descriptor. */
  open(entry: ArchiveEntry): ReadFile {
    if ('data' in entry.source) {
      const data = dataBytes(entry.source.data);
      return { mode: entry.executable === true ? EXECUTABLE_MODE : REGULAR_MODE, size: data.length, data };
    }
    const path = entry.source.path;
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDONLY);
    } catch (error) {
      throw sourceError(entry, shown(path), `cannot be read: ${(error as Error).message}`, error);
    }
    this.#open.add(fd);
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw sourceError(entry, shown(path), 'is not a regular file');
      const executable = entry.executable ?? (stat.mode & 0o111) !== 0;
      return { mode: executable ? EXECUTABLE_MODE : REGULAR_MODE, size: stat.size, fd, path };
    } catch (error) {
      this.#release(fd);
      throw error;
    }
  }

  /**
   * Reads a small file (or copies a `data` source) into `target` at `offset`, which must have room for
   * one byte more than its size: a read that fills that byte means the file grew. Returns the size.
   */
  readInto(entry: ArchiveEntry, file: ReadFile, target: Buffer, offset: number): number {
    if (file.fd === undefined) return file.data!.copy(target, offset);
    try {
      const room = file.size + 1;
      let filled = 0;
      for (;;) {
        const wanted = room - filled;
        const bytesRead = fs.readSync(file.fd, target, offset + filled, wanted, filled);
        filled += bytesRead;
        // A short read of a regular file ends at its end: when that is at the size, the file has not
        // grown, and the read that would return 0 is not needed (one read per small file, as tar).
        if (bytesRead === 0 || filled === room || (bytesRead < wanted && filled === file.size)) break;
      }
      if (filled !== file.size) throw changed(entry, file.path!, file.size);
      return filled;
    } finally {
      this.#release(file.fd);
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

  #release(fd: number): void {
    this.#open.delete(fd);
    fs.closeSync(fd);
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
