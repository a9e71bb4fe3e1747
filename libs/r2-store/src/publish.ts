import { createHash } from 'node:crypto';
import { PackyardError, isPackyardError, sha256File } from '@packyard/core';
import type { ObjectInfo, ObjectStore } from './store.js';

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

/**
 * Publishes one object idempotently by digest, reading the digest from the destination:
 * identical bytes → skip; other bytes under the key → STORE_CONFLICT unless `replace`;
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
    if (existing === undefined) {
      try {
        const written = await store.put({ ...putInput(item, sha256), condition: { ifNoneMatch: '*' } });
        return { key: item.key, action: 'uploaded', sha256, size: written.size };
      } catch (error) {
        // Someone else created it between our HEAD and our PUT: look again.
        if (isPackyardError(error, 'STORE_CONFLICT')) continue;
        throw error;
      }
    }
    const stored = await destinationDigest(store, existing);
    if (stored === sha256) return { key: item.key, action: 'skipped', sha256, size: size ?? existing.size };
    if (options.replace !== true) {
      throw new PackyardError(
        'STORE_CONFLICT',
        `${item.key} already exists in ${store.location} with other bytes (sha256 ${stored ?? 'unknown'}, new ${sha256})`,
        {
          field: 'key',
          value: item.key,
          hint: 'a published object is never overwritten silently: bump the version or build number, or pass --replace',
        },
      );
    }
    try {
      const written = await store.put({ ...putInput(item, sha256), condition: { ifMatch: existing.etag } });
      return { key: item.key, action: 'replaced', sha256, size: written.size };
    } catch (error) {
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
 * Maps `items` through `work` with at most `limit` running at once; results keep the input order.
 * Every item runs even when some fail: each result is `{ ok: true, value }` or `{ ok: false, error }`.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<Array<{ ok: true; value: R } | { ok: false; error: unknown }>> {
  const results: Array<{ ok: true; value: R } | { ok: false; error: unknown }> = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { ok: true, value: await work(items[index] as T, index) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function destinationDigest(store: ObjectStore, existing: ObjectInfo): Promise<string | undefined> {
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
