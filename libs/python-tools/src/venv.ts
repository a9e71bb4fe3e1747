import { constants } from 'node:fs';
import { access, lstat, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, isPackyardError, runTool, writeFileAtomically } from '@packyard/core';
import { provisionOnce } from './once.js';

/** The file whose presence (with matching versions) means a tools venv is complete. */
export const TOOLS_MARKER = '.packyard-tools.json';

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

  const built = await provisionOnce({
    dir: venv,
    what: `the tools virtualenv ${venv}`,
    isReady: () => isReady(spec, marker),
    build: async (tmp) => {
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
    },
  });
  if (built) log(`tools ready in ${venv}`);
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
    // pip writes the venv's python into a script's shebang by absolute path: a venv copied or moved
    // elsewhere keeps its marker, but its scripts run another venv's python, or none.
    const interpreter = await shebangOf(join(spec.venv, path));
    if (
      interpreter !== undefined &&
      interpreter !== '/usr/bin/env' &&
      (!interpreter.startsWith(`${spec.venv}/`) || !(await isExecutable(interpreter)))
    )
      return false;
  }
  return true;
}

async function shebangOf(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
    const head = buffer.subarray(0, bytesRead).toString('latin1');
    return /^#!\s*(\/\S+)/.exec(head)?.[1];
  } finally {
    await handle.close();
  }
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
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
