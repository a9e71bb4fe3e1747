import { PackyardError } from '@packyard/core';
import { valid as pep440Valid } from '@renovatebot/pep440';
import semver from 'semver';

/** One release version in both spellings: PEP 440 for Python files, Cargo semver for Rust ones. */
export interface ReleaseVersion {
  /** `0.2.31`, `0.2.31rc1`, `0.2.31.dev202612011830` */
  pep440: string;
  /** `0.2.31`, `0.2.31-rc1`, `0.2.31-dev202612011830` */
  cargo: string;
}

// The versions packyard releases: X.Y.Z, optionally one pre-release (aN, bN, rcN) or one .devN.
// Both spellings map one to one, so either can be read back into the other.
const PEP440 = /^(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+)|\.dev(\d+))?$/;
const CARGO = /^(\d+)\.(\d+)\.(\d+)(?:-(a|b|rc)(\d+)|-dev(\d+))?$/;

/** Which kind of bump: the next patch, minor or major release, or a `.dev<UTC timestamp>` pre-release. */
export type BumpKind = 'patch' | 'minor' | 'major' | 'pre';

/**
 * Reads a version written in either spelling and returns both; CONFIG_INVALID (naming `where` and the
 * value) unless it is valid PEP 440 and valid Cargo semver of the shape above. Pure.
 */
export function parseReleaseVersion(
  text: string,
  where: { file?: string; field?: string } = {},
): ReleaseVersion {
  const value = typeof text === 'string' ? text.trim() : String(text);
  const m = PEP440.exec(value) ?? CARGO.exec(value);
  const bad = (why: string): PackyardError =>
    new PackyardError('CONFIG_INVALID', `version ${JSON.stringify(value)} ${why}`, {
      ...where,
      value,
      hint: 'write X.Y.Z, X.Y.ZrcN (Cargo X.Y.Z-rcN) or X.Y.Z.devN (Cargo X.Y.Z-devN)',
    });
  if (typeof text !== 'string' || m === null) throw bad('is not a PEP 440 / Cargo semver release version');
  const [, major, minor, patch, pre, preN, dev] = m;
  const core = `${Number(major)}.${Number(minor)}.${Number(patch)}`;
  if (core !== `${major}.${minor}.${patch}`) throw bad('has a leading zero');
  const pep440 = pre !== undefined ? `${core}${pre}${preN}` : dev !== undefined ? `${core}.dev${dev}` : core;
  const cargo = pre !== undefined ? `${core}-${pre}${preN}` : dev !== undefined ? `${core}-dev${dev}` : core;
  if (pep440Valid(pep440) === null) throw bad('is not valid PEP 440');
  if (semver.valid(cargo) === null) throw bad('is not valid Cargo semver');
  return { pep440, cargo };
}

/** `yyyymmddHHMM` in UTC, the `.dev` number of a pre-release. Pure. */
export function devStamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 12);
}

/**
 * The version after `kind`: patch/minor/major release the next one (a pre-release of X.Y.Z is released
 * as X.Y.Z by `patch`); `pre` gives `<next patch>.dev<stamp>`, or a fresh stamp on the same base when
 * the current version already is a pre-release. Pure.
 */
export function bumpVersion(current: ReleaseVersion, kind: BumpKind, now: Date = new Date()): ReleaseVersion {
  const m = PEP440.exec(current.pep440);
  if (m === null) throw parseReleaseVersion(current.pep440);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const isPre = m[4] !== undefined || m[6] !== undefined;
  switch (kind) {
    case 'patch':
      return parseReleaseVersion(isPre ? `${major}.${minor}.${patch}` : `${major}.${minor}.${patch + 1}`);
    case 'minor':
      return parseReleaseVersion(`${major}.${minor + 1}.0`);
    case 'major':
      return parseReleaseVersion(`${major + 1}.0.0`);
    case 'pre': {
      const base = isPre ? `${major}.${minor}.${patch}` : `${major}.${minor}.${patch + 1}`;
      return parseReleaseVersion(`${base}.dev${devStamp(now)}`);
    }
    default:
      throw new PackyardError('CONFIG_INVALID', `unknown bump ${JSON.stringify(kind)}`, {
        field: 'bump',
        value: String(kind),
        hint: 'use --patch, --minor, --major or --pre',
      });
  }
}
