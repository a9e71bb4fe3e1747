export {
  planArchiveEntries,
  compareNames,
  isDirectoryEntry,
  type ArchiveDirectoryEntry,
  type ArchiveEntry,
  type ArchiveItem,
  type ArchiveSource,
} from './entries.js';
export { defaultMtime, FALLBACK_MTIME } from './mtime.js';
export { GZIP_OS_BYTE } from './gzip.js';
export { hashFile, digestFile, DigestCounter, type ArchiveDigests } from './hash.js';
export { type ArchiveResult } from './write-common.js';
export {
  COMPRESSOR_VERSIONS,
  writeTar,
  writeTarGz,
  writeTarXz,
  writeTarZst,
  type TarCompression,
  type TarGzOptions,
  type TarOptions,
} from './tar.js';
export { writeZip, type ZipOptions } from './zip.js';
export {
  archiveFormatOf,
  writeArchive,
  writeArchiveAs,
  ARCHIVE_SUFFIXES,
  type ArchiveFormat,
} from './formats.js';
export { readTreeEntries, displayName, type ReadTreeOptions } from './tree.js';
