import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ObjectStore } from '@packyard/core';
import { openObjectStore } from '@packyard/r2-store';

/** Where `publish` pushes to, as the command line gives it. */
export interface PublishTargetOptions {
  /** `s3://BUCKET` or a directory; default `$DYNAMIC_ARCHIVES_CDN`, else `<storeDir>/../cdn`. */
  to?: string;
  storeDir: string;
  /** What a relative directory is relative to. */
  cwd: string;
  /** Where `DYNAMIC_ARCHIVES_CDN` and an S3 account (`AWS_*`, `R2_*`) are read. */
  env: Record<string, string | undefined>;
}

/** The CDN location `publish` uses: an `s3://` URL as given, or an absolute directory. Pure. */
export function resolvePublishLocation(options: PublishTargetOptions): string {
  const to = options.to ?? options.env['DYNAMIC_ARCHIVES_CDN'] ?? join(dirname(options.storeDir), 'cdn');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(to) ? to : resolve(options.cwd, to);
}

/**
 * Opens the CDN store `publish` pushes to: S3/R2 for `s3://BUCKET` (account from the environment:
 * missing credentials are AUTH_MISSING), else a directory, created if missing.
 */
export async function openPublishTarget(options: PublishTargetOptions): Promise<ObjectStore> {
  const location = resolvePublishLocation(options);
  const target = openObjectStore(location, { env: options.env });
  if (!location.includes('://')) await mkdir(location, { recursive: true });
  return target;
}
