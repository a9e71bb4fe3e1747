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
  type ReleaseConfig,
  type Disagreement,
} from './release.js';
export {
  buildWheels,
  planWheelBuilds,
  planWheelRunnerMatrix,
  probeBuildHost,
  defaultCargoTargetDir,
  resolveGitSha,
  WHEEL_TARGETS,
  NATIVE_RUNNERS,
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
export { parsePorcelain, readChangedFiles, prepareOutputDir } from './git.js';
export { readElf, maxGlibcVersion, type ElfInfo } from './inspect/elf.js';
export { readMachO, type MachOSlice } from './inspect/macho.js';
export { parsePlatformTag, type PlatformClaim } from './inspect/tags.js';
