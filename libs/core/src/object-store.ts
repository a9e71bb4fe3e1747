import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { PackyardError, isPackyardError } from './errors.js';
import { sha256File } from './fs.js';

/**
 * The object-store port: an S3/R2 bucket, or a local directory standing in for one. Formats and
 * pipelines talk to this interface only, so the remote backend and the local default are
 * interchangeable; `@packyard/r2-store` implements it (S3 and local) and formats that publish into
 * a store (archive, wheel-index) depend on core alone.
 */

/** An object as the destination reports it. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** The store's entity tag (quotes removed), for `If-Match`. */
  etag: string;
  /**
   * Lowercase hex sha256 of the stored bytes as the destination records it (S3: the object's
   * full-object SHA-256 checksum or its `sha256` metadata; local: hashed from the file), or
   * undefined when the destination cannot say (listings, objects written by other tools).
   */
  sha256: string | undefined;
  contentType: string | undefined;
  lastModified: Date | undefined;
}

/** Where the bytes of a put come from. */
export type ObjectBody = { bytes: Uint8Array | string } | { file: string };

/** A write condition the server enforces: create-only, or replace only what was read. */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

/** One put. */
export interface PutObjectInput {
  key: string;
  body: ObjectBody;
  contentType?: string;
  /** Hex sha256 of the body; computed when absent. The server refuses bytes that do not match it. */
  sha256?: string;
  /** Refused with STORE_CONFLICT (HTTP 412) when it does not hold. */
  condition?: WriteCondition;
  /** Free-form metadata (S3 `x-amz-meta-*`). */
  metadata?: Record<string, string>;
}

/** One page of a listing, in key order. */
export interface ListPage {
  objects: ObjectInfo[];
  /** Pass to the next `listPage` call; undefined on the last page. */
  nextToken: string | undefined;
}

/** Options of `listPage`. */
export interface ListPageOptions {
  token?: string | undefined;
  /** At most 1,000 (the S3 limit); default 1,000. */
  pageSize?: number;
}

/** The operations every backend provides. */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  /** Where objects live, for messages: `s3://bucket` or a directory. Never holds a credential. */
  readonly location: string;
  /** The object's metadata, or undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /** The object's bytes as a stream, or undefined when there is none. */
  getStream(key: string): Promise<Readable | undefined>;
  /** Writes an object; conditional writes that do not hold throw STORE_CONFLICT. */
  put(input: PutObjectInput): Promise<ObjectInfo>;
  /** One page of the keys that start with `prefix`. */
  listPage(prefix: string, options?: ListPageOptions): Promise<ListPage>;
  /** Every object whose key starts with `prefix`, page by page. */
  list(prefix: string, options?: { pageSize?: number }): AsyncIterable<ObjectInfo>;
  /** Deletes an object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/**
 * Checks an object key: non-empty, at most 1,024 bytes, relative, with no empty, `.` or `..` segment
 * and no control characters, so that the same key is safe for S3 and as a path under a directory.
 */
export function validateObjectKey(key: string): void {
  const bad = (why: string): never => {
    throw new PackyardError('CONFIG_INVALID', `invalid object key ${JSON.stringify(key)}: ${why}`, {
      field: 'key',
      value: key,
    });
  };
  if (typeof key !== 'string' || key === '') bad('it is empty');
  if (Buffer.byteLength(key) > 1024) bad('it is longer than 1,024 bytes');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) bad('it holds a control character or a backslash');
  if (key.startsWith('/')) bad('it starts with /');
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..')
      bad('it has an empty, "." or ".." path segment');
  }
  if (key.startsWith('.packyard-')) bad('keys starting with .packyard- are reserved');
}

/** Lists every object under `prefix` through `listPage`, page after page. */
export async function* listAllPages(
  store: Pick<ObjectStore, 'listPage'>,
  prefix: string,
  pageSize?: number,
): AsyncIterable<ObjectInfo> {
  let token: string | undefined;
  do {
    const page = await store.listPage(prefix, { token, ...(pageSize === undefined ? {} : { pageSize }) });
    yield* page.objects;
    token = page.nextToken;
  } while (token !== undefined);
}

/** One object to publish: its key, its bytes (a file or in memory), and its content type. */
export interface PublishItem {
  key: string;
  body: { file: string } | { bytes: Uint8Array | string };
  contentType?: string;
  /** Hex sha256 of the body, when already known (computed otherwise). */
  sha256?: string;
  metadata?: Record<string, string>;
}

/** What `publishObject` did. */
export interface PublishResult {
  key: string;
  action: 'uploaded' | 'skipped' | 'replaced';
  sha256: string;
  size: number;
}

/** Options for `publishObject`. */
export interface PublishOptions {
  /** Replace an object whose bytes differ (otherwise that is a STORE_CONFLICT). */
  replace?: boolean;
}

/** What a destination holds under the name being published, as `planByDigest` needs it. */
export interface StoredCopy {
  /** Lowercase hex sha256 of the stored bytes as the destination reports it, or undefined when it cannot say. */
  sha256: string | undefined;
  /** An upload that never finished (GitHub's `starter` asset): never the published bytes. */
  unfinished?: boolean;
}

/** What publishing one named artifact by digest should do. */
export type DigestPlan =
  /** Nothing is stored under the name. */
  | { action: 'upload' }
  /** The same bytes are already stored. */
  | { action: 'skip' }
  /** What is stored is unusable (an unfinished upload, or no digest where `unknownDigest: 'redo'`). */
  | { action: 'redo'; why: 'unfinished' | 'no-digest' }
  /** Other bytes are stored, and the caller asked to replace them. */
  | { action: 'replace'; stored: string | undefined }
  /** Other bytes (or bytes of unknown digest) are stored: refused, never overwritten silently. */
  | { action: 'conflict'; stored: string | undefined };

/** Options of `planByDigest`. */
export interface DigestPlanOptions {
  /** Replace stored bytes that differ (otherwise that is a conflict). */
  replace?: boolean;
  /**
   * A stored copy whose digest the destination cannot say: `conflict` (default; treated as other
   * bytes) or `redo` (a destination where such a copy is known to be a broken write).
   */
  unknownDigest?: 'conflict' | 'redo';
}

/**
 * The one publish-by-digest decision every destination uses (objects, release assets, index
 * entries): nothing stored → upload; an unfinished upload → redo; identical bytes → skip; other
 * bytes → conflict, or replace when asked. Pure: it only compares what the destination reported.
 */
export function planByDigest(
  stored: StoredCopy | undefined,
  sha256: string,
  options: DigestPlanOptions = {},
): DigestPlan {
  if (stored === undefined) return { action: 'upload' };
  if (stored.unfinished === true) return { action: 'redo', why: 'unfinished' };
  if (stored.sha256 === undefined && options.unknownDigest === 'redo')
    return { action: 'redo', why: 'no-digest' };
  if (stored.sha256 === sha256) return { action: 'skip' };
  if (options.replace === true) return { action: 'replace', stored: stored.sha256 };
  return { action: 'conflict', stored: stored.sha256 };
}

/**
 * Publishes one object idempotently by digest (`planByDigest`), reading the digest from the
 * destination: identical bytes → skip; other bytes under the key → STORE_CONFLICT unless `replace`;
 * missing → a create-only put. Two writers racing on a key cannot overwrite each other: the create
 * is `If-None-Match: *` and the replace is `If-Match: <etag read>`; a writer that loses the race
 * re-reads and skips when the winner wrote the same bytes.
 */
export async function publishObject(
  store: ObjectStore,
  item: PublishItem,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const sha256 = item.sha256 ?? (await digestOf(item.body));
  const size = 'file' in item.body ? undefined : Buffer.byteLength(item.body.bytes as string);
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await store.head(item.key);
    const stored = existing && { sha256: await readStoredDigest(store, existing) };
    const plan = planByDigest(stored, sha256, options);
    if (plan.action === 'skip') {
      return { key: item.key, action: 'skipped', sha256, size: size ?? (existing as ObjectInfo).size };
    }
    if (plan.action === 'conflict') {
      throw new PackyardError(
        'STORE_CONFLICT',
        `${item.key} already exists in ${store.location} with other bytes (sha256 ${plan.stored ?? 'unknown'}, new ${sha256})`,
        {
          field: 'key',
          value: item.key,
          hint: 'a published object is never overwritten silently: bump the version or build number, or pass --replace',
        },
      );
    }
    // upload: create-only; replace: only what was read (an object store never reports `redo`).
    const condition = existing === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: existing.etag };
    try {
      const written = await store.put({ ...putInput(item, sha256), condition });
      return {
        key: item.key,
        action: existing === undefined ? 'uploaded' : 'replaced',
        sha256,
        size: written.size,
      };
    } catch (error) {
      // Someone else wrote the key between our HEAD and our PUT: look again.
      if (isPackyardError(error, 'STORE_CONFLICT')) continue;
      throw error;
    }
  }
  throw new PackyardError(
    'STORE_CONFLICT',
    `${item.key} kept changing while it was being published to ${store.location}`,
    {
      field: 'key',
      value: item.key,
      hint: 'another writer is publishing the same key; run again when it has finished',
    },
  );
}

/**
 * Reads an object back from the destination and checks its sha256 (check after publishing).
 * Throws VERIFY_FAILED when it is missing or its bytes differ.
 */
export async function verifyObject(store: ObjectStore, key: string, sha256: string): Promise<void> {
  const stream = await store.getStream(key);
  if (stream === undefined) {
    throw new PackyardError(
      'VERIFY_FAILED',
      `${key} is missing from ${store.location} after it was published`,
      {
        field: 'key',
        value: key,
      },
    );
  }
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== sha256) {
    throw new PackyardError(
      'VERIFY_FAILED',
      `${key} in ${store.location} hashes to ${actual}, not the published ${sha256}`,
      {
        field: 'key',
        value: key,
      },
    );
  }
}

/**
 * The sha256 of an object as the destination holds it: the digest it reports, or (for an object
 * written by a tool that recorded none) the hash of the bytes it serves; undefined when it is gone.
 */
export async function readStoredDigest(
  store: Pick<ObjectStore, 'getStream'>,
  existing: ObjectInfo,
): Promise<string | undefined> {
  if (existing.sha256 !== undefined) return existing.sha256;
  // Written by a tool that recorded no digest: hash what the destination serves.
  const stream = await store.getStream(existing.key);
  if (stream === undefined) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function putInput(item: PublishItem, sha256: string) {
  return {
    key: item.key,
    body: item.body,
    sha256,
    ...(item.contentType === undefined ? {} : { contentType: item.contentType }),
    ...(item.metadata === undefined ? {} : { metadata: item.metadata }),
  };
}

async function digestOf(body: PublishItem['body']): Promise<string> {
  if ('file' in body) return sha256File(body.file);
  return createHash('sha256').update(body.bytes).digest('hex');
}
