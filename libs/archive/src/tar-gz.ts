import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { produceAtomically } from '@packyard/core';
import { pack as createTarPack, type Pack } from 'tar-stream';
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

/** Knobs for `writeTarGz`; every one has a fixed default so output never depends on the machine. */
export interface TarGzOptions {
  /** Seconds since the epoch written into every header; default `defaultMtime(process.env)`. */
  mtime?: number;
  /** gzip level 0-9, default 9. */
  level?: number;
  /** Aborting stops the write; nothing is left at the output path. */
  signal?: AbortSignal;
}

const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Writes a deterministic .tar.gz of `entries` to `outPath` (atomically) and returns its digests and
 * size, computed over the compressed bytes as they are written. Same inputs give the same bytes.
 */
export async function writeTarGz(
  outPath: string,
  entries: ArchiveEntry[],
  options: TarGzOptions = {},
): Promise<ArchiveResult> {
  const planned = planArchiveEntries(entries);
  const mtime = checkMtime(options.mtime ?? defaultMtime());
  const level = checkLevel(options.level ?? 9, 'gzip', 0, 9);
  const signal = options.signal;
  signal?.throwIfAborted();

  return produceAtomically(outPath, async (tmp) => {
    try {
      const { digests, size } = await writeStreams(tmp, planned, new Date(mtime * 1000), level, signal);
      return { path: outPath, size, sha256: digests.sha256, digests };
    } catch (error) {
      throw asArchiveError(error, outPath);
    }
  });
}

// Two halves run at once: `feedEntries` pushes headers and file bytes into the tar packer (waiting
// whenever it is full), and the pipeline drains it through gzip and the hash into the file. Whichever
// half fails first destroys the other, and both are settled before the temp file is removed.
async function writeStreams(
  tmp: string,
  entries: ArchiveEntry[],
  mtime: Date,
  level: number,
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
    const draining = pipeline(
      tarChunks(pack),
      createDeterministicGzip(level),
      createGzipOsBytePin(),
      digest,
      output,
    ).catch(fail);
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
