import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Writes a file so that readers see the old content or the new, never half of it: the bytes go to a
 * temporary file beside the target, which is fsynced and renamed over it.
 */
export async function writeFileAtomically(path: string, data: string | Buffer, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, data, mode === undefined ? {} : { mode });
}

/**
 * Produces a file through a temporary path: `produce` writes to `tmp`, and only when it succeeds is
 * `tmp` renamed to `path`. An interrupted or failed producer leaves no file at `path`.
 */
export async function produceAtomically<T>(path: string, produce: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    const result = await produce(tmp);
    await rename(tmp, path);
    return result;
  } catch (error) {
    await rm(tmp, { force: true, recursive: true });
    throw error;
  }
}

/** sha256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Whether `path` exists and allows `mode` (`fs.constants.F_OK`, the default, or `X_OK`, …) for this process. */
export async function isAccessible(path: string, mode: number = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

// `<name>.tmp-<pid>-<id>`: the temporaries produceAtomically and the pipelines' staging directories use.
const TEMPORARY = /\.tmp-(\d+)-[0-9a-z]+$/;

/**
 * Whether process `pid` is alive on this machine (signal 0; EPERM: alive, but not ours to signal),
 * for lock holders, temporaries' owners and servers started by pid.
 */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporaries (`<name>.tmp-<pid>-<id>`, files or directories) that a killed process left
 * in `dir`; those of live processes stay. Returns the names removed. A missing `dir` is no debris.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const pid = TEMPORARY.exec(name)?.[1];
    if (pid === undefined || isProcessAlive(Number(pid))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
