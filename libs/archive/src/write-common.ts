import { PackyardError } from '@packyard/core';
import type { ArchiveDigests } from './hash.js';

/** What an archive writer wrote: where, its size in bytes and its digests, all from the one writing pass. */
export interface ArchiveResult {
  path: string;
  size: number;
  /** The same as `digests.sha256`, kept at the top level for callers that only need sha256. */
  sha256: string;
  digests: ArchiveDigests;
}

/** The mode written for an entry: normalised to 0755 or 0644, nothing else from the file system. */
export const EXECUTABLE_MODE = 0o755;
export const REGULAR_MODE = 0o644;
/** The mode written for a directory entry. */
export const DIRECTORY_MODE = 0o755;

/** Bytes of a `data` source, without copying a Uint8Array. */
export function dataBytes(data: string | Uint8Array): Buffer {
  return typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The error for a path source that is missing, unreadable, not a regular file or changing. */
export function sourceError(
  entry: { name: string },
  path: string,
  problem: string,
  cause?: unknown,
): PackyardError {
  return new PackyardError(
    'ARCHIVE_INVALID',
    `source of archive entry ${JSON.stringify(entry.name)} (${path}) ${problem}`,
    {
      file: path,
      field: 'source.path',
      value: entry.name,
      cause,
      hint: 'archive only existing regular files, and do not change them while the archive is written',
    },
  );
}

/** Keeps PackyardErrors and aborts as they are; anything else becomes ARCHIVE_WRITE_FAILED for `outPath`. */
export function asArchiveError(error: unknown, outPath: string): unknown {
  if (error instanceof PackyardError) return error;
  // An abort keeps its AbortError (usually a DOMException, which is not always `instanceof Error`), so
  // callers can tell "stopped on request" from a failure.
  if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError')
    return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PackyardError('ARCHIVE_WRITE_FAILED', `writing the archive failed: ${message}`, {
    file: outPath,
    cause: error,
    hint: 'check that the output directory exists, is writable and has space',
  });
}

/** Rejects a compression level outside `min..max`, naming the format. Pure. */
export function checkLevel(level: number, format: string, min: number, max: number): number {
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new PackyardError(
      'ARCHIVE_INVALID',
      `${format} level ${level} is not an integer in ${min}..${max}`,
      {
        field: 'level',
        value: level,
      },
    );
  }
  return level;
}
