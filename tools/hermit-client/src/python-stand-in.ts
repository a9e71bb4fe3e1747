import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '@packyard/core';
import { shellQuote, writeExecScript } from './script.js';

/** A Hermit source holding a python3 package that runs this machine's interpreters. */
export interface PythonStandIn {
  /** A Hermit manifest source directory holding python3.hcl. */
  source: string;
  /** How many times a binary has started the stand-in's interpreter so far. */
  uses(): Promise<number>;
}

/** The `X.Y` of every `python3@X.Y` runtime dependency; throws on any other dependency. Pure. */
export function pythonMinors(runtimeDependencies: readonly string[]): string[] {
  const minors = new Set<string>();
  for (const dep of runtimeDependencies) {
    const minor = /^python3@(\d+\.\d+)$/.exec(dep)?.[1];
    if (minor === undefined)
      throw new Error(`a manifest names a runtime dependency other than python3@X.Y: ${dep}`);
    minors.add(minor);
  }
  return [...minors].sort();
}

/** Options for `writePythonStandIn`. */
export interface PythonStandInOptions {
  /**
   * The interpreter to run for each `X.Y` (a path or a command on PATH); default `pythonX.Y`. An
   * emulated one (an arm64 CPython under qemu-user, from tools/scripts/setup-arm64-python.sh) must
   * report a `sys.executable` this machine can start.
   */
  interpreters?: Readonly<Record<string, string>>;
}

/**
 * Writes a local stand-in for Hermit's python3 package into `dir`. The real one (cashapp/hermit-packages)
 * downloads python-build-standalone from GitHub, which this machine cannot reach. This one is a
 * directory source whose `bin/python3.X` runs this machine's own `python3.X` (or the interpreter
 * `options.interpreters` names for it), after counting the
 * start in a log. So Hermit resolves `runtime-dependencies = ["python3@3.X"]` through its sources and
 * installs it, and a PEX starts on the interpreter Hermit put first on PATH; it does not show that
 * Hermit's published python3 package works.
 */
export async function writePythonStandIn(
  dir: string,
  minors: readonly string[],
  options: PythonStandInOptions = {},
): Promise<PythonStandIn> {
  const log = join(dir, 'uses.log');
  await mkdir(dir, { recursive: true });
  await writeFile(log, '');
  const versions: string[] = [];
  for (const minor of minors) {
    const interpreter = options.interpreters?.[minor] ?? `python${minor}`;
    const probe = await runTool(interpreter, [
      '-c',
      'import sys, platform; print(sys.executable); print(platform.python_version())',
    ]).catch((error: unknown) => {
      throw new Error(`python3@${minor} is needed; ${interpreter} does not start to stand in for it`, {
        cause: error,
      });
    });
    const [executable, version] = probe.stdout.trim().split('\n');
    const bin = join(dir, `python3-${version}`, 'bin');
    await mkdir(bin, { recursive: true });
    const script = join(bin, `python${minor}`);
    await writeExecScript(script, [executable!], [`echo start >> ${shellQuote(log)}`]);
    await writeExecScript(join(bin, 'python3'), [script]);
    versions.push(version!);
  }
  // Hermit derives the `@3.X` channel that `python3@3.X` names from each version (`3.11.7` → `@3.11`).
  const manifest = [
    `description = "Stand-in for Hermit's python3 package: this machine's interpreter"`,
    'binaries = ["bin/*"]',
    `source = "file://${dir}/python3-\${version}"`,
    ...versions.map((version) => `\nversion "${version}" {}`),
    '',
  ].join('\n');
  await mkdir(join(dir, 'manifests'), { recursive: true });
  await writeFile(join(dir, 'manifests', 'python3.hcl'), manifest);
  return {
    source: join(dir, 'manifests'),
    uses: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).length,
  };
}
