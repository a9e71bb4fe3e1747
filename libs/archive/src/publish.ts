import { createHash } from 'node:crypto';
import { PackyardError, mapConcurrent, publishObject, verifyObject, type ObjectStore } from '@packyard/core';
import { checkFinalName } from './dynamic.js';
import { digestFile } from './hash.js';
import { fanOutPath, type ArchiveStore } from './store.js';

/**
 * The `layout.conf` Portage's mirror code reads (GLEP 75), listing both layouts every archive is
 * published under: `content-hash SHA512 8:8:8` (`<s[0:2]>/<s[2:4]>/<s[4:6]>/<sha512>`, as metatools'
 * CDN serves it) first, and `filename-hash BLAKE2B 8` (`<b[0:2]>/<final name>`, b = BLAKE2B of the
 * name, as distfiles.gentoo.org serves it).
 */
export const LAYOUT_CONF = '[structure]\n0=content-hash SHA512 8:8:8\n1=filename-hash BLAKE2B 8\n';

/** Where GLEP 75's `filename-hash BLAKE2B 8` layout puts `finalName`: `<b[0:2]>/<finalName>`. Pure. */
export function filenameHashPath(finalName: string): string {
  const hash = createHash('blake2b512').update(finalName, 'utf8').digest('hex');
  return `${hash.slice(0, 2)}/${finalName}`;
}

/** Options of `publishBlobs`. */
export interface PublishBlobsOptions {
  /** Key prefix in the object store, such as `distfiles/`; default none. */
  prefix?: string;
  /** Publish only these blobs (sha512s); default every blob in the store. */
  only?: readonly string[];
  /** Uploads at once; default 4. */
  concurrency?: number;
  /** Receives one line per object: `[n/N] uploaded|skipped <sha512 or name>`. */
  log?: (line: string) => void;
}

/** What `publishBlobs` did. */
export interface PublishReport {
  /** Where: the object store's location. */
  location: string;
  /** Blobs (sha512s) put under the content-hash layout. */
  uploaded: string[];
  skipped: string[];
  /** Final names put under the filename-hash layout. */
  names: { uploaded: string[]; skipped: string[] };
  /** Blobs or names that could not be published, with why; the others were still published. */
  failed: Array<{ sha512: string; finalName?: string; error: string }>;
  layoutConf: 'uploaded' | 'skipped';
}

function checkPrefix(prefix: string): string {
  if (prefix === '') return '';
  if (
    prefix.startsWith('/') ||
    prefix.split('/').some((part, i, all) => part === '..' || (part === '' && i < all.length - 1))
  ) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `prefix ${JSON.stringify(prefix)} is not a relative key prefix`,
      {
        field: 'prefix',
        value: prefix,
        hint: 'give a prefix such as distfiles/',
      },
    );
  }
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** One object to publish: a blob under its content hash, or under one of its final names. */
type PlannedObject =
  | { key: string; sha512: string; sha256: string; size: number; finalName?: string }
  | { sha512: string; finalName?: string; error: string };

/**
 * Plans the objects of a publish from the store's records (pure once they are read): every blob
 * under its content-hash key, and every final name a dynamic record gives it under its
 * filename-hash key. A name two records give different blobs cannot be served by name (one name,
 * one file), so it is planned as a failure; so is a name that is not a plain file name.
 */
export function planPublish(
  prefix: string,
  blobs: ReadonlyArray<{ sha512: string; sha256: string; size: number } | { sha512: string; error: string }>,
  names: ReadonlyArray<{ finalName: string; sha512: string }>,
): PlannedObject[] {
  const planned: PlannedObject[] = blobs.map((blob) =>
    'error' in blob ? blob : { ...blob, key: `${prefix}${fanOutPath(blob.sha512)}` },
  );
  const byBlob = new Map(blobs.map((blob) => [blob.sha512, blob]));
  const byName = new Map<string, Set<string>>();
  for (const { finalName, sha512 } of names) {
    if (!byBlob.has(sha512)) continue;
    byName.set(finalName, (byName.get(finalName) ?? new Set()).add(sha512));
  }
  for (const [finalName, shas] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sha512 = [...shas].sort()[0]!;
    const blob = byBlob.get(sha512)!;
    let error: string | undefined;
    try {
      checkFinalName(finalName);
    } catch (caught) {
      error = (caught as Error).message;
    }
    if (shas.size > 1)
      error = `${shas.size} different archives are stored under the name ${finalName}; a mirror serves one file per name`;
    else if ('error' in blob) error = blob.error;
    if ('error' in blob) planned.push({ sha512, finalName, error: error ?? blob.error });
    else if (error !== undefined) planned.push({ sha512, finalName, error });
    else planned.push({ ...blob, finalName, key: `${prefix}${filenameHashPath(finalName)}` });
  }
  return planned;
}

/**
 * Pushes blobs to an object store under both GLEP 75 layouts, with a `layout.conf` naming them:
 * `<prefix><s[0:2]>/<s[2:4]>/<s[4:6]>/<sha512>` (content-hash) and `<prefix><b[0:2]>/<final name>`
 * for every final name a dynamic record gives the blob (filename-hash). Idempotent by digest as the
 * destination reports it: an object already there with the same sha256 is skipped, a missing one is
 * uploaded (create-only) and then read back and compared; other bytes under an object's name are a
 * STORE_CONFLICT. A local blob is re-hashed before it is uploaded and never sent when its bytes do
 * not match its record.
 */
export async function publishBlobs(
  store: ArchiveStore,
  target: ObjectStore,
  options: PublishBlobsOptions = {},
): Promise<PublishReport> {
  const prefix = checkPrefix(options.prefix ?? '');
  const all = options.only === undefined ? await store.listBlobs() : [...new Set(options.only)].sort();
  // Every record is read before the first upload, so a bad one stops nothing but itself.
  const blobs: Array<{ sha512: string; sha256: string; size: number } | { sha512: string; error: string }> =
    [];
  for (const sha512 of all) {
    try {
      const record = await store.readBlobRecord(sha512);
      if (record === undefined) blobs.push({ sha512, error: 'no blob record in the store' });
      else blobs.push({ sha512, sha256: record.sha256, size: record.size });
    } catch (error) {
      blobs.push({ sha512, error: (error as Error).message });
    }
  }
  const planned = planPublish(prefix, blobs, await store.finalNames());
  const report: PublishReport = {
    location: target.location,
    uploaded: [],
    skipped: [],
    names: { uploaded: [], skipped: [] },
    failed: [],
    layoutConf: 'skipped',
  };
  let done = 0;
  const results = await mapConcurrent(planned, options.concurrency ?? 4, async (item) => {
    if ('error' in item) throw new Error(item.error);
    const path = store.blobPath(item.sha512);
    const present = await target.head(item.key);
    if (present === undefined) {
      const { digests, size } = await digestFile(path);
      if (digests.sha512 !== item.sha512 || digests.sha256 !== item.sha256 || size !== item.size) {
        throw new PackyardError(
          'VERIFY_FAILED',
          `blob ${path} does not hold the bytes its name says; not published`,
          {
            file: path,
            hint: 'run `dynamic-archives verify`, then store the archive again',
          },
        );
      }
    }
    const result = await publishObject(target, {
      key: item.key,
      body: { file: path },
      sha256: item.sha256,
      contentType: 'application/octet-stream',
    });
    if (result.action !== 'skipped') await verifyObject(target, item.key, item.sha256);
    done++;
    options.log?.(
      `[${done}/${planned.length}] ${result.action === 'skipped' ? 'skipped' : 'uploaded'} ${item.finalName ?? item.sha512}`,
    );
    return result.action;
  });
  results.forEach((result, index) => {
    const { sha512, finalName } = planned[index]!;
    if (result.status === 'fulfilled') {
      const into = finalName === undefined ? report : report.names;
      (result.value === 'skipped' ? into.skipped : into.uploaded).push(finalName ?? sha512);
    } else {
      report.failed.push({
        sha512,
        ...(finalName === undefined ? {} : { finalName }),
        error: result.reason instanceof Error ? result.reason.message : String(result.reason),
      });
    }
  });
  const layout = await publishObject(target, {
    key: `${prefix}layout.conf`,
    body: { bytes: LAYOUT_CONF },
    contentType: 'text/plain; charset=utf-8',
  });
  if (layout.action !== 'skipped') await verifyObject(target, `${prefix}layout.conf`, layout.sha256);
  report.layoutConf = layout.action === 'skipped' ? 'skipped' : 'uploaded';
  return report;
}
