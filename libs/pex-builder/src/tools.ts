import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PackyardError, isPackyardError, runTool, writeFileAtomically } from '@packyard/core';
import lockfile from 'proper-lockfile';
import { readInterpreterInfo } from './interpreter.js';

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

/** The file whose presence (with matching versions) means a tools venv is complete. */
export const TOOLS_MARKER = '.packyard-tools.json';

interface Marker {
  python: string;
  pex: string;
  uv: string;
}

// How long to wait for another process that is provisioning the same venv (pip downloads can be
// slow), and after how long an un-refreshed lock counts as left behind by a killed process.
const LOCK_RETRIES = { retries: 1200, factor: 1, minTimeout: 500, maxTimeout: 500 };
const LOCK_STALE_MS = 30_000;

/**
 * Makes sure a virtualenv with the pinned pex and uv exists under `${home}/tools` and returns it.
 *
 * Safe to interrupt and to run from several processes at once:
 * - the venv is built in a temporary sibling directory and renamed into place only once the marker
 *   file (written last) is in it, so a half-built venv never sits at the final path;
 * - a `proper-lockfile` lock (`<venv>.lock`) serialises builders, and the marker is re-checked under
 *   the lock, so a second process waits and then reuses the first one's venv;
 * - a lock left by a killed process goes stale after 30 s, and its temporary directory is removed by
 *   the next builder.
 * A venv whose marker is present and matches is returned without running anything but a version probe.
 */
export async function provisionTools(options: ProvisionToolsOptions = {}): Promise<Tools> {
  const home = resolve(options.home ?? defaultPackyardHome());
  const python = options.python ?? 'python3';
  const log = options.log ?? (() => {});
  const versions = { ...PINNED_TOOLS, ...options.versions };

  const info = await readInterpreterInfo(python);
  if (info === undefined) {
    throw new PackyardError('TOOL_PROVISION_FAILED', `cannot run ${python} to create the tools virtualenv`, {
      field: 'python',
      value: python,
      hint: 'install Python 3 or pass the interpreter path as `python`',
    });
  }
  const toolsDir = join(home, 'tools');
  const venv = join(toolsDir, toolsVenvName(info.version, versions));
  const marker: Marker = { python: info.version, ...versions };

  const ready = await readReadyTools(venv, marker, home);
  if (ready !== undefined) return ready;

  await mkdir(toolsDir, { recursive: true });
  let compromised: Error | undefined;
  const release = await lockfile
    .lock(venv, {
      realpath: false,
      lockfilePath: `${venv}.lock`,
      stale: LOCK_STALE_MS,
      retries: LOCK_RETRIES,
      onCompromised: (error: Error) => {
        compromised = error;
      },
    })
    .catch((error: unknown) => {
      throw new PackyardError(
        'TOOL_PROVISION_FAILED',
        `cannot lock ${venv}.lock: ${(error as Error).message}`,
        {
          file: `${venv}.lock`,
          hint: 'another packyard process is provisioning the same tools; if none is running, delete the lock directory',
          cause: error,
        },
      );
    });
  try {
    const readyNow = await readReadyTools(venv, marker, home);
    if (readyNow !== undefined) return readyNow;
    await removeLeftovers(toolsDir, venv);

    const tmp = `${venv}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      log(`creating virtualenv ${venv} with ${info.executable} (Python ${info.version})`);
      await provisionStep(info.executable, ['-m', 'venv', tmp]);
      log(`installing pex==${versions.pex} uv==${versions.uv}`);
      await provisionStep(join(tmp, 'bin', 'python'), [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        `pex==${versions.pex}`,
        `uv==${versions.uv}`,
      ]);
      await relocateVenv(tmp, venv);
      await writeFileAtomically(join(tmp, TOOLS_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
      if (compromised !== undefined) throw compromised;
      await rename(tmp, venv);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      if (isPackyardError(error)) throw error;
      throw new PackyardError(
        'TOOL_PROVISION_FAILED',
        `cannot provision ${venv}: ${(error as Error).message}`,
        {
          file: venv,
          cause: error,
        },
      );
    }
    log(`tools ready in ${venv}`);
    return toolsAt(venv, versions, home);
  } finally {
    await release().catch(() => {});
  }
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

function toolsAt(venv: string, versions: { pex: string; uv: string }, home: string): Tools {
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

async function readReadyTools(venv: string, want: Marker, home: string): Promise<Tools | undefined> {
  let marker: Partial<Marker>;
  try {
    marker = JSON.parse(await readFile(join(venv, TOOLS_MARKER), 'utf8')) as Partial<Marker>;
  } catch {
    return undefined;
  }
  if (marker.python !== want.python || marker.pex !== want.pex || marker.uv !== want.uv) return undefined;
  const tools = toolsAt(venv, want, home);
  for (const path of [tools.python, tools.pex, tools.uv]) {
    try {
      // The venv's python is a symlink to the base interpreter, which may have been uninstalled since.
      await access(path, constants.X_OK);
    } catch {
      return undefined;
    }
  }
  return tools;
}

// Called under the lock, so whatever is at the final path or in a temporary sibling is debris from a
// killed run (or a venv whose marker does not match), never work in progress.
async function removeLeftovers(toolsDir: string, venv: string): Promise<void> {
  const base = venv.slice(toolsDir.length + 1);
  for (const name of await readdir(toolsDir)) {
    if (name === base || name.startsWith(`${base}.tmp-`))
      await rm(join(toolsDir, name), { recursive: true, force: true });
  }
}

// pip writes the venv's absolute path into script shebangs (bin/pex) and venv writes it into the
// activate scripts and pyvenv.cfg; those are rewritten to the final path before the rename. The
// interpreter itself finds its prefix from where it is run, so nothing else needs changing.
async function relocateVenv(tmp: string, venv: string): Promise<void> {
  const from = Buffer.from(tmp);
  const files = [
    join(tmp, 'pyvenv.cfg'),
    ...(await readdir(join(tmp, 'bin'))).map((name) => join(tmp, 'bin', name)),
  ];
  for (const file of files) {
    const stat = await lstat(file);
    if (!stat.isFile() || stat.size > 1024 * 1024) continue;
    const bytes = await readFile(file);
    if (bytes.includes(0) || !bytes.includes(from)) continue;
    await writeFile(file, bytes.toString('utf8').split(tmp).join(venv));
  }
}

async function provisionStep(file: string, args: string[]): Promise<void> {
  try {
    await runTool(file, args, { tailLines: 20 });
  } catch (error) {
    if (!isPackyardError(error, 'TOOL_FAILED')) throw error;
    throw new PackyardError('TOOL_PROVISION_FAILED', error.message, {
      value: error.value,
      hint: 'pip installs from the index in its own settings (`pip config list`); check that it is reachable',
      cause: error,
    });
  }
}
