import { copyFile, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  PackyardError,
  planByDigest,
  sha256File,
  writeFileAtomically,
  forEachConcurrent,
  normalizeProjectName,
} from '@packyard/core';
import {
  BROWSE_DIR,
  BROWSE_STATE,
  latestVersion,
  parseBrowseState,
  readPageSettings,
  renderBrowseProjectHtml,
  renderBrowseRootFromState,
  renderBrowseState,
  summarizeProject,
  type BrowsePageOptions,
  type PageSettings,
  type ProjectSummary,
} from './browse.js';
import { parseCoreMetadata } from './metadata.js';
import {
  formatUploadTime,
  mkdirWithUndo,
  pausePoint,
  replaceDirectory,
  temporarySibling,
  TEMPORARY_NAME,
  withIndexLock,
  writeFileShortAtomically,
  writeTreeFile,
} from './fs-util.js';
import {
  checkDistributionFilename,
  checkIndexFilename,
  inspectDistribution,
  type InspectedFile,
} from './inspect.js';
import {
  parseProjectJson,
  renderProjectHtml,
  renderProjectJson,
  renderRootHtml,
  renderRootJson,
  sortIndexEntries,
} from './render.js';
import type { IndexEntry, ProjectPage, ProjectStatus } from './types.js';

/** Options of addFilesToIndex. */
export interface AddFilesOptions {
  /** Replace a file already in the index whose bytes differ (default: refuse with CONFLICT). */
  replace?: boolean;
  /** PEP 700 upload-time recorded for the added files (default: now). */
  uploadTime?: Date;
}

/** What addFilesToIndex did, by file name. */
export interface AddFilesResult {
  added: string[];
  /** Already in the index with the same bytes: nothing was written for them. */
  unchanged: string[];
  replaced: string[];
  /** Normalised names of the projects the files belong to. */
  projects: string[];
}

/** Options of writeIndex. */
export interface WriteIndexOptions {
  /** upload-time for files the pages did not list before (default: the file's mtime). */
  uploadTime?: Date;
  /** Called after each file is read back (`done` of `total`), for progress. */
  onProgress?: (path: string, done: number, total: number) => void;
}

/** What writeIndex wrote. */
export interface WriteIndexResult {
  /** Normalised project names, sorted. */
  projects: string[];
  files: number;
}

const FILES = 'files';
const SIMPLE = 'simple';
// Reading archives is I/O-bound with a little CPU (sha256, inflate): a few at a time keeps both busy.
const INSPECT_CONCURRENCY = 4;

/** `addFilesToIndex`'s shape, for callers that take it injected (a server, a pipeline, a test double). */
export type AddFilesToIndex = (
  indexDir: string,
  files: readonly string[],
  options?: AddFilesOptions,
) => Promise<AddFilesResult>;

/**
 * Which refusal an index error code is, if any: the name is taken by other bytes (`STORE_CONFLICT`),
 * or the file is not a valid distribution (`ARCHIVE_INVALID`: bad name, not an archive, metadata that
 * disagrees with the name). Pure.
 */
export function classifyRefusal(code: string): 'STORE_CONFLICT' | 'ARCHIVE_INVALID' | undefined {
  if (code.includes('CONFLICT')) return 'STORE_CONFLICT';
  if (code.includes('INVALID') || code === 'VERIFY_FAILED') return 'ARCHIVE_INVALID';
  return undefined;
}

/**
 * Validates each file (name, zip/tar, METADATA name+version match the file name), copies it into
 * `<indexDir>/files/<project>/` and rewrites only the touched projects' pages, plus the root pages
 * when a project is new. All-or-nothing: any invalid file or conflict throws and leaves the index as
 * it was. Same name and bytes: unchanged; same name, other bytes: CONFLICT unless `replace`.
 * Writers serialise on a lock in `indexDir`, so concurrent calls (other processes too) are safe.
 */
export async function addFilesToIndex(
  indexDir: string,
  files: readonly string[],
  options: AddFilesOptions = {},
): Promise<AddFilesResult> {
  const root = resolve(indexDir);
  // Every path the index would write for a file must fit the file system, checked before any read.
  for (const file of files) checkIndexFilename(basename(file), resolve(file), root);
  const inspected: InspectedFile[] = [];
  await forEachConcurrent(files, INSPECT_CONCURRENCY, async (file) => {
    inspected.push(await inspectDistribution(resolve(file)));
  });
  const batch = new Map<string, InspectedFile>();
  for (const file of inspected) {
    const twin = batch.get(file.parsed.filename);
    if (twin !== undefined && twin.sha256 !== file.sha256) {
      throw new PackyardError(
        'CONFLICT',
        `two different files named ${file.parsed.filename} were given (${twin.path} and ${file.path})`,
        { file: file.path, field: 'sha256', value: { [twin.path]: twin.sha256, [file.path]: file.sha256 } },
      );
    }
    batch.set(file.parsed.filename, file);
  }
  const byProject = new Map<string, InspectedFile[]>();
  for (const file of batch.values()) {
    const list = byProject.get(file.parsed.normalizedName) ?? [];
    list.push(file);
    byProject.set(file.parsed.normalizedName, list);
  }
  const uploadTime = formatUploadTime(options.uploadTime ?? new Date());
  const result: AddFilesResult = {
    added: [],
    unchanged: [],
    replaced: [],
    projects: [...byProject.keys()].sort(),
  };

  return withIndexLock(root, async (assertHeld) => {
    await pausePoint('index-locked');
    const plans: ProjectPlan[] = [];
    for (const [project, projectFiles] of byProject) {
      const current = await readProjectState(root, project);
      const entries = new Map((current?.files ?? []).map((entry) => [entry.filename, entry]));
      const changed: ChangedFile[] = [];
      for (const file of projectFiles) {
        const existing = entries.get(file.parsed.filename);
        // PEP 792: an archived project takes no new files (the same bytes again are no upload).
        if (current?.status?.status === 'archived' && existing?.hashes['sha256'] !== file.sha256) {
          throw new PackyardError('CONFIG_INVALID', `${project} is archived: it takes no new files`, {
            file: file.path,
            field: 'project-status',
            value: 'archived',
            hint: `mark it active again first (pkg-index status ${project} --index-dir … --set active)`,
          });
        }
        const stored = existing && { sha256: existing.hashes['sha256'] };
        const byDigest = planByDigest(stored, file.sha256, { replace: options.replace === true });
        if (byDigest.action === 'skip') {
          result.unchanged.push(file.parsed.filename);
          continue;
        }
        if (byDigest.action === 'conflict') {
          throw new PackyardError(
            'CONFLICT',
            `${file.parsed.filename} is already in the index with other bytes (sha256 ${byDigest.stored ?? 'unknown'}, this file ${file.sha256})`,
            {
              file: file.path,
              field: 'sha256',
              value: file.sha256,
              hint: 'a published file never changes: release a new version (or a build number), or ask for replace',
            },
          );
        }
        (existing === undefined ? result.added : result.replaced).push(file.parsed.filename);
        entries.set(file.parsed.filename, entryFor(file, uploadTime));
        changed.push({ file, replacing: existing !== undefined });
      }
      if (changed.length > 0) {
        plans.push({
          project,
          isNew: current === undefined,
          ...(current?.status === undefined ? {} : { status: current.status }),
          changed,
          entries: sortIndexEntries([...entries.values()]),
        });
      }
    }
    if (plans.length === 0) return sortResult(result);
    await applyPlans(root, plans, assertHeld);
    await pausePoint('indexed');
    return sortResult(result);
  });
}

interface ChangedFile {
  file: InspectedFile;
  replacing: boolean;
}

/**
 * Rewrites the pages for people of the given projects, the summaries record and the root page for
 * people. A missing or outdated record is rebuilt from every project's JSON page.
 */
async function writeBrowsePages(
  root: string,
  pages: readonly ProjectPage[],
  undo: (() => Promise<unknown>)[],
): Promise<void> {
  const browse = join(root, BROWSE_DIR);
  const statePath = join(browse, BROWSE_STATE);
  const settings = await readPageSettings(root);
  let summaries = parseBrowseState(await readFile(statePath, 'utf8').catch(() => undefined));
  if (summaries === undefined) {
    summaries = new Map<string, ProjectSummary>();
    const fresh = new Set(pages.map((page) => page.name));
    const others = (await listProjects(root)).filter((project) => !fresh.has(project));
    for (const project of others) {
      const state = await readProjectState(root, project);
      if (state === undefined) continue;
      const page = state;
      summaries.set(project, summarizeProject(page));
      // Pages for people did not exist before this record: write them for every project.
      undo.push(await mkdirWithUndo(join(browse, project)));
      const html = renderBrowseProjectHtml(page, await browseOptions(root, page, settings));
      await writePage(join(browse, project, 'index.html'), html, undo);
    }
  }
  for (const page of pages) {
    summaries.set(page.name, summarizeProject(page));
    undo.push(await mkdirWithUndo(join(browse, page.name)));
    const html = renderBrowseProjectHtml(page, await browseOptions(root, page, settings));
    await writePage(join(browse, page.name, 'index.html'), html, undo);
  }
  await writePage(statePath, renderBrowseState(summaries), undo);
  await writePage(join(root, 'index.html'), renderBrowseRootFromState(summaries, settings), undo);
}

/**
 * A project page's settings and details: the summary, licence and links of the latest version's
 * metadata file (its first wheel's), read from the index itself.
 */
async function browseOptions(
  root: string,
  page: ProjectPage,
  settings: PageSettings,
): Promise<BrowsePageOptions> {
  const latest = latestVersion(page.files);
  const file = page.files.find((entry) => entry.version === latest && entry.coreMetadata !== undefined);
  if (file === undefined) return { settings };
  const text = await readFile(join(root, FILES, page.name, `${file.filename}.metadata`), 'utf8').catch(
    () => undefined,
  );
  return text === undefined ? { settings } : { settings, details: parseCoreMetadata(text) };
}

interface ProjectPlan {
  status?: ProjectPage['status'];
  project: string;
  isNew: boolean;
  changed: ChangedFile[];
  entries: IndexEntry[];
}

function sortResult(result: AddFilesResult): AddFilesResult {
  result.added.sort();
  result.unchanged.sort();
  result.replaced.sort();
  return result;
}

function entryFor(file: InspectedFile, uploadTime: string): IndexEntry {
  const { parsed } = file;
  const entry: IndexEntry = {
    filename: parsed.filename,
    url: `../../${FILES}/${parsed.normalizedName}/${parsed.filename}`,
    version: parsed.normalizedVersion,
    hashes: { sha256: file.sha256 },
    size: file.size,
    uploadTime,
  };
  if (file.requiresPython !== undefined) entry.requiresPython = file.requiresPython;
  if (file.metadataSha256 !== undefined) entry.coreMetadata = { sha256: file.metadataSha256 };
  return entry;
}

/** Reads a project's JSON page, the index's record of its files; undefined for a new project. */
async function readProjectState(root: string, project: string): Promise<ProjectPage | undefined> {
  const path = join(root, SIMPLE, project, 'index.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseProjectJson(text, path);
}

/**
 * Writes the planned files and pages. Distribution files go in first, then metadata files, then
 * pages, so a client never sees a link to a missing file; anything that fails puts every path it
 * touched back as it was.
 */
async function applyPlans(root: string, plans: ProjectPlan[], assertHeld: () => void): Promise<void> {
  const undo: (() => Promise<unknown>)[] = [];
  const cleanup: string[] = [];
  try {
    for (const plan of plans) {
      const dir = join(root, FILES, plan.project);
      undo.push(await mkdirWithUndo(dir));
      for (const { file, replacing } of plan.changed) {
        const dest = join(dir, file.parsed.filename);
        const tmp = temporarySibling(dest, 'tmp');
        await copyFile(file.path, tmp);
        await pausePoint('file-copied');
        // The source could have changed since it was inspected; what lands must be what was checked.
        const copied = await sha256File(tmp);
        if (copied !== file.sha256) {
          await rm(tmp, { force: true });
          throw new PackyardError('CONFIG_INVALID', `${file.path} changed while it was being added`, {
            file: file.path,
            field: 'sha256',
            value: copied,
            hint: 'add the file again once whatever writes it has finished',
          });
        }
        await keepForUndo(dest, replacing, undo, cleanup);
        await rename(tmp, dest);
        await pausePoint('file-placed');
        if (file.metadata !== undefined) {
          await keepForUndo(`${dest}.metadata`, replacing, undo, cleanup);
          await writeFileShortAtomically(`${dest}.metadata`, file.metadata);
        } else if (replacing) {
          await keepForUndo(`${dest}.metadata`, true, undo, cleanup);
        }
      }
    }
    await pausePoint('metadata-written');
    assertHeld();
    const pages: ProjectPage[] = [];
    for (const plan of plans) {
      const page: ProjectPage = { name: plan.project, files: plan.entries };
      if (plan.status !== undefined) page.status = plan.status;
      pages.push(page);
      const dir = join(root, SIMPLE, plan.project);
      undo.push(await mkdirWithUndo(dir));
      // The JSON page is the index's record, so it is written before the HTML one.
      await writePage(join(dir, 'index.json'), renderProjectJson(page), undo);
      await pausePoint('json-written');
      await writePage(join(dir, 'index.html'), renderProjectHtml(page), undo);
    }
    if (plans.some((plan) => plan.isNew)) {
      const projects = await listProjects(root);
      await writePage(join(root, SIMPLE, 'index.json'), renderRootJson(projects), undo);
      await writePage(join(root, SIMPLE, 'index.html'), renderRootHtml(projects), undo);
    }
    await pausePoint('pages-written');
    await writeBrowsePages(root, pages, undo);
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => {});
    throw error;
  }
  for (const path of cleanup) await rm(path, { force: true }).catch(() => {});
}

// A file about to be replaced is moved aside (and moved back on failure); a new one is removed.
async function keepForUndo(
  path: string,
  replacing: boolean,
  undo: (() => Promise<unknown>)[],
  cleanup: string[],
): Promise<void> {
  if (!replacing) {
    undo.push(() => rm(path, { force: true }));
    return;
  }
  const aside = temporarySibling(path, 'old');
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    undo.push(() => rm(path, { force: true }));
    return;
  }
  undo.push(async () => {
    await rm(path, { force: true });
    await rename(aside, path);
  });
  cleanup.push(aside);
}

async function writePage(path: string, content: string, undo: (() => Promise<unknown>)[]): Promise<void> {
  let previous: Buffer | undefined;
  try {
    previous = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  undo.push(() => (previous === undefined ? rm(path, { force: true }) : writeFileAtomically(path, previous)));
  await writeFileAtomically(path, content);
}

/** Normalised names of the projects that have a page, sorted. */
async function listProjects(root: string): Promise<string[]> {
  const entries = await readdir(join(root, SIMPLE), { withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  return entries
    .filter((entry) => entry.isDirectory() && /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

// Left behind by a killed writer: write-file-atomic's `<name>.<number>`, and older packyard's
// `<name>.tmp-…`/`<name>.old-…` (temporarySibling's own names are matched by TEMPORARY_NAME).
const DEBRIS = /^(.+\.(?:whl|tar\.gz|zip)(?:\.metadata)?)\.(?:(?:tmp|old)-\d+-[0-9a-f]+|\d+)$/;

/**
 * Regenerates every page from the distribution files under `<indexDir>/files/`: each is read again
 * (hash, metadata, name check) and the `.metadata` files are rewritten where they differ. Yanked
 * marks and upload times are kept from the pages for files whose bytes are unchanged. The new
 * `simple/` tree is built beside the old one and swapped in. All-or-nothing, under the index lock.
 */
export async function writeIndex(
  indexDir: string,
  options: WriteIndexOptions = {},
): Promise<WriteIndexResult> {
  const root = resolve(indexDir);
  return withIndexLock(root, async (assertHeld) => {
    const filesRoot = join(root, FILES);
    const paths: { project: string; path: string }[] = [];
    const metadataFiles = new Set<string>();
    const projectDirs = await readdir(filesRoot, { withFileTypes: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    });
    for (const dir of projectDirs) {
      const dirPath = join(filesRoot, dir.name);
      if (!dir.isDirectory()) {
        throw unexpected(dirPath, 'only project directories belong in files/');
      }
      for (const name of await readdir(dirPath)) {
        const path = join(dirPath, name);
        if (DEBRIS.test(name) || TEMPORARY_NAME.test(name)) {
          await rm(path, { force: true });
          continue;
        }
        if (name.endsWith('.metadata')) {
          metadataFiles.add(path);
          continue;
        }
        const parsed = checkDistributionFilename(name, path);
        if (parsed.normalizedName !== dir.name) {
          throw unexpected(path, `it belongs in files/${parsed.normalizedName}/, not files/${dir.name}/`);
        }
        paths.push({ project: dir.name, path });
      }
    }

    const inspected: InspectedFile[] = [];
    await forEachConcurrent(paths, INSPECT_CONCURRENCY, async ({ path }) => {
      inspected.push(await inspectDistribution(path));
      options.onProgress?.(path, inspected.length, paths.length);
    });

    const byProject = new Map<string, IndexEntry[]>();
    const previousByProject = new Map<string, Map<string, IndexEntry>>();
    const statusByProject = new Map<string, ProjectPage['status']>();
    for (const file of inspected) {
      const project = file.parsed.normalizedName;
      let previous = previousByProject.get(project);
      if (previous === undefined) {
        const state = await readProjectState(root, project).catch(() => undefined);
        previous = new Map((state?.files ?? []).map((entry) => [entry.filename, entry]));
        if (state?.status !== undefined) statusByProject.set(project, state.status);
        previousByProject.set(project, previous);
      }
      const before = previous.get(file.parsed.filename);
      const same = before !== undefined && before.hashes['sha256'] === file.sha256;
      const entry = entryFor(file, formatUploadTime(options.uploadTime ?? file.mtime));
      if (same && before.uploadTime !== undefined) entry.uploadTime = before.uploadTime;
      if (same && before.yanked !== undefined) entry.yanked = before.yanked;
      const list = byProject.get(project) ?? [];
      list.push(entry);
      byProject.set(project, list);
    }

    assertHeld();
    for (const file of inspected) {
      if (file.metadata === undefined) continue;
      const path = `${file.path}.metadata`;
      metadataFiles.delete(path);
      const existing = await readFile(path).catch(() => undefined);
      if (existing === undefined || !existing.equals(file.metadata))
        await writeFileShortAtomically(path, file.metadata);
    }
    // A metadata file whose distribution is gone would be served for nothing.
    for (const orphan of metadataFiles) await rm(orphan, { force: true });

    const projects = [...byProject.keys()].sort();
    const summaries = new Map<string, ProjectSummary>();
    const settings = await readPageSettings(root);
    await replaceDirectory(join(root, BROWSE_DIR), async (dir) => {
      for (const project of projects) {
        const page = pageOf(project, sortIndexEntries(byProject.get(project) ?? []), statusByProject);
        summaries.set(project, summarizeProject(page));
        const html = renderBrowseProjectHtml(page, await browseOptions(root, page, settings));
        await writeTreeFile(dir, `${project}/index.html`, html);
      }
      await writeTreeFile(dir, BROWSE_STATE, renderBrowseState(summaries));
    });
    await writeFileAtomically(join(root, 'index.html'), renderBrowseRootFromState(summaries, settings));
    await replaceDirectory(join(root, SIMPLE), async (dir) => {
      await writeTreeFile(dir, 'index.html', renderRootHtml(projects));
      await writeTreeFile(dir, 'index.json', renderRootJson(projects));
      await forEachConcurrent(projects, 16, async (project) => {
        const page = pageOf(project, sortIndexEntries(byProject.get(project) ?? []), statusByProject);
        await mkdir(join(dir, project));
        await writeTreeFile(dir, `${project}/index.json`, renderProjectJson(page));
        await writeTreeFile(dir, `${project}/index.html`, renderProjectHtml(page));
      });
    });
    return { projects, files: inspected.length };
  });
}

function pageOf(
  name: string,
  files: IndexEntry[],
  statuses: ReadonlyMap<string, ProjectPage['status']>,
): ProjectPage {
  const status = statuses.get(name);
  return status === undefined ? { name, files } : { name, files, status };
}

function unexpected(path: string, why: string): PackyardError {
  return new PackyardError('CONFIG_INVALID', `${path} does not belong in the index: ${why}`, {
    file: path,
    hint: 'move it out of the index directory, or add it with addFilesToIndex',
  });
}

/** Options of yankFile. */
export interface YankOptions {
  /** Why the file is yanked (PEP 592's reason, shown by pip); default: yanked without a reason. */
  reason?: string;
}

/** What yankFile or unyankFile did. */
export interface YankResult {
  filename: string;
  /** The normalised project the file belongs to. */
  project: string;
  /** The file's mark now: absent when not yanked, `true` or the reason. */
  yanked?: true | string;
  /** False when the file already had that mark: nothing was written. */
  changed: boolean;
}

/**
 * Marks a file of a directory index yanked (PEP 592): installers skip it unless a requirement pins
 * its version exactly. The file stays where it is; the project's JSON, HTML and browsable pages
 * are rewritten (all or none). Yanking again with the same reason changes nothing.
 */
export async function yankFile(
  indexDir: string,
  filename: string,
  options: YankOptions = {},
): Promise<YankResult> {
  const reason = options.reason?.trim();
  return setYanked(indexDir, filename, reason === undefined || reason === '' ? true : reason);
}

/** Takes a file's yanked mark away again (see yankFile). */
export async function unyankFile(indexDir: string, filename: string): Promise<YankResult> {
  return setYanked(indexDir, filename, undefined);
}

async function setYanked(
  indexDir: string,
  filename: string,
  yanked: true | string | undefined,
): Promise<YankResult> {
  const root = resolve(indexDir);
  const parsed = checkDistributionFilename(filename, filename);
  const project = parsed.normalizedName;
  const notFound = (): PackyardError =>
    new PackyardError('CONFIG_INVALID', `${filename} is not in the index ${root}`, {
      file: root,
      field: 'filename',
      value: filename,
      hint: 'name a file the index lists (its simple/<project>/index.json), e.g. as `pkg-index add` printed it',
    });
  // Checked before the lock, so a mistyped name never creates anything.
  if ((await readProjectState(root, project)) === undefined) throw notFound();
  return withIndexLock(root, async (assertHeld) => {
    const state = await readProjectState(root, project);
    const entry = state?.files.find((file) => file.filename === filename);
    if (state === undefined || entry === undefined) throw notFound();
    const result: YankResult = { filename, project, changed: entry.yanked !== yanked };
    if (yanked !== undefined) result.yanked = yanked;
    if (!result.changed) return result;
    if (yanked === undefined) delete entry.yanked;
    else entry.yanked = yanked;
    const page = state;
    await rewriteProjectPages(root, project, page, assertHeld);
    return result;
  });
}

// Writes one project's JSON and HTML pages and the browse pages after a change to its state (yank,
// status), undoing what was written when a step fails.
async function rewriteProjectPages(
  root: string,
  project: string,
  page: ProjectPage,
  assertHeld: () => void,
): Promise<void> {
  const undo: (() => Promise<unknown>)[] = [];
  try {
    assertHeld();
    const dir = join(root, SIMPLE, project);
    await writePage(join(dir, 'index.json'), renderProjectJson(page), undo);
    await writePage(join(dir, 'index.html'), renderProjectHtml(page), undo);
    await writeBrowsePages(root, [page], undo);
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => {});
    throw error;
  }
}

/** What setProjectStatus did. */
export interface ProjectStatusResult {
  project: string;
  status: ProjectStatus;
  reason?: string;
  /** False when the project already had that status and reason: nothing was written. */
  changed: boolean;
}

/**
 * Sets a project's PEP 792 status marker (`archived`: no new files; `deprecated`; `active`, the
 * default, clears the mark) and rewrites its JSON, HTML and browsable pages, all or none. The
 * files stay. A project the index does not hold is CONFIG_INVALID, and nothing is created.
 */
export async function setProjectStatus(
  indexDir: string,
  projectName: string,
  status: ProjectStatus,
  options: { reason?: string } = {},
): Promise<ProjectStatusResult> {
  const root = resolve(indexDir);
  const project = normalizeProjectName(projectName);
  if (!['active', 'archived', 'deprecated'].includes(status)) {
    throw new PackyardError('CONFIG_INVALID', `unknown project status ${JSON.stringify(status)}`, {
      field: 'status',
      value: status,
      hint: 'one of active, archived, deprecated (PEP 792; quarantined would withdraw every file)',
    });
  }
  const reason = options.reason?.trim() || undefined;
  const notFound = (): PackyardError =>
    new PackyardError('CONFIG_INVALID', `${projectName} is not in the index ${root}`, {
      file: root,
      field: 'project',
      value: projectName,
    });
  if ((await readProjectState(root, project)) === undefined) throw notFound();
  return withIndexLock(root, async (assertHeld) => {
    const page = await readProjectState(root, project);
    if (page === undefined) throw notFound();
    const before = page.status ?? { status: 'active' };
    const result: ProjectStatusResult = {
      project,
      status,
      ...(reason === undefined ? {} : { reason }),
      changed: before.status !== status || (status !== 'active' && before.reason !== reason),
    };
    if (!result.changed) return result;
    if (status === 'active') delete page.status;
    else page.status = reason === undefined ? { status } : { status, reason };
    await rewriteProjectPages(root, project, page, assertHeld);
    return result;
  });
}
