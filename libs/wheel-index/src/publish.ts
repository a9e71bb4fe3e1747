import { readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import {
  PackyardError,
  planByDigest,
  forEachConcurrent,
  publishObject,
  readStoredDigest,
  sha256File,
  validateObjectKey,
  type ObjectStore,
  type PublishResult,
} from '@packyard/core';
import { LOCK_NAME, withIndexLock } from './fs-util.js';
import { PACKAGE_LIST_STATE } from './package-list.js';

/** PEP 691's media type for the JSON pages; installers pick the JSON parser from it. */
export const SIMPLE_JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

/**
 * When an object may be written: distributions and metadata files first, then the project pages
 * that link them, then the root pages that link the projects, so a reader never follows a link to
 * an object the store does not hold yet.
 */
export type IndexObjectStage = 'files' | 'projects' | 'roots';

/** One object of a published index: where it comes from, its key and how it is served. */
export interface IndexObject {
  /** The index directory's relative path with `/` separators, also the object key (before a prefix). */
  path: string;
  key: string;
  contentType: string;
  stage: IndexObjectStage;
  /** Distributions and their metadata files never change once published; pages are rewritten. */
  immutable: boolean;
}

/** Options of publishIndex. */
export interface PublishIndexOptions {
  /** Key prefix in the store (`pypi/` → `pypi/simple/...`); default none. */
  prefix?: string;
  /** Replace a distribution or metadata file whose bytes differ (default: refuse, STORE_CONFLICT). */
  replace?: boolean;
  /** Objects written at once; default 8. */
  concurrency?: number;
  /** Called after each object, for progress. */
  onObject?: (result: PublishResult, done: number, total: number) => void;
}

/** What publishIndex did, by key. */
export interface PublishIndexResult {
  uploaded: string[];
  skipped: string[];
  replaced: string[];
}

const STAGES: readonly IndexObjectStage[] = ['files', 'projects', 'roots'];

/**
 * The objects of an index directory's files (relative paths from `readIndexTree`), each with its
 * key, Content-Type and stage. Pure.
 */
export function planIndexObjects(paths: readonly string[], prefix = ''): IndexObject[] {
  const objects = paths.map((path): IndexObject => {
    const key = `${prefix}${path}`;
    validateObjectKey(key);
    const inFiles = path.startsWith('files/');
    const isRoot = !path.includes('/') || /^(?:simple|project)\/[^/]+$/.test(path);
    return {
      path,
      key,
      contentType: contentTypeOf(path),
      stage: inFiles ? 'files' : isRoot ? 'roots' : 'projects',
      immutable: inFiles,
    };
  });
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The Content-Type an index object is served with. The simple pages say which API they speak
 * (PEP 691: pip and uv choose their parser by it), the rest are what PyPI serves them as. Pure.
 */
export function contentTypeOf(path: string): string {
  if (path.startsWith('simple/') && path.endsWith('/index.json')) return SIMPLE_JSON_TYPE;
  if (path === 'simple/index.json') return SIMPLE_JSON_TYPE;
  if (path.endsWith('.html')) return 'text/html; charset=utf-8';
  if (path.endsWith('.json')) return 'application/json';
  // PEP 658: the metadata file is the METADATA text itself.
  if (path.endsWith('.metadata')) return 'text/plain; charset=utf-8';
  if (path.endsWith('.tar.gz')) return 'application/gzip';
  if (path.endsWith('.zip')) return 'application/zip';
  return 'application/octet-stream';
}

/**
 * The relative paths of everything an index directory publishes, sorted: its distributions,
 * metadata files and pages, without the writers' lock, a package-list build's state and any
 * dot-named temporary file a killed writer left behind.
 */
export async function readIndexTree(indexDir: string): Promise<string[]> {
  const root = resolve(indexDir);
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(relative(root, path).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.filter((path) => path !== PACKAGE_LIST_STATE && path !== LOCK_NAME).sort();
}

/**
 * Publishes an index directory (written by addFilesToIndex, writeIndex or
 * writeIndexFromPackageList) to an object store, idempotently by digest: an object the store
 * holds with the same sha256 is skipped, a missing one uploaded; a distribution or metadata file
 * held with other bytes is refused (STORE_CONFLICT, before anything is written) unless `replace`,
 * while pages are rewritten when they changed. Files go first, then project pages, then the root
 * pages. The index lock is held throughout, so the tree does not change under the upload.
 */
export async function publishIndex(
  indexDir: string,
  store: ObjectStore,
  options: PublishIndexOptions = {},
): Promise<PublishIndexResult> {
  const root = resolve(indexDir);
  const prefix = options.prefix ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) {
    throw new PackyardError('CONFIG_INVALID', `a key prefix ends with "/", not ${JSON.stringify(prefix)}`, {
      field: 'prefix',
      value: prefix,
      hint: `use ${JSON.stringify(`${prefix}/`)}`,
    });
  }
  const paths = await readIndexTree(root).catch((error: unknown) => {
    throw new PackyardError('CONFIG_MISSING', `${root} cannot be read as an index directory`, {
      file: root,
      hint: 'give the directory `pkg-index add` or `pkg-index build` wrote',
      cause: error,
    });
  });
  if (!paths.includes('simple/index.json')) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `${root} is not an index directory: it has no simple/index.json`,
      {
        file: root,
        hint: 'give the directory `pkg-index add` or `pkg-index build` wrote',
      },
    );
  }
  const objects = planIndexObjects(paths, prefix);
  const concurrency = options.concurrency ?? 8;
  return withIndexLock(root, async () => {
    const digests = new Map<string, string>();
    await forEachConcurrent(objects, concurrency, async (object) => {
      digests.set(object.key, await sha256File(join(root, object.path)));
    });
    if (options.replace !== true) await refuseConflicts(store, objects, digests, concurrency);
    const result: PublishIndexResult = { uploaded: [], skipped: [], replaced: [] };
    let done = 0;
    for (const stage of STAGES) {
      const batch = objects.filter((object) => object.stage === stage);
      await forEachConcurrent(batch, concurrency, async (object) => {
        const published = await publishObject(
          store,
          {
            key: object.key,
            // Streamed from the file: a wheel can be large.
            body: { file: join(root, object.path) },
            contentType: object.contentType,
            sha256: digests.get(object.key) as string,
          },
          { replace: !object.immutable || options.replace === true },
        );
        result[published.action].push(object.key);
        done += 1;
        options.onObject?.(published, done, objects.length);
      });
    }
    for (const list of Object.values(result) as string[][]) list.sort();
    return result;
  });
}

// Every conflict is found before the first write, so a refused publish changes nothing.
async function refuseConflicts(
  store: ObjectStore,
  objects: readonly IndexObject[],
  digests: ReadonlyMap<string, string>,
  concurrency: number,
): Promise<void> {
  const conflicts: { key: string; stored: string; local: string }[] = [];
  await forEachConcurrent(
    objects.filter((object) => object.immutable),
    concurrency,
    async (object) => {
      const head = await store.head(object.key);
      const stored = head && { sha256: await readStoredDigest(store, head) };
      const local = digests.get(object.key) as string;
      const plan = planByDigest(stored, local);
      if (plan.action === 'conflict') {
        conflicts.push({ key: object.key, stored: plan.stored ?? 'unknown', local });
      }
    },
  );
  if (conflicts.length === 0) return;
  conflicts.sort((a, b) => (a.key < b.key ? -1 : 1));
  const first = conflicts[0] as (typeof conflicts)[number];
  throw new PackyardError(
    'STORE_CONFLICT',
    `${store.location} holds ${conflicts.length === 1 ? first.key : `${conflicts.length} files (first ${first.key})`} with other bytes (sha256 ${first.stored}, the index's ${first.local}); nothing was written`,
    {
      field: 'key',
      value: conflicts.map((conflict) => conflict.key),
      hint: 'a published file never changes: release a new version, or publish with replace',
    },
  );
}
