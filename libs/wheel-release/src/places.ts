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
  | { file: string; rust: string };

let tomlReady: Promise<unknown> | undefined;
/** Loads the toml_edit WebAssembly module once. */
export async function loadToml(): Promise<void> {
  tomlReady ??= initToml();
  await tomlReady;
}

/** The key as release.yaml names it, for messages. Pure. */
export function placeKey(place: Place): string {
  if ('toml' in place) return place.toml;
  if ('pin' in place) return `project.dependencies[${place.pin}]`;
  if ('python' in place) return place.python;
  return place.rust;
}

/** The version string this place should hold for `version`. Pure. */
export function expectedAt(place: Place, version: ReleaseVersion): string {
  if ('toml' in place) return place.form === 'cargo' ? version.cargo : version.pep440;
  if ('pin' in place) return `${place.pin}==${version.pep440}`;
  return 'rust' in place ? version.cargo : version.pep440;
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

function missing(place: Place, why: string): PackyardError {
  return new PackyardError('CONFIG_INVALID', `${place.file}: ${placeKey(place)} ${why}`, {
    file: place.file,
    field: placeKey(place),
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
  if ('pin' in place) {
    const deps = tomlAt(text, 'project.dependencies', place.file);
    if (!Array.isArray(deps)) throw missing(place, 'has no [project].dependencies array');
    const found = pinIndex(deps, place.pin);
    if (found === undefined) throw missing(place, `has no dependency on ${place.pin}`);
    const written = String(deps[found]);
    const pinned = /==\s*([^\s;,]+)/.exec(written);
    return pinned === null ? written.trim() : `${place.pin}==${pinned[1]}`;
  }
  const m = lineRegex(place).exec(text);
  if (m === null) throw missing(place, 'is not defined as a string literal on one line');
  return m[3]!;
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
