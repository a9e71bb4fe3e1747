import initToml, { edit as tomlEdit, parse as tomlParse } from '@rainbowatcher/toml-edit-js';
import { PackyardError } from '@packyard/core';
import type { ReleaseVersion } from './version.js';

/** Where a version is written, as `release.yaml` lists it. */
export type Place =
  /** A TOML string at a dotted key, e.g. `package.version` in Cargo.toml or `project.version`. */
  | { file: string; toml: string; form: 'pep440' | 'cargo' }
  /** A `name==X` pin in `[project].dependencies` of a pyproject. */
  | { file: string; pin: string }
  /** A line `NAME = "X"` in a Python file (e.g. `__version__`). */
  | { file: string; python: string }
  /** A line `[pub] const NAME: &str = "X";` in a Rust file. */
  | { file: string; rust: string }
  /**
   * A Nix attribute set holding the version in parts, as `major = 0; minor = 2; patch = 30;
   * prerelease = "";` (names as release.yaml lists them, in that order; the fourth, optional, holds
   * Cargo's pre-release suffix: `rc1`, `dev202612011830`, or `""` for a release).
   */
  | { file: string; nix: readonly string[] }
  /** Every match of a regular expression with one capture group: the version inside code or text. */
  | { file: string; regex: string; form: 'pep440' | 'cargo' }
  /** The `version` of the package NAME in a Cargo.lock (a workspace member: an entry with no `source`). */
  | { file: string; cargoLock: string };

let tomlReady: Promise<unknown> | undefined;
/** Loads the toml_edit WebAssembly module once. */
export async function loadToml(): Promise<void> {
  tomlReady ??= initToml();
  await tomlReady;
}

/** The key as release.yaml names it, for messages. Pure. */
export function placeKey(place: Place): string {
  if ('toml' in place) return place.toml;
  if ('nix' in place) return place.nix.join(', ');
  if ('regex' in place) return place.regex;
  if ('cargoLock' in place) return place.cargoLock;
  if ('pin' in place) return `project.dependencies[${place.pin}]`;
  if ('python' in place) return place.python;
  return place.rust;
}

/** The version string this place should hold for `version`. Pure. */
export function expectedAt(place: Place, version: ReleaseVersion): string {
  if ('toml' in place) return place.form === 'cargo' ? version.cargo : version.pep440;
  if ('pin' in place) return `${place.pin}==${version.pep440}`;
  if ('regex' in place) return place.form === 'cargo' ? version.cargo : version.pep440;
  return 'python' in place ? version.pep440 : version.cargo;
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function tomlAt(text: string, dotted: string, file: string): unknown {
  let node: unknown;
  try {
    node = tomlParse(text);
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `${file} is not valid TOML: ${String(error)}`, {
      file,
      cause: error,
    });
  }
  for (const part of dotted.split('.')) {
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node;
}

function lineRegex(place: Place): RegExp {
  if ('python' in place) {
    const name = place.python.replace(/[^\w]/g, '');
    return new RegExp(`^(${name}\\s*(?::\\s*str\\s*)?=\\s*)(["'])([^"'\\n]*)\\2`, 'm');
  }
  const name = (place as { rust: string }).rust.replace(/[^\w]/g, '');
  return new RegExp(
    `^(\\s*(?:pub(?:\\([^)]*\\))?\\s+)?const\\s+${name}\\s*:\\s*&(?:'static\\s+)?str\\s*=\\s*)(")([^"\\n]*)"`,
    'm',
  );
}

function missing(place: Place, why: string, key: string = placeKey(place)): PackyardError {
  return new PackyardError('CONFIG_INVALID', why, {
    file: place.file,
    field: key,
    hint: 'fix release.yaml or add the version to that file',
  });
}

/** What the file holds at this place (the whole pin `name==X` for a pin). Pure. */
export function readPlace(place: Place, text: string): string {
  if ('toml' in place) {
    const value = tomlAt(text, place.toml, place.file);
    if (typeof value !== 'string') throw missing(place, 'is not a string in this file');
    return value;
  }
  if ('nix' in place) return readNix(place, text).value;
  if ('regex' in place) {
    const found = [...new Set(regexMatches(place, text).map((m) => m.value))];
    if (found.length === 0) throw missing(place, 'matches nothing in this file');
    // Two different strings at one place: shown as both, so check reports the disagreement.
    return found.join(' / ');
  }
  if ('cargoLock' in place) {
    const { value } = cargoLockEntry(place, text);
    return value;
  }
  if ('pin' in place) {
    const deps = tomlAt(text, 'project.dependencies', place.file);
    if (!Array.isArray(deps)) throw missing(place, 'is not an array in this file', 'project.dependencies');
    const found = pinIndex(deps, place.pin);
    if (found === undefined)
      throw missing(place, `has no dependency on ${place.pin}`, 'project.dependencies');
    const written = String(deps[found]);
    const pinned = /==\s*([^\s;,]+)/.exec(written);
    return pinned === null ? written.trim() : `${place.pin}==${pinned[1]}`;
  }
  const m = lineRegex(place).exec(text);
  if (m === null) throw missing(place, 'is not defined as a string literal on one line');
  return m[3]!;
}

type NixPlace = Extract<Place, { nix: readonly string[] }>;

function nixRegex(name: string, quoted: boolean): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(\\s*${escaped}\\s*=\\s*)${quoted ? '"([^"\\n]*)"' : '(\\d+)'}(\\s*;)`, 'm');
}

/** The parts of a Nix place as the file holds them, and the version they spell (Cargo form). */
function readNix(place: NixPlace, text: string): { value: string } {
  const parts = place.nix.map((name, i) => {
    const m = nixRegex(name, i === 3).exec(text);
    if (m === null)
      throw missing(
        place,
        `is not defined in this file (expected ${i === 3 ? `${name} = "";` : `${name} = <number>;`})`,
        name,
      );
    return m[2]!;
  });
  const [major, minor, patch, pre] = parts;
  return { value: `${major}.${minor}.${patch}${pre ? `-${pre}` : ''}` };
}

function writeNix(place: NixPlace, text: string, value: string): string {
  readNix(place, text);
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-(.+))?$/.exec(value);
  const parts = m === null ? [] : [m[1]!, m[2]!, m[3]!, m[4] ?? ''];
  if (m === null || (place.nix.length < 4 && parts[3] !== ''))
    throw missing(
      place,
      `cannot hold ${value}: a pre-release needs a fourth attribute (e.g. prerelease) in release.yaml's nix list`,
      place.nix.join(', '),
    );
  return place.nix.reduce(
    (out, name, i) =>
      out.replace(nixRegex(name, i === 3), (_all, head: string, _old: string, tail: string) =>
        i === 3 ? `${head}"${parts[i]}"${tail}` : `${head}${parts[i]}${tail}`,
      ),
    text,
  );
}

type RegexPlace = Extract<Place, { regex: string }>;

/** Every match of a regex place: where its capture group starts and ends, and what it holds. */
function regexMatches(place: RegexPlace, text: string): { start: number; end: number; value: string }[] {
  const re = new RegExp(place.regex, 'gmd');
  return [...text.matchAll(re)]
    .filter((m) => m.indices?.[1] !== undefined)
    .map((m) => ({ start: m.indices![1]![0], end: m.indices![1]![1], value: m[1]! }));
}

/** The number of capture groups a regular expression has; throws on a pattern that does not compile. */
export function captureGroups(pattern: string): number {
  return new RegExp(`${pattern}|`).exec('')!.length - 1;
}

type LockPlace = Extract<Place, { cargoLock: string }>;

function cargoLockEntry(place: LockPlace, text: string): { index: number; value: string } {
  const packages = tomlAt(text, 'package', place.file);
  const list = Array.isArray(packages) ? (packages as Record<string, unknown>[]) : [];
  // A workspace member's own entry has no `source`; a registry or git dependency of the same name has one.
  const index = list.findIndex((p) => p['name'] === place.cargoLock && p['source'] === undefined);
  if (index === -1)
    throw missing(place, 'has no [[package]] entry of its own (one without source) in this file');
  const value = list[index]!['version'];
  if (typeof value !== 'string') throw missing(place, 'has no version string in this file');
  return { index, value };
}

function pinIndex(deps: unknown[], name: string): number | undefined {
  const want = normalizeName(name);
  const i = deps.findIndex(
    (dep) =>
      typeof dep === 'string' &&
      normalizeName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(dep)?.[1] ?? '') === want,
  );
  return i === -1 ? undefined : i;
}

/** The file's text with this place set to `value`, everything else (comments, layout) unchanged. Pure. */
export function writePlace(place: Place, text: string, value: string): string {
  if ('nix' in place) return writeNix(place, text, value);
  if ('regex' in place) {
    const matches = regexMatches(place, text);
    if (matches.length === 0) throw missing(place, 'matches nothing in this file');
    let out = text;
    for (const m of [...matches].reverse()) out = `${out.slice(0, m.start)}${value}${out.slice(m.end)}`;
    return out;
  }
  if ('cargoLock' in place) {
    const { index } = cargoLockEntry(place, text);
    return tomlEdit(text, `package.[${index}].version`, value, { finalNewline: text.endsWith('\n') });
  }
  if ('toml' in place) {
    readPlace(place, text);
    return tomlEdit(text, place.toml, value, { finalNewline: text.endsWith('\n') });
  }
  if ('pin' in place) {
    const deps = tomlAt(text, 'project.dependencies', place.file) as unknown[];
    readPlace(place, text);
    const i = pinIndex(deps, place.pin)!;
    const old = String(deps[i]);
    const version = value.slice(place.pin.length + 2);
    // Only the version changes: the name as written, extras and markers stay.
    const pinned = /==\s*[^\s;,]+/.exec(old);
    const next =
      pinned === null
        ? `${value}${old.replace(/^\s*[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?[^;]*/, '')}`
        : old.replace(/(==\s*)[^\s;,]+/, (_all, eq: string) => `${eq}${version}`);
    return tomlEdit(text, `project.dependencies.[${i}]`, next, { finalNewline: text.endsWith('\n') });
  }
  const re = lineRegex(place);
  if (!re.test(text)) readPlace(place, text);
  return text.replace(re, (_all, head: string, quote: string) => `${head}${quote}${value}${quote}`);
}
