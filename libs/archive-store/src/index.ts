export {
  canonicalJson,
  compareCodePoints,
  fromExtendedJson,
  keyHash,
  parseCanonicalJson,
  pythonFloatRepr,
  type BsonValue,
  type KeyObject,
  type KeyValue,
} from './canonical.js';
// The bson classes a key or record holds, as bson 7.3.4 defines them.
export {
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
} from 'bson';
export { checkFinalName, checkPrefix, checkScope, checkTopDirectory } from './names.js';
export {
  ArchiveStore,
  DEFAULT_SCOPE,
  fanOutPath,
  resolveStoreDir,
  type BlobHashes,
  type DynamicRecord,
} from './store.js';
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
  DEFAULT_CDN_URL,
  createArchive,
  findArchive,
  fullKey,
  resolveCdnUrl,
  storeExistingArchive,
  type CreateArchiveOptions,
  type DynamicArchiveOptions,
  type FindArchiveOptions,
  type StoreArchiveOptions,
  type StoredArchive,
} from './dynamic.js';
export {
  planCreate,
  planGarbage,
  type CreatePlan,
  type CreateRequest,
  type GcInputs,
  type GcPlan,
} from './plan.js';
export {
  CREATE_STEPS,
  archiveDirectory,
  runCreate,
  type ArchiveDirectoryOptions,
  type CreateContext,
  type CreateReport,
} from './steps/create.js';
export {
  listBlobNames,
  readGcPlan,
  type BlobProblem,
  type GcReport,
  type VerifyReport,
} from './maintenance.js';
export { GC_STEPS, collectGarbage, runGc, type GcContext } from './steps/gc.js';
export { VERIFY_STEPS, verifyStore, type VerifyContext } from './steps/verify.js';
export {
  filenameHashPath,
  LAYOUT_CONF,
  planPublish,
  readPublishPlan,
  type PlannedObject,
  type PublishBlobsOptions,
  type PublishPlan,
  type PublishReport,
} from './publish.js';
export { PUBLISH_STEPS, publishBlobs, runPublish, type PublishContext } from './steps/publish.js';
export { openPublishTarget, resolvePublishLocation, type PublishTargetOptions } from './target.js';
export type { StoreRunOptions } from './types.js';
