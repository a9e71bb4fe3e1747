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
