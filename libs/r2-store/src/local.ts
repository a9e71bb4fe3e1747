import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import {
  PackyardError,
  sha256File,
  listAllPages,
  validateObjectKey,
  type ObjectInfo,
  type ObjectStore,
  type PutObjectInput,
} from '@packyard/core';
import lockfile from 'proper-lockfile';

/** Options for `createLocalStore`. */
export interface LocalStoreOptions {
  /** The directory that stands in for the bucket; object `a/b.txt` is the file `<dir>/a/b.txt`. */
  dir: string;
}

// Temporary files and per-key locks live here, on the same file system as the objects (so a rename
// is atomic) and outside every listing.
const WORK_DIR = '.packyard-store';

/**
 * A directory that behaves like a bucket: writes are atomic (temporary file + rename), create-only
 * writes use `link(2)`, which fails when the name exists, and replace-if-unchanged writes hold a
 * per-key lock while they compare. The etag and sha256 of an object are the sha256 of its file.
 * Content types are not kept.
 */
export function createLocalStore(options: LocalStoreOptions): ObjectStore {
  const root = resolve(options.dir);
  const workDir = join(root, WORK_DIR);
  const pathOf = (key: string): string => {
    validateObjectKey(key);
    return join(root, ...key.split('/'));
  };

  const head = async (key: string): Promise<ObjectInfo | undefined> => {
    const path = pathOf(key);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw storeError(`cannot read ${path}`, key, error);
    });
    if (info === undefined || !info.isFile()) return undefined;
    const sha256 = await sha256File(path);
    return { key, size: info.size, etag: sha256, sha256, contentType: undefined, lastModified: info.mtime };
  };

  const store: ObjectStore = {
    kind: 'local',
    location: root,
    head,
    async get(key) {
      const path = pathOf(key);
      return readFile(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR' || error.code === 'EISDIR') return undefined;
        throw storeError(`cannot read ${path}`, key, error);
      });
    },
    async getStream(key): Promise<Readable | undefined> {
      const path = pathOf(key);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || !info.isFile()) return undefined;
      return createReadStream(path);
    },
    async put(input) {
      const path = pathOf(input.key);
      await mkdir(workDir, { recursive: true });
      const tmp = join(workDir, `${randomBytes(8).toString('hex')}.tmp`);
      try {
        const { sha256, size } = await writeTemp(tmp, input);
        if (input.sha256 !== undefined && input.sha256.toLowerCase() !== sha256) {
          throw new PackyardError(
            'STORE_FAILED',
            `checksum mismatch for ${input.key}: the body's sha256 is ${sha256}, not ${input.sha256}`,
            { field: 'sha256', value: input.sha256 },
          );
        }
        await mkdir(dirname(path), { recursive: true });
        const condition = input.condition;
        if (condition !== undefined && 'ifNoneMatch' in condition) {
          try {
            await link(tmp, path);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST')
              throw preconditionFailed(input.key, 'it already exists');
            throw error;
          }
        } else if (condition !== undefined) {
          await withKeyLock(workDir, input.key, async () => {
            const current = await head(input.key);
            if (current === undefined || current.etag !== condition.ifMatch) {
              throw preconditionFailed(
                input.key,
                current === undefined ? 'it does not exist' : 'it changed since it was read',
              );
            }
            await rename(tmp, path);
          });
        } else {
          await withKeyLock(workDir, input.key, () => rename(tmp, path));
        }
        const written = await stat(path);
        return {
          key: input.key,
          size,
          etag: sha256,
          sha256,
          contentType: undefined,
          lastModified: written.mtime,
        };
      } catch (error) {
        if (error instanceof PackyardError) throw error;
        throw storeError(`cannot write ${path}`, input.key, error);
      } finally {
        await unlink(tmp).catch(() => {});
      }
    },
    async listPage(prefix, options = {}) {
      const pageSize = Math.min(Math.max(options.pageSize ?? 1000, 1), 1000);
      const keys = (await walkKeys(root, prefix)).filter(
        (key) => options.token === undefined || compareKeys(key, options.token) > 0,
      );
      const pageKeys = keys.slice(0, pageSize);
      const objects: ObjectInfo[] = [];
      for (const key of pageKeys) {
        const info = await stat(join(root, ...key.split('/'))).catch(() => undefined);
        if (info === undefined) continue;
        objects.push({
          key,
          size: info.size,
          etag: '',
          sha256: undefined,
          contentType: undefined,
          lastModified: info.mtime,
        });
      }
      return { objects, nextToken: keys.length > pageSize ? pageKeys[pageKeys.length - 1] : undefined };
    },
    list(prefix, options = {}) {
      return listAllPages(store, prefix, options.pageSize);
    },
    async delete(key) {
      const path = pathOf(key);
      await withKeyLock(workDir, key, () => rm(path, { force: true }));
    },
  };
  return store;
}

async function writeTemp(tmp: string, input: PutObjectInput): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const handle = await open(tmp, 'wx');
  try {
    if ('file' in input.body) {
      for await (const chunk of createReadStream(input.body.file)) {
        const buffer = chunk as Buffer;
        hash.update(buffer);
        size += buffer.length;
        await handle.write(buffer);
      }
    } else {
      const bytes =
        typeof input.body.bytes === 'string' ? Buffer.from(input.body.bytes) : Buffer.from(input.body.bytes);
      hash.update(bytes);
      size = bytes.length;
      await handle.write(bytes);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), size };
}

async function withKeyLock<T>(workDir: string, key: string, work: () => Promise<T>): Promise<T> {
  const locks = join(workDir, 'locks');
  await mkdir(locks, { recursive: true });
  const lockPath = join(locks, `${createHash('sha256').update(key).digest('hex')}.lock`);
  const release = await lockfile.lock(lockPath, {
    realpath: false,
    lockfilePath: lockPath,
    stale: 30_000,
    retries: { retries: 600, factor: 1, minTimeout: 50, maxTimeout: 200 },
  });
  try {
    return await work();
  } finally {
    await release().catch(() => {});
  }
}

/** Object keys under `root` starting with `prefix`, in S3 order (UTF-8 bytes). */
async function walkKeys(root: string, prefix: string): Promise<string[]> {
  // Start from the deepest directory the prefix names, rather than the whole tree.
  const slash = prefix.lastIndexOf('/');
  const base = slash < 0 ? '' : prefix.slice(0, slash + 1);
  const keys: string[] = [];
  const walk = async (dir: string, keyPrefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
      throw error;
    });
    for (const entry of entries) {
      const key = `${keyPrefix}${entry.name}`;
      if (keyPrefix === '' && entry.name === WORK_DIR) continue;
      if (entry.isDirectory()) {
        const next = `${key}/`;
        if (next.startsWith(prefix) || prefix.startsWith(next)) await walk(join(dir, entry.name), next);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        keys.push(key);
      }
    }
  };
  await walk(base === '' ? root : join(root, ...base.split('/').filter(Boolean)) + sep, base);
  return keys.sort(compareKeys);
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function preconditionFailed(key: string, why: string): PackyardError {
  return new PackyardError(
    'STORE_CONFLICT',
    `conditional write to ${key} refused (412 Precondition Failed): ${why}`,
    {
      field: 'key',
      value: key,
      hint: 'another writer changed this object; read it again and decide, or pass --replace',
    },
  );
}

function storeError(message: string, key: string, cause: unknown): PackyardError {
  return new PackyardError('STORE_FAILED', `${message}: ${(cause as Error).message ?? String(cause)}`, {
    field: 'key',
    value: key,
    cause,
  });
}
