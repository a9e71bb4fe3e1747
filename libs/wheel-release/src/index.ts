// The pipeline: a pure plan per command, the steps that carry it out, and the services they use.
export {
  plan,
  readReleaseState,
  planRelease,
  requireSection,
  describeDestination,
  type ReleaseCommand,
  type PlanRequest,
  type ReleaseState,
  type ReleaseAction,
  type ReleasePlan,
} from './plan.js';
export { runRelease, type RunReleaseOptions } from './pipeline.js';
export { RELEASE_STEPS, actionsOf, type ReleaseContext, type ReleaseOutcome } from './steps/index.js';
export { defaultReleaseServices, type ReleaseServices } from './services.js';
export { parseReleaseVersion, bumpVersion, devStamp, type ReleaseVersion, type BumpKind } from './version.js';
export {
  readPlace,
  writePlace,
  expectedAt,
  placeKey,
  captureGroups,
  loadToml,
  type Place,
} from './places.js';
export {
  RELEASE_FILE,
  readReleaseConfig,
  findDisagreements,
  checkRelease,
  syncRelease,
  bumpRelease,
  requireCleanTree,
  versionOfTag,
  readPlaceValues,
  planDisagreements,
  describeDisagreement,
  writeBump,
  type ReleaseConfig,
  type Disagreement,
  type PlaceValue,
} from './release.js';
export { WHEEL_TARGETS, NATIVE_RUNNERS, wheelTarget, hostWheelPlatform } from './platforms.js';
export {
  buildWheels,
  planWheelBuilds,
  planWheelRunnerMatrix,
  probeBuildHost,
  defaultCargoTargetDir,
  refuseNativeBuilds,
  type BuildWheelsInput,
  type BuildHost,
  type WheelBuildStep,
  type WheelRunnerEntry,
} from './build.js';
export { buildSdist, type BuildSdistInput } from './sdist.js';
export type { WheelsConfig, SdistConfig } from './release.js';
export { readProjectName } from './release.js';
export {
  publishRelease,
  planPublish,
  deriveIndexUrl,
  resolvePublishCredentials,
  pickCredentialSource,
  uploadWithTwine,
  uploadFailure,
  PYPI_UPLOAD_URL,
  type PublishReleaseInput,
  type PublishDestination,
  type PublishCredentials,
  type PublishResult,
  type PublishPlan,
  type CredentialSource,
  type ResolvedCredentials,
  type ResolveCredentialsInput,
  type LocalFile,
  type RemoteHashes,
  type TwineUpload,
} from './publish.js';
export {
  verifyRelease,
  verifyReleases,
  assertVerified,
  type VerifyInput,
  type VerifyProblem,
  type VerifyResult,
} from './verify.js';
export { checkWheelFile, checkNative, type WheelCheck } from './verify-wheel.js';
export {
  runInstallTest,
  versionPattern,
  DEFAULT_VERSION_CHECK,
  ARM64_SYSROOT,
  type VersionCheck,
  type InstallTestInput,
  type InstallTestRelease,
} from './install-test.js';
export { parsePorcelain, readChangedFiles, prepareOutputDir, resolveGitSha } from './git.js';
export { readElf, maxGlibcVersion, type ElfInfo } from './inspect/elf.js';
export { readMachO, type MachOSlice } from './inspect/macho.js';
export { parsePlatformTag, type PlatformClaim } from './inspect/tags.js';
