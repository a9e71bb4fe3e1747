import { cp, lstat, mkdir, readdir, realpath } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { execa } from 'execa';

/**
 * A fresh clone of `workspace` at `dir`: the files a `git clone` would hold, taken from the working
 * tree (tracked and new unignored files, so an uncommitted change is tested too), committed into a
 * new git repository, plus every `node_modules` directory as hard links (no `npm install`). No
 * `dist/`, `.nx/` or other ignored state comes along.
 *
 * The relative `@packyard/*` workspace links in `node_modules` then point into the clone; this
 * checks that and throws otherwise. Returns the `@packyard/*` packages found.
 */
export async function aClone(workspace: string, dir: string): Promise<string[]> {
  const listed = await execa('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: workspace,
  });
  await mkdir(dir, { recursive: true });
  for (const name of new Set(listed.stdout.split('\0').filter((entry) => entry !== ''))) {
    const from = join(workspace, name);
    const exists = await lstat(from).then(
      () => true,
      () => false,
    );
    if (!exists) continue; // tracked but deleted in the working tree, as a commit of it would be
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await cp(from, join(dir, name), { preserveTimestamps: true, verbatimSymlinks: true });
  }
  const git = (...args: string[]) =>
    execa('git', ['-c', 'user.name=packyard', '-c', 'user.email=packyard@localhost', ...args], {
      cwd: dir,
    });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('commit', '--quiet', '--no-verify', '--message', 'clone of the working tree');

  const ignored = await execa(
    'git',
    ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'],
    { cwd: workspace },
  );
  const modules = ignored.stdout
    .split('\0')
    .map((entry) => entry.replace(/\/$/, ''))
    .filter((entry) => entry === 'node_modules' || entry.endsWith('/node_modules'));
  for (const name of modules) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await execa('cp', ['-al', join(workspace, name), join(dir, name)]);
  }

  const scope = join(dir, 'node_modules/@packyard');
  const packages = await readdir(scope);
  const root = await realpath(dir);
  for (const name of packages) {
    const target = await realpath(join(scope, name));
    if (!target.startsWith(root + sep)) {
      throw new Error(`node_modules/@packyard/${name} of the clone points outside it: ${target}`);
    }
  }
  return packages;
}
