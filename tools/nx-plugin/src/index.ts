export { parsePackageName } from './config.js';
export { listIndexVersions, type ListIndexVersionsOptions } from './index-versions.js';
export { createNodesV2, renderNodesError, PACKAGE_CONFIG_GLOB } from './plugin.js';
export {
  planPackageProject,
  CLI_PROJECT,
  PACKAGE_TAG,
  PACKAGE_TARGETS,
  type PackageProject,
  type PackageTargetName,
} from './project.js';

import { createNodesV2 } from './plugin.js';

/** The name Nx reports for this plugin in errors and `nx show project` source maps. */
export const name = '@packyard/nx-plugin';

/** Nx 22+ calls `createNodes` with the same (v2) signature; Nx 23 prefers it over `createNodesV2`. */
export const createNodes = createNodesV2;
