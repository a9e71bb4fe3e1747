import { constants } from 'node:fs';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PackyardError, isAccessible, runTool } from '@packyard/core';
import { defaultPackyardHome, provisionOnce } from '@packyard/python-tools';

/** The pypiserver release the suite publishes to; bumping it is a reviewed change, like any other pin. */
export const PYPISERVER_VERSION = '2.4.2';

/**
 * Every distribution in the pypiserver venv, pinned exactly: pypiserver, passlib (it reads the
 * htpasswd file) and pypiserver's own requirements, so a new upstream release never changes the server.
 */
export const PYPISERVER_PINS: ReadonlyArray<readonly [string, string]> = Object.freeze([
  ['pypiserver', PYPISERVER_VERSION],
  ['passlib', '1.7.4'],
  ['packaging', '26.4'],
  ['defusedxml', '0.7.1'],
  ['importlib_resources', '7.1.0'],
]);

/** Options for `provisionPypiServer`; every one has a default. */
export interface ProvisionPypiServerOptions {
  /** packyard's home; default `$PACKYARD_HOME`, else `~/.cache/packyard`. */
  home?: string;
  /** The interpreter the venv is made from; default `python3` on PATH. */
  python?: string;
  log?: (line: string) => void;
}

/** The provisioned server: its venv's python and the `pypi-server` console script. */
export interface PypiServerInstall {
  venv: string;
  python: string;
  pypiServer: string;
}

const MARKER = '.packyard-pypiserver.json';

/**
 * Makes sure a virtualenv with the pinned pypiserver and passlib exists under
 * `<packyard home>/tools/pypiserver-<version>/` and returns it. Built once per machine through
 * `provisionOnce` (lock, temporary sibling, rename), then reused without running pip.
 */
export async function provisionPypiServer(
  options: ProvisionPypiServerOptions = {},
): Promise<PypiServerInstall> {
  const home = resolve(options.home ?? defaultPackyardHome());
  const log = options.log ?? (() => {});
  const interpreter = options.python ?? 'python3';
  const venv = join(home, 'tools', `pypiserver-${PYPISERVER_VERSION}`);
  const want = JSON.stringify(Object.fromEntries(PYPISERVER_PINS));
  const isReady = async (): Promise<boolean> => {
    try {
      if ((await readFile(join(venv, MARKER), 'utf8')).trim() !== want) return false;
    } catch {
      return false;
    }
    return (
      (await isAccessible(join(venv, 'bin', 'python'), constants.X_OK)) &&
      (await isAccessible(join(venv, 'bin', 'pypi-server'), constants.X_OK))
    );
  };
  await provisionOnce({
    dir: venv,
    what: `pypiserver ${PYPISERVER_VERSION}`,
    isReady,
    build: async (tmp) => {
      log(`creating ${venv} with pypiserver ${PYPISERVER_VERSION}`);
      await step(interpreter, ['-m', 'venv', tmp]);
      await step(join(tmp, 'bin', 'python'), [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '--no-deps',
        ...PYPISERVER_PINS.map(([name, version]) => `${name}==${version}`),
      ]);
      await relocate(tmp, venv);
      await writeFile(join(tmp, MARKER), `${want}\n`);
    },
  });
  return { venv, python: join(venv, 'bin', 'python'), pypiServer: join(venv, 'bin', 'pypi-server') };
}

async function step(file: string, args: string[]): Promise<void> {
  try {
    await runTool(file, args, { tailLines: 20 });
  } catch (error) {
    throw new PackyardError(
      'TOOL_PROVISION_FAILED',
      `cannot install pypiserver: ${(error as Error).message}`,
      {
        value: file,
        hint: 'pip installs from the index in its own settings (`pip config list`); check that it is reachable',
        cause: error,
      },
    );
  }
}

// Console scripts carry the venv's absolute path in their shebang: point them at the final path.
async function relocate(tmp: string, venv: string): Promise<void> {
  const bin = join(tmp, 'bin');
  for (const name of await readdir(bin)) {
    const file = join(bin, name);
    const stat = await lstat(file);
    if (!stat.isFile() || stat.size > 1024 * 1024) continue;
    const text = await readFile(file, 'utf8');
    if (text.includes(tmp)) await writeFile(file, text.split(tmp).join(venv));
  }
  const cfg = join(tmp, 'pyvenv.cfg');
  const text = await readFile(cfg, 'utf8');
  if (text.includes(tmp)) await writeFile(cfg, text.split(tmp).join(venv));
}
