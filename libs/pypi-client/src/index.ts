export {
  PYPI_SIMPLE_URL,
  resolveIndexUrl,
  redactIndexUrl,
  type IndexUrlSource,
  type ResolveIndexUrlOptions,
} from './index-url.js';
export { createPypiClient, type PypiClient, type CreatePypiClientOptions } from './client.js';
export { parseSimpleJson, parseSimpleHtml } from './parse.js';
// PEP 503 names are core's (shared with wheel-index); re-exported for this package's users.
export { normalizeProjectName } from '@packyard/core';
export { versionFromFilename } from './names.js';
export { isValidVersion, compareVersions, sortVersions, isPrerelease } from './pep440.js';
export type { IndexFile, ProjectVersions, ListVersionsOptions } from './types.js';
