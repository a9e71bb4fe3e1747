import { normalizeProjectName } from '@packyard/core';
import { isPep440, normalizeVersion } from './versions.js';

/** A wheel or sdist file name taken apart. */
export interface DistributionFilename {
  filename: string;
  kind: 'wheel' | 'sdist';
  /** The project name as the file name spells it. */
  name: string;
  /** PEP 503 normalised project name: the index directory the file lives under. */
  normalizedName: string;
  /** The version as the file name spells it. */
  version: string;
  /** The PEP 440 normal form of `version`. */
  normalizedVersion: string;
  /** `.whl`, `.tar.gz` or `.zip`. */
  extension: '.whl' | '.tar.gz' | '.zip';
  /** Wheels only: the optional build tag (PEP 427). */
  build?: string;
  /** Wheels only: every `python-abi-platform` tag, compressed tag sets expanded (PEP 425). */
  tags?: string[];
}

// https://packaging.python.org/en/latest/specifications/name-normalization/#name-format
const PROJECT_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
// Everything a wheel or sdist name may hold (PEP 427 escapes the rest to `_`); `!` is a PEP 440
// epoch and `+` a local version. No `/`, `\`, quotes, `<` or spaces, so no name can leave its
// directory or break out of an HTML attribute or a URL path.
const SAFE_FILENAME = /^[A-Za-z0-9][A-Za-z0-9._+!-]*$/;
const TAG_PART = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const BUILD_TAG = /^\d[A-Za-z0-9_.]*$/;

/**
 * Parses a wheel (`name-version(-build)?-python-abi-platform.whl`, PEP 427) or sdist
 * (`name-version.tar.gz`, PEP 625; legacy `.zip`) file name. Undefined when it is not one. Pure.
 */
export function parseDistributionFilename(filename: string): DistributionFilename | undefined {
  const result = explainDistributionFilename(filename);
  return typeof result === 'string' ? undefined : result;
}

/** Like parseDistributionFilename, but says why a name is refused. Pure. */
export function explainDistributionFilename(filename: string): DistributionFilename | string {
  if (filename.length > 255) return 'it is longer than 255 characters';
  if (!SAFE_FILENAME.test(filename)) {
    return 'it has characters a distribution file name cannot hold (only letters, digits and . _ - + ! are allowed, and it must start with a letter or digit)';
  }
  if (filename.endsWith('.whl')) return explainWheel(filename);
  const extension = filename.endsWith('.tar.gz') ? '.tar.gz' : filename.endsWith('.zip') ? '.zip' : undefined;
  if (extension === undefined) {
    return 'it is neither a wheel (.whl) nor an sdist (.tar.gz, or legacy .zip)';
  }
  // packaging.utils.parse_sdist_filename splits at the last dash: a version holds no dash.
  const stem = filename.slice(0, -extension.length);
  const dash = stem.lastIndexOf('-');
  if (dash <= 0) return 'an sdist name is "<name>-<version>.tar.gz" and this one has no "-<version>"';
  const name = stem.slice(0, dash);
  const version = stem.slice(dash + 1);
  const problem = checkNameAndVersion(name, version);
  if (problem !== undefined) return problem;
  return {
    filename,
    kind: 'sdist',
    name,
    normalizedName: normalizeProjectName(name),
    version,
    normalizedVersion: normalizeVersion(version) ?? version,
    extension,
  };
}

function explainWheel(filename: string): DistributionFilename | string {
  // https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention
  const parts = filename.slice(0, -'.whl'.length).split('-');
  if (parts.length !== 5 && parts.length !== 6) {
    return `a wheel name has 5 or 6 dash-separated parts (name-version[-build]-python-abi-platform.whl) and this one has ${parts.length}`;
  }
  const [name, version] = parts as [string, string];
  const problem = checkNameAndVersion(name, version);
  if (problem !== undefined) return problem;
  const build = parts.length === 6 ? parts[2] : undefined;
  if (build !== undefined && !BUILD_TAG.test(build))
    return `its build tag "${build}" does not start with a digit`;
  const [python, abi, platform] = parts.slice(-3) as [string, string, string];
  for (const [what, value] of [
    ['python tag', python],
    ['abi tag', abi],
    ['platform tag', platform],
  ] as const) {
    if (!TAG_PART.test(value)) return `its ${what} "${value}" is not a valid PEP 425 tag`;
  }
  // https://peps.python.org/pep-0425/#compressed-tag-sets
  const tags: string[] = [];
  for (const p of python.toLowerCase().split('.'))
    for (const a of abi.toLowerCase().split('.'))
      for (const plat of platform.toLowerCase().split('.')) tags.push(`${p}-${a}-${plat}`);
  return {
    filename,
    kind: 'wheel',
    name,
    normalizedName: normalizeProjectName(name),
    version,
    normalizedVersion: normalizeVersion(version) ?? version,
    extension: '.whl',
    ...(build === undefined ? {} : { build }),
    tags,
  };
}

function checkNameAndVersion(name: string, version: string): string | undefined {
  if (!PROJECT_NAME.test(name)) return `its project name "${name}" is not a valid project name`;
  if (!isPep440(version)) return `its version "${version}" is not a PEP 440 version`;
  return undefined;
}
