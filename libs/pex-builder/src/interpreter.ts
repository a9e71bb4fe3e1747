import { constants } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { isAccessible, PackyardError } from '@packyard/core';
import { execa } from 'execa';

const PYTHON_VERSION = /^(\d+)\.(\d+)$/;

/** Throws CONFIG_INVALID unless `version` is a `X.Y` Python version (a string: YAML's 3.10 is a float). Pure. */
export function checkPythonVersion(version: string): string {
  if (typeof version !== 'string' || !PYTHON_VERSION.test(version)) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `python version ${JSON.stringify(version)} is not of the form X.Y`,
      {
        field: 'python',
        value: version,
        hint: "write it as a quoted string such as '3.11' (an unquoted 3.10 in YAML is the number 3.1)",
      },
    );
  }
  return version;
}

/** What an interpreter says about itself. */
export interface InterpreterInfo {
  /** `X.Y` */
  version: string;
  /** `sys.executable`: the real interpreter behind a shim such as pyenv's. */
  executable: string;
}

const PROBE = "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)";

/** Runs `python` to ask its version and real path; undefined when it cannot run (e.g. a pyenv shim for an inactive version). */
export async function readInterpreterInfo(
  python: string,
  env?: Record<string, string | undefined>,
): Promise<InterpreterInfo | undefined> {
  const result = await execa(python, ['-c', PROBE], {
    reject: false,
    stdin: 'ignore',
    timeout: 30_000,
    ...(env === undefined ? {} : { env, extendEnv: false }),
  });
  if (result.failed) return undefined;
  const [version, executable] = String(result.stdout).trim().split('\n');
  if (version === undefined || !PYTHON_VERSION.test(version.trim())) return undefined;
  const exe = executable?.trim();
  return { version: version.trim(), executable: exe && isAbsolute(exe) ? exe : python };
}

/**
 * Finds a CPython `X.Y` on `env.PATH`: first any `pythonX.Y`, then `python3` and `python` whose version
 * matches. Each candidate is run, because a name on PATH (a pyenv shim) may not work. Returns the
 * interpreter's real path (`sys.executable`), or undefined when none matches.
 */
export async function findInterpreter(
  pythonVersion: string,
  env: Record<string, string | undefined> = process.env,
): Promise<string | undefined> {
  checkPythonVersion(pythonVersion);
  const dirs = (env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '' && isAbsolute(dir));
  for (const name of [`python${pythonVersion}`, 'python3', 'python']) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (!(await isAccessible(candidate, constants.X_OK))) continue;
      const info = await readInterpreterInfo(candidate, env);
      if (info?.version === pythonVersion) return info.executable;
    }
  }
  return undefined;
}

/**
 * The CPython `X.Y` versions that run on `env.PATH` (every `pythonX.Y`, `python3` and `python` found
 * there), sorted, for messages that say which versions this machine can build natively.
 */
export async function listInterpreterVersions(
  env: Record<string, string | undefined> = process.env,
): Promise<string[]> {
  const dirs = (env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '' && isAbsolute(dir));
  const found = new Set<string>();
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => /^python(3(\.\d+)?)?$/.test(n))) {
      const candidate = join(dir, name);
      if (!(await isAccessible(candidate, constants.X_OK))) continue;
      const info = await readInterpreterInfo(candidate, env);
      if (info) found.add(info.version);
    }
  }
  return [...found].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
}
