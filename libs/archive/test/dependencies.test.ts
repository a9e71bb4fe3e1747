import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

// The writers are what a PEX tarball, a wheel's sdist and a mip bundle need: no object store, so
// none of the AWS SDK (the dynamic-archive store, which publishes to S3/R2, is @packyard/archive-store).
const PACKAGE_DIR = join(import.meta.dirname, '..');
const FORBIDDEN = /^(@aws-sdk\/|@smithy\/|@aws-crypto\/|@packyard\/r2-store$|@packyard\/archive-store$)/;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Where Node finds `name` from `fromDir`: the nearest node_modules/<name> up the tree. */
function findPackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every package the one in `packageDir` loads at run time: its dependencies, theirs, and so on, as installed. */
async function runtimeClosure(packageDir: string): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const queue: string[] = [packageDir];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const found = findPackageDir(name, dir);
      if (found === undefined || seen.has(name)) continue;
      seen.set(name, manifest.name);
      queue.push(found);
    }
  }
  return seen;
}

describe('@packyard/archive dependencies', () => {
  it('load no object store and no AWS package, directly or through another package', async () => {
    const closure = await runtimeClosure(PACKAGE_DIR);
    // The walk is real: the writers' own compressors are in it.
    expect([...closure.keys()]).toEqual(expect.arrayContaining(['@packyard/core', 'tar-stream', 'yazl']));
    const forbidden = [...closure].filter(([name]) => FORBIDDEN.test(name));
    expect(forbidden).toEqual([]);
  });

  it('would catch one: the same walk from @packyard/archive-store, which publishes to S3/R2, finds the SDK', async () => {
    const closure = await runtimeClosure(findPackageDir('@packyard/archive-store', PACKAGE_DIR)!);
    expect([...closure.keys()].filter((name) => FORBIDDEN.test(name))).toEqual(
      expect.arrayContaining(['@packyard/r2-store', '@aws-sdk/client-s3']),
    );
  });
});
