export {
  planRun,
  planPrepare,
  planBundle,
  planMetadataUpload,
  type RunRequest,
  type MipPlan,
  type StagePlan,
  type PrepareAction,
  type MetadataAction,
} from './plan.js';
export {
  runPlan,
  runMipPipeline,
  exitCodeForResults,
  type MipRunReport,
  type RunPlanOptions,
} from './pipeline.js';
export { STAGE_STEPS, selectSteps, type MipRun, type StageReport } from './steps/index.js';
export { createMipContext, normalizePrefix, readSourceDateEpoch, type MipContextRequest } from './context.js';
export { STAGES, type StageName, type Context, type Logger, type PackageResult } from './types.js';
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
  sameButDurations,
  type MipJson,
  type PublishedMetadata,
  type BuildRecord,
} from './metadata.js';
export { readPackageDefinitions, type DefinitionFailure } from './definitions.js';
export { renderLoadPackage, renderUnloadPackage, collectExposedSymbols } from './matlab.js';
export { BUNDLE_FORMAT_VERSION } from './source.js';
export { preparePackages, type PrepareOptions } from './steps/prepare.js';
export { compilePackages, findCompiler, type Compiler } from './steps/compile.js';
export { bundlePackages, writeMhl } from './steps/bundle.js';
export { uploadBundles, type UploadOptions } from './steps/upload.js';
export { assembleIndex, type IndexOptions } from './steps/write-index.js';
export { planIndex, renderPackagesHtml, type PackageIndex, type IndexEntry } from './index-json.js';
export { forEachPackage, type EachPackage } from './steps/each.js';
// What the mip-publish command line needs from the layers below, so an app depends on this lib only.
export { DEFAULT_TIME_LIMITS, parseSeconds, type TimeLimits } from '@packyard/mip';
export { openObjectStore, createS3Store, createLocalStore, type ObjectStore } from '@packyard/r2-store';
