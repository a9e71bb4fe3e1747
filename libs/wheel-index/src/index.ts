export {
  addFilesToIndex,
  classifyRefusal,
  writeIndex,
  yankFile,
  unyankFile,
  setProjectStatus,
  type ProjectStatusResult,
  type YankOptions,
  type YankResult,
  type AddFilesOptions,
  type AddFilesResult,
  type AddFilesToIndex,
  type WriteIndexOptions,
  type WriteIndexResult,
} from './index-dir.js';
export {
  writeIndexFromPackageList,
  parsePackageList,
  entryFromPackageList,
  PACKAGE_LIST_STATE,
  type PackageListEntry,
  type PackageListIndexOptions,
  type PackageListIndexResult,
} from './package-list.js';
export {
  parseDistributionFilename,
  explainDistributionFilename,
  type DistributionFilename,
} from './filename.js';
// PEP 503 names are core's (shared with pypi-client); re-exported for this package's users.
export { normalizeProjectName } from '@packyard/core';
export {
  parseCoreMetadata,
  readDistributionMetadata,
  parseCsv,
  forEachZipEntry,
  type CoreMetadata,
} from './metadata.js';
export {
  inspectDistribution,
  explainIndexFilename,
  checkIndexFilename,
  type InspectedFile,
} from './inspect.js';
export {
  renderBrowseRootHtml,
  renderBrowseProjectHtml,
  summarizeProject,
  latestVersion,
  formatSize,
  BROWSE_DIR,
  BROWSE_STATE,
  PAGE_SETTINGS,
  parsePageSettings,
  readPageSettings,
  type BrowsePageOptions,
  type PageSettings,
  type ProjectSummary,
} from './browse.js';
export {
  renderProjectHtml,
  renderProjectJson,
  renderRootHtml,
  renderRootJson,
  parseProjectJson,
  sortIndexEntries,
  escapeHtml,
} from './render.js';
export { compareVersionStrings } from './versions.js';
export type { IndexEntry, ProjectPage, ProjectStatus } from './types.js';
export {
  publishIndex,
  planIndexObjects,
  readIndexTree,
  contentTypeOf,
  SIMPLE_JSON_TYPE,
  type IndexObject,
  type IndexObjectStage,
  type PublishIndexOptions,
  type PublishIndexResult,
} from './publish.js';
export {
  checkZipRules,
  checkZipFile,
  type ZipRule,
  type ZipRuleOptions,
  type ZipRuleViolation,
} from './zip-rules.js';
export {
  LOCK_NAME,
  LOCK_OWNER_NAME,
  clearStaleIndexLock,
  withIndexLock,
  TEMPORARY_NAME,
  pausePoint,
} from './fs-util.js';
