import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PackyardError } from '@packyard/core';
import { readInterpreterInfo, type InterpreterInfo } from './interpreter.js';
import { ensureVenv } from './venv.js';

/** The pex and uv versions packyard builds with; changing them changes every lock and PEX. */
export const PINNED_TOOLS: Readonly<{ pex: string; uv: string }> = Object.freeze({
  pex: '2.105.2',
  uv: '0.13.9',
});

/** A provisioned tool virtualenv: absolute paths to its python, pex and uv, and their versions. */
export interface Tools {
  venv: string;
  python: string;
  pex: string;
  uv: string;
  versions: { pex: string; uv: string };
  /** The packyard home the venv lives in; pex and uv keep their caches under it. */
  home: string;
}

/** Options for `provisionTools`; every one has a default. */
export interface ProvisionToolsOptions {
  /** Default `$PACKYARD_HOME`, else `~/.cache/packyard`. */
  home?: string;
  /** The interpreter the venv is made from; default `python3` on PATH. */
  python?: string;
  log?: (line: string) => void;
  /** Overrides PINNED_TOOLS (tests, or trying a new release before pinning it). */
  versions?: Partial<{ pex: string; uv: string }>;
}

/** Where packyard keeps tools and caches: `$PACKYARD_HOME`, else `~/.cache/packyard`. */
export function defaultPackyardHome(
  env: Record<string, string | undefined> = process.env,
  home: string = homedir(),
): string {
  const fromEnv = env['PACKYARD_HOME'];
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(home, '.cache', 'packyard');
}

/** The venv directory name: one per interpreter X.Y and tool versions, so pins never share a venv. Pure. */
export function toolsVenvName(pythonVersion: string, versions: { pex: string; uv: string }): string {
  return `py${pythonVersion}-pex${versions.pex}-uv${versions.uv}`;
}

/** Probes `python` for the venv, or throws TOOL_PROVISION_FAILED naming it. */
export async function requireInterpreter(python: string): Promise<InterpreterInfo> {
  const info = await readInterpreterInfo(python);
  if (info === undefined) {
    throw new PackyardError('TOOL_PROVISION_FAILED', `cannot run ${python} to create the tools virtualenv`, {
      field: 'python',
      value: python,
      hint: 'install Python 3 or pass the interpreter path as `python`',
    });
  }
  return info;
}

/**
 * Makes sure a virtualenv with the pinned pex and uv exists under `${home}/tools` and returns it.
 * Safe to interrupt and to run from several processes at once (see `provisionPythonTools`); a venv
 * whose marker is present and matches is returned without running anything but a version probe.
 */
export async function provisionTools(options: ProvisionToolsOptions = {}): Promise<Tools> {
  const home = resolve(options.home ?? defaultPackyardHome());
  const versions = { ...PINNED_TOOLS, ...options.versions };
  const info = await requireInterpreter(options.python ?? 'python3');
  const venv = join(home, 'tools', toolsVenvName(info.version, versions));
  await ensureVenv({
    venv,
    executable: info.executable,
    pythonVersion: info.version,
    pins: [
      ['pex', versions.pex],
      ['uv', versions.uv],
    ],
    executables: ['bin/pex', 'bin/uv'],
    log: options.log ?? (() => {}),
  });
  const bin = join(venv, 'bin');
  return {
    venv,
    python: join(bin, 'python'),
    pex: join(bin, 'pex'),
    uv: join(bin, 'uv'),
    versions: { pex: versions.pex, uv: versions.uv },
    home,
  };
}

/**
 * Where pex and uv keep their caches: under packyard's home. A build-only cache: the user's
 * ~/.cache/pex is also where the PEXes they run unpack, and one home means one directory to cache in
 * CI or to delete. Every packyard process that runs the provisioned uv or pex shares it.
 */
export function toolCacheEnv(tools: Pick<Tools, 'home'>): { PEX_ROOT: string; UV_CACHE_DIR: string } {
  return { PEX_ROOT: join(tools.home, 'pex-root'), UV_CACHE_DIR: join(tools.home, 'uv-cache') };
}

/** The environment pex and uv run with: caches under packyard's home, and no stray config. */
export function toolEnv(tools: Pick<Tools, 'home'>): Record<string, string | undefined> {
  return {
    ...toolCacheEnv(tools),
    // ~/.pexrc and /etc/pexrc could set build options behind our back.
    PEX_IGNORE_RCFILES: 'true',
    // These would change what uv resolves, so a lock would depend on the machine; `undefined`
    // removes them from the child's environment. Network settings (TLS, proxies) are kept.
    UV_EXTRA_INDEX_URL: undefined,
    UV_INDEX: undefined,
    UV_DEFAULT_INDEX: undefined,
    UV_FIND_LINKS: undefined,
    UV_EXCLUDE_NEWER: undefined,
    UV_PRERELEASE: undefined,
    UV_RESOLUTION: undefined,
    UV_INDEX_STRATEGY: undefined,
    UV_CONSTRAINT: undefined,
    UV_OVERRIDE: undefined,
    UV_BUILD_CONSTRAINT: undefined,
    UV_NO_BINARY: undefined,
    UV_NO_BUILD: undefined,
    UV_TORCH_BACKEND: undefined,
  };
}
