import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where `downloadDistribution` keeps its downloads, and the interpreter whose pip fetches them. */
export interface DownloadDistributionOptions {
  /** A Python with pip. */
  python: string;
  /** One directory per requirement goes here (e.g. `<packyard home>/test-downloads`). */
  cacheRoot: string;
}

/**
 * A real distribution from the index pip is configured with (`pip download --no-deps --only-binary
 * :all: <requirement>`, pinned), downloaded once into `cacheRoot` and reused; concurrent test files
 * each download into a staging directory and the first rename wins.
 */
export async function downloadDistribution(
  requirement: string,
  options: DownloadDistributionOptions,
): Promise<string> {
  const cache = join(options.cacheRoot, requirement.replace(/[^A-Za-z0-9.=_-]/g, '_'));
  const hit = (await readdir(cache).catch(() => [] as string[])).find((name) => name.endsWith('.whl'));
  if (hit !== undefined) return join(cache, hit);
  await mkdir(dirname(cache), { recursive: true });
  const staging = await mkdtemp(`${cache}.tmp-`);
  try {
    await run(options.python, [
      '-m',
      'pip',
      'download',
      '--quiet',
      '--no-deps',
      '--only-binary',
      ':all:',
      '--dest',
      staging,
      requirement,
    ]);
    await rename(staging, cache).catch((error: NodeJS.ErrnoException) => {
      // Another test file downloaded it first.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return downloadDistribution(requirement, options);
}
