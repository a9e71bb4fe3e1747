import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  PackyardError,
  createDownloadClient,
  isPackyardError,
  removeStaleTemporaries,
  type DownloadClient,
} from '@packyard/core';
import type { Tools } from '@packyard/python-tools';

/** A wheel a cross-build installs: its file name, where the index serves it, and its sha256. */
export interface WheelFile {
  filename: string;
  url: string;
  sha256: string;
}

/** Options of `fillWheelhouse`. */
export interface FillWheelhouseOptions {
  /** How wheels are downloaded (default core's client: streamed, retried, checked). */
  download?: DownloadClient;
}

/**
 * Puts `wheels` in `dir` (a fresh directory of symlinks) for pex's `--find-links`, from a cache of
 * verified downloads under packyard's home (`<home>/wheels/<sha256>/<file>`, shared by every
 * version and platform). A missing wheel is downloaded once and kept only if its bytes have the
 * sha256 the lock and the index give. pex then resolves the lock offline (`PexBuildInput.findLinks`)
 * instead of asking the index again for every platform: the same wheels, the same PEX bytes (tested).
 */
export async function fillWheelhouse(
  tools: Pick<Tools, 'home'>,
  wheels: readonly WheelFile[],
  dir: string,
  options: FillWheelhouseOptions = {},
): Promise<string> {
  const download = options.download ?? createDownloadClient();
  const target = resolve(dir);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  for (const wheel of wheels) {
    if (basename(wheel.filename) !== wheel.filename || !wheel.filename.endsWith('.whl')) {
      throw new PackyardError('INTERNAL', `not a wheel file name: ${JSON.stringify(wheel.filename)}`, {
        value: wheel.filename,
      });
    }
    const cached = await cachedWheel(tools.home, wheel, download);
    await symlink(cached, join(target, wheel.filename));
  }
  return target;
}

async function cachedWheel(home: string, wheel: WheelFile, download: DownloadClient): Promise<string> {
  const sha256 = wheel.sha256.toLowerCase();
  const dir = join(home, 'wheels', sha256);
  const file = join(dir, wheel.filename);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  // A download killed half-way left its temporary: ours to clean.
  await removeStaleTemporaries(dir);
  await download.download({ url: wheel.url, to: file, sha256 }).catch((error: unknown) => {
    // Other bytes than the lock and the index list stay VERIFY_FAILED; any other failure means
    // the index could not serve the wheel.
    if (isPackyardError(error, 'VERIFY_FAILED')) throw error;
    throw new PackyardError('INDEX_UNREACHABLE', `cannot download ${wheel.filename}`, {
      value: wheel.url,
      cause: error,
    });
  });
  return file;
}
