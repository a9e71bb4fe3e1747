export { captureCli, withHangGuard, type CliRun, type CapturedStreams } from './cli.js';
export { goldenFiles, GoldenMismatchError } from './golden.js';
export { treeSnapshot, fileDigests, sha256Of } from './tree.js';
export { rejectionOf, errorOf } from './errors.js';
export { ensureSystemTools } from './system-tools.js';
export { useTempRoot, type TempRoot } from './temp-root.js';
export { downloadDistribution, type DownloadDistributionOptions } from './distributions.js';
export { makeFreshClone, type FreshClone, type FreshCloneOptions } from './clone.js';
