import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PackyardError } from '@packyard/core';
import lockfile from 'proper-lockfile';

/** Runs `work` on every item with at most `limit` running at once; rejects with the first failure. */
export async function forEachLimited<T>(
  items: Iterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed: unknown;
  let hasFailed = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (hasFailed) return;
      const next = iterator.next();
      if (next.done === true) return;
      try {
        await work(next.value);
      } catch (error) {
        if (!hasFailed) {
          hasFailed = true;
          failed = error;
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  if (hasFailed) throw failed;
}

/** A unique sibling path for temporary output. */
export function temporarySibling(path: string, tag: string): string {
  return `${path}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Builds a whole directory tree beside `target` and swaps it into place, so a reader sees the old
 * tree or the new one, never a mix. Files inside are written plainly (no fsync per file): the
 * atomic step is the directory rename, which is what keeps a 100,000-file rebuild fast.
 */
export async function replaceDirectory(target: string, build: (dir: string) => Promise<void>): Promise<void> {
  const staging = temporarySibling(target, 'tmp');
  const old = temporarySibling(target, 'old');
  await mkdir(staging, { recursive: true });
  try {
    await build(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  let moved = false;
  try {
    await rename(target, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }
  try {
    await rename(staging, target);
  } catch (error) {
    if (moved) await rename(old, target).catch(() => {});
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  if (moved) await rm(old, { recursive: true, force: true });
}

/** Writes `content` at `dir/rel`, creating parent directories (for trees built by replaceDirectory). */
export async function writeTreeFile(dir: string, rel: string, content: string | Buffer): Promise<void> {
  const path = join(dir, rel);
  try {
    await writeFile(path, content);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

// Writers wait for each other (an upload server may take several uploads at once); a lock left by a
// killed process goes stale after 30 s, and a live holder refreshes it every 5 s.
const LOCK_RETRIES = { retries: 2400, factor: 1, minTimeout: 25, maxTimeout: 100, randomize: true };
const LOCK_STALE_MS = 30_000;

/** The lock directory every writer of an index takes (proper-lockfile, mkdir-based). */
export const LOCK_NAME = '.packyard-index.lock';

/** Runs `work` holding the index directory's lock; any number of processes may call it at once. */
export async function withIndexLock<T>(
  indexDir: string,
  work: (assertHeld: () => void) => Promise<T>,
): Promise<T> {
  await mkdir(indexDir, { recursive: true });
  let compromised: Error | undefined;
  const release = await lockfile
    .lock(indexDir, {
      realpath: false,
      lockfilePath: join(indexDir, LOCK_NAME),
      stale: LOCK_STALE_MS,
      update: 5_000,
      retries: LOCK_RETRIES,
      onCompromised: (error: Error) => {
        compromised = error;
      },
    })
    .catch((error: unknown) => {
      throw new PackyardError(
        'STORE_FAILED',
        `cannot lock the index ${indexDir}: ${(error as Error).message}`,
        {
          file: join(indexDir, LOCK_NAME),
          hint: 'another writer holds the index; if none is running, delete the lock directory',
          cause: error,
        },
      );
    });
  const assertHeld = (): void => {
    if (compromised !== undefined) {
      throw new PackyardError('STORE_FAILED', `lost the lock on ${indexDir}: ${compromised.message}`, {
        file: join(indexDir, LOCK_NAME),
        cause: compromised,
      });
    }
  };
  try {
    const result = await work(assertHeld);
    assertHeld();
    return result;
  } finally {
    await release().catch(() => {});
  }
}

/** PEP 700 `upload-time`: `yyyy-mm-ddThh:mm:ss.ffffffZ`. Pure. */
export function formatUploadTime(date: Date): string {
  return `${date.toISOString().slice(0, -1)}000Z`;
}
