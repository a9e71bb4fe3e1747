import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeTarGz } from '@packyard/archive';
import { PackyardError, runTool, writeFileAtomically } from '@packyard/core';
import { checkPythonVersion, findInterpreter, readInterpreterInfo } from './interpreter.js';
import { checkIndexUrl } from './lock.js';
import {
  formatPlatform,
  hostPlatform,
  pexFileName,
  samePlatform,
  tarballName,
  type Platform,
} from './platform.js';
import { toolEnv, type Tools } from './tools.js';
import { checkBinaryName, renderWrapper } from './wrapper.js';

/** What to build: one package version's PEX for one platform, from its lock. */
export interface PexBuildInput {
  package: string;
  version: string;
  /** Console scripts to expose; each gets a wrapper script of that name. */
  binaries: string[];
  requirementsTxt: string;
  /** `X.Y`, a string. */
  pythonVersion: string;
  indexUrl: string;
  platform: Platform;
  /** Receives `root/` (the archive's contents) and the tarball. */
  outDir: string;
  /** The interpreter to build with; default the `pythonX.Y` found on PATH. */
  python?: string;
}

/** A built bundle: the tarball with its digest and size, and the staged files it holds. */
export interface PexBundle {
  tarball: string;
  sha256: string;
  size: number;
  pex: string;
  wrappers: string[];
}

/** The directory under `outDir` holding exactly what goes into the tarball. */
export const BUNDLE_ROOT = 'root';

/**
 * Builds `<outDir>/root/<package>-<os>-<arch>.pex` from the lock, one wrapper per binary beside it,
 * and `<outDir>/<package>-<os>-<arch>.tar.gz` holding those files at its root. Checks that every
 * binary is a script in the PEX. Only the host platform can be built for now.
 */
export async function buildPexBundle(tools: Tools, input: PexBuildInput): Promise<PexBundle> {
  const pythonVersion = checkPythonVersion(input.pythonVersion);
  const indexUrl = checkIndexUrl(input.indexUrl);
  const pexName = pexFileName(input.package, input.platform);
  const binaries = checkBinaries(input.binaries, pexName);
  checkHostPlatform(input.platform);
  const interpreter = await resolveInterpreter(pythonVersion, input.python);

  const outDir = resolve(input.outDir);
  const root = join(outDir, BUNDLE_ROOT);
  const tarball = join(outDir, tarballName(input.package, input.platform));
  // Everything is staged in a sibling first, so `root/` is either a previous complete bundle or the new one.
  const stage = join(outDir, `.${BUNDLE_ROOT}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(stage, { recursive: true });
  try {
    await runTool(
      tools.pex,
      [
        '--requirement',
        resolve(input.requirementsTxt),
        // pex's --index-url adds to PyPI; --no-pypi makes the given index the only one, as in the lock.
        '--no-pypi',
        '--index-url',
        indexUrl,
        '--output-file',
        join(stage, pexName),
        '--interpreter-constraint',
        `CPython==${pythonVersion}.*`,
        '--python',
        interpreter,
        // Spelled out so the shebang does not depend on where the build interpreter lives. Hermit puts
        // the `python3@X.Y` runtime dependency's pythonX.Y on PATH.
        '--python-shebang',
        `/usr/bin/env python${pythonVersion}`,
        // venv mode: on first run the PEX installs itself into a venv under ~/.cache/pex and later
        // runs start from there. Tools then see a normal sys.executable with their dependencies
        // (subprocesses of `python -m ...` work), and `--help` shows the script name, not the .pex.
        // PEX_SCRIPT selects the console script in this mode too. Runtime warnings stay on (no
        // --no-emit-warnings): they are how a user learns why the PEX cannot find its interpreter.
        '--venv',
        // No --use-system-time: pex's default stamps every zip entry 1980-01-01 and writes entries in
        // sorted order, so the same lock and interpreter give a byte-identical PEX (tested).
      ],
      { env: toolEnv(tools), tailLines: 25 },
    );
    await chmod(join(stage, pexName), 0o755);
    for (const binary of binaries) {
      await writeFileAtomically(join(stage, binary), renderWrapper(binary, pexName), 0o755);
      await chmod(join(stage, binary), 0o755);
    }
    await checkScripts(tools, interpreter, join(stage, pexName), binaries);
    // The old tarball goes first, so a tarball that exists always holds what root/ holds.
    await rm(tarball, { force: true });
    await rm(root, { recursive: true, force: true });
    await rename(stage, root);
  } catch (error) {
    await rm(stage, { recursive: true, force: true });
    throw error;
  }

  const pex = join(root, pexName);
  const wrappers = binaries.map((binary) => join(root, binary));
  const archive = await writeTarGz(tarball, [
    { name: pexName, source: { path: pex }, executable: true },
    ...binaries.map((binary) => ({ name: binary, source: { path: join(root, binary) }, executable: true })),
  ]);
  return { tarball: archive.path, sha256: archive.sha256, size: archive.size, pex, wrappers };
}

function checkBinaries(binaries: string[], pexName: string): string[] {
  if (binaries.length === 0) {
    throw new PackyardError('CONFIG_INVALID', 'no binaries to expose', {
      field: 'binaries',
      hint: 'list the console scripts of the package, e.g. ["wait-for-it"]',
    });
  }
  const seen = new Set<string>();
  for (const [index, binary] of binaries.entries()) {
    checkBinaryName(binary, `binaries[${index}]`);
    if (binary === pexName || seen.has(binary)) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `binary ${JSON.stringify(binary)} is listed twice or clashes with ${pexName}`,
        {
          field: `binaries[${index}]`,
          value: binary,
        },
      );
    }
    seen.add(binary);
  }
  return [...binaries];
}

// pex can only resolve for a foreign platform with a --complete-platform description of it; until
// that exists a foreign build would silently produce host wheels under another platform's name.
function checkHostPlatform(platform: Platform): void {
  const host = hostPlatform();
  if (!samePlatform(platform, host)) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `cannot build for ${formatPlatform(platform)} on a ${formatPlatform(host)} host: cross-building is not supported yet`,
      {
        field: 'platform',
        value: formatPlatform(platform),
        hint: `run the build on a ${formatPlatform(platform)} machine`,
      },
    );
  }
}

async function resolveInterpreter(pythonVersion: string, python: string | undefined): Promise<string> {
  if (python === undefined) {
    const found = await findInterpreter(pythonVersion);
    if (found === undefined) {
      throw new PackyardError(
        'TOOL_FAILED',
        `no Python ${pythonVersion} interpreter on PATH to build the PEX with`,
        {
          field: 'python',
          value: pythonVersion,
          hint: `install CPython ${pythonVersion} so that python${pythonVersion} is on PATH, or pass its path as \`python\``,
        },
      );
    }
    return found;
  }
  const info = await readInterpreterInfo(python);
  if (info?.version !== pythonVersion) {
    throw new PackyardError(
      'TOOL_FAILED',
      `${python} is ${info ? `Python ${info.version}` : 'not a working interpreter'}, not Python ${pythonVersion}`,
      {
        field: 'python',
        value: python,
        hint: `pass a CPython ${pythonVersion} interpreter`,
      },
    );
  }
  return info.executable;
}

// A wrapper for a name the PEX has no script for would only fail when a user runs it. In venv mode
// the PEX's scripts are installed into the venv's bin directory, beside sys.executable.
const LIST_SCRIPTS =
  'import os, sys; d = os.path.dirname(sys.executable); print("\\n".join(sorted(os.listdir(d))))';

async function checkScripts(
  tools: Tools,
  interpreter: string,
  pex: string,
  binaries: string[],
): Promise<void> {
  const { stdout } = await runTool(interpreter, [pex, '-c', LIST_SCRIPTS], {
    env: { ...toolEnv(tools), PEX_INTERPRETER: '1', PEX_SCRIPT: undefined, PEX_MODULE: undefined },
  });
  const scripts = new Set(stdout.split('\n').map((line) => line.trim()));
  const missing = binaries.filter((binary) => !scripts.has(binary));
  if (missing.length > 0) {
    const available = [...scripts].filter(
      (name) => name !== '' && !/^(python[\d.]*|activate.*|Activate\.ps1|pex)$/.test(name),
    );
    throw new PackyardError(
      'CONFIG_INVALID',
      `the PEX has no script named ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
      {
        field: 'binaries',
        value: missing,
        hint:
          available.length > 0
            ? `scripts in the PEX: ${available.join(', ')}`
            : 'the package defines no console scripts',
      },
    );
  }
}
