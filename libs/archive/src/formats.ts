import { PackyardError } from '@packyard/core';
import type { ArchiveItem } from './entries.js';
import { writeTar, type TarCompression, type TarOptions } from './tar.js';
import type { ArchiveResult } from './write-common.js';
import { writeZip } from './zip.js';

/** An archive format packyard writes. */
export type ArchiveFormat = 'tar.gz' | 'tar.xz' | 'tar.zst' | 'zip';

// No suffix is a suffix of another, so the first match is the only one.
const SUFFIXES: readonly (readonly [string, ArchiveFormat])[] = [
  ['.tar.gz', 'tar.gz'],
  ['.tar.xz', 'tar.xz'],
  ['.tar.zst', 'tar.zst'],
  ['.tar.zstd', 'tar.zst'],
  ['.zip', 'zip'],
];

/** The file-name endings that select a format, in the order error messages list them. */
export const ARCHIVE_SUFFIXES: readonly string[] = SUFFIXES.map(([suffix]) => suffix);

const TAR_COMPRESSION: Record<Exclude<ArchiveFormat, 'zip'>, TarCompression> = {
  'tar.gz': 'gzip',
  'tar.xz': 'xz',
  'tar.zst': 'zstd',
};

/** The format a file name asks for, or an ARCHIVE_INVALID error listing the supported endings. Pure. */
export function archiveFormatOf(fileName: string): ArchiveFormat {
  for (const [suffix, format] of SUFFIXES) {
    if (fileName.endsWith(suffix) && fileName.length > suffix.length) return format;
  }
  throw new PackyardError(
    'ARCHIVE_INVALID',
    `archive name ${JSON.stringify(fileName)} does not end in a supported format (${ARCHIVE_SUFFIXES.join(', ')})`,
    { field: 'finalName', value: fileName, hint: `name the archive like foo-1.0${ARCHIVE_SUFFIXES[1]}` },
  );
}

/**
 * Writes a deterministic archive of `entries` in the format `outPath`'s name selects (`archiveFormatOf`),
 * atomically, returning its digests and size. `level` means the chosen format's level.
 */
export async function writeArchive(
  outPath: string,
  entries: ArchiveItem[],
  options: TarOptions = {},
): Promise<ArchiveResult> {
  return writeArchiveAs(
    outPath,
    archiveFormatOf(outPath.slice(outPath.lastIndexOf('/') + 1)),
    entries,
    options,
  );
}

/** Writes `entries` as an archive of `format` to `outPath`, whatever its name ends in. */
export function writeArchiveAs(
  outPath: string,
  format: ArchiveFormat,
  entries: ArchiveItem[],
  options: TarOptions = {},
): Promise<ArchiveResult> {
  if (format === 'zip') return writeZip(outPath, entries, options);
  return writeTar(outPath, entries, TAR_COMPRESSION[format], options);
}
