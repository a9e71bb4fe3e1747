export {
  PackyardError,
  isPackyardError,
  toPackyardError,
  redactSecrets,
  registerSecret,
  type ErrorCode,
  type ErrorDetails,
} from './errors.js';
export {
  withRetry,
  RetryableError,
  isRetryableStatus,
  parseRetryAfter,
  sleep,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
} from './retry.js';
export {
  writeFileAtomically,
  produceAtomically,
  removeStaleTemporaries,
  sha256File,
  isAccessible,
} from './fs.js';
export { runTool, tailLines, type RunToolOptions, type ToolResult } from './process.js';
export {
  createProgressReporter,
  chooseProgressFormat,
  renderProgressLine,
  renderProgressEvent,
  estimateRemainingMs,
  formatDuration,
  fitToWidth,
  type ProgressFormat,
  type ProgressSnapshot,
  type ProgressEvent,
  type ProgressTask,
  type ProgressReporter,
  type ProgressReporterOptions,
} from './progress.js';
export {
  parseCommandLine,
  UsageError,
  type CommandOptions,
  type CommandSpec,
  type ParsedCommandLine,
  type UsageExitCodes,
} from './cli.js';
export {
  freeLoopbackPort,
  canConnect,
  waitUntilServing,
  stopChild,
  type WaitUntilServingOptions,
} from './local-server.js';
export {
  validateObjectKey,
  listAllPages,
  publishObject,
  verifyObject,
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
} from './object-store.js';
export { mapConcurrent, forEachConcurrent } from './concurrency.js';
export {
  ALL_PLATFORMS,
  hostPlatform,
  findHostPlatform,
  parsePlatform,
  formatPlatform,
  samePlatform,
  type Platform,
  type PlatformOs,
  type PlatformArch,
} from './platforms.js';
export {
  createDownloadClient,
  type DownloadClient,
  type DownloadClientOptions,
  type DownloadRequest,
  type DownloadResult,
} from './download.js';
export { normalizeProjectName } from './names.js';
export type { Logger } from './logger.js';
