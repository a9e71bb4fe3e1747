import { normalizeProjectName } from '@packyard/core';
import { normalizeVersion } from './pep440.js';

// The archive suffixes pip accepts for a source distribution (pip's SUPPORTED_EXTENSIONS minus .whl).
const SDIST_SUFFIXES = [
  '.tar.gz',
  '.tgz',
  '.tar.bz2',
  '.tbz',
  '.tar.xz',
  '.txz',
  '.tlz',
  '.tar.lz',
  '.tar.lzma',
  '.tar',
  '.zip',
];

/**
 * The normalised PEP 440 version in a wheel (PEP 427) or sdist filename of project `normalizedName`,
 * or undefined when the file is not one, belongs to another project, or its version is not PEP 440.
 */
export function versionFromFilename(filename: string, normalizedName: string): string | undefined {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.whl')) {
    // https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention
    const parts = filename.slice(0, -'.whl'.length).split('-');
    if (parts.length !== 5 && parts.length !== 6) return undefined;
    const [name, version] = parts;
    if (name === undefined || version === undefined) return undefined;
    if (normalizeProjectName(name) !== normalizedName) return undefined;
    return normalizeVersion(version);
  }
  const suffix = SDIST_SUFFIXES.find((s) => lower.endsWith(s));
  if (suffix === undefined) return undefined;
  return versionFromSdistStem(filename.slice(0, -suffix.length), normalizedName);
}

/**
 * Legacy sdist names are `<name>-<version>` where both halves may hold dashes, so (like pip's
 * `_find_name_version_sep`) the split is the dash whose left side normalises to the project name.
 */
function versionFromSdistStem(stem: string, normalizedName: string): string | undefined {
  for (let i = stem.indexOf('-'); i !== -1; i = stem.indexOf('-', i + 1)) {
    if (normalizeProjectName(stem.slice(0, i)) === normalizedName) return normalizeVersion(stem.slice(i + 1));
  }
  return undefined;
}

/** Every candidate version split of an sdist stem, for matching against PEP 700 `versions`. */
export function sdistVersionCandidates(filename: string): string[] {
  const lower = filename.toLowerCase();
  const suffix = SDIST_SUFFIXES.find((s) => lower.endsWith(s));
  if (suffix === undefined) return [];
  const stem = filename.slice(0, -suffix.length);
  const out: string[] = [];
  for (let i = stem.indexOf('-'); i !== -1; i = stem.indexOf('-', i + 1)) {
    const v = normalizeVersion(stem.slice(i + 1));
    if (v !== undefined) out.push(v);
  }
  return out;
}
