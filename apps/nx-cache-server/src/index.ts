export { main, nxCacheServerApp, type NxCacheCliIo } from './cli.js';
export { parseStoreLocation, parseSize, readTokens, type StoreLocation } from '@packyard/nx-cache';
