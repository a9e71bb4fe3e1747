// The pages for people: a root page listing every project with its latest version, and one page
// per project with its versions and files. They live beside the simple pages (`index.html` and
// `project/<name>/index.html` at the index root), which installers never look at.
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

// Plain, readable without JavaScript or any other file; no quotes, so it needs no escaping.
const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:72rem;padding:0 1rem;color:#111}',
  'table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}',
  'th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}',
  'thead th{background:#f3f3f3}',
  'tbody th{font-weight:normal}',
  'code.hash{font-size:.75rem;word-break:break-all}',
  'tr.yanked a{text-decoration:line-through}',
  'mark{background:#fde68a;padding:0 .2rem}',
  'pre{background:#f6f6f6;padding:.5rem}',
].join('');

const DOCTYPE = '<!DOCTYPE html>\n';

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
export function renderBrowseRootHtml(projects: readonly ProjectSummary[]): string {
  rootTemplate ??= template('browse-root.html.hbs');
  return `${DOCTYPE}${rootTemplate({
    style: STYLE,
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
export function renderBrowseProjectHtml(page: ProjectPage): string {
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
  return `${DOCTYPE}${projectTemplate({
    style: STYLE,
    name: page.name,
    latest: latestVersion(page.files),
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
export function renderBrowseRootFromState(summaries: ReadonlyMap<string, ProjectSummary>): string {
  return renderBrowseRootHtml(
    [...summaries.keys()].sort().map((name) => summaries.get(name) as ProjectSummary),
  );
}
