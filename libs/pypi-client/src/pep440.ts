// PEP 440 (https://peps.python.org/pep-0440/) through @renovatebot/pep440. The package is CommonJS,
// so it is imported as a default export: that shape works under tsc NodeNext and ts-jest ESM alike.
import pep440 from '@renovatebot/pep440';
import { PackyardError } from '@packyard/core';

/** True when `v` is a valid PEP 440 version (surrounding whitespace allowed, as the PEP permits). */
export function isValidVersion(v: string): boolean {
  return pep440.valid(v.trim()) !== null;
}

/** Compares two PEP 440 versions: negative, zero or positive; throws on an invalid version. */
export function compareVersions(a: string, b: string): number {
  return pep440.compare(checked(a), checked(b));
}

/** Returns a new array sorted in ascending PEP 440 order; throws on an invalid version. */
export function sortVersions(vs: string[]): string[] {
  for (const v of vs) checked(v);
  return [...vs].sort(compareVersions);
}

/** True for a pre-release or a dev release (PEP 440 excludes both by default); false if invalid. */
export function isPrerelease(v: string): boolean {
  return pep440.explain(v.trim())?.is_prerelease ?? false;
}

/** The PEP 440 normal form (`1.0RC1` → `1.0rc1`, `1.0-1` → `1.0.post1`), or undefined if invalid. */
export function normalizeVersion(v: string): string | undefined {
  const explained = pep440.explain(v.trim());
  if (!explained) return undefined;
  // pep440's own clean() joins local segments with commas, so the local part is added here.
  return explained.local ? `${explained.public}+${explained.local}` : explained.public;
}

function checked(v: string): string {
  const trimmed = v.trim();
  if (pep440.valid(trimmed) === null) {
    throw new PackyardError('INTERNAL', `"${v}" is not a PEP 440 version`, {
      value: v,
      hint: 'check it with isValidVersion() before comparing',
    });
  }
  return trimmed;
}
