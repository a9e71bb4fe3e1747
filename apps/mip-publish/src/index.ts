export {
  MipYamlSchema,
  PythonPackageSchema,
  mhlName,
  parseMhlName,
  parseMipYaml,
  readMipYaml,
  mipYamlJsonSchema,
  type PackageDefinition,
  type PackageMetadata,
  type PackageSource,
} from './config.js';
export {
  renderMipJson,
  renderPublishedMetadata,
  metadataMatches,
  type MipJson,
  type PublishedMetadata,
  type BuildRecord,
} from './metadata.js';
export {
  readPackageDefinitions,
  preparePackages,
  renderLoadPackage,
  renderUnloadPackage,
  collectExposedSymbols,
  type PrepareOptions,
} from './prepare.js';
export { compilePackages, findCompiler, type Compiler } from './compile.js';
export { bundlePackages, writeMhl } from './bundle.js';
export { uploadBundles, type UploadOptions } from './upload.js';
export {
  assembleIndex,
  planIndex,
  renderPackagesHtml,
  type PackageIndex,
  type IndexEntry,
} from './index-page.js';
export { main, MIP_PUBLISH, exitCodeFor, type Io } from './cli.js';
export type { Context, Logger, PackageResult } from './context.js';
