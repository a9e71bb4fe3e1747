import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PackyardError, isPackyardError } from '@packyard/core';
import lockfile from 'proper-lockfile';

/** What `provisionOnce` builds: a directory under packyard's home that is either complete or absent. */
export interface ProvisionOnceSpec {
  /** The final directory. */
  dir: string;
  /** Whether `dir` is complete; asked first, and again under the lock. */
  isReady: () => Promise<boolean>;
  /** Fills `tmp`, a new empty sibling of `dir`, which is renamed to `dir` once this resolves. */
  build: (tmp: string) => Promise<void>;
  /** Names what is built in messages ("versitygw 1.8.0"). */
  what: string;
  /** How long to wait for another process building the same directory; default 10 minutes. */
  waitMs?: number;
}

// After how long an un-refreshed lock counts as left behind by a killed process.
const LOCK_STALE_MS = 30_000;
const LOCK_POLL_MS = 500;

/**
 * Makes sure `spec.dir` is complete, building it at most once per machine. Safe to interrupt and to
 * run from several processes at once: builders are serialised by a `proper-lockfile` lock
 * (`<dir>.lock`) and the second one reuses the first one's result; the directory is built in a
 * temporary sibling and renamed into place, so a half-built one never sits at the final path; a lock
 * left by a killed process goes stale after 30 s, and the next builder removes what it left. A build
 * error that is not already a PackyardError becomes TOOL_PROVISION_FAILED naming the directory.
 * Resolves to whether this call built it (false: it was there, or another process built it).
 */
export async function provisionOnce(spec: ProvisionOnceSpec): Promise<boolean> {
  const { dir } = spec;
  if (await spec.isReady()) return false;
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  let compromised: Error | undefined;
  const retries = Math.ceil((spec.waitMs ?? 600_000) / LOCK_POLL_MS);
  const release = await lockfile
    .lock(dir, {
      realpath: false,
      lockfilePath: `${dir}.lock`,
      stale: LOCK_STALE_MS,
      retries: { retries, factor: 1, minTimeout: LOCK_POLL_MS, maxTimeout: LOCK_POLL_MS },
      onCompromised: (error: Error) => {
        compromised = error;
      },
    })
    .catch((error: unknown) => {
      throw new PackyardError(
        'TOOL_PROVISION_FAILED',
        `cannot lock ${dir}.lock: ${(error as Error).message}`,
        {
          file: `${dir}.lock`,
          hint: `another packyard process is provisioning ${spec.what}; if none is running, delete the lock directory`,
          cause: error,
        },
      );
    });
  try {
    if (await spec.isReady()) return false;
    await removeLeftovers(parent, basename(dir));
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(tmp);
      await spec.build(tmp);
      if (compromised !== undefined) throw compromised;
      // Not ready but present (copied from elsewhere, or its base interpreter gone): replaced whole.
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
      return true;
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      if (isPackyardError(error)) throw error;
      throw new PackyardError(
        'TOOL_PROVISION_FAILED',
        `cannot provision ${dir}: ${(error as Error).message}`,
        {
          file: dir,
          cause: error,
        },
      );
    }
  } finally {
    await release().catch(() => {});
  }
}

// Called under the lock, so whatever is at the final path (it was not ready) or in a temporary
// sibling is debris from a killed run, never work in progress.
async function removeLeftovers(parent: string, base: string): Promise<void> {
  for (const name of await readdir(parent)) {
    if (name === base || name.startsWith(`${base}.tmp-`))
      await rm(join(parent, name), { recursive: true, force: true });
  }
}
