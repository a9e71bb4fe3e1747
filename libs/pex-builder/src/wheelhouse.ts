import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { PackyardError, removeStaleTemporaries } from '@packyard/core';
import type { Tools } from './tools.js';

/** A wheel a cross-build installs: its file name, where the index serves it, and its sha256. */
export interface WheelFile {
  filename: string;
  url: string;
  sha256: string;
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
): Promise<string> {
  const target = resolve(dir);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  for (const wheel of wheels) {
    if (basename(wheel.filename) !== wheel.filename || !wheel.filename.endsWith('.whl')) {
      throw new PackyardError('INTERNAL', `not a wheel file name: ${JSON.stringify(wheel.filename)}`, {
        value: wheel.filename,
      });
    }
    const cached = await cachedWheel(tools.home, wheel);
    await symlink(cached, join(target, wheel.filename));
  }
  return target;
}

async function cachedWheel(home: string, wheel: WheelFile): Promise<string> {
  const sha256 = wheel.sha256.toLowerCase();
  const dir = join(home, 'wheels', sha256);
  const file = join(dir, wheel.filename);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  // A download killed half-way left its temporary: ours to clean.
  await removeStaleTemporaries(dir);
  const response = await fetch(wheel.url).catch((error: unknown) => {
    throw new PackyardError('INDEX_UNREACHABLE', `cannot download ${wheel.filename}`, {
      value: wheel.url,
      cause: error,
    });
  });
  if (!response.ok) {
    throw new PackyardError(
      'INDEX_UNREACHABLE',
      `cannot download ${wheel.filename}: HTTP ${response.status}`,
      {
        value: wheel.url,
      },
    );
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) {
    throw new PackyardError(
      'VERIFY_FAILED',
      `${wheel.filename} has sha256 ${actual}, but the lock and the index say ${sha256}`,
      { value: wheel.url, hint: 'the index served other bytes than it lists; nothing was kept' },
    );
  }
  const temporary = join(dir, `${wheel.filename}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } finally {
    await rm(temporary, { force: true });
  }
  return file;
}
