import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeTarGz } from '@packyard/archive';
import {
  PackyardError,
  formatPlatform,
  findHostPlatform,
  isPackyardError,
  removeStaleTemporaries,
  runTool,
  samePlatform,
  writeFileAtomically,
  type Platform,
} from '@packyard/core';
import {
  compatibleTagSet,
  completePlatformFile,
  readCompletePlatform,
  type CompletePlatform,
} from './complete-platform.js';
import { checkPythonVersion, findInterpreter, readInterpreterInfo } from './interpreter.js';
import { checkIndexUrl } from './lock.js';
import { readPexContents, type PexContents } from './pex-contents.js';
import { pexFileName, tarballName } from './platform.js';
import { toolEnv, type Tools } from '@packyard/python-tools';
import { checkBinaryName, renderWrapper } from './wrapper.js';
import { isWheelCompatible, parseWheelFilename } from './wheel.js';

/** What to build: one package version's PEX for one platform, from its lock. */
export interface PexBuildInput {
  package: string;
  version: string;
  /** Console scripts or wheel scripts to expose; each gets a wrapper script of that name. */
  binaries: string[];
  requirementsTxt: string;
  /** `X.Y`, a string. */
  pythonVersion: string;
  indexUrl: string;
  platform: Platform;
  /** Receives `root/` (the archive's contents) and the tarball. */
  outDir: string;
  /** The interpreter a host build uses; default the `pythonX.Y` found on PATH. Unused by cross-builds. */
  python?: string;
  /**
   * Build from the shipped platform description (`--complete-platform`, wheels only) even when
   * `platform` is this machine's. Other platforms are always built that way.
   */
  completePlatform?: boolean;
  /**
   * A PEX already cross-built for another platform with the same `portableKey`
   * (fetchPlatformSupport): it is copied instead of running pex again, then checked against this
   * platform's tags like any cross-build. The result is byte-identical to building it.
   */
  fromPex?: string;
  /**
   * A directory holding every wheel the cross-build may use (fillWheelhouse): pex resolves the lock
   * from it alone (`--find-links`, no index), offline. Cross-builds only; the PEX is byte-identical
   * to one resolved from the index.
   */
  findLinks?: string;
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
 * binary is a script in the PEX. The host platform is built with a real CPython X.Y; any other
 * platform (or the host, with `completePlatform: true`) with pex's `--complete-platform` from the
 * shipped description, from wheels only, and every wheel in the result is checked against its tags.
 */
export async function buildPexBundle(tools: Tools, input: PexBuildInput): Promise<PexBundle> {
  const pythonVersion = checkPythonVersion(input.pythonVersion);
  const indexUrl = checkIndexUrl(input.indexUrl);
  const pexName = pexFileName(input.package, input.platform);
  const binaries = checkBinaries(input.binaries, pexName);
  const target: Target =
    input.completePlatform === true || !isHostPlatform(input.platform)
      ? {
          kind: 'complete-platform',
          file: completePlatformFile(input.platform, pythonVersion),
          description: await readCompletePlatform(input.platform, pythonVersion),
        }
      : { kind: 'interpreter', interpreter: await resolveInterpreter(pythonVersion, input.python) };

  const outDir = resolve(input.outDir);
  const root = join(outDir, BUNDLE_ROOT);
  const tarball = join(outDir, tarballName(input.package, input.platform));
  // Everything is staged in a sibling first, so `root/` is either a previous complete bundle or the new one.
  const stage = join(outDir, `.${BUNDLE_ROOT}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  // A build killed half-way left its stage (and perhaps a half-written tarball): ours to clean.
  await removeStaleTemporaries(outDir);
  await mkdir(stage, { recursive: true });
  try {
    if (input.fromPex !== undefined) {
      if (target.kind !== 'complete-platform') {
        throw new PackyardError('INTERNAL', 'a PEX can be reused only for a cross-build', {
          field: 'fromPex',
          value: input.fromPex,
          hint: 'pass completePlatform: true, or build the host PEX with its interpreter',
        });
      }
      await copyFile(resolve(input.fromPex), join(stage, pexName));
    } else {
      if (input.findLinks !== undefined && target.kind !== 'complete-platform') {
        throw new PackyardError('INTERNAL', 'a wheelhouse is used only for a cross-build', {
          field: 'findLinks',
          value: input.findLinks,
          hint: 'pass completePlatform: true, or build the host PEX from the index',
        });
      }
      await runPex(tools, target, input.platform, [
        '--requirement',
        resolve(input.requirementsTxt),
        // pex's --index-url adds to PyPI; --no-pypi makes the given index the only one, as in the lock.
        '--no-pypi',
        ...(input.findLinks !== undefined
          ? ['--find-links', resolve(input.findLinks)]
          : ['--index-url', indexUrl]),
        '--output-file',
        join(stage, pexName),
        ...targetArgs(target, pythonVersion),
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
        // sorted order, so the same lock and target give a byte-identical PEX (tested).
      ]);
    }
    await chmod(join(stage, pexName), 0o755);
    for (const binary of binaries) {
      await writeFileAtomically(join(stage, binary), renderWrapper(binary, pexName), 0o755);
      await chmod(join(stage, binary), 0o755);
    }
    if (target.kind === 'interpreter') {
      await checkScripts(tools, target.interpreter, join(stage, pexName), binaries);
    } else {
      await checkForeignPex(tools, join(stage, pexName), binaries, input.platform, target.description);
    }
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
      hint: 'list the console scripts or wheel scripts of the package, e.g. ["wait-for-it"]',
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

type Target =
  | { kind: 'interpreter'; interpreter: string }
  | { kind: 'complete-platform'; file: string; description: CompletePlatform };

function targetArgs(target: Target, pythonVersion: string): string[] {
  if (target.kind === 'interpreter') {
    return [
      '--interpreter-constraint',
      `CPython==${pythonVersion}.*`,
      '--python',
      target.interpreter,
      // Only this interpreter: otherwise pex runs every python on PATH to check it against the
      // constraint (through pyenv's shims, over 200 processes and about 10 s per build here). The
      // PEX's bytes are the same either way.
      '--python-path',
      target.interpreter,
    ];
  }
  return [
    // pex resolves for the described platform (its markers and tags) instead of an interpreter's, so
    // no interpreter of the target's version or OS is needed here.
    '--complete-platform',
    target.file,
    // Wheels only: an sdist would be built by this machine's interpreter and compiler, and what it
    // builds into is unknown until then. planPlatformSupport makes the same rule, so a platform it
    // calls buildable builds, and one it does not goes to a native runner.
    '--no-build',
  ];
}

// An unsupported host (say, Windows) builds nothing natively, but can still cross-build.
function isHostPlatform(platform: Platform): boolean {
  const host = findHostPlatform();
  return host !== undefined && samePlatform(platform, host);
}

async function runPex(tools: Tools, target: Target, platform: Platform, args: string[]): Promise<void> {
  try {
    await runTool(tools.pex, args, { env: toolEnv(tools), tailLines: 25 });
  } catch (error) {
    if (!isPackyardError(error, 'TOOL_FAILED') || target.kind !== 'complete-platform') throw error;
    throw new PackyardError('TOOL_FAILED', error.message, {
      value: error.value,
      hint: `a cross-build uses wheels only: fetchPlatformSupport names the requirements without a ${formatPlatform(platform)} wheel; build those on a ${formatPlatform(platform)} runner`,
      cause: error,
    });
  }
}

// The PEX cannot run here, so its scripts are read from its wheels' entry points, and every wheel is
// checked against the platform's tags: pex picking a wheel for another platform would otherwise only
// show when a user runs the PEX.
async function checkForeignPex(
  tools: Tools,
  pex: string,
  binaries: string[],
  platform: Platform,
  description: CompletePlatform,
): Promise<void> {
  const contents = await readPexContents(tools, pex);
  const tags = compatibleTagSet(description);
  const foreign = contents.distributions.filter((name) => {
    const wheel = parseWheelFilename(name);
    return wheel === undefined || !isWheelCompatible(wheel, tags);
  });
  if (foreign.length > 0) {
    throw new PackyardError(
      'VERIFY_FAILED',
      `the ${formatPlatform(platform)} PEX holds wheels for another platform: ${foreign.join(', ')}`,
      { file: pex, value: foreign, hint: 'report this: pex resolved outside the platform description' },
    );
  }
  reportMissingScripts(binaries, contents);
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
// the PEX's scripts (console scripts and wheel scripts alike) are installed into the venv's bin
// directory, beside sys.executable: running it proves they are there on a real interpreter.
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
  const installed = new Set(stdout.split('\n').map((line) => line.trim()));
  if (binaries.every((binary) => installed.has(binary))) return;
  reportMissingScripts(binaries, await readPexContents(tools, pex));
}

/** Refuses binaries that are neither a console script nor a wheel script of the PEX, listing both. */
function reportMissingScripts(binaries: string[], contents: PexContents): void {
  const present = new Set([...contents.scripts, ...contents.wheelScripts]);
  const missing = binaries.filter((binary) => !present.has(binary));
  if (missing.length > 0) {
    const list = (names: string[]) => (names.length > 0 ? names.join(', ') : 'none');
    throw new PackyardError(
      'CONFIG_INVALID',
      `the PEX has no script named ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
      {
        field: 'binaries',
        value: missing,
        hint:
          present.size > 0
            ? `console scripts in the PEX: ${list(contents.scripts)}; wheel scripts: ${list(contents.wheelScripts)}`
            : 'the package defines no console scripts and ships no wheel scripts',
      },
    );
  }
}
