export {
  PackyardError,
  isPackyardError,
  toPackyardError,
  redactSecrets,
  registerSecret,
  canonicalErrorCode,
  ERROR_CODE_ALIASES,
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
  isProcessAlive,
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
  runSteps,
  createStepEventRenderer,
  estimateStepsRemainingMs,
  StepError,
  type Step,
  type StepEvent,
  type StepOutcome,
  type StepsReport,
  type RunStepsOptions,
  type PlannedContext,
} from './steps.js';
export {
  parseCommandLine,
  UsageError,
  type CommandOptions,
  type CommandSpec,
  type ParsedCommandLine,
  type UsageExitCodes,
} from './cli.js';
export { EXIT, exitCodeFor, exitCodeForAll, type ExitName, type ExitCode } from './exit-codes.js';
export {
  runCli,
  usageError,
  renderAppHelp,
  renderCommandHelp,
  renderError,
  renderErrorDocument,
  editDistance,
  closestMatch,
  COMMON_OPTIONS,
  processIo,
  whenAborted,
  type ProcessIo,
  type CliApp,
  type CliIo,
  type CommandDef,
  type CommandContext,
  type CommandOutcome,
  type OptionDef,
  type OptionDefs,
} from './cli-frame.js';
export { readBuildVersion, readGitHead, type BuildVersion } from './version.js';
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
  planByDigest,
  readStoredDigest,
  type StoredCopy,
  type DigestPlan,
  type DigestPlanOptions,
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
