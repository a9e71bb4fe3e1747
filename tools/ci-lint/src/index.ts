export {
  PINNED_LINTERS,
  provisionLinters,
  runActionlint,
  runZizmor,
  lintWorkflows,
  type Linters,
  type ProvisionLintersOptions,
  type RunLinterOptions,
  type LintWorkflowsOptions,
} from './linters.js';
export {
  parseActionlintOutput,
  parseZizmorOutput,
  renderLintReports,
  type Finding,
  type LintReport,
  type LinterName,
} from './findings.js';
export { readWorkflowPaths, WORKFLOW_GLOBS } from './workflows.js';
export {
  checkNodeVersions,
  readNodeVersions,
  type NodeVersions,
  type NodeVersionFinding,
} from './node-version.js';
