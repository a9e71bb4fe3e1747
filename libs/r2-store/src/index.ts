// The ObjectStore port and idempotent publishing live in core, so formats that publish into a store
// need no client; they are re-exported here for the users of this package.
export {
  validateObjectKey,
  listAllPages,
  publishObject,
  verifyObject,
  mapConcurrent,
  type ObjectStore,
  type ObjectInfo,
  type ObjectBody,
  type PutObjectInput,
  type WriteCondition,
  type ListPage,
  type ListPageOptions,
  type PublishItem,
  type PublishResult,
  type PublishOptions,
} from '@packyard/core';
export { createLocalStore, type LocalStoreOptions } from './local.js';
export {
  createS3Store,
  SHA256_METADATA_KEY,
  type S3ObjectStore,
  type S3StoreOptions,
  type S3Credentials,
} from './s3.js';
export { readS3Account, openObjectStore, type S3Account, type OpenObjectStoreOptions } from './env.js';
