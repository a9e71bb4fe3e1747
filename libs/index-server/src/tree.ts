import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '@packyard/core';
import { BROWSE_DIR, LOCK_NAME, TEMPORARY_NAME, parseProjectJson } from '@packyard/wheel-index';
import type { IndexEntry } from '@packyard/wheel-index';

/**
 * How an upload's staging directory is named (`<prefix><pid>-<random>` in the staging directory,
 * the OS temporary directory by default), so a restart finds what a dead process left.
 */
export const STAGING_PREFIX = 'pkg-index-upload-';
/** Where start-up recovery sets aside complete files that no page lists (nothing is deleted). */
export const UNLISTED_DIR = '.packyard-unlisted';

/** Something in an index directory that a consistent index does not have. */
export type TreeFinding =
  | { kind: 'lock'; path: string }
  | { kind: 'staging'; path: string; pid: number }
  | { kind: 'temporary'; path: string }
  | { kind: 'unlisted'; path: string; project: string; filename: string }
  | { kind: 'listed-missing'; path: string; filename: string }
  | { kind: 'listed-damaged'; path: string; filename: string; why: string }
  | { kind: 'page-stale'; path: string; why: string };

/** A listed file, as the server needs it: its JSON page entry. */
export type ListedFile = Pick<IndexEntry, 'filename' | 'hashes' | 'size' | 'coreMetadata'>;

// write-file-atomic's temporaries: `<name>.<decimal>` beside the page or file it writes.
const ATOMIC_TEMPORARY = /^(?:index\.(?:html|json)|.+\.(?:whl|tar\.gz|zip)(?:\.metadata)?|[^/]+\.json)\.\d+$/;
const PROJECT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const DISTRIBUTION = /\.(?:whl|tar\.gz|zip)$/;

/** Whether a name in an index directory is a temporary a killed writer left. Pure. */
export function isTemporaryName(name: string): boolean {
  return TEMPORARY_NAME.test(name) || ATOMIC_TEMPORARY.test(name);
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch((error: unknown) => {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return [];
    throw error;
  });
}

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
}

/** The files a project's JSON page lists (the index's record); undefined when it has no page. */
export async function readListing(root: string, project: string): Promise<ListedFile[] | undefined> {
  const path = join(root, 'simple', project, 'index.json');
  const text = await readText(path);
  return text === undefined ? undefined : parseProjectJson(text, path).files;
}

/** The pid a staging directory (`pkg-index-upload-<pid>-<random>`) belongs to. Pure. */
export function stagingOwner(name: string): number | undefined {
  const match = /^pkg-index-upload-(\d+)-/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function linkedFilenames(html: string): Set<string> {
  const found = new Set<string>();
  for (const match of html.matchAll(/href=["'][^"'#?]*\/files\/[^/"']+\/([^"'#?/]+)/g)) {
    found.add(decodeURIComponent(match[1]!));
  }
  return found;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Options of inspectIndexTree. */
export interface InspectTreeOptions {
  /** Where uploads are staged (default: the OS temporary directory). */
  stagingDir?: string;
  /** Also read every listed file and compare its size and sha256 with the page (verify). */
  hashes?: boolean;
}

/**
 * Everything in an index directory that a consistent index does not have: a lock, staging left by
 * an upload, temporaries, files no page lists, listed files missing or damaged, pages that
 * disagree with the JSON record. Reads only.
 */
export async function inspectIndexTree(
  root: string,
  options: InspectTreeOptions = {},
): Promise<TreeFinding[]> {
  const findings: TreeFinding[] = [];
  if (await stat(join(root, LOCK_NAME)).catch(() => undefined)) {
    findings.push({ kind: 'lock', path: join(root, LOCK_NAME) });
  }
  const staging = options.stagingDir ?? tmpdir();
  for (const name of await names(staging)) {
    const pid = stagingOwner(name);
    // Only a dead process's: a live one may be receiving an upload for this index or another.
    if (pid !== undefined && !isProcessAlive(pid)) {
      findings.push({ kind: 'staging', path: join(staging, name), pid });
    }
  }
  const rootNames = await names(root);
  for (const name of rootNames) {
    if (isTemporaryName(name)) findings.push({ kind: 'temporary', path: join(root, name) });
  }
  for (const sub of ['simple', BROWSE_DIR]) {
    for (const name of await names(join(root, sub))) {
      if (isTemporaryName(name)) findings.push({ kind: 'temporary', path: join(root, sub, name) });
      else
        for (const inner of await names(join(root, sub, name))) {
          if (isTemporaryName(inner))
            findings.push({ kind: 'temporary', path: join(root, sub, name, inner) });
        }
    }
  }

  const projects = new Set<string>();
  for (const name of await names(join(root, 'simple'))) {
    if (PROJECT.test(name) && (await readText(join(root, 'simple', name, 'index.json'))) !== undefined)
      projects.add(name);
  }
  for (const project of await names(join(root, 'files'))) {
    const dir = join(root, 'files', project);
    const listed = new Set(
      (PROJECT.test(project) ? ((await readListing(root, project)) ?? []) : []).map((f) => f.filename),
    );
    for (const name of await names(dir)) {
      const path = join(dir, name);
      if (isTemporaryName(name)) findings.push({ kind: 'temporary', path });
      else if (DISTRIBUTION.test(name) && !listed.has(name))
        findings.push({ kind: 'unlisted', path, project, filename: name });
      else if (name.endsWith('.metadata') && !listed.has(name.slice(0, -'.metadata'.length)))
        findings.push({ kind: 'unlisted', path, project, filename: name });
    }
  }

  const hasBrowsePages = (await stat(join(root, 'index.html')).catch(() => undefined)) !== undefined;
  for (const project of projects) {
    const files = (await readListing(root, project)) ?? [];
    const listed = new Set(files.map((f) => f.filename));
    const htmlPath = join(root, 'simple', project, 'index.html');
    const html = await readText(htmlPath);
    const linked = html === undefined ? undefined : linkedFilenames(html);
    if (linked === undefined || linked.size !== listed.size || [...listed].some((f) => !linked.has(f))) {
      findings.push({
        kind: 'page-stale',
        path: htmlPath,
        why: 'it does not link exactly the files the JSON page lists',
      });
    }
    const browsePath = join(root, BROWSE_DIR, project, 'index.html');
    const browse = await readText(browsePath);
    if (hasBrowsePages && (browse === undefined || [...listed].some((f) => !browse.includes(f)))) {
      findings.push({ kind: 'page-stale', path: browsePath, why: 'it does not show every listed file' });
    }
    for (const file of files) {
      const path = join(root, 'files', project, file.filename);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || !info.isFile()) {
        findings.push({ kind: 'listed-missing', path, filename: file.filename });
        continue;
      }
      if (file.coreMetadata !== undefined && !(await stat(`${path}.metadata`).catch(() => undefined))) {
        findings.push({
          kind: 'listed-missing',
          path: `${path}.metadata`,
          filename: `${file.filename}.metadata`,
        });
      }
      if (options.hashes !== true) continue;
      if (file.size !== undefined && file.size !== info.size) {
        findings.push({
          kind: 'listed-damaged',
          path,
          filename: file.filename,
          why: `${info.size} bytes, the page says ${file.size}`,
        });
        continue;
      }
      const sha256 = file.hashes['sha256'];
      if (sha256 !== undefined && (await sha256Of(path)) !== sha256) {
        findings.push({
          kind: 'listed-damaged',
          path,
          filename: file.filename,
          why: `its sha256 is not the listed ${sha256}`,
        });
      }
      const metadataSha = typeof file.coreMetadata === 'object' ? file.coreMetadata['sha256'] : undefined;
      if (metadataSha !== undefined && (await stat(`${path}.metadata`).catch(() => undefined))) {
        if ((await sha256Of(`${path}.metadata`)) !== metadataSha) {
          findings.push({
            kind: 'listed-damaged',
            path: `${path}.metadata`,
            filename: `${file.filename}.metadata`,
            why: 'its sha256 is not the listed one',
          });
        }
      }
    }
  }

  const rootJsonPath = join(root, 'simple', 'index.json');
  const rootJson = await readText(rootJsonPath);
  if (projects.size > 0 || rootJson !== undefined) {
    let named: string[] = [];
    try {
      const body = JSON.parse(rootJson ?? '{}') as { projects?: Array<{ name: string }> };
      named = (body.projects ?? []).map((p) => p.name);
    } catch {
      named = [];
    }
    const same = named.length === projects.size && named.every((name) => projects.has(name));
    if (!same)
      findings.push({
        kind: 'page-stale',
        path: rootJsonPath,
        why: 'it does not name exactly the projects that have pages',
      });
  }
  return findings;
}

/** One line for a finding, relative to the index. Pure. */
export function describeFinding(root: string, finding: TreeFinding): string {
  const where = finding.path.startsWith(`${root}/`) ? finding.path.slice(root.length + 1) : finding.path;
  switch (finding.kind) {
    case 'lock':
      return `${where}: the index lock is held`;
    case 'staging':
      return `${where}: an upload's staging directory (process ${finding.pid})`;
    case 'temporary':
      return `${where}: a temporary file a writer left`;
    case 'unlisted':
      return `${where}: a file no page lists`;
    case 'listed-missing':
      return `${where}: listed, but missing`;
    case 'listed-damaged':
      return `${where}: listed, but ${finding.why}`;
    case 'page-stale':
      return `${where}: ${finding.why}`;
  }
}
