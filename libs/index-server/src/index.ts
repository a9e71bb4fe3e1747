export {
  createIndexServer,
  startIndexServer,
  classifyRefusal,
  type AddFilesToIndex,
  type IndexServerOptions,
  type RunningIndexServer,
  type LoginRate,
} from './server.js';
export { negotiateSimpleFormat, type SimpleFormat } from './negotiate.js';
export {
  readUploadForm,
  checkUploadForm,
  projectOfFilename,
  UploadError,
  type UploadForm,
  type UploadLimits,
} from './upload-form.js';
export {
  createPasswordPool,
  verifyBasicAuth,
  parseBasicAuth,
  bcryptCost,
  hashToCompare,
  type AuthResult,
  type PasswordPool,
  type PasswordPoolOptions,
} from './passwords.js';
export { createRateLimiter, type RateLimiter, type RateLimitOptions } from './rate-limit.js';
export { isNotModified, ifRangeHolds, planRange, type Validators } from './http-cache.js';
export { checkInflateLimit, INFLATE_LIMIT } from './inflate-limit.js';
export { recoverIndexDir, type RecoverOptions, type RecoverResult } from './recovery.js';
export {
  inspectIndexTree,
  describeFinding,
  STAGING_PREFIX,
  UNLISTED_DIR,
  type TreeFinding,
  type InspectTreeOptions,
} from './tree.js';
