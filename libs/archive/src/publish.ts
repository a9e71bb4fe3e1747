import { PackyardError } from '@packyard/core';
import { mapConcurrent, publishObject, verifyObject, type ObjectStore } from '@packyard/r2-store';
import { digestFile } from './hash.js';
import { fanOutPath, type ArchiveStore } from './store.js';

/**
 * The `layout.conf` Portage's mirror code reads (GLEP 75): files under `<s[0:2]>/<s[2:4]>/<s[4:6]>/<sha512>`,
 * with a flat layout as the fallback, as metatools' CDN serves it.
 */
export const LAYOUT_CONF = '[structure]\n0=content-hash SHA512 8:8:8\n1=flat\n';

/** Options of `publishBlobs`. */
export interface PublishBlobsOptions {
  /** Key prefix in the object store, such as `distfiles/`; default none. */
  prefix?: string;
  /** Publish only these blobs (sha512s); default every blob in the store. */
  only?: readonly string[];
  /** Uploads at once; default 4. */
  concurrency?: number;
  /** Receives one line per blob: `[n/N] uploaded|skipped <sha512>`. */
  log?: (line: string) => void;
}

/** What `publishBlobs` did. */
export interface PublishReport {
  /** Where: the object store's location. */
  location: string;
  uploaded: string[];
  skipped: string[];
  /** Blobs that could not be published, with why; the others were still published. */
  failed: Array<{ sha512: string; error: string }>;
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

/**
 * Pushes blobs to an object store under `<prefix><s[0:2]>/<s[2:4]>/<s[4:6]>/<sha512>`, with a
 * `layout.conf`, idempotently by digest as the destination reports it: a blob already there with
 * the same sha256 is skipped, a missing one is uploaded (create-only) and then read back and
 * compared; other bytes under a blob's name are a STORE_CONFLICT (content-addressed names never
 * change content). A local blob is re-hashed before it is uploaded and never sent when its bytes
 * do not match its record.
 */
export async function publishBlobs(
  store: ArchiveStore,
  target: ObjectStore,
  options: PublishBlobsOptions = {},
): Promise<PublishReport> {
  const prefix = checkPrefix(options.prefix ?? '');
  const all = options.only === undefined ? await store.listBlobs() : [...new Set(options.only)].sort();
  // Every record is read before the first upload, so a bad one stops nothing but itself.
  const planned: Array<{ sha512: string; sha256: string; size: number } | { sha512: string; error: string }> =
    [];
  for (const sha512 of all) {
    try {
      const record = await store.readBlobRecord(sha512);
      if (record === undefined) planned.push({ sha512, error: 'no blob record in the store' });
      else planned.push({ sha512, sha256: record.sha256, size: record.size });
    } catch (error) {
      planned.push({ sha512, error: (error as Error).message });
    }
  }
  const report: PublishReport = {
    location: target.location,
    uploaded: [],
    skipped: [],
    failed: [],
    layoutConf: 'skipped',
  };
  let done = 0;
  const results = await mapConcurrent(planned, options.concurrency ?? 4, async (item) => {
    if ('error' in item) throw new Error(item.error);
    const key = `${prefix}${fanOutPath(item.sha512)}`;
    const path = store.blobPath(item.sha512);
    const present = await target.head(key);
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
      key,
      body: { file: path },
      sha256: item.sha256,
      contentType: 'application/octet-stream',
    });
    if (result.action !== 'skipped') await verifyObject(target, key, item.sha256);
    done++;
    options.log?.(
      `[${done}/${planned.length}] ${result.action === 'skipped' ? 'skipped' : 'uploaded'} ${item.sha512}`,
    );
    return result.action;
  });
  results.forEach((result, index) => {
    const sha512 = planned[index]!.sha512;
    if (result.ok) (result.value === 'skipped' ? report.skipped : report.uploaded).push(sha512);
    else
      report.failed.push({
        sha512,
        error: result.error instanceof Error ? result.error.message : String(result.error),
      });
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
