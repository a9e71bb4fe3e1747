import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FALLBACK_MTIME } from '@packyard/archive';
import { PackyardError, runTool, usageError, type ProgressReporter } from '@packyard/core';
import { DEFAULT_TIME_LIMITS, type TimeLimits } from '@packyard/mip';
import { openObjectStore } from '@packyard/r2-store';
import type { Context, Logger } from './types.js';

/** Where a run reads and writes; every path is relative to `root`, every default as documented. */
export interface MipContextRequest {
  /** The workspace: the directory the defaults below are under. */
  root: string;
  /** Package definitions, one folder each (default `mip-packages`). */
  packagesDir?: string | undefined;
  /** Where `<mhl>.dir` folders are prepared (default `build/prepared`). */
  preparedDir?: string | undefined;
  /** Where `.mhl` files are written (default `build/bundled`). */
  bundledDir?: string | undefined;
  /** Where index.json and packages.html go (default `build/gh-pages`). */
  pagesDir?: string | undefined;
  /** `s3://BUCKET` or a directory (default `$MIP_STORE`, else `build/mip-store`). */
  store?: string | undefined;
  /** Key prefix in the store (default `core/packages/`; `''` for none); a `/` is added at its end. */
  prefix?: string | undefined;
  /** Public URL the prefix is served from (default `$MIP_BASE_URL`; for a directory store, its file:// URL). */
  baseUrl?: string | undefined;
  /** Python for package.py / packages.py (default `python3`). */
  python?: string | undefined;
  /** BUILD_TYPE the package files see (default `standard`). */
  buildType?: string | undefined;
  timeLimits?: Partial<TimeLimits> | undefined;
  /** Metadata objects fetched at once by index (default 16). */
  concurrency?: number | undefined;
  env: Record<string, string | undefined>;
  log: Logger;
  progress?: ProgressReporter | undefined;
}

/**
 * The context every step reads: paths resolved, the store opened (its credentials checked here,
 * before any work), the public base URL and the bundles' timestamp settled.
 * @throws PackyardError AUTH_MISSING (an S3 store without credentials), USAGE (a remote store
 * without a base URL), CONFIG_INVALID (a bad store location or SOURCE_DATE_EPOCH).
 */
export async function createMipContext(request: MipContextRequest): Promise<Context> {
  const { root, env } = request;
  const prefix = normalizePrefix(request.prefix ?? 'core/packages/');
  const location = request.store ?? env['MIP_STORE'] ?? join(root, 'build', 'mip-store');
  const store = openObjectStore(/^[a-z0-9]+:\/\//.test(location) ? location : resolve(root, location), {
    env,
  });
  let baseUrl = request.baseUrl ?? env['MIP_BASE_URL'];
  if (baseUrl === undefined) {
    if (store.kind === 's3') {
      throw usageError(
        'a remote store needs --base-url (or MIP_BASE_URL)',
        'give the public URL the store prefix is served from',
      );
    }
    baseUrl = pathToFileURL(join(store.location, prefix)).href;
  }
  const timeLimits: TimeLimits = { ...DEFAULT_TIME_LIMITS, ...request.timeLimits };
  const packagesDir = resolve(root, request.packagesDir ?? 'mip-packages');
  return {
    packagesDir,
    preparedDir: resolve(root, request.preparedDir ?? join('build', 'prepared')),
    bundledDir: resolve(root, request.bundledDir ?? join('build', 'bundled')),
    pagesDir: resolve(root, request.pagesDir ?? join('build', 'gh-pages')),
    store,
    prefix,
    baseUrl,
    python: {
      python: request.python ?? 'python3',
      buildType: request.buildType ?? 'standard',
      timeoutMs: timeLimits.buildMs,
      env,
    },
    timeLimits,
    sourceDateEpoch: await readSourceDateEpoch(env, packagesDir),
    env,
    log: request.log,
    progress: request.progress,
    concurrency: request.concurrency ?? 16,
  };
}

/** A store key prefix ends in `/`, or is empty. Pure. */
export function normalizePrefix(prefix: string): string {
  return prefix !== '' && !prefix.endsWith('/') ? `${prefix}/` : prefix;
}

/** SOURCE_DATE_EPOCH, else the last commit date of the packages directory, else 1980-01-01. */
export async function readSourceDateEpoch(
  env: Record<string, string | undefined>,
  packagesDir: string,
): Promise<number> {
  const raw = env['SOURCE_DATE_EPOCH']?.trim();
  if (raw !== undefined && raw !== '') {
    if (!/^[0-9]+$/.test(raw)) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `SOURCE_DATE_EPOCH must be whole seconds since the epoch, not ${JSON.stringify(raw)}`,
        {
          field: 'SOURCE_DATE_EPOCH',
          value: raw,
        },
      );
    }
    return Math.max(Number(raw), FALLBACK_MTIME);
  }
  const seconds = await runTool('git', ['log', '-1', '--format=%ct', '--', '.'], { cwd: packagesDir }).then(
    (git) => Number(git.stdout.trim()),
    () => NaN,
  );
  return Number.isInteger(seconds) && seconds > 0 ? Math.max(seconds, FALLBACK_MTIME) : FALLBACK_MTIME;
}
