import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PackyardError, writeFileAtomically, forEachConcurrent, normalizeProjectName } from '@packyard/core';
import {
  BROWSE_DIR,
  BROWSE_STATE,
  parseBrowseState,
  readPageSettings,
  renderBrowseProjectHtml,
  renderBrowseRootFromState,
  renderBrowseState,
  summarizeProject,
  type ProjectSummary,
} from './browse.js';
import { explainDistributionFilename, type DistributionFilename } from './filename.js';
import { formatUploadTime, replaceDirectory, withIndexLock, writeTreeFile } from './fs-util.js';
import {
  renderProjectHtml,
  renderProjectJson,
  renderRootHtml,
  renderRootJson,
  sortIndexEntries,
} from './render.js';
import type { IndexEntry, ProjectPage } from './types.js';

/**
 * One line of a dumb-pypi package list (`--package-list-json`): the file lives elsewhere, at
 * `<packagesUrl>/<filename>`. Field names are dumb-pypi's; `size` is packyard's addition (PEP 700).
 */
export interface PackageListEntry {
  filename: string;
  /** `<hashname>=<hex>`, e.g. `sha256=…`. */
  hash?: string;
  requires_python?: string;
  /** The data-core-metadata value: `true` or `<hashname>=<hex>` of `<packagesUrl>/<filename>.metadata`. */
  core_metadata?: string;
  upload_timestamp?: number;
  uploaded_by?: string;
  /** Non-empty: the file is yanked with this reason (an empty one means not yanked, as in dumb-pypi). */
  yanked_reason?: string;
  requires_dist?: string[];
  size?: number;
}

/** Options of writeIndexFromPackageList. */
export interface PackageListIndexOptions {
  /** Base URL of the files, absolute or relative to a project page (dumb-pypi's `--packages-url`). */
  packagesUrl: string;
  /** Rebuild every page even when the previous build's state says it is current. */
  full?: boolean;
  /** Called after each project's pages are written (`done` of `total` being written), for progress. */
  onProgress?: (project: string, done: number, total: number) => void;
}

/** What writeIndexFromPackageList wrote. */
export interface PackageListIndexResult {
  /** Every project in the list, normalised and sorted. */
  projects: string[];
  files: number;
  /** Projects whose pages were (re)written. */
  written: string[];
  /** Projects no longer in the list whose pages were removed. */
  removed: string[];
  /** Whether the whole `simple/` tree was rebuilt (first build, `full`, or changed settings). */
  full: boolean;
}

const STRING_FIELDS = [
  'filename',
  'hash',
  'requires_python',
  'core_metadata',
  'uploaded_by',
  'yanked_reason',
] as const;
const KNOWN_FIELDS = new Set<string>([...STRING_FIELDS, 'upload_timestamp', 'requires_dist', 'size']);
const HASH = /^([a-z0-9_]+)=([0-9a-fA-F]+)$/;

interface ListLine {
  entry: PackageListEntry;
  parsed: DistributionFilename;
  /** The line as written (trimmed): what a project's digest is taken over. */
  raw: string;
}

/**
 * Parses a JSON-lines package list in dumb-pypi's format, one object per line (blank lines
 * skipped). Every problem is an error naming the line, the field and the value: a list with one
 * bad line builds nothing, where dumb-pypi would skip the line. Pure.
 */
export function parsePackageList(text: string, source = 'package list'): PackageListEntry[] {
  return readLines(text, source).map((line) => line.entry);
}

function readLines(text: string, source: string): ListLine[] {
  const out: ListLine[] = [];
  const seen = new Map<string, string>();
  for (const { raw, lineNumber } of nonEmptyLines(text)) {
    const where = `${source}:${lineNumber}`;
    const line = parseLine(raw, where);
    const twin = seen.get(line.entry.filename);
    if (twin !== undefined) {
      if (twin === raw) continue;
      throw invalid(where, 'filename', line.entry.filename, 'is listed twice with different fields');
    }
    seen.set(line.entry.filename, raw);
    out.push(line);
  }
  return out;
}

function parseLine(line: string, where: string): ListLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `${where}: the line is not JSON: ${(error as Error).message}`, {
      file: where,
      value: line.length > 200 ? `${line.slice(0, 200)}…` : line,
      hint: 'each line of a package list is one JSON object, e.g. {"filename": "six-1.17.0-py2.py3-none-any.whl"}',
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where, undefined, line, 'is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN_FIELDS.has(key)) {
      throw invalid(
        where,
        key,
        record[key],
        `is not a package list field (known: ${[...KNOWN_FIELDS].join(', ')})`,
      );
    }
  }
  for (const key of STRING_FIELDS) {
    const v = record[key];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw invalid(where, key, v, 'must be a string');
  }
  const filename = record['filename'];
  if (typeof filename !== 'string') throw invalid(where, 'filename', filename, 'is missing');
  const parsed = explainDistributionFilename(filename);
  if (typeof parsed === 'string')
    throw invalid(where, 'filename', filename, `is not a distribution file name: ${parsed}`);
  const entry: PackageListEntry = { filename };
  const hash = record['hash'];
  if (typeof hash === 'string') {
    if (!HASH.test(hash))
      throw invalid(where, 'hash', hash, 'must be "<hashname>=<hex digest>", e.g. "sha256=…"');
    entry.hash = hash;
  }
  const requiresPython = record['requires_python'];
  if (typeof requiresPython === 'string' && requiresPython !== '') entry.requires_python = requiresPython;
  const coreMetadata = record['core_metadata'];
  if (typeof coreMetadata === 'string' && coreMetadata !== '') {
    if (coreMetadata !== 'true' && !HASH.test(coreMetadata)) {
      throw invalid(
        where,
        'core_metadata',
        coreMetadata,
        'must be "true" or "<hashname>=<hex digest>" (PEP 714)',
      );
    }
    entry.core_metadata = coreMetadata;
  }
  const timestamp = record['upload_timestamp'];
  if (timestamp !== undefined && timestamp !== null) {
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
      throw invalid(where, 'upload_timestamp', timestamp, 'must be seconds since the Unix epoch');
    }
    entry.upload_timestamp = timestamp;
  }
  const uploadedBy = record['uploaded_by'];
  if (typeof uploadedBy === 'string') entry.uploaded_by = uploadedBy;
  const yanked = record['yanked_reason'];
  if (typeof yanked === 'string') entry.yanked_reason = yanked;
  const requiresDist = record['requires_dist'];
  if (requiresDist !== undefined && requiresDist !== null) {
    if (!Array.isArray(requiresDist) || requiresDist.some((r) => typeof r !== 'string')) {
      throw invalid(where, 'requires_dist', requiresDist, 'must be a list of strings');
    }
    entry.requires_dist = requiresDist as string[];
  }
  const size = record['size'];
  if (size !== undefined && size !== null) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw invalid(where, 'size', size, 'must be a whole number of bytes');
    }
    entry.size = size;
  }
  return { entry, parsed, raw: line };
}

function invalid(where: string, field: string | undefined, value: unknown, why: string): PackyardError {
  return new PackyardError(
    'CONFIG_INVALID',
    `${where}: ${field === undefined ? 'the line' : `"${field}"`} ${why}`,
    {
      file: where,
      field,
      value,
      hint: 'fix that line of the package list; nothing was written',
    },
  );
}

/** The index entry a package list line describes, its file at `<packagesUrl>/<filename>`. Pure. */
export function entryFromPackageList(entry: PackageListEntry, packagesUrl: string): IndexEntry {
  const parsed = explainDistributionFilename(entry.filename);
  if (typeof parsed === 'string') throw invalid('package list', 'filename', entry.filename, parsed);
  return toEntry(entry, parsed, `${packagesUrl.replace(/\/+$/, '')}/`);
}

function toEntry(entry: PackageListEntry, parsed: DistributionFilename, base: string): IndexEntry {
  const out: IndexEntry = {
    filename: entry.filename,
    url: `${base}${entry.filename}`,
    version: parsed.normalizedVersion,
    hashes: {},
  };
  const hash = entry.hash === undefined ? undefined : HASH.exec(entry.hash);
  if (hash) out.hashes[hash[1] as string] = (hash[2] as string).toLowerCase();
  if (entry.requires_python !== undefined) out.requiresPython = entry.requires_python;
  if (entry.core_metadata !== undefined) {
    const core = HASH.exec(entry.core_metadata);
    out.coreMetadata = core ? { [core[1] as string]: (core[2] as string).toLowerCase() } : true;
  }
  if (entry.yanked_reason !== undefined && entry.yanked_reason !== '') out.yanked = entry.yanked_reason;
  if (entry.size !== undefined) out.size = entry.size;
  if (entry.upload_timestamp !== undefined)
    out.uploadTime = formatUploadTime(new Date(entry.upload_timestamp * 1000));
  return out;
}

/** The file that records, per project, a digest of the list lines its pages were built from. */
export const PACKAGE_LIST_STATE = 'package-list-state.json';
// Bumped whenever the pages' rendering changes, so an old state never keeps stale pages.
const RENDER_GENERATION = 3;
const REBUILD_ABOVE = 200;

interface PackageListState {
  generation: number;
  packagesUrl: string;
  projects: Record<string, string>;
}

/**
 * Builds (or updates) a static index in `outDir/simple/` from a dumb-pypi JSON-lines package list
 * whose files are stored elsewhere (`packagesUrl`). The list is validated whole before anything is
 * written. A later call with a changed list rewrites only the projects whose lines changed (and the
 * root pages when the set of projects did), using `outDir/package-list-state.json`.
 */
export async function writeIndexFromPackageList(
  packageListFile: string,
  outDir: string,
  options: PackageListIndexOptions,
): Promise<PackageListIndexResult> {
  if (typeof options.packagesUrl !== 'string' || options.packagesUrl === '') {
    throw new PackyardError(
      'CONFIG_INVALID',
      'packagesUrl is required: the base URL the listed files are served from',
      {
        field: 'packagesUrl',
        value: options.packagesUrl,
        hint: 'e.g. https://my-bucket.example.com/packages/ or a path relative to the project pages such as ../../pool/',
      },
    );
  }
  const text = await readFile(packageListFile, 'utf8').catch((error: unknown) => {
    throw new PackyardError(
      'CONFIG_MISSING',
      `cannot read the package list ${packageListFile}: ${(error as Error).message}`,
      {
        file: packageListFile,
        cause: error,
      },
    );
  });
  const groups = groupLines(text, packageListFile);
  const projects = [...groups.keys()].sort();
  const digests: Record<string, string> = {};
  let fileCount = 0;
  for (const project of projects) {
    // In list order: a reordered list rewrites the reordered projects' pages, to the same content.
    const hash = createHash('sha256');
    for (const line of groups.get(project) as RawLine[]) hash.update(line.raw).update('\n');
    digests[project] = hash.digest('hex');
    fileCount += (groups.get(project) as RawLine[]).length;
  }
  const root = resolve(outDir);
  // Checked before the first write, like the list itself.
  const settings = await readPageSettings(root);
  const state: PackageListState = {
    generation: RENDER_GENERATION,
    packagesUrl: options.packagesUrl,
    projects: digests,
  };
  const base = `${options.packagesUrl.replace(/\/+$/, '')}/`;

  return withIndexLock(root, async (assertHeld) => {
    const simple = join(root, 'simple');
    // The state only vouches for pages that are still there.
    const browse = join(root, BROWSE_DIR);
    const browseState =
      options.full === true
        ? undefined
        : await readFile(join(browse, BROWSE_STATE), 'utf8').catch(() => undefined);
    const summaries = parseBrowseState(browseState);
    const previous =
      options.full === true || summaries === undefined || !(await isFile(join(simple, 'index.json')))
        ? undefined
        : await readState(join(root, PACKAGE_LIST_STATE));
    const changed =
      previous === undefined ||
      previous.generation !== RENDER_GENERATION ||
      previous.packagesUrl !== options.packagesUrl
        ? undefined
        : projects.filter((project) => previous.projects[project] !== digests[project]);
    // Past a few hundred pages, one staged tree and a rename beat an fsynced write per page.
    const full = changed === undefined || changed.length > Math.max(REBUILD_ABOVE, projects.length / 10);
    const written = full ? projects : changed;
    // Every line of a project being written is checked before anything is written. A project whose
    // lines are byte-for-byte those of the last build was checked then, and is left as it is.
    const pages = new Map<string, ProjectPage>();
    for (const project of written) {
      const lines = validateGroup(project, groups.get(project) as RawLine[], packageListFile);
      pages.set(project, {
        name: project,
        files: sortIndexEntries(lines.map((line) => toEntry(line.entry, line.parsed, base))),
      });
    }
    const pageOf = (project: string): ProjectPage => pages.get(project) as ProjectPage;
    let done = 0;
    const progress = (project: string) => options.onProgress?.(project, (done += 1), written.length);

    if (full) {
      const all = new Map<string, ProjectSummary>();
      await replaceDirectory(browse, async (dir) => {
        await forEachConcurrent(projects, 16, async (project) => {
          const page = pageOf(project);
          all.set(project, summarizeProject(page));
          await mkdir(join(dir, project));
          await writeTreeFile(dir, `${project}/index.html`, renderBrowseProjectHtml(page, { settings }));
        });
        await writeTreeFile(dir, BROWSE_STATE, renderBrowseState(all));
      });
      await writeFileAtomically(join(root, 'index.html'), renderBrowseRootFromState(all, settings));
      await replaceDirectory(simple, async (dir) => {
        await writeTreeFile(dir, 'index.html', renderRootHtml(projects));
        await writeTreeFile(dir, 'index.json', renderRootJson(projects));
        await forEachConcurrent(projects, 16, async (project) => {
          const page = pageOf(project);
          await mkdir(join(dir, project));
          await writeTreeFile(dir, `${project}/index.json`, renderProjectJson(page));
          await writeTreeFile(dir, `${project}/index.html`, renderProjectHtml(page));
          progress(project);
        });
      });
      assertHeld();
      await writeFileAtomically(join(root, PACKAGE_LIST_STATE), `${JSON.stringify(state)}\n`);
      return { projects, files: fileCount, written: projects, removed: [], full: true };
    }

    const removed = Object.keys(previous?.projects ?? {})
      .filter((project) => digests[project] === undefined)
      .sort();
    for (const project of written) {
      const page = pageOf(project);
      await writeFileAtomically(join(simple, project, 'index.json'), renderProjectJson(page));
      await writeFileAtomically(join(simple, project, 'index.html'), renderProjectHtml(page));
      progress(project);
    }
    for (const project of removed) await rm(join(simple, project), { recursive: true, force: true });
    const kept = summaries as Map<string, ProjectSummary>;
    for (const project of written) {
      const page = pageOf(project);
      kept.set(project, summarizeProject(page));
      await writeFileAtomically(
        join(browse, project, 'index.html'),
        renderBrowseProjectHtml(page, { settings }),
      );
    }
    for (const project of removed) {
      kept.delete(project);
      await rm(join(browse, project), { recursive: true, force: true });
    }
    if (written.length > 0 || removed.length > 0) {
      await writeFileAtomically(join(browse, BROWSE_STATE), renderBrowseState(kept));
      await writeFileAtomically(join(root, 'index.html'), renderBrowseRootFromState(kept, settings));
    }
    const projectSetChanged =
      removed.length > 0 || written.some((project) => previous?.projects[project] === undefined);
    if (projectSetChanged) {
      await writeFileAtomically(join(simple, 'index.json'), renderRootJson(projects));
      await writeFileAtomically(join(simple, 'index.html'), renderRootHtml(projects));
    }
    assertHeld();
    if (written.length > 0 || removed.length > 0) {
      await writeFileAtomically(join(root, PACKAGE_LIST_STATE), `${JSON.stringify(state)}\n`);
    }
    return { projects, files: fileCount, written, removed, full: false };
  });
}

interface RawLine {
  raw: string;
  lineNumber: number;
  /** Set when the line had to be parsed in full just to find its project. */
  line?: ListLine;
}

// The shape dumb-pypi (and every list we saw) writes: `filename` first, a plain string. Finding a
// line's project this way costs a regex instead of a JSON parse; anything else is parsed in full.
const LEADING_FILENAME = /^\{\s*"filename"\s*:\s*"([^"\\]*)"\s*[,}]/;

/** Splits the list into lines and groups them by project without parsing every line in full. */
function groupLines(text: string, source: string): Map<string, RawLine[]> {
  const groups = new Map<string, RawLine[]>();
  const names = new Map<string, string>();
  for (const rawLine of nonEmptyLines(text)) {
    const { raw, lineNumber } = rawLine;
    const fast = LEADING_FILENAME.exec(raw)?.[1];
    let project = fast === undefined ? undefined : projectOf(fast, names);
    if (project === undefined) {
      rawLine.line = parseLine(raw, `${source}:${lineNumber}`);
      project = rawLine.line.parsed.normalizedName;
    }
    const group = groups.get(project);
    if (group === undefined) groups.set(project, [rawLine]);
    else group.push(rawLine);
  }
  return groups;
}

/**
 * The normalised project of a file name, split where parseDistributionFilename splits it (a wheel
 * at its first dash, an sdist at its last); undefined when it has no such shape. A wrong name is
 * caught when its project's lines are checked, which they are, since a new line changes them.
 */
function projectOf(filename: string, cache: Map<string, string>): string | undefined {
  let name: string;
  if (filename.endsWith('.whl')) {
    const dash = filename.indexOf('-');
    if (dash <= 0) return undefined;
    name = filename.slice(0, dash);
  } else {
    const stem = filename.endsWith('.tar.gz')
      ? filename.slice(0, -7)
      : filename.endsWith('.zip')
        ? filename.slice(0, -4)
        : undefined;
    const dash = stem?.lastIndexOf('-') ?? -1;
    if (stem === undefined || dash <= 0) return undefined;
    name = stem.slice(0, dash);
  }
  let project = cache.get(name);
  if (project === undefined) {
    project = normalizeProjectName(name);
    cache.set(name, project);
  }
  return project;
}

/** Parses and checks every line of one project, refusing a file listed twice with other fields. */
function validateGroup(project: string, group: RawLine[], source: string): ListLine[] {
  const out: ListLine[] = [];
  const seen = new Map<string, string>();
  for (const rawLine of [...group].sort((a, b) => a.lineNumber - b.lineNumber)) {
    const where = `${source}:${rawLine.lineNumber}`;
    const line = rawLine.line ?? parseLine(rawLine.raw, where);
    if (line.parsed.normalizedName !== project) {
      // Only a line with two "filename" keys gets here (JSON.parse keeps the last).
      throw invalid(where, 'filename', line.entry.filename, 'is given twice in one line');
    }
    const twin = seen.get(line.entry.filename);
    if (twin !== undefined) {
      if (twin === rawLine.raw) continue;
      throw invalid(where, 'filename', line.entry.filename, 'is listed twice with different fields');
    }
    seen.set(line.entry.filename, rawLine.raw);
    out.push(line);
  }
  return out;
}

async function readState(path: string): Promise<PackageListState | undefined> {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as PackageListState;
    if (typeof state.projects !== 'object' || state.projects === null) return undefined;
    return state;
  } catch {
    // No state, or an unreadable one: rebuild everything.
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** The trimmed non-blank lines of a JSON-lines text, with their 1-based line numbers. */
function* nonEmptyLines(text: string): Generator<RawLine> {
  let lineNumber = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber += 1;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw !== '') yield { raw, lineNumber };
  }
}
