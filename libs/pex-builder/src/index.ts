// The platforms are core's (shared with wheel-release); re-exported for this package's users.
export {
  ALL_PLATFORMS,
  hostPlatform,
  parsePlatform,
  formatPlatform,
  samePlatform,
  type Platform,
  type PlatformOs,
  type PlatformArch,
} from '@packyard/core';
export { pexFileName, tarballName, checkPackageName } from './platform.js';
// Tool provisioning lives in @packyard/python-tools; these names stay part of pex-builder's API.
export {
  PINNED_TOOLS,
  TOOLS_MARKER,
  provisionTools,
  defaultPackyardHome,
  toolsVenvName,
  toolCacheEnv,
  type Tools,
  type ProvisionToolsOptions,
} from '@packyard/python-tools';
export { findInterpreter, checkPythonVersion, listInterpreterVersions } from './interpreter.js';
export { lockRequirements, renderRequirementsIn, type LockInput, type LockResult } from './lock.js';
export { buildPexBundle, BUNDLE_ROOT, type PexBuildInput, type PexBundle } from './build.js';
export { fillWheelhouse, type FillWheelhouseOptions, type WheelFile } from './wheelhouse.js';
export { renderWrapper, checkBinaryName } from './wrapper.js';
export {
  COMPLETE_PLATFORM_PYTHONS,
  COMPLETE_PLATFORMS_DIR,
  completePlatformFile,
  completePlatformFileName,
  compatibleTagSet,
  parseCompletePlatform,
  readCompletePlatform,
  type CompletePlatform,
} from './complete-platform.js';
export { parseWheelFilename, isWheelCompatible, type WheelFilename } from './wheel.js';
export { parseLockedRequirements, parseLockedHashes, type LockedRequirement } from './requirements.js';
export { PINNED_PACKAGING, evaluateMarkers } from './markers.js';
export { parseRequirements, type ParsedRequirement } from './pep508.js';
export {
  planPlatformSupport,
  planSharedBuilds,
  fetchPlatformSupport,
  type PlatformSupport,
  type PlatformSupportContext,
  type MissingRequirement,
  type ProjectFile,
  type FetchPlatformSupportInput,
} from './support.js';
export { readPexContents, type PexContents } from './pex-contents.js';
export {
  PEX_BUILD_MEMORY_BYTES,
  planBuildConcurrency,
  hostBuildConcurrency,
  parseJobs,
  runBounded,
  createSerialQueue,
  type BuildConcurrencyInput,
} from './schedule.js';
export {
  releaseTag,
  planVersions,
  planBuildInfo,
  readBuildInfo,
  isStaleBuildInfo,
  sameBuildInfo,
  describeBuildInfoChange,
  isRebuildAsked,
  planAssetInfo,
  missingPlatforms,
  planPackage,
  isPerformedAction,
  type PlanConfig,
  type BuildInfo,
  type VersionAction,
  type VersionPlan,
  type RunnerSplit,
} from './release-plan.js';
