export { main, USAGE, type CliIo } from './cli.js';
export { parseStoreLocation, parseSize, readTokens, type StoreLocation } from './options.js';
