import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize } from 'node:path';
import { PackyardError, writeFileAtomically } from '@packyard/core';
import { dirtyTreeError, readChangedFiles } from './git.js';
import { isScalar, parseDocument } from 'yaml';
import { parse as tomlParse } from '@rainbowatcher/toml-edit-js';
import { WHEEL_TARGETS } from './platforms.js';
import { DEFAULT_VERSION_CHECK, versionPattern, type VersionCheck } from './install-test.js';
import {
  captureGroups,
  expectedAt,
  loadToml,
  placeKey,
  readPlace,
  writePlace,
  type Place,
} from './places.js';
import { bumpVersion, parseReleaseVersion, type BumpKind, type ReleaseVersion } from './version.js';

/** The version file's name at the project root. */
export const RELEASE_FILE = 'release.yaml';

/** A parsed `release.yaml`: the one version and every place it must appear. */
export interface ReleaseConfig {
  /** The project root (the directory holding release.yaml); place files are relative to it. */
  root: string;
  version: ReleaseVersion;
  /** The version as release.yaml writes it. */
  written: string;
  places: Place[];
  /** The platform-wheel project (`wheels:`), when release.yaml has one. */
  wheels?: WheelsConfig;
  /** The pure-Python sdist project (`sdist:`), when release.yaml has one. */
  sdist?: SdistConfig;
}

/** release.yaml's `wheels:`: the maturin (`bindings = "bin"`) project and what its wheels hold. */
export interface WheelsConfig {
  /** The project directory, relative to release.yaml. */
  project: string;
  /** Every platform a release has one wheel for (linux-amd64, linux-arm64, darwin-amd64, darwin-arm64). */
  platforms: string[];
  /** The executables each wheel carries in `<name>-<version>.data/scripts/`. */
  binaries: string[];
  /** How the install test checks the binaries' output; false: installed and found, output not checked. */
  versionCheck?: VersionCheck | false;
}

/** release.yaml's `sdist:`: the pure-Python project that pins the wheels' project. */
export interface SdistConfig {
  /** The project directory, relative to release.yaml. */
  project: string;
  /** The module written at build time with the git sha, relative to the project. */
  buildInfo: string;
  /** The console script the install test runs with `--version`. */
  command: string;
  /** How the install test checks the command's output; false: installed and found, output not checked. */
  versionCheck?: VersionCheck | false;
}

/** One place that disagrees with release.yaml (or a tag that does). */
export interface Disagreement {
  file: string;
  key: string;
  found: string;
  expected: string;
}

function invalid(field: string, value: unknown, message: string, hint?: string): PackyardError {
  return new PackyardError('CONFIG_INVALID', message, {
    file: RELEASE_FILE,
    field,
    value: typeof value === 'string' ? value : JSON.stringify(value),
    ...(hint === undefined ? {} : { hint }),
  });
}

const KINDS = ['toml', 'pin', 'python', 'rust', 'nix', 'regex', 'cargo-lock'] as const;

/** Reads and validates `<root>/release.yaml`; CONFIG_MISSING / CONFIG_INVALID naming the key and value. */
export async function readReleaseConfig(root: string): Promise<ReleaseConfig> {
  const path = join(root, RELEASE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PackyardError('CONFIG_MISSING', `cannot read ${path}`, { file: path, cause: error });
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw invalid('', '', `${RELEASE_FILE} is not valid YAML: ${doc.errors[0]!.message}`);
  const data = doc.toJS() as Record<string, unknown> | null;
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw invalid('', data, `${RELEASE_FILE} must be a mapping with version and places`);
  for (const key of Object.keys(data))
    if (!TOP_KEYS.includes(key))
      throw invalid(key, key, `unknown key ${key}`, `keys are ${TOP_KEYS.join(', ')}`);
  if (typeof data['version'] !== 'string')
    throw invalid(
      'version',
      data['version'],
      'version must be a quoted string',
      "write it as version: '0.2.31'",
    );
  const version = parseReleaseVersion(data['version'], { file: RELEASE_FILE, field: 'version' });
  const raw = data['places'];
  if (!Array.isArray(raw) || raw.length === 0)
    throw invalid('places', raw, 'places must be a non-empty list');
  // Every entry and section is checked, so one run names every problem, not just the first.
  const problems: PackyardError[] = [];
  const attempt: Attempt = (parse) => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof PackyardError)) throw error;
      problems.push(error);
      return undefined;
    }
  };
  const places = raw.map((entry: unknown, i) => attempt(() => parsePlace(entry, `places[${i}]`)));
  const wheels =
    data['wheels'] === undefined ? undefined : attempt(() => parseWheels(data['wheels'], attempt));
  const sdist = data['sdist'] === undefined ? undefined : attempt(() => parseSdist(data['sdist'], attempt));
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `${problems.length} problems:\n  ${problems.map(describeProblem).join('\n  ')}`,
      { file: RELEASE_FILE, field: problems[0]!.field, value: problems[0]!.value },
    );
  }
  return {
    root,
    version,
    written: data['version'],
    places: places as Place[],
    ...(wheels === undefined ? {} : { wheels }),
    ...(sdist === undefined ? {} : { sdist }),
  };
}

const TOP_KEYS = ['version', 'places', 'wheels', 'sdist'];

function describeProblem(problem: PackyardError): string {
  const field = problem.field ?? '';
  return field === '' || problem.message.startsWith(field) ? problem.message : `${field}: ${problem.message}`;
}

/** Runs one parse, recording its PackyardError instead of throwing it; undefined when it failed. */
type Attempt = <T>(parse: () => T) => T | undefined;
// A console script or binary name: what a wheel's scripts/ directory or a PATH lookup can hold.
const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function mapping(
  value: unknown,
  field: string,
  keys: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  const all = [...keys, ...optional];
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(field, value, `${field} must be a mapping with ${all.join(', ')}`);
  const entry = value as Record<string, unknown>;
  for (const key of Object.keys(entry))
    if (!all.includes(key))
      throw invalid(`${field}.${key}`, key, `unknown key ${key} in ${field}`, `keys are ${all.join(', ')}`);
  for (const key of keys)
    if (!(key in entry)) throw invalid(`${field}.${key}`, '', `${field}.${key} is missing`);
  return entry;
}

function relativePath(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || value === '' || isAbsolute(value) || normalize(value).startsWith('..'))
    throw invalid(field, value, `${field} must be ${what}`);
  return value;
}

function nameList(value: unknown, field: string, check: (item: string, at: string) => void): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw invalid(field, value, `${field} must be a non-empty list`);
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof item !== 'string' || item === '') throw invalid(at, item, `${at} must be a name`);
    check(item, at);
    if (seen.has(item)) throw invalid(at, item, `${at} repeats ${item}`);
    seen.add(item);
    return item;
  });
}

function parseWheels(value: unknown, attempt: Attempt): WheelsConfig | undefined {
  const e = mapping(value, 'wheels', ['project', 'platforms', 'binaries'], ['version-check']);
  const versionCheck = attempt(() => parseVersionCheck(e['version-check'], 'wheels.version-check'));
  const project = attempt(() =>
    relativePath(e['project'], 'wheels.project', 'a directory inside the project'),
  );
  const platforms = attempt(() =>
    nameList(e['platforms'], 'wheels.platforms', (item, at) => {
      if (!(item in WHEEL_TARGETS))
        throw invalid(
          at,
          item,
          `${at} is not a platform packyard builds`,
          `use ${Object.keys(WHEEL_TARGETS).join(', ')}`,
        );
    }),
  );
  const binaries = attempt(() =>
    nameList(e['binaries'], 'wheels.binaries', (item, at) => {
      if (!COMMAND_NAME.test(item)) throw invalid(at, item, `${at} must be a file name, not a path`);
    }),
  );
  if (project === undefined || platforms === undefined || binaries === undefined) return undefined;
  return { project, platforms, binaries, ...(versionCheck === undefined ? {} : { versionCheck }) };
}

function parseSdist(value: unknown, attempt: Attempt): SdistConfig | undefined {
  const e = mapping(value, 'sdist', ['project', 'build-info', 'command'], ['version-check']);
  const versionCheck = attempt(() => parseVersionCheck(e['version-check'], 'sdist.version-check'));
  const project = attempt(() =>
    relativePath(e['project'], 'sdist.project', 'a directory inside the project'),
  );
  const buildInfo = attempt(() => {
    const path = relativePath(e['build-info'], 'sdist.build-info', 'a .py file inside sdist.project');
    if (!path.endsWith('.py'))
      throw invalid('sdist.build-info', path, 'sdist.build-info must be a .py file inside sdist.project');
    return path;
  });
  const command = attempt(() => {
    const name = e['command'];
    if (typeof name !== 'string' || !COMMAND_NAME.test(name))
      throw invalid('sdist.command', name, 'sdist.command must be the name of a console script');
    return name;
  });
  if (project === undefined || buildInfo === undefined || command === undefined) return undefined;
  return { project, buildInfo, command, ...(versionCheck === undefined ? {} : { versionCheck }) };
}

/** `version-check:` false (install, but check no output), or { args, pattern, exit-codes }, each optional. */
function parseVersionCheck(value: unknown, field: string): VersionCheck | false | undefined {
  if (value === undefined) return undefined;
  if (value === false) return false;
  const e = mapping(value, field, [], ['args', 'pattern', 'exit-codes']);
  const args = e['args'] ?? DEFAULT_VERSION_CHECK.args;
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
    throw invalid(`${field}.args`, args, `${field}.args must be a list of strings`);
  const pattern = e['pattern'] ?? DEFAULT_VERSION_CHECK.pattern;
  if (typeof pattern !== 'string' || pattern === '')
    throw invalid(`${field}.pattern`, pattern, `${field}.pattern must be a regular expression`);
  try {
    versionPattern({ args, pattern, exitCodes: [] }, 'prog', '0.0.0');
  } catch (error) {
    throw invalid(
      `${field}.pattern`,
      pattern,
      `${field}.pattern is not a regular expression: ${(error as Error).message}`,
    );
  }
  const codes = e['exit-codes'] ?? DEFAULT_VERSION_CHECK.exitCodes;
  if (
    !Array.isArray(codes) ||
    codes.length === 0 ||
    codes.some((c) => !Number.isInteger(c) || c < 0 || c > 255)
  )
    throw invalid(
      `${field}.exit-codes`,
      codes,
      `${field}.exit-codes must be a non-empty list of exit codes (0-255)`,
    );
  return { args: args as string[], pattern, exitCodes: codes as number[] };
}

function parsePlace(entry: unknown, field: string): Place {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    throw invalid(
      field,
      entry,
      `${field} must be a mapping such as { file: Cargo.toml, toml: package.version }`,
    );
  const e = entry as Record<string, unknown>;
  const file = e['file'];
  if (typeof file !== 'string' || file === '' || isAbsolute(file) || normalize(file).startsWith('..'))
    throw invalid(`${field}.file`, file, `${field}.file must be a path inside the project`);
  const kinds = KINDS.filter((k) => k in e);
  if (kinds.length !== 1) throw invalid(field, e, `${field} must have exactly one of ${KINDS.join(', ')}`);
  const kind = kinds[0]!;
  for (const key of Object.keys(e))
    if (key !== 'file' && key !== kind && !((kind === 'toml' || kind === 'regex') && key === 'form'))
      throw invalid(`${field}.${key}`, key, `unknown key ${key} in ${field}`);
  const value = e[kind];
  if (kind === 'nix') return { file, nix: parseNixNames(value, `${field}.nix`) };
  if (typeof value !== 'string' || value === '')
    throw invalid(`${field}.${kind}`, value, `${field}.${kind} must be a name`);
  if (kind === 'toml') {
    const form = e['form'] ?? (basename(file) === 'Cargo.toml' ? 'cargo' : 'pep440');
    if (form !== 'cargo' && form !== 'pep440')
      throw invalid(`${field}.form`, form, `${field}.form must be cargo or pep440`);
    return { file, toml: value, form };
  }
  if (kind === 'regex') {
    let groups: number;
    try {
      groups = captureGroups(value);
    } catch (error) {
      throw invalid(
        `${field}.regex`,
        value,
        `${field}.regex is not a regular expression: ${(error as Error).message}`,
      );
    }
    if (groups !== 1)
      throw invalid(
        `${field}.regex`,
        value,
        `${field}.regex must have exactly one capture group (the version), not ${groups}`,
        'make other groups non-capturing: (?:...)',
      );
    const form = e['form'] ?? (file.endsWith('.rs') ? 'cargo' : 'pep440');
    if (form !== 'cargo' && form !== 'pep440')
      throw invalid(`${field}.form`, form, `${field}.form must be cargo or pep440`);
    return { file, regex: value, form };
  }
  if (kind === 'cargo-lock') return { file, cargoLock: value };
  if (kind === 'pin') return { file, pin: value };
  if (kind === 'python') return { file, python: value };
  return { file, rust: value };
}

// A Nix place names 3 attributes (major, minor, patch) or 4 (and the pre-release suffix).
function parseNixNames(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || (value.length !== 3 && value.length !== 4))
    throw invalid(
      field,
      value,
      `${field} must list 3 or 4 attribute names`,
      'write nix: [major, minor, patch, prerelease]',
    );
  return value.map((name: unknown, i) => {
    if (typeof name !== 'string' || !/^[A-Za-z_][\w'-]*$/.test(name))
      throw invalid(`${field}[${i}]`, name, `${field}[${i}] must be a Nix attribute name`);
    return name;
  });
}

/** The version a tag names: `v0.2.31` or `0.2.31` (either spelling); CONFIG_INVALID otherwise. Pure. */
export function versionOfTag(tag: string): ReleaseVersion {
  return parseReleaseVersion(tag.replace(/^refs\/tags\//, '').replace(/^v/, ''), { field: 'tag' });
}

/** One place as found in its file: what release.yaml names, and the value there now. */
export interface PlaceValue {
  place: Place;
  file: string;
  key: string;
  found: string;
}

/** Reads every place's current value (CONFIG_INVALID for a file or place that cannot be read). */
export async function readPlaceValues(config: ReleaseConfig): Promise<PlaceValue[]> {
  await loadToml();
  const out: PlaceValue[] = [];
  for (const place of config.places) {
    const found = readPlace(place, await readPlaceFile(config.root, place));
    out.push({ place, file: place.file, key: placeKey(place), found });
  }
  return out;
}

/**
 * The places whose value is not `version`'s spelling for them, and the tag when it names another
 * version: what `check` reports, `sync` writes and a bump to `version` changes. Pure.
 */
export function planDisagreements(
  values: readonly PlaceValue[],
  version: ReleaseVersion,
  tag?: string,
): Disagreement[] {
  const out: Disagreement[] = [];
  for (const { place, file, key, found } of values) {
    const expected = expectedAt(place, version);
    if (found !== expected) out.push({ file, key, found, expected });
  }
  if (tag !== undefined) {
    let tagged: string;
    try {
      tagged = versionOfTag(tag).pep440;
    } catch {
      tagged = tag;
    }
    if (tagged !== version.pep440)
      out.push({ file: 'tag', key: 'tag', found: tag, expected: `v${version.pep440}` });
  }
  return out;
}

/** Every place (and the tag, if given) that disagrees with release.yaml; empty when all agree. */
export async function findDisagreements(config: ReleaseConfig, tag?: string): Promise<Disagreement[]> {
  return planDisagreements(await readPlaceValues(config), config.version, tag);
}

/** `file: key is "found", release.yaml says "expected"`: one disagreement as check and build name it. Pure. */
export function describeDisagreement(d: Disagreement): string {
  return `${d.file}: ${d.key} is ${JSON.stringify(d.found)}, release.yaml says ${JSON.stringify(d.expected)}`;
}

/** Throws VERIFY_FAILED naming every file, key and value that disagrees with release.yaml (or the tag). */
export async function checkRelease(config: ReleaseConfig, tag?: string): Promise<void> {
  const bad = await findDisagreements(config, tag);
  if (bad.length === 0) return;
  const lines = bad.map(describeDisagreement);
  throw new PackyardError(
    'VERIFY_FAILED',
    `version disagrees with ${RELEASE_FILE}:\n  ${lines.join('\n  ')}`,
    {
      file: bad[0]!.file,
      field: bad[0]!.key,
      value: bad[0]!.found,
      hint: 'run `wheel-release sync` to write the version everywhere',
    },
  );
}

/**
 * Writes the release version into every place. Every file is read and every place checked before the
 * first write, so a broken place leaves all files as they were; each file is written atomically.
 * Returns the files that changed.
 */
export async function syncRelease(config: ReleaseConfig): Promise<string[]> {
  await loadToml();
  const texts = new Map<string, { before: string; after: string }>();
  for (const place of config.places) {
    const current = texts.get(place.file)?.after ?? (await readPlaceFile(config.root, place));
    const expected = expectedAt(place, config.version);
    const after = readPlace(place, current) === expected ? current : writePlace(place, current, expected);
    texts.set(place.file, { before: texts.get(place.file)?.before ?? current, after });
  }
  const changed: string[] = [];
  for (const [file, { before, after }] of texts) {
    if (before === after) continue;
    await writeFileAtomically(join(config.root, file), after);
    changed.push(file);
  }
  return changed;
}

/** Throws CONFLICT when the git work tree at `root` has uncommitted changes (a bump must start clean). */
export async function requireCleanTree(root: string): Promise<void> {
  const files = await readChangedFiles(root, { untracked: false });
  if (files.length > 0)
    throw dirtyTreeError(
      'CONFLICT',
      root,
      files,
      'commit or stash them first, so the bump is one clean commit',
    );
}

/** Bumps the version in release.yaml (comments kept) and syncs it everywhere; refuses a dirty tree. */
export async function bumpRelease(
  root: string,
  kind: BumpKind,
  now: Date = new Date(),
): Promise<{ from: ReleaseVersion; to: ReleaseVersion; changed: string[] }> {
  const config = await readReleaseConfig(root);
  const to = bumpVersion(config.version, kind, now);
  return { from: config.version, to, changed: await writeBump(config, to) };
}

/**
 * Writes a decided bump: every place is read and the tree checked clean (CONFLICT) before the first
 * write, then release.yaml gets `to` (comments kept) and every place is synced. Returns the files
 * written, release.yaml first.
 */
export async function writeBump(config: ReleaseConfig, to: ReleaseVersion): Promise<string[]> {
  await readPlaceValues(config);
  await requireCleanTree(config.root);
  const path = join(config.root, RELEASE_FILE);
  await writeFileAtomically(path, replaceVersionText(await readFile(path, 'utf8'), to.pep440));
  const changed = await syncRelease({ ...config, version: to, written: to.pep440 });
  return [RELEASE_FILE, ...changed];
}

// Only the version scalar's own characters change, so every other line (comments, flow lists, the
// wheels: and sdist: sections) stays exactly as the user wrote it.
function replaceVersionText(text: string, version: string): string {
  const node = parseDocument(text).get('version', true);
  if (!isScalar(node) || node.range === undefined || node.range === null) {
    throw invalid('version', '', 'version must be a quoted string', "write it as version: '0.2.31'");
  }
  const [start, end] = node.range;
  const quote = node.type === 'QUOTE_DOUBLE' ? '"' : "'";
  return `${text.slice(0, start)}${quote}${version}${quote}${text.slice(end)}`;
}

/** The distribution name (`[project].name` of its pyproject.toml) of a project release.yaml names. */
export async function readProjectName(config: ReleaseConfig, section: 'wheels' | 'sdist'): Promise<string> {
  const project = config[section]?.project;
  if (project === undefined)
    throw invalid(section, '', `${RELEASE_FILE} has no ${section}: section`, `add ${section}: with project`);
  const file = join(project, 'pyproject.toml');
  let text: string;
  try {
    text = await readFile(join(config.root, file), 'utf8');
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `cannot read ${file}, the project ${section}.project names`, {
      file: RELEASE_FILE,
      field: `${section}.project`,
      value: project,
      cause: error,
    });
  }
  await loadToml();
  let name: unknown;
  try {
    name = (tomlParse(text) as { project?: { name?: unknown } }).project?.name;
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `${file} is not valid TOML`, { file, cause: error });
  }
  if (typeof name !== 'string' || name === '')
    throw new PackyardError('CONFIG_INVALID', `${file} has no [project] name`, {
      file,
      field: 'project.name',
    });
  return name;
}

async function readPlaceFile(root: string, place: Place): Promise<string> {
  try {
    return await readFile(join(root, place.file), 'utf8');
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `cannot be read (${RELEASE_FILE} names it)`, {
      file: place.file,
      field: placeKey(place),
      cause: error,
    });
  }
}
