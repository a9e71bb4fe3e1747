import { isAbsolute } from 'node:path';
import { execa } from 'execa';

const PYTHON_VERSION = /^(\d+)\.(\d+)$/;

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
