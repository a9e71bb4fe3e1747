import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PackyardError, isAccessible, isPackyardError, runTool } from '@packyard/core';
import lockfile from 'proper-lockfile';

/** The versitygw release the suite runs against; bumping it is a reviewed change, like any other pin. */
export const VERSITYGW_VERSION = '1.8.0';

/** Options for `provisionVersitygw`; every one has a default. */
export interface ProvisionVersitygwOptions {
  /** packyard's home; default `$PACKYARD_HOME`, else `~/.cache/packyard`. */
  home?: string;
  /** The Go command that builds versitygw; default `go` on PATH. */
  go?: string;
  version?: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

// A build takes minutes on a small machine; a second builder waits for the first rather than
// building twice. An un-refreshed lock (a killed builder) goes stale after 30 s.
const LOCK_RETRIES = { retries: 2400, factor: 1, minTimeout: 500, maxTimeout: 500 };
const LOCK_STALE_MS = 30_000;

function packyardHome(env: Record<string, string | undefined>): string {
  const fromEnv = env['PACKYARD_HOME'];
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(homedir(), '.cache', 'packyard');
}

/**
 * Makes sure the pinned versitygw binary exists under `<packyard home>/tools/versitygw-<version>/`
 * (built once with `go install` from the Go module proxy, then reused) and returns its path.
 * Concurrent callers are serialised by a lock; the binary is built into a temporary sibling and
 * renamed into place, so a half-built binary never sits at the final path.
 */
export async function provisionVersitygw(options: ProvisionVersitygwOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const home = resolve(options.home ?? packyardHome(env));
  const version = options.version ?? VERSITYGW_VERSION;
  const go = options.go ?? 'go';
  const log = options.log ?? (() => {});
  const toolsDir = join(home, 'tools');
  const dir = join(toolsDir, `versitygw-${version}`);
  const binary = join(dir, 'versitygw');
  if (await isAccessible(binary, constants.X_OK)) return binary;

  await mkdir(toolsDir, { recursive: true });
  const release = await lockfile
    .lock(dir, { realpath: false, lockfilePath: `${dir}.lock`, stale: LOCK_STALE_MS, retries: LOCK_RETRIES })
    .catch((error: unknown) => {
      throw new PackyardError(
        'TOOL_PROVISION_FAILED',
        `cannot lock ${dir}.lock: ${(error as Error).message}`,
        {
          file: `${dir}.lock`,
          hint: 'another packyard process is building versitygw; if none is running, delete the lock directory',
          cause: error,
        },
      );
    });
  try {
    if (await isAccessible(binary, constants.X_OK)) return binary;
    // Temporary directories of builders that were killed.
    for (const entry of await readdir(toolsDir)) {
      if (entry.startsWith(`versitygw-${version}.tmp-`))
        await rm(join(toolsDir, entry), { recursive: true, force: true });
    }
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { recursive: true });
    try {
      log(`building versitygw ${version} with ${go} install (a few minutes, once)`);
      await runTool(go, ['install', `github.com/versity/versitygw/cmd/versitygw@v${version}`], {
        cwd: tmp,
        env: { ...env, GOBIN: tmp },
        tailLines: 20,
      });
      await rename(tmp, dir);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      if (isPackyardError(error, 'TOOL_PROVISION_FAILED')) throw error;
      throw new PackyardError(
        'TOOL_PROVISION_FAILED',
        `cannot build versitygw ${version}: ${(error as Error).message}`,
        {
          value: go,
          hint: 'install Go 1.24 or newer and make sure the Go module proxy is reachable',
          cause: error,
        },
      );
    }
    log(`versitygw ready at ${binary}`);
    return binary;
  } finally {
    await release().catch(() => {});
  }
}
