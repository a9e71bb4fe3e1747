export {
  ALL_PLATFORMS,
  hostPlatform,
  parsePlatform,
  formatPlatform,
  samePlatform,
  pexFileName,
  tarballName,
  checkPackageName,
  type Platform,
  type PlatformOs,
  type PlatformArch,
} from './platform.js';
export {
  PINNED_TOOLS,
  TOOLS_MARKER,
  provisionTools,
  defaultPackyardHome,
  toolsVenvName,
  type Tools,
  type ProvisionToolsOptions,
} from './tools.js';
export { findInterpreter, checkPythonVersion } from './interpreter.js';
export { lockRequirements, renderRequirementsIn, type LockInput, type LockResult } from './lock.js';
export { buildPexBundle, BUNDLE_ROOT, type PexBuildInput, type PexBundle } from './build.js';
export { renderWrapper, checkBinaryName } from './wrapper.js';
