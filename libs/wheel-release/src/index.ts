export { parseReleaseVersion, bumpVersion, devStamp, type ReleaseVersion, type BumpKind } from './version.js';
export { readPlace, writePlace, expectedAt, placeKey, loadToml, type Place } from './places.js';
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
export { buildWheels, WHEEL_TARGETS, type BuildWheelsInput } from './build.js';
export { buildSdist, type BuildSdistInput } from './sdist.js';
export {
  verifyRelease,
  verifyReleases,
  assertVerified,
  type VerifyInput,
  type VerifyProblem,
  type VerifyResult,
} from './verify.js';
export { hostPlatform } from './verify-tools.js';
export { readElf, maxGlibcVersion, type ElfInfo } from './inspect/elf.js';
export { readMachO, type MachOSlice } from './inspect/macho.js';
export { parsePlatformTag, type PlatformClaim } from './inspect/tags.js';
