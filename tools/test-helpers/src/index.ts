export { captureCli, withHangGuard, type CliRun, type CapturedStreams } from './cli.js';
export { goldenFiles, GoldenMismatchError } from './golden.js';
export { treeSnapshot, fileDigests, sha256Of } from './tree.js';
export { makeFreshClone, type FreshClone, type FreshCloneOptions } from './clone.js';
