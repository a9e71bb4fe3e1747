import { lstat, mkdir, readdir, realpath, symlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { execa } from 'execa';

/** Options of `makeFreshClone`. */
export interface FreshCloneOptions {
  /**
   * Which files come along, as the work tree holds them: `tracked` (default: what a commit of the
   * work tree would hold) or `tracked-and-new` (also the untracked files git does not ignore, so a
   * file not yet added is tested too).
   */
  files?: 'tracked' | 'tracked-and-new';
  /**
   * How every `node_modules` directory comes along (no `npm install`): `copy` (default, `cp -a`),
   * `hardlink` (`cp -al`: fast, and no more disk), `symlink` (a link to the source's: the clone's
   * `@packyard/*` links then resolve into the source) or `none`.
   */
  nodeModules?: 'copy' | 'hardlink' | 'symlink' | 'none';
  /** Commit the files into a new git repository at the clone (default true). */
  commit?: boolean;
}

/** What `makeFreshClone` made. */
export interface FreshClone {
  dir: string;
  /** The `@packyard/*` packages of a copied or hard-linked `node_modules`, each checked to resolve inside the clone. */
  packages: string[];
}

/**
 * A fresh clone of the git work tree `source` at `dest`, as a new user's clone is after
 * `npm install`: the files a clone would hold, taken from the work tree (so an uncommitted change
 * is tested too), committed into a new repository with a fixed date, then the `node_modules`
 * directories. Nothing else that git ignores comes along: no `dist/`, `.nx/` or build outputs.
 * Copied or hard-linked, the relative `@packyard/*` workspace links point into the clone; this
 * checks that and throws otherwise.
 */
export async function makeFreshClone(
  source: string,
  dest: string,
  options: FreshCloneOptions = {},
): Promise<FreshClone> {
  const nodeModules = options.nodeModules ?? 'copy';
  const listed = await execa(
    'git',
    [
      'ls-files',
      '-z',
      '--cached',
      ...(options.files === 'tracked-and-new' ? ['--others', '--exclude-standard'] : []),
    ],
    { cwd: source },
  );
  const present: string[] = [];
  for (const name of new Set(listed.stdout.split('\0'))) {
    // A tracked file deleted in the work tree stays out, as a commit of the work tree would leave it.
    if (name !== '' && (await lstat(join(source, name)).catch(() => undefined)) !== undefined)
      present.push(name);
  }
  await mkdir(dest, { recursive: true });
  // One tar pipe keeps modes, times and symbolic links as they are, thousands of files at once.
  await execa('bash', ['-c', 'set -o pipefail; tar --null -T - -cf - | tar -xf - -C "$1"', 'copy', dest], {
    cwd: source,
    input: present.join('\0'),
  });
  if (options.commit !== false) {
    const git = {
      cwd: dest,
      env: { GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' },
    };
    const identity = ['-c', 'user.name=packyard', '-c', 'user.email=packyard@localhost'];
    await execa('git', ['init', '--quiet', '--initial-branch=main'], git);
    await execa('git', ['add', '--all'], git);
    await execa('git', [...identity, 'commit', '--quiet', '--no-verify', '--message', 'fresh clone'], git);
  }
  if (nodeModules === 'none') return { dir: dest, packages: [] };
  for (const name of await nodeModulesDirectories(source)) {
    await mkdir(dirname(join(dest, name)), { recursive: true });
    if (nodeModules === 'symlink') await symlink(join(source, name), join(dest, name));
    else await execa('cp', [nodeModules === 'hardlink' ? '-al' : '-a', join(source, name), join(dest, name)]);
  }
  if (nodeModules === 'symlink') return { dir: dest, packages: [] };
  return { dir: dest, packages: await checkWorkspaceLinks(dest) };
}

// The node_modules directories npm made, at any depth: the ignored directories git names so.
async function nodeModulesDirectories(source: string): Promise<string[]> {
  const ignored = await execa(
    'git',
    ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'],
    { cwd: source },
  );
  return ignored.stdout
    .split('\0')
    .map((entry) => entry.replace(/\/$/, ''))
    .filter((entry) => entry === 'node_modules' || entry.endsWith('/node_modules'));
}

async function checkWorkspaceLinks(dir: string): Promise<string[]> {
  const scope = join(dir, 'node_modules/@packyard');
  const packages = await readdir(scope).catch(() => [] as string[]);
  const root = await realpath(dir);
  for (const name of packages) {
    const target = await realpath(join(scope, name));
    if (!target.startsWith(root + sep)) {
      throw new Error(`node_modules/@packyard/${name} of the clone points outside it: ${target}`);
    }
  }
  return packages;
}
