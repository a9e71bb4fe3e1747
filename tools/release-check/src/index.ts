import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PackyardError, runTool } from '@packyard/core';

/** A workspace package that is published: what its package.json says. */
export interface PublishedPackage {
  /** Absolute path of the package directory. */
  dir: string;
  /** The directory relative to the workspace root, e.g. `libs/core`. */
  path: string;
  name: string;
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
}

interface PackageJson {
  name?: string;
  version?: string;
  private?: boolean;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  workspaces?: string[];
}

async function readPackageJson(file: string): Promise<PackageJson> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as PackageJson;
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `cannot read ${file}`, { file, cause: error });
  }
}

/**
 * Every package the workspace publishes: each directory matched by the root package.json's
 * `workspaces` (`dir/*` patterns) whose package.json is not `private`, sorted by path. A library
 * added later is found the same way.
 */
export async function listPublishedPackages(root: string): Promise<PublishedPackage[]> {
  const rootJson = await readPackageJson(join(root, 'package.json'));
  const found: PublishedPackage[] = [];
  for (const pattern of rootJson.workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? (await readdir(join(root, pattern.slice(0, -2)), { withFileTypes: true }))
          .filter((e) => e.isDirectory())
          .map((e) => join(root, pattern.slice(0, -2), e.name))
      : [join(root, pattern)];
    for (const dir of dirs) {
      let json: PackageJson;
      try {
        json = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
      } catch {
        continue; // not a package (tools/scripts)
      }
      if (json.private === true) continue;
      if (json.name === undefined || json.version === undefined) {
        throw new PackyardError('CONFIG_INVALID', 'a published package needs a name and a version', {
          file: join(dir, 'package.json'),
        });
      }
      const bin =
        typeof json.bin === 'string' ? { [json.name.replace(/^@[^/]+\//, '')]: json.bin } : (json.bin ?? {});
      found.push({
        dir,
        path: relative(root, dir),
        name: json.name,
        version: json.version,
        bin,
        dependencies: json.dependencies ?? {},
      });
    }
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Packs a package with `npm pack` into `destination`; returns the tarball's path and its files. */
export async function packPackage(
  pkg: Pick<PublishedPackage, 'dir'>,
  destination: string,
): Promise<{ tarball: string; files: string[] }> {
  const { stdout } = await runTool(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', destination],
    { cwd: pkg.dir },
  );
  const [result] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (result === undefined) {
    throw new PackyardError('TOOL_FAILED', `npm pack wrote no tarball for ${pkg.dir}`, { file: pkg.dir });
  }
  return { tarball: join(destination, result.filename), files: result.files.map((f) => f.path).sort() };
}

/**
 * Writes a project that depends on the given tarballs only: every @packyard package (direct or a
 * dependency of another) comes from its tarball through `overrides`, and `.npmrc` points the
 * @packyard scope at an address that refuses connections, so nothing of ours can come from a
 * registry. Other dependencies install from the registry as a user's would.
 */
export async function writeConsumerProject(
  dir: string,
  tarballs: ReadonlyMap<string, string>,
  devDependencies: Record<string, string>,
): Promise<void> {
  const ours = Object.fromEntries([...tarballs].map(([name, tarball]) => [name, `file:${tarball}`]));
  const overrides = Object.fromEntries([...tarballs.keys()].map((name) => [name, `$${name}`]));
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'consumer',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: ours,
        devDependencies,
        overrides,
      },
      null,
      2,
    )}\n`,
  );
  await writeFile(join(dir, '.npmrc'), '@packyard:registry=http://127.0.0.1:9/\naudit=false\nfund=false\n');
}
