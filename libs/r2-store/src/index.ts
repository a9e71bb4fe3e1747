export {
  validateObjectKey,
  listAllPages,
  type ObjectStore,
  type ObjectInfo,
  type ObjectBody,
  type PutObjectInput,
  type WriteCondition,
  type ListPage,
  type ListPageOptions,
} from './store.js';
export { createLocalStore, type LocalStoreOptions } from './local.js';
export {
  createS3Store,
  SHA256_METADATA_KEY,
  type S3ObjectStore,
  type S3StoreOptions,
  type S3Credentials,
} from './s3.js';
export { readS3Account, openObjectStore, type S3Account, type OpenObjectStoreOptions } from './env.js';
export {
  publishObject,
  verifyObject,
  mapConcurrent,
  type PublishItem,
  type PublishResult,
  type PublishOptions,
} from './publish.js';
