export { planArchiveEntries, compareNames, type ArchiveEntry, type ArchiveSource } from './entries.js';
export { defaultMtime, FALLBACK_MTIME } from './mtime.js';
export { GZIP_OS_BYTE } from './gzip.js';
export { hashFile } from './hash.js';
export { writeTarGz, type ArchiveResult, type TarGzOptions } from './tar-gz.js';
