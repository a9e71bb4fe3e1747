export {
  createCacheHandler,
  startCacheServer,
  type CacheHandler,
  type CacheHandlerOptions,
  type CacheEvent,
  type CacheOutcome,
  type CacheStats,
  type CacheServer,
  type StartCacheServerOptions,
} from './server.js';
export { accessFor, type Access, type CacheTokens } from './tokens.js';
export { checkEntryMember, checkCacheEntryFile, type EntryProblem } from './entry-check.js';
export { spoolObject, SpoolError, type SpoolOptions } from './spool.js';
export {
  openCacheStore,
  parseStoreLocation,
  parsePort,
  parseSize,
  readTokens,
  type StoreLocation,
} from './options.js';
// The stores a cache lives in, for a front end and its tests to name without another package.
export { createLocalStore, openObjectStore } from '@packyard/r2-store';
