import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackyardError, formatPlatform, type Platform } from '@packyard/core';
import { checkPythonVersion } from './interpreter.js';

/**
 * What pex's `--complete-platform` takes (and `pex3 interpreter inspect --markers --tags` prints): a
 * target's PEP 508 marker environment and its PEP 425 tags, most preferred first.
 */
export interface CompletePlatform {
  marker_environment: Record<string, string>;
  compatible_tags: string[];
}

/** The CPython minor versions with a shipped description for every platform. */
export const COMPLETE_PLATFORM_PYTHONS: readonly string[] = Object.freeze([
  '3.9',
  '3.10',
  '3.11',
  '3.12',
  '3.13',
  '3.14',
]);

/** The directory of the shipped descriptions (`platforms/` in this package, beside `dist/` and `src/`). */
export const COMPLETE_PLATFORMS_DIR: string = fileURLToPath(new URL('../platforms/', import.meta.url));

/** `<os>-<arch>-py<X.Y>.json`: the shipped description's file name. Pure. */
export function completePlatformFileName(platform: Platform, pythonVersion: string): string {
  return `${formatPlatform(platform)}-py${checkPythonVersion(pythonVersion)}.json`;
}

/** Path of the shipped description of `platform` with CPython `pythonVersion`; CONFIG_INVALID for an unshipped version. */
export function completePlatformFile(
  platform: Platform,
  pythonVersion: string,
  dir: string = COMPLETE_PLATFORMS_DIR,
): string {
  const name = completePlatformFileName(platform, pythonVersion);
  if (!COMPLETE_PLATFORM_PYTHONS.includes(pythonVersion)) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `no platform description for Python ${pythonVersion}: ${formatPlatform(platform)} cannot be built from this machine`,
      {
        field: 'python',
        value: pythonVersion,
        hint: `cross-builds target CPython ${COMPLETE_PLATFORM_PYTHONS.join(', ')}; build on a ${formatPlatform(platform)} machine otherwise`,
      },
    );
  }
  return join(dir, name);
}

// The PEP 508 environment marker names (https://peps.python.org/pep-0508/#environment-markers); pex
// refuses any other key.
const MARKER_NAMES = new Set([
  'implementation_name',
  'implementation_version',
  'os_name',
  'platform_machine',
  'platform_python_implementation',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_full_version',
  'python_version',
  'sys_platform',
]);

/** Checks the shape pex expects and returns the description; CONFIG_INVALID (naming `file`) otherwise. Pure. */
export function parseCompletePlatform(text: string, file?: string): CompletePlatform {
  const invalid = (why: string): PackyardError =>
    new PackyardError('CONFIG_INVALID', `not a pex complete platform: ${why}`, {
      file,
      hint: 'regenerate it with scripts/generate-complete-platforms.py',
    });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalid(`not JSON (${(error as Error).message})`);
  }
  if (typeof data !== 'object' || data === null) throw invalid('not a JSON object');
  const { marker_environment: env, compatible_tags: tags } = data as Record<string, unknown>;
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw invalid('marker_environment is not an object');
  }
  for (const [key, value] of Object.entries(env)) {
    if (!MARKER_NAMES.has(key)) throw invalid(`${key} is not a PEP 508 marker name`);
    if (typeof value !== 'string') throw invalid(`marker_environment.${key} is not a string`);
  }
  if (!Array.isArray(tags) || tags.length === 0 || tags.some((t) => typeof t !== 'string')) {
    throw invalid('compatible_tags is not a non-empty list of strings');
  }
  return {
    marker_environment: { ...(env as Record<string, string>) },
    compatible_tags: [...(tags as string[])],
  };
}

/** Reads and checks the shipped description of `platform` with CPython `pythonVersion`. */
export async function readCompletePlatform(
  platform: Platform,
  pythonVersion: string,
  dir: string = COMPLETE_PLATFORMS_DIR,
): Promise<CompletePlatform> {
  const file = completePlatformFile(platform, pythonVersion, dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `cannot read platform description ${file}`, {
      file,
      hint: 'the package ships platforms/; regenerate it with scripts/generate-complete-platforms.py',
      cause: error,
    });
  }
  return parseCompletePlatform(text, file);
}

/** The description's tags as a lower-case set, for wheel compatibility checks. Pure. */
export function compatibleTagSet(completePlatform: CompletePlatform): Set<string> {
  return new Set(completePlatform.compatible_tags.map((tag) => tag.toLowerCase()));
}
