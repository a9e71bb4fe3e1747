export { main, pkgIndexApp, DEFAULT_AUTHOR, type CliIo } from './cli.js';
export { runUpdate, type UpdateOptions, type UpdateReport, type Logger } from './update.js';
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
export {
  DISPATCH_EVENT_TYPE,
  TOKEN_ENV_VARS,
  planDispatch,
  readDispatchToken,
  sendDispatch,
  type UpdateDispatchPayload,
  type SendDispatchOptions,
} from './dispatch.js';
export { addToIndex, classifyRefusal, type AddFilesToIndex } from './index-files.js';
export {
  createIndexServer,
  startIndexServer,
  checkUploadForm,
  projectOfFilename,
  type IndexServerOptions,
  type RunningIndexServer,
  type UploadForm,
  negotiateSimpleFormat,
  recoverIndexDir,
  inspectIndexTree,
  type SimpleFormat,
} from './serve.js';
export {
  ServeConfigSchema,
  DEFAULT_MAX_UPLOAD_BYTES,
  parseServeConfig,
  parseHtpasswd,
  readServeConfig,
  hashPassword,
  verifyBasicAuth,
  type ServeConfig,
  type ServeConfigFile,
  type AuthResult,
} from './config.js';
