export { main, hermitPexApp, renderSummary, renderActions, exitCodeFor, type CliIo } from './cli.js';
export {
  runPipeline,
  listPackageDirs,
  planManifest,
  STEPS,
  type StepName,
  type PipelineOptions,
  type PackageReport,
  type Logger,
} from './pipeline.js';
export {
  parsePackageConfig,
  readPackageConfig,
  configJsonSchema,
  PackageConfigSchema,
  type PackageConfig,
} from './config.js';
export {
  planPackage,
  planVersions,
  planBuildInfo,
  releaseTag,
  type VersionPlan,
  type BuildInfo,
} from '@packyard/pex-builder';
export { renderState, readState, writeState, type PackageState, type VersionState } from './state.js';
