export { plan, listPackageDirs, planManifest, type PlanRequest, type PipelinePlan } from './plan.js';
export { runPlan, runPipeline, removeManifestVersions } from './pipeline.js';
export { PACKAGE_STEPS, selectSteps } from './steps/index.js';
export { CHECKSUMS_ASSET } from './steps/publish.js';
export {
  STEPS,
  type StepName,
  type PipelineOptions,
  type BuildPlatforms,
  type PackageReport,
  type PackageContext,
  type PackageWork,
  type VersionWork,
  type Logger,
} from './types.js';
export {
  parsePackageConfig,
  readPackageConfig,
  configJsonSchema,
  PackageConfigSchema,
  type PackageConfig,
} from './config.js';
export { renderState, readState, writeState, type PackageState, type VersionState } from './state.js';
export {
  openReleaseStore,
  parseReleaseMode,
  chooseReleaseMode,
  type ReleaseModeOption,
  parsePlatformList,
  parseBuildPlatforms,
  chooseJobs,
  defaultServices,
  type ReleaseStoreChoice,
} from './setup.js';
export {
  COMMAND_GROUPS,
  stepsForCommand,
  RUNNER_LABELS,
  planRunnerMatrix,
  renderActions,
  renderSummary,
  exitCodeForReports,
} from './commands.js';
// What a front end and its tests name from the builder: platforms, the per-version plan and actions.
export {
  ALL_PLATFORMS,
  hostPlatform,
  parsePlatform,
  formatPlatform,
  isPerformedAction,
  planPackage,
  planVersions,
  planBuildInfo,
  releaseTag,
  type Platform,
  type Tools,
  type VersionAction,
  type VersionPlan,
  type BuildInfo,
} from '@packyard/pex-builder';
