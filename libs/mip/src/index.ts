export {
  runBounded,
  describeExit,
  parseSeconds,
  TimeLimitError,
  isTimeLimit,
  DEFAULT_TIME_LIMITS,
  type BoundedRunOptions,
  type BoundedRunResult,
  type TimeLimits,
} from './bounded.js';
export { listTree, listFiles, hashTree, treeDigest, contentAddressedKey, type TreeEntry } from './tree.js';
export { octaveMexShim } from './mex.js';
