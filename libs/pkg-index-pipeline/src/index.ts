// The update pipeline: a pure plan, then steps on core's step kernel.
export {
  planUpdate,
  UPDATE_ACTIONS,
  type UpdateAction,
  type UpdatePlan,
  type UpdateRequest,
} from './plan.js';
export {
  runUpdate,
  updateIndex,
  DEFAULT_AUTHOR,
  type UpdateIndexRequest,
  type UpdateIndexDeps,
} from './pipeline.js';
export { UPDATE_STEPS } from './steps/index.js';
export type {
  UpdateOptions,
  UpdateReport,
  UpdateContext,
  IndexCheckout,
  SourceCheckout,
  Logger,
} from './types.js';
export {
  buildWheel,
  testWheel,
  renderUvEnv,
  type BuildTools,
  type BuildWheelInput,
  type TestWheelInput,
} from './build.js';
export { planImportModules, type WheelModuleInfo } from './modules.js';
export {
  createGitRunner,
  parsePushOutcome,
  type GitRunner,
  type GitResult,
  type PushOutcome,
} from './git.js';
export {
  checkOwner,
  checkRepo,
  checkGitRef,
  parseRepository,
  renderSourceUrl,
  renderCommitMessage,
} from './names.js';
// Asking the index repository for an update (repository_dispatch).
export {
  DISPATCH_EVENT_TYPE,
  TOKEN_ENV_VARS,
  planDispatch,
  readDispatchToken,
  sendDispatch,
  type UpdateDispatchPayload,
  type SendDispatchOptions,
} from './dispatch.js';
// The index directory: adding files (refusals sorted into conflict and invalid file), publishing.
export { addToIndex } from './index-files.js';
export {
  publishIndexDir,
  reportItemProgress,
  type PublishIndexDirOptions,
  type PublishIndexDirResult,
} from './publish.js';
// The serve config (who may upload); the server itself is @packyard/index-server.
export {
  ServeConfigSchema,
  DEFAULT_MAX_UPLOAD_BYTES,
  parseServeConfig,
  parseHtpasswd,
  readServeConfig,
  hashPassword,
  type ServeConfig,
  type ServeConfigFile,
} from './serve-config.js';
// The index writer's operations the pkg-index commands run, re-exported so an app needs only this
// pipeline: wheel-index stays the one implementation.
export {
  addFilesToIndex,
  classifyRefusal,
  yankFile,
  unyankFile,
  setProjectStatus,
  writeIndex,
  writeIndexFromPackageList,
  type AddFilesToIndex,
} from '@packyard/wheel-index';
