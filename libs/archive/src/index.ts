export { planArchiveEntries, compareNames, type ArchiveEntry, type ArchiveSource } from './entries.js';
export { defaultMtime, FALLBACK_MTIME } from './mtime.js';
export { GZIP_OS_BYTE } from './gzip.js';
export { hashFile, digestFile, type ArchiveDigests } from './hash.js';
export { type ArchiveResult } from './write-common.js';
export { writeTarGz, type TarGzOptions } from './tar-gz.js';
export { writeZip, type ZipOptions } from './zip.js';
