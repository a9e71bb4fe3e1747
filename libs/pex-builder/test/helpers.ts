import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goldenFiles } from '@packyard/test-helpers';
import { provisionTools, type Tools } from '../src/index.js';

const created: string[] = [];

/** A fresh directory under the system temp dir, removed by `removeTempDirs`. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `pex-builder-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Removes every directory `makeTempDir` made in this test file (venvs and PEX caches are large). */
export async function removeTempDirs(): Promise<void> {
  for (const dir of created.splice(0)) await rm(dir, { recursive: true, force: true });
}

/**
 * The pinned tools from packyard's shared home (provisioned once per machine; `nx run
 * pex-builder:fixtures` does it before the tests), with pex's and uv's caches in a fresh home of
 * this test file's own: a cold cache per file, without building a venv inside a jest hook.
 */
export async function toolsWithFreshCaches(): Promise<Tools> {
  return { ...(await provisionTools()), home: await makeTempDir('home') };
}

/** The index the tests resolve from: pip's PyPI. */
export const INDEX_URL = 'https://pypi.org/simple';

/** Compares `actual` with test/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead. */
export const expectGolden = goldenFiles(join(import.meta.dirname, 'golden'));
