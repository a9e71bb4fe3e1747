// The pages for people: a root page listing every project with its latest version, and one page
// per project with its versions and files. They live beside the simple pages (`index.html` and
// `project/<name>/index.html` at the index root), which installers never look at.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, normalizeProjectName } from '@packyard/core';
import type { CoreMetadata } from './metadata.js';
import { createHandlebars, escapeHtml, listVersions, precompiledTemplate } from './render.js';
import type { IndexEntry, ProjectPage } from './types.js';
import { isPrerelease } from './versions.js';

/** What the root page for people says about one project. */
export interface ProjectSummary {
  name: string;
  /** The latest version (see latestVersion); absent when every file is yanked. */
  latest?: string;
  /** The latest upload-time among the latest version's files. */
  released?: string;
  versions: number;
  files: number;
}

/** The directory (under the index root) that holds the project pages for people. */
export const BROWSE_DIR = 'project';
/** The record of every project's summary, so one project's update rewrites the root page alone. */
export const BROWSE_STATE = 'projects.json';
// Bumped when the summary's shape changes, so an old record is rebuilt rather than misread.
const BROWSE_GENERATION = 1;

const handlebars = createHandlebars();
handlebars.registerHelper(
  'e',
  (value: unknown) => new handlebars.SafeString(escapeHtml(String(value ?? ''))),
);
let rootTemplate: HandlebarsTemplateDelegate | undefined;
let projectTemplate: HandlebarsTemplateDelegate | undefined;

function template(name: string): HandlebarsTemplateDelegate {
  return precompiledTemplate(handlebars, name);
}

// Plain, readable without JavaScript or any other file; a constant, placed in the page as it is.
const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:72rem;padding:0 1rem;color:#111}',
  'table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}',
  'th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}',
  'thead th{background:#f3f3f3}',
  'tbody th{font-weight:normal}',
  'code.hash{font-size:.75rem;word-break:break-all}',
  'tr.yanked a{text-decoration:line-through}',
  'mark{background:#fde68a;padding:0 .2rem}',
  'pre{background:#f6f6f6;padding:.5rem;white-space:pre-wrap;overflow-wrap:anywhere}',
  '.warning{border-left:4px solid #b45309;background:#fff7ed;padding:.5rem .75rem}',
  '#filter{font:inherit;padding:.3rem;width:100%;max-width:24rem;box-sizing:border-box}',
  // A phone-width screen: rows become blocks, so nothing scrolls sideways.
  '@media (max-width:40rem){table,tbody,tr,th,td{display:block;width:auto}thead{display:none}',
  'tr{border-bottom:1px solid #ddd;padding:.4rem 0}th,td{border:0;padding:.1rem 0}',
  'td[data-label]::before{content:attr(data-label) ": ";color:#555}}',
].join('');

// Filters the project list as one types, and from `?q=` (what the search box submits). Without
// JavaScript the box still suggests names (its datalist) and the list stays whole and usable.
const FILTER_SCRIPT = [
  '(function () {',
  "  var box = document.getElementById('filter');",
  "  var rows = document.querySelectorAll('tr[data-name]');",
  "  function norm(text) { return text.trim().toLowerCase().replace(/[-_.]+/g, '-'); }",
  '  function run() {',
  '    var q = norm(box.value);',
  '    rows.forEach(function (row) {',
  "      var hide = q !== '' && row.getAttribute('data-name').indexOf(q) < 0;",
  // An inline style too: the phone-width rule that makes rows blocks would show a [hidden] one.
  "      row.hidden = hide; row.style.display = hide ? 'none' : '';",
  '    });',
  '  }',
  "  var asked = new URLSearchParams(location.search).get('q');",
  '  if (asked) box.value = asked;',
  "  box.addEventListener('input', run);",
  '  run();',
  '})();',
].join('\n');

const DOCTYPE = '<!DOCTYPE html>\n';

/** How the pages for people describe the index: `<indexDir>/.packyard-pages.json`, never published. */
export interface PageSettings {
  /** The simple index's public URL (`https://…/simple/`), for copy-paste install lines. */
  indexUrl?: string;
  /**
   * Normalised names that PyPI also has a project for: their pages warn that `--extra-index-url`
   * would let pip take PyPI's file instead (dependency confusion). Kept by hand: no network here.
   */
  alsoOnPypi?: string[];
}

/** The settings file's name in an index directory. */
export const PAGE_SETTINGS = '.packyard-pages.json';

/**
 * Checks page settings (from `source`, for messages): `indexUrl` an absolute http(s) URL ending in
 * `/`, `alsoOnPypi` a list of project names (normalised here). Pure.
 */
export function parsePageSettings(text: string, source: string): PageSettings {
  const bad = (field: string, value: unknown, why: string): PackyardError =>
    new PackyardError('CONFIG_INVALID', `${source}: ${field} ${why}`, {
      file: source,
      field,
      value,
      hint: 'e.g. {"indexUrl": "https://example.org/simple/", "alsoOnPypi": ["six"]}',
    });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `${source} is not JSON: ${(error as Error).message}`, {
      file: source,
      cause: error,
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw bad('(root)', body, 'is not an object');
  const out: PageSettings = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'indexUrl') {
      if (typeof value !== 'string' || !/^https?:\/\/[^\s"'<>]+\/$/.test(value))
        throw bad(key, value, 'is not an http(s) URL ending in "/"');
      out.indexUrl = value;
    } else if (key === 'alsoOnPypi') {
      if (
        !Array.isArray(value) ||
        !value.every((name) => typeof name === 'string' && /^[A-Za-z0-9._-]+$/.test(name))
      )
        throw bad(key, value, 'is not a list of project names');
      out.alsoOnPypi = (value as string[]).map(normalizeProjectName).sort();
    } else {
      throw bad(key, value, 'is not a setting (indexUrl, alsoOnPypi)');
    }
  }
  return out;
}

/** Reads `<indexDir>/.packyard-pages.json`; no file, no settings. */
export async function readPageSettings(indexDir: string): Promise<PageSettings> {
  const path = join(indexDir, PAGE_SETTINGS);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  return parsePageSettings(text, path);
}

/** What a project page shows beside its files: the latest version's metadata and the settings. */
export interface BrowsePageOptions {
  settings?: PageSettings;
  /** The latest version's core metadata (summary, licence, links), when a metadata file has it. */
  details?: CoreMetadata;
}

const INDEX_URL_PLACEHOLDER = '<this index>/simple/';

/**
 * The latest version as PyPI shows it: the highest final release with a file that is not yanked,
 * else the highest pre-release with one; undefined when every file is yanked. Pure.
 */
export function latestVersion(sorted: readonly IndexEntry[]): string | undefined {
  let latest: string | undefined;
  let latestPre: string | undefined;
  for (const file of sorted) {
    if (file.yanked !== undefined) continue;
    if (isPrerelease(file.version)) latestPre = file.version;
    else latest = file.version;
  }
  return latest ?? latestPre;
}

/** The root page's line for a project whose files are in index order. Pure. */
export function summarizeProject(page: ProjectPage): ProjectSummary {
  const out: ProjectSummary = {
    name: page.name,
    versions: listVersions(page.files).length,
    files: page.files.length,
  };
  const latest = latestVersion(page.files);
  if (latest !== undefined) {
    out.latest = latest;
    const times = page.files
      .filter((file) => file.version === latest && file.uploadTime !== undefined)
      .map((file) => file.uploadTime as string)
      .sort();
    if (times.length > 0) out.released = times.at(-1) as string;
  }
  return out;
}

/** The root page for people, listing projects (sorted by the caller). Pure. */
export function renderBrowseRootHtml(
  projects: readonly ProjectSummary[],
  settings: PageSettings = {},
): string {
  rootTemplate ??= template('browse-root.html.hbs');
  return `${DOCTYPE}${rootTemplate({
    style: STYLE,
    script: FILTER_SCRIPT,
    indexUrl: settings.indexUrl ?? INDEX_URL_PLACEHOLDER,
    projectCount: projects.length,
    fileCount: projects.reduce((sum, project) => sum + project.files, 0),
    projects: projects.map((project) => ({
      ...project,
      releasedText: project.released === undefined ? undefined : formatTime(project.released),
    })),
  })}\n`;
}

/**
 * A project's page for people, files already in index order: newest version first, each with its
 * files, sizes, upload times, Requires-Python, sha256 and yanked marks. Links are the simple page's,
 * which sits at the same depth. Pure.
 */
export function renderBrowseProjectHtml(page: ProjectPage, options: BrowsePageOptions = {}): string {
  projectTemplate ??= template('browse-project.html.hbs');
  const byVersion = new Map<string, IndexEntry[]>();
  for (const file of page.files) {
    const list = byVersion.get(file.version) ?? [];
    list.push(file);
    byVersion.set(file.version, list);
  }
  const versions = [...byVersion.entries()].reverse().map(([version, files]) => ({
    version,
    yanked: files.every((file) => file.yanked !== undefined),
    files: files.map((file) => ({
      filename: file.filename,
      url: file.url,
      hasSize: file.size !== undefined,
      size: file.size,
      sizeText: file.size === undefined ? undefined : formatSize(file.size),
      uploaded: file.uploadTime,
      uploadedText: file.uploadTime === undefined ? undefined : formatTime(file.uploadTime),
      requiresPython: file.requiresPython,
      sha256: file.hashes['sha256'],
      yanked: file.yanked !== undefined,
      rowClass: file.yanked !== undefined ? 'yanked' : 'file',
      reason: typeof file.yanked === 'string' ? file.yanked : undefined,
    })),
  }));
  const { settings = {}, details = {} } = options;
  return `${DOCTYPE}${projectTemplate({
    style: STYLE,
    name: page.name,
    latest: latestVersion(page.files),
    indexUrl: settings.indexUrl ?? INDEX_URL_PLACEHOLDER,
    alsoOnPypi: settings.alsoOnPypi?.includes(page.name) === true,
    status: page.status?.status === 'active' ? undefined : page.status,
    summary: details.summary,
    license: details.license,
    links: details.links,
    versions,
  })}\n`;
}

/** `1536` → `1.5 KiB`. Pure. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

// `2024-05-06T07:08:09.123000Z` → `2024-05-06 07:08 UTC`: a person reads the minute.
function formatTime(uploadTime: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(uploadTime);
  return match ? `${match[1]} ${match[2]} UTC` : uploadTime;
}

/** The summaries record (`project/projects.json`) as text. Pure. */
export function renderBrowseState(summaries: ReadonlyMap<string, ProjectSummary>): string {
  const projects = [...summaries.keys()].sort().map((name) => summaries.get(name) as ProjectSummary);
  return `${JSON.stringify({ generation: BROWSE_GENERATION, projects })}\n`;
}

/** Reads the summaries record back; undefined when it is missing, unreadable or of another generation. Pure. */
export function parseBrowseState(text: string | undefined): Map<string, ProjectSummary> | undefined {
  if (text === undefined) return undefined;
  try {
    const body = JSON.parse(text) as { generation?: unknown; projects?: unknown };
    if (body.generation !== BROWSE_GENERATION || !Array.isArray(body.projects)) return undefined;
    const out = new Map<string, ProjectSummary>();
    for (const item of body.projects as ProjectSummary[]) {
      if (typeof item?.name !== 'string') return undefined;
      out.set(item.name, item);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** The root page for people from the summaries, sorted by name. Pure. */
export function renderBrowseRootFromState(
  summaries: ReadonlyMap<string, ProjectSummary>,
  settings: PageSettings = {},
): string {
  return renderBrowseRootHtml(
    [...summaries.keys()].sort().map((name) => summaries.get(name) as ProjectSummary),
    settings,
  );
}
