/** The wheel-release command line: parse, run, report; returns the exit code. */
export { main, wheelReleaseApp, tagFromEnvironment } from './cli.js';
/** The CLI's process interface. */
export type { CliIo } from './cli.js';
/** The release steps the CLI composes, and their inputs and results. */
export {
  defaultSteps,
  type Steps,
  type VerifyInput,
  type VerifyResult,
  type VerifyProblem,
  type PublishInput,
  type PublishResult,
  type BuildPlan,
  type WheelBuildStep,
} from './steps.js';
