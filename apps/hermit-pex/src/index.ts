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
  parsePackageConfig,
  readPackageConfig,
  configJsonSchema,
  PackageConfigSchema,
  type PackageConfig,
  renderState,
  readState,
  writeState,
  type PackageState,
  type VersionState,
} from '@packyard/hermit-pex-pipeline';
export {
  planPackage,
  planVersions,
  planBuildInfo,
  releaseTag,
  type VersionPlan,
  type BuildInfo,
} from '@packyard/pex-builder';
