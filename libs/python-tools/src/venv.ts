import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, isPackyardError, runTool, writeFileAtomically } from '@packyard/core';
import lockfile from 'proper-lockfile';

/** The file whose presence (with matching versions) means a tools venv is complete. */
export const TOOLS_MARKER = '.packyard-tools.json';

// How long to wait for another process that is provisioning the same venv (pip downloads can be
// slow), and after how long an un-refreshed lock counts as left behind by a killed process.
const LOCK_RETRIES = { retries: 1200, factor: 1, minTimeout: 500, maxTimeout: 500 };
const LOCK_STALE_MS = 30_000;

/** What `ensureVenv` needs: where, from which interpreter, which exact pins, and which files must run. */
export interface VenvSpec {
  /** The final venv directory. */
  venv: string;
  /** The real interpreter the venv is made from. */
  executable: string;
  /** `X.Y` of that interpreter; recorded in the marker. */
  pythonVersion: string;
  /** Distribution name → exact version, installed in this order. */
  pins: ReadonlyArray<readonly [string, string]>;
  /** Paths relative to the venv that must be executable for the venv to count as ready. */
  executables: readonly string[];
  log: (line: string) => void;
}

/**
 * Makes sure the venv in `spec` exists with exactly its pins, building it if needed.
 *
 * Safe to interrupt and to run from several processes at once:
 * - the venv is built in a temporary sibling directory and renamed into place only once the marker
 *   file (written last) is in it, so a half-built venv never sits at the final path;
 * - a `proper-lockfile` lock (`<venv>.lock`) serialises builders, and the marker is re-checked under
 *   the lock, so a second process waits and then reuses the first one's venv;
 * - a lock left by a killed process goes stale after 30 s, and its temporary directory is removed by
 *   the next builder.
 * A venv whose marker is present and matches is returned without running anything.
 */
export async function ensureVenv(spec: VenvSpec): Promise<void> {
  const { venv, log } = spec;
  const marker = markerOf(spec);
  if (await isReady(spec, marker)) return;

  const toolsDir = join(venv, '..');
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
    if (await isReady(spec, marker)) return;
    await removeLeftovers(toolsDir, venv);

    const tmp = `${venv}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      log(`creating virtualenv ${venv} with ${spec.executable} (Python ${spec.pythonVersion})`);
      await provisionStep(spec.executable, ['-m', 'venv', tmp]);
      const requirements = spec.pins.map(([name, version]) => `${name}==${version}`);
      log(`installing ${requirements.join(' ')}`);
      await provisionStep(join(tmp, 'bin', 'python'), [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        ...requirements,
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
  } finally {
    await release().catch(() => {});
  }
}

function markerOf(spec: VenvSpec): Record<string, string> {
  return { python: spec.pythonVersion, ...Object.fromEntries(spec.pins) };
}

async function isReady(spec: VenvSpec, want: Record<string, string>): Promise<boolean> {
  let marker: Record<string, unknown>;
  try {
    marker = JSON.parse(await readFile(join(spec.venv, TOOLS_MARKER), 'utf8')) as Record<string, unknown>;
  } catch {
    return false;
  }
  for (const [key, value] of Object.entries(want)) if (marker[key] !== value) return false;
  for (const path of ['bin/python', ...spec.executables]) {
    try {
      // The venv's python is a symlink to the base interpreter, which may have been uninstalled since.
      await access(join(spec.venv, path), constants.X_OK);
    } catch {
      return false;
    }
  }
  return true;
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
