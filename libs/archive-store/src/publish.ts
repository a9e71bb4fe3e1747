import { createHash } from 'node:crypto';
import { checkFinalName, checkPrefix } from './names.js';
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

/** One object to publish: a blob under its content hash, or under one of its final names. */
export type PlannedObject =
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

/** `publish`'s plan: where, and every object under both layouts (failures planned as such). */
export interface PublishPlan {
  prefix: string;
  objects: PlannedObject[];
}

/**
 * Reads every blob record (all of them before the first upload, so a bad one stops nothing but
 * itself) and every final name, and plans the publish with `planPublish`.
 */
export async function readPublishPlan(
  store: ArchiveStore,
  options: Pick<PublishBlobsOptions, 'prefix' | 'only'> = {},
): Promise<PublishPlan> {
  const prefix = checkPrefix(options.prefix ?? '');
  const all = options.only === undefined ? await store.listBlobs() : [...new Set(options.only)].sort();
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
  return { prefix, objects: planPublish(prefix, blobs, await store.finalNames()) };
}
