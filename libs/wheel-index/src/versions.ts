// PEP 440 (https://peps.python.org/pep-0440/) through @renovatebot/pep440. Building an index sorts
// every project's files, so versions are parsed once and compared as parsed keys: pep440.compare
// re-parses both strings on every call, which dominated a 100,000-file build.
import pep440 from '@renovatebot/pep440';

interface ParsedVersion {
  epoch: number;
  release: number[];
  pre: [string, number] | null;
  post: [string, number] | null;
  dev: [string, number] | null;
  local: (number | string)[] | null;
}

const parsedCache = new Map<string, ParsedVersion | null>();

function parsed(version: string): ParsedVersion | null {
  let hit = parsedCache.get(version);
  if (hit === undefined) {
    hit = (pep440.parse(version.trim()) as ParsedVersion | null) ?? null;
    // Bounded so a long-running server that indexes many projects does not grow without end.
    if (parsedCache.size > 100_000) parsedCache.clear();
    parsedCache.set(version, hit);
  }
  return hit;
}

/** True when `version` is a valid PEP 440 version. Pure. */
export function isPep440(version: string): boolean {
  return parsed(version) !== null;
}

const normalCache = new Map<string, string | undefined>();

/** The PEP 440 normal form (`1.0RC1` → `1.0rc1`), or undefined when invalid. Pure. */
export function normalizeVersion(version: string): string | undefined {
  if (normalCache.has(version)) return normalCache.get(version);
  const explained = pep440.explain(version.trim());
  const normal = explained
    ? explained.local
      ? `${explained.public}+${explained.local}`
      : explained.public
    : undefined;
  if (normalCache.size > 100_000) normalCache.clear();
  normalCache.set(version, normal);
  return normal;
}

/**
 * Compares two valid PEP 440 versions as packaging's `Version` does (its `_cmpkey`): release with
 * trailing zeros ignored, dev releases before pre-releases, post releases after, local versions
 * after the public one with numeric segments above alphanumeric ones. Invalid versions sort first.
 */
export function compareVersionStrings(a: string, b: string): number {
  if (a === b) return 0;
  const pa = parsed(a);
  const pb = parsed(b);
  if (pa === null || pb === null) return pa === pb ? 0 : pa === null ? -1 : 1;
  return compareParsed(pa, pb);
}

function compareParsed(a: ParsedVersion, b: ParsedVersion): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  const release = compareRelease(a.release, b.release);
  if (release !== 0) return release;
  const pre = compareKey(preKey(a), preKey(b));
  if (pre !== 0) return pre;
  const post = compareKey(a.post === null ? NEG : a.post[1], b.post === null ? NEG : b.post[1]);
  if (post !== 0) return post;
  const dev = compareKey(a.dev === null ? POS : a.dev[1], b.dev === null ? POS : b.dev[1]);
  if (dev !== 0) return dev;
  return compareLocal(a.local, b.local);
}

const NEG = Number.NEGATIVE_INFINITY;
const POS = Number.POSITIVE_INFINITY;

function compareRelease(a: number[], b: number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// A dev release of a final version (1.0.dev1) sorts before its pre-releases; a final one after.
function preKey(v: ParsedVersion): number | [string, number] {
  if (v.pre === null && v.post === null && v.dev !== null) return NEG;
  return v.pre ?? POS;
}

function compareKey(a: number | [string, number], b: number | [string, number]): number {
  if (typeof a === 'number' || typeof b === 'number') {
    const x = typeof a === 'number' ? a : 0;
    const y = typeof b === 'number' ? b : 0;
    // A letter tuple sits between the infinities.
    if (typeof a !== 'number') return y === NEG ? 1 : -1;
    if (typeof b !== 'number') return x === NEG ? -1 : 1;
    return x === y ? 0 : x < y ? -1 : 1;
  }
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] - b[1];
}

function compareLocal(a: (number | string)[] | null, b: (number | string)[] | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a[i] as number | string;
    const y = b[i] as number | string;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x - y;
    } else if (typeof x === 'number') {
      return 1;
    } else if (typeof y === 'number') {
      return -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/** True for a PEP 440 pre-release or development release (`1.0rc1`, `1.0.dev2`). Pure. */
export function isPrerelease(version: string): boolean {
  const p = parsed(version);
  return p !== null && (p.pre !== null || p.dev !== null);
}
