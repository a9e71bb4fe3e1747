import type { Readable } from 'node:stream';
import { PackyardError } from '@packyard/core';

/**
 * An object store: an S3/R2 bucket, or a local directory standing in for one. Pipelines talk to this
 * interface only, so the remote backend and the local default are interchangeable.
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
