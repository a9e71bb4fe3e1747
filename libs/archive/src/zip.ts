import { createWriteStream, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PackyardError, produceAtomically } from '@packyard/core';
import { ZipFile } from 'yazl';
import { isDirectoryEntry, planArchiveEntries, type ArchiveEntry, type ArchiveItem } from './entries.js';
import { DigestCounter, type ArchiveDigests } from './hash.js';
import { displayName } from './tree.js';
import { checkMtime, defaultMtime, FALLBACK_MTIME } from './mtime.js';
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

/** Knobs for `writeZip`; every one has a fixed default so output never depends on the machine. */
export interface ZipOptions {
  /** Seconds since the epoch for every entry; default `defaultMtime(process.env)`. Zip cannot hold times before 1980, so earlier ones are written as 1980-01-01T00:00:00Z. */
  mtime?: number;
  /** Deflate level 0-9 (0 stores entries uncompressed), default 9. */
  level?: number;
  /** Aborting stops the write; nothing is left at the output path. */
  signal?: AbortSignal;
}

// S_IFREG: zip readers take the Unix file type from the top bits of the external attributes.
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const READ_CHUNK_BYTES = 256 * 1024;
// yazl's addBuffer limit (0x3fffffff); larger files are streamed.
const MAX_BUFFERED_BYTES = 0x3fffffff;

/**
 * Writes a deterministic .zip of `entries` to `outPath` (atomically) and returns its digests and size,
 * computed over the bytes as they are written. Same inputs give the same bytes.
 */
export async function writeZip(
  outPath: string,
  entries: ArchiveItem[],
  options: ZipOptions = {},
): Promise<ArchiveResult> {
  const planned = planArchiveEntries(entries);
  checkZipNames(planned);
  const mtime = Math.max(checkMtime(options.mtime ?? defaultMtime()), FALLBACK_MTIME);
  const level = checkLevel(options.level ?? 9, 'deflate', 0, 9);
  const signal = options.signal;
  signal?.throwIfAborted();
  // Every path source is checked before anything is written.
  const stats = await Promise.all(planned.map(statSource));

  return produceAtomically(outPath, async (tmp) => {
    try {
      const { digests, size } = await writeStreams(tmp, planned, stats, mtime, level, signal);
      return { path: outPath, size, sha256: digests.sha256, digests };
    } catch (error) {
      throw asArchiveError(error, outPath);
    }
  });
}

// Zip names are UTF-8 (the language-encoding flag yazl sets): bytes that are not UTF-8 have no
// faithful form there. And a name that starts with a drive ("c:notes.txt") is a drive-relative path to
// Windows extractors, which yazl refuses as absolute. Both are refused before anything is written.
function checkZipNames(entries: readonly ArchiveItem[]): void {
  for (const entry of entries) {
    const problem =
      entry.rawName !== undefined
        ? 'is not valid UTF-8, which zip names must be'
        : /^[A-Za-z]:/.test(entry.name)
          ? 'starts with a drive letter, which zip readers on Windows take as a drive'
          : undefined;
    if (problem === undefined) continue;
    const path = !isDirectoryEntry(entry) && 'path' in entry.source ? entry.source.path : undefined;
    const file = path === undefined ? undefined : typeof path === 'string' ? path : displayName(path);
    throw new PackyardError(
      'ARCHIVE_INVALID',
      `archive entry name ${JSON.stringify(entry.name)}${file === undefined ? '' : ` (${file})`} ${problem}`,
      {
        field: 'name',
        value: entry.name,
        ...(file === undefined ? {} : { file }),
        hint: 'rename the file, or use a tar format (.tar.gz, .tar.xz, .tar.zst), which stores the name as it is',
      },
    );
  }
}

async function statSource(entry: ArchiveItem): Promise<Stats | undefined> {
  if (isDirectoryEntry(entry) || !('path' in entry.source)) return undefined;
  const path = entry.source.path as string;
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw sourceError(entry, path, `cannot be read: ${(error as Error).message}`, error);
  }
  if (!stats.isFile()) throw sourceError(entry, path, 'is not a regular file');
  return stats;
}

async function writeStreams(
  tmp: string,
  entries: ArchiveItem[],
  stats: (Stats | undefined)[],
  mtime: number,
  level: number,
  signal: AbortSignal | undefined,
): Promise<{ digests: ArchiveDigests; size: number }> {
  const zip = new ZipFile();
  const digest = new DigestCounter();
  const output = createWriteStream(tmp, { flags: 'wx', mode: REGULAR_MODE, flush: true });
  let firstError: unknown;
  const fail = (error: unknown): void => {
    firstError ??= error;
    (zip.outputStream as Readable).destroy(error instanceof Error ? error : new Error(String(error)));
  };
  zip.on('error', fail);
  const onAbort = (): void => fail(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  const date = new UtcWallClockDate(mtime * 1000);
  let reading: { entry: ArchiveEntry; path: string } | undefined;
  // Written while the entries are added, so at most a file or two is held in memory.
  const writing = pipeline(zip.outputStream, digest, output).catch(fail);
  try {
    for (const [index, entry] of entries.entries()) {
      if (firstError !== undefined) break;
      const common = { mtime: date, compressionLevel: level };
      if (isDirectoryEntry(entry)) {
        zip.addEmptyDirectory(entry.name, { mtime: date, mode: S_IFDIR | DIRECTORY_MODE });
        continue;
      }
      if ('data' in entry.source) {
        const mode = S_IFREG | (entry.executable === true ? EXECUTABLE_MODE : REGULAR_MODE);
        zip.addBuffer(dataBytes(entry.source.data), entry.name, { ...common, mode });
        continue;
      }
      const path = entry.source.path as string;
      const stat = stats[index] as Stats;
      const executable = entry.executable ?? (stat.mode & 0o111) !== 0;
      const mode = S_IFREG | (executable ? EXECUTABLE_MODE : REGULAR_MODE);
      reading = { entry, path };
      if (stat.size <= MAX_BUFFERED_BYTES) {
        // A file added as a buffer has its CRC-32 and sizes in the local header: no data descriptor
        // (general purpose bit 3), which PyPI's archive rules and some unzippers refuse.
        const bytes = await readSource(entry, path, stat);
        zip.addBuffer(bytes, entry.name, { ...common, mode });
        continue;
      }
      // Only beyond yazl's buffer limit: streamed, with a data descriptor after the data.
      zip.addReadStreamLazy(entry.name, { ...common, mode, size: stat.size }, (callback) => {
        reading = { entry, path };
        openSource(entry, path, stat).then(
          (stream) => {
            stream.on('error', fail);
            callback(null, stream);
          },
          (error: unknown) => fail(error),
        );
      });
    }
  } catch (error) {
    fail(error);
  }
  try {
    zip.end();
    await writing;
    if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (firstError !== undefined) throw mapYazlError(firstError, reading);
  return { digests: digest.digests(), size: digest.size };
}

// The file read is the one that was checked: same inode, same size. yazl itself fails the entry if
// the stream then yields a different number of bytes than that size.
async function openSource(entry: ArchiveEntry, path: string, checked: Stats): Promise<Readable> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw sourceError(entry, path, `cannot be read: ${(error as Error).message}`, error);
  }
  const now = await handle.stat();
  if (now.ino !== checked.ino || now.dev !== checked.dev || now.size !== checked.size) {
    await handle.close();
    throw sourceError(
      entry,
      path,
      `changed while being archived (it was ${checked.size} bytes when checked)`,
    );
  }
  return handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
}

/** The whole of a checked source file; refuses one that changed size since it was checked. */
async function readSource(entry: ArchiveEntry, path: string, checked: Stats): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await openSource(entry, path, checked)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  if (bytes.length !== checked.size) throw sourceError(entry, path, 'changed size while being archived');
  return bytes;
}

function mapYazlError(error: unknown, reading: { entry: ArchiveEntry; path: string } | undefined): unknown {
  // yazl checks the byte count against the size given, but does not say which entry; it is the one
  // being read.
  if (
    reading !== undefined &&
    error instanceof Error &&
    error.message === 'file data stream has unexpected number of bytes'
  ) {
    return sourceError(reading.entry, reading.path, 'changed size while being archived', error);
  }
  return error;
}

/**
 * A Date whose local-time getters return its UTC fields. Zip's DOS date and time fields have no time
 * zone and yazl fills them from the local getters, so without this the same archive would differ by
 * the TZ of the machine that wrote it. The exact UTC time still goes into the Info-ZIP "UT" extra
 * field, which yazl takes from `getTime()`. `valueOf` gives the wall-clock value seen as local time,
 * so yazl's clamp to its (local) 1980..2107 range compares like with like.
 */
class UtcWallClockDate extends Date {
  override getFullYear(): number {
    return this.getUTCFullYear();
  }
  override getMonth(): number {
    return this.getUTCMonth();
  }
  override getDate(): number {
    return this.getUTCDate();
  }
  override getHours(): number {
    return this.getUTCHours();
  }
  override getMinutes(): number {
    return this.getUTCMinutes();
  }
  override getSeconds(): number {
    return this.getUTCSeconds();
  }
  override valueOf(): number {
    return new Date(
      this.getUTCFullYear(),
      this.getUTCMonth(),
      this.getUTCDate(),
      this.getUTCHours(),
      this.getUTCMinutes(),
      this.getUTCSeconds(),
    ).getTime();
  }
}
