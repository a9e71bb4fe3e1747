import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PackyardError, isProcessAlive } from '@packyard/core';
import lockfile from 'proper-lockfile';

/**
 * A unique sibling path for temporary output: `.<tag>-<pid>-<hex>` in the same directory. The name
 * does not grow with the target's, so a target whose own name fits the file system's 255-byte
 * limit always has a temporary name that fits too.
 */
export function temporarySibling(path: string, tag: string): string {
  return join(dirname(path), `.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** The longest temporary name temporarySibling makes (pid up to 7 digits, 8 hex digits). */
export const TEMPORARY_NAME_MAX = '.old-'.length + 7 + 1 + 8;

/** Temporary names left behind by a killed writer (temporarySibling's). */
export const TEMPORARY_NAME = /^\.(?:tmp|old)-\d+-[0-9a-f]+$/;

/**
 * Writes a file atomically through a temporarySibling (fsynced, then renamed over the target), so
 * the temporary name's length never depends on the target's.
 */
export async function writeFileShortAtomically(path: string, data: string | Buffer): Promise<void> {
  const tmp = temporarySibling(path, 'tmp');
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Creates `dir` (and missing parents) and returns an undo step that removes what this call created,
 * deepest first, each only if it is empty by then.
 */
export async function mkdirWithUndo(dir: string): Promise<() => Promise<void>> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return async () => {};
  const created: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    created.push(current);
    if (current === first || dirname(current) === current) break;
  }
  return async () => {
    for (const path of created) {
      const removed = await rmdir(path).then(
        () => true,
        () => false,
      );
      if (!removed) return;
    }
  };
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
const LOCK_UPDATE_MS = 5_000;

/** The lock directory every writer of an index takes (proper-lockfile, mkdir-based). */
export const LOCK_NAME = '.packyard-index.lock';

/** The file beside the lock that names the process holding it. */
export const LOCK_OWNER_NAME = `${LOCK_NAME}.owner`;

/**
 * Removes the index lock when its holder is gone: the process named beside it is not alive on this
 * machine, or (no name yet: killed right after taking it) it has not been refreshed for twice the
 * refresh interval. Returns why it was removed, or undefined when there was none or it is live.
 */
export async function clearStaleIndexLock(indexDir: string): Promise<string | undefined> {
  const lock = join(indexDir, LOCK_NAME);
  const owner = join(indexDir, LOCK_OWNER_NAME);
  const info = await stat(lock).catch(() => undefined);
  const pid = Number((await readFile(owner, 'utf8').catch(() => '')).trim());
  if (info === undefined) {
    if (pid > 0 && !isProcessAlive(pid)) await rm(owner, { force: true });
    return undefined;
  }
  let why: string;
  if (pid > 0) {
    if (isProcessAlive(pid)) return undefined;
    why = `its holder, process ${pid}, is gone`;
  } else {
    const idleMs = Date.now() - info.mtimeMs;
    if (idleMs < 2 * LOCK_UPDATE_MS) return undefined;
    why = `it names no holder and was last refreshed ${Math.round(idleMs / 1000)} s ago`;
  }
  await rm(lock, { recursive: true, force: true });
  await rm(owner, { force: true });
  return why;
}

/** Runs `work` holding the index directory's lock; any number of processes may call it at once. */
export async function withIndexLock<T>(
  indexDir: string,
  work: (assertHeld: () => void) => Promise<T>,
): Promise<T> {
  const undoMkdir = await mkdirWithUndo(indexDir);
  let compromised: Error | undefined;
  const release = await lockfile
    .lock(indexDir, {
      realpath: false,
      lockfilePath: join(indexDir, LOCK_NAME),
      stale: LOCK_STALE_MS,
      update: LOCK_UPDATE_MS,
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
  // Who holds the lock, beside it (proper-lockfile removes its directory with rmdir, so nothing
  // goes inside): a restart after kill -9 then knows at once that the lock is stale.
  const owner = join(indexDir, LOCK_OWNER_NAME);
  await writeFile(owner, `${process.pid}\n`).catch(() => {});
  const assertHeld = (): void => {
    if (compromised !== undefined) {
      throw new PackyardError('STORE_FAILED', `lost the lock on ${indexDir}: ${compromised.message}`, {
        file: join(indexDir, LOCK_NAME),
        cause: compromised,
      });
    }
  };
  let failed = false;
  try {
    const result = await work(assertHeld);
    assertHeld();
    return result;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await rm(owner, { force: true }).catch(() => {});
    await release().catch(() => {});
    // A refused first write leaves no empty index directory behind.
    if (failed) await undoMkdir();
  }
}

/**
 * A named step of a write, where a test can hold the process to kill it (`kill -9`) exactly there:
 * when `PACKYARD_PAUSE_AT` names this step, the step name is written to the file
 * `PACKYARD_PAUSE_SIGNAL` and the returned promise never settles. Without the variable: nothing.
 */
export async function pausePoint(step: string): Promise<void> {
  if (process.env['PACKYARD_PAUSE_AT'] !== step) return;
  const signal = process.env['PACKYARD_PAUSE_SIGNAL'];
  if (signal !== undefined && signal !== '') await writeFile(signal, `${step}\n`);
  await new Promise<never>(() => {});
}

/** PEP 700 `upload-time`: `yyyy-mm-ddThh:mm:ss.ffffffZ`. Pure. */
export function formatUploadTime(date: Date): string {
  return `${date.toISOString().slice(0, -1)}000Z`;
}
