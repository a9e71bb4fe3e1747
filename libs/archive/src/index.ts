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
export { hashFile, digestFile, type ArchiveDigests } from './hash.js';
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
export {
  canonicalJson,
  compareCodePoints,
  fromExtendedJson,
  keyHash,
  parseCanonicalJson,
  pythonFloatRepr,
  Binary,
  BSONRegExp,
  Code,
  DBRef,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  type BsonValue,
  type KeyObject,
  type KeyValue,
} from './canonical.js';
export {
  ArchiveStore,
  DEFAULT_SCOPE,
  fanOutPath,
  resolveStoreDir,
  checkScope,
  type BlobHashes,
  type DynamicRecord,
} from './store.js';
export { readTreeEntries, displayName, type ReadTreeOptions } from './tree.js';
export {
  DEFAULT_DISTFILES_DIR,
  copyToDistfiles,
  renderManifest,
  renderManifestLine,
  renderSrcUri,
  writeManifest,
  type DistfileCopy,
  type DistfileInfo,
} from './portage.js';
export {
  ArchiveBuilder,
  archiveDirectory,
  DEFAULT_CDN_URL,
  checkFinalName,
  checkTopDirectory,
  createArchive,
  findArchive,
  fullKey,
  resolveCdnUrl,
  storeExistingArchive,
  type ArchiveDirectoryOptions,
  type CreateArchiveOptions,
  type DynamicArchiveOptions,
  type FindArchiveOptions,
  type StoreArchiveOptions,
  type StoredArchive,
} from './dynamic.js';
export {
  collectGarbage,
  verifyStore,
  type BlobProblem,
  type GcReport,
  type VerifyReport,
} from './maintenance.js';
export {
  filenameHashPath,
  LAYOUT_CONF,
  planPublish,
  publishBlobs,
  type PublishBlobsOptions,
  type PublishReport,
} from './publish.js';
