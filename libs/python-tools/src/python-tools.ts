import { join, resolve } from 'node:path';
import { PackyardError } from '@packyard/core';
import { defaultPackyardHome, requireInterpreter } from './tools.js';
import { ensureVenv } from './venv.js';

/** The further tools packyard provisions on demand, each at an exact pinned version. */
export const PINNED_PYTHON_TOOLS: Readonly<{
  maturin: string;
  ziglang: string;
  twine: string;
  build: string;
  'check-wheel-contents': string;
  auditwheel: string;
}> = Object.freeze({
  maturin: '1.16.0',
  ziglang: '0.17.0',
  twine: '7.0.0',
  build: '1.6.1',
  // Peers of wheel-release's verify in bench/wheel-verify's broken-wheel table.
  'check-wheel-contents': '0.6.3',
  auditwheel: '6.8.2',
});

/** A tool name `provisionPythonTools` knows. */
export type PythonToolName = keyof typeof PINNED_PYTHON_TOOLS;

/** How a tool is run: a console script in the venv's bin, or `python -m <module>`. */
const HOW_TO_RUN: Readonly<Record<PythonToolName, { script: string } | { module: string }>> = {
  maturin: { script: 'maturin' },
  ziglang: { module: 'ziglang' },
  twine: { script: 'twine' },
  build: { module: 'build' },
  'check-wheel-contents': { script: 'check-wheel-contents' },
  auditwheel: { script: 'auditwheel' },
};

/** One way to run a provisioned tool: `file` with `args` in front of the caller's arguments. */
export interface ToolCommand {
  file: string;
  args: readonly string[];
}

/** A provisioned venv holding the requested tools. */
export interface PythonToolSet {
  venv: string;
  /** The venv's python (put `dirname(python)` first on PATH to make it `python3`). */
  python: string;
  /** The packyard home the venv lives in. */
  home: string;
  /** Every tool in the venv and its exact version. */
  versions: Partial<Record<PythonToolName, string>>;
  /** How to run each requested tool. */
  commands: Partial<Record<PythonToolName, ToolCommand>>;
}

/** Options for `provisionPythonTools`; only `tools` is required. */
export interface ProvisionPythonToolsOptions {
  /** The tools wanted together in one venv (e.g. maturin with ziglang, so `maturin --zig` finds zig). */
  tools: readonly PythonToolName[];
  /** Default `$PACKYARD_HOME`, else `~/.cache/packyard`. */
  home?: string;
  /** The interpreter the venv is made from; default `python3` on PATH. */
  python?: string;
  log?: (line: string) => void;
  /** Overrides PINNED_PYTHON_TOOLS (tests, or trying a new release before pinning it). */
  versions?: Partial<Record<PythonToolName, string>>;
}

/** The venv directory name for a set of pinned tools: `py<X.Y>-<tool><ver>-…`, tools sorted. Pure. */
export function pythonToolsVenvName(
  pythonVersion: string,
  versions: Partial<Record<PythonToolName, string>>,
): string {
  const parts = Object.entries(versions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, version]) => `${name}${version}`);
  return [`py${pythonVersion}`, ...parts].join('-');
}

/**
 * Makes sure a virtualenv with exactly the requested tools at their pinned versions exists under
 * `${home}/tools` and returns how to run each. Same guarantees as `provisionTools`: built in a temporary
 * sibling and renamed into place, serialised by a lock, a killed run's debris replaced, and an existing
 * venv with a matching marker reused without running pip.
 */
export async function provisionPythonTools(options: ProvisionPythonToolsOptions): Promise<PythonToolSet> {
  const wanted = [...new Set(options.tools)];
  if (wanted.length === 0) {
    throw new PackyardError('TOOL_PROVISION_FAILED', 'no Python tool was asked for', {
      field: 'tools',
      value: '[]',
      hint: `name one or more of ${Object.keys(PINNED_PYTHON_TOOLS).join(', ')}`,
    });
  }
  for (const name of wanted) {
    if (!Object.hasOwn(PINNED_PYTHON_TOOLS, name)) {
      throw new PackyardError(
        'TOOL_PROVISION_FAILED',
        `${JSON.stringify(name)} is not a tool packyard provisions`,
        {
          field: 'tools',
          value: String(name),
          hint: `name one or more of ${Object.keys(PINNED_PYTHON_TOOLS).join(', ')}`,
        },
      );
    }
  }
  const home = resolve(options.home ?? defaultPackyardHome());
  const versions: Partial<Record<PythonToolName, string>> = {};
  for (const name of [...wanted].sort())
    versions[name] = options.versions?.[name] ?? PINNED_PYTHON_TOOLS[name];
  const info = await requireInterpreter(options.python ?? 'python3');
  const venv = join(home, 'tools', pythonToolsVenvName(info.version, versions));
  const python = join(venv, 'bin', 'python');
  const commands: Partial<Record<PythonToolName, ToolCommand>> = {};
  const executables: string[] = [];
  for (const name of wanted) {
    const how = HOW_TO_RUN[name];
    if ('script' in how) {
      commands[name] = { file: join(venv, 'bin', how.script), args: [] };
      executables.push(`bin/${how.script}`);
    } else {
      commands[name] = { file: python, args: ['-m', how.module] };
    }
  }
  await ensureVenv({
    venv,
    executable: info.executable,
    pythonVersion: info.version,
    pins: Object.entries(versions) as Array<[string, string]>,
    executables,
    log: options.log ?? (() => {}),
  });
  return { venv, python, home, versions, commands };
}
