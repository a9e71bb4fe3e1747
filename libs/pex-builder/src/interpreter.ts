import { constants } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { isAccessible, PackyardError } from '@packyard/core';
import { readInterpreterInfo } from '@packyard/python-tools';

export { readInterpreterInfo, type InterpreterInfo } from '@packyard/python-tools';

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

// What findInterpreter found, by version and PATH: a pyenv shim takes a second or more to start, and
// a run asks for the same version once per version and platform it builds.
const found = new Map<string, Promise<string | undefined>>();

/**
 * Finds a CPython `X.Y` on `env.PATH`: first any `pythonX.Y`, then `python3` and `python` whose version
 * matches. Each candidate is run, because a name on PATH (a pyenv shim) may not work. Returns the
 * interpreter's real path (`sys.executable`), or undefined when none matches. The answer for a
 * version and PATH is kept for the life of the process.
 */
export function findInterpreter(
  pythonVersion: string,
  env: Record<string, string | undefined> = process.env,
): Promise<string | undefined> {
  checkPythonVersion(pythonVersion);
  const key = `${pythonVersion}\0${env['PATH'] ?? ''}`;
  let answer = found.get(key);
  if (answer === undefined) {
    answer = searchInterpreter(pythonVersion, env);
    found.set(key, answer);
    // A failure to look is not an answer: the next call looks again.
    answer.catch(() => found.delete(key));
  }
  return answer;
}

async function searchInterpreter(
  pythonVersion: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
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
