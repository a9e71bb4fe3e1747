export { planArchiveEntries, compareNames, type ArchiveEntry, type ArchiveSource } from './entries.js';
export { defaultMtime, FALLBACK_MTIME } from './mtime.js';
export { GZIP_OS_BYTE } from './gzip.js';
export { hashFile, digestFile, type ArchiveDigests } from './hash.js';
export { type ArchiveResult } from './write-common.js';
export {
  writeTar,
  writeTarGz,
  writeTarXz,
  writeTarZst,
  type TarCompression,
  type TarGzOptions,
  type TarOptions,
} from './tar.js';
export { writeZip, type ZipOptions } from './zip.js';
export { archiveFormatOf, writeArchive, ARCHIVE_SUFFIXES, type ArchiveFormat } from './formats.js';
