import { runTool } from '@packyard/core';
import { toolEnv, type Tools } from './tools.js';

/** What `runPythonWith` runs: a script, the exact requirements it needs, and where uv gets them. */
export interface RunPythonWithOptions {
  /** PEP 508 requirements, pinned (`packaging==26.3`); uv installs them once into its cache. */
  requirements: readonly string[];
  /** The index uv reads the requirements from. */
  indexUrl: string;
  /** Python source, run with `python -c`. */
  script: string;
  /** Passed to the script as JSON in argv[1]. */
  payload: unknown;
  /** How many lines of the tool's output a failure shows (default 20). */
  tailLines?: number;
}

/**
 * Runs a Python script in the tools venv's interpreter with extra requirements, through
 * `uv run --no-project --no-config --with …` (so no project or user config changes what runs), and
 * returns its stdout. The tool environment keeps uv's cache under packyard's home.
 */
export async function runPythonWith(tools: Tools, options: RunPythonWithOptions): Promise<string> {
  const withArgs = options.requirements.flatMap((requirement) => ['--with', requirement]);
  const { stdout } = await runTool(
    tools.uv,
    [
      'run',
      '--no-project',
      '--no-config',
      '--python',
      tools.python,
      '--index-url',
      options.indexUrl,
      ...withArgs,
      '--',
      'python',
      '-c',
      options.script,
      JSON.stringify(options.payload),
    ],
    { env: { ...toolEnv(tools), VIRTUAL_ENV: undefined }, tailLines: options.tailLines ?? 20 },
  );
  return stdout;
}
