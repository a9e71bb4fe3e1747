import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { makeFreshClone } from '../src/index.js';

const aDir = () => mkdtemp(join(tmpdir(), 'packyard-clone-'));

/**
 * A small workspace as npm leaves it: a committed file, one deleted since, a new file not yet added,
 * ignored build output, and node_modules whose @packyard link is relative, as npm writes it.
 */
async function aWorkspace(): Promise<string> {
  const dir = await aDir();
  const files: Record<string, string> = {
    '.gitignore': 'node_modules/\ndist/\n',
    'package.json': '{"name":"demo"}\n',
    'libs/a/package.json': '{"name":"@packyard/a"}\n',
    'libs/a/gone.txt': 'deleted later\n',
  };
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  const git = (...args: string[]) =>
    execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', ...args], { cwd: dir });
  await git('init', '--quiet');
  await git('add', '--all');
  await git('commit', '--quiet', '--message', 'one');
  await rm(join(dir, 'libs/a/gone.txt'));
  await writeFile(join(dir, 'package.json'), '{"name":"demo","edited":true}\n');
  await writeFile(join(dir, 'new.txt'), 'not added yet\n');
  await mkdir(join(dir, 'dist'));
  await writeFile(join(dir, 'dist/out.js'), 'built\n');
  await mkdir(join(dir, 'node_modules/@packyard'), { recursive: true });
  await writeFile(join(dir, 'node_modules/dep.js'), 'dependency\n');
  await symlink('../../libs/a', join(dir, 'node_modules/@packyard/a'));
  await mkdir(join(dir, 'libs/a/node_modules'));
  await writeFile(join(dir, 'libs/a/node_modules/nested.js'), 'nested\n');
  return dir;
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

describe('makeFreshClone', () => {
  let source: string;
  beforeAll(async () => {
    source = await aWorkspace();
  });

  it('copies the tracked files as the work tree holds them, commits them, then copies node_modules', async () => {
    const dest = join(await aDir(), 'clone');
    const clone = await makeFreshClone(source, dest);
    expect(clone).toEqual({ dir: dest, packages: ['a'] });
    expect(await readFile(join(dest, 'package.json'), 'utf8')).toBe('{"name":"demo","edited":true}\n');
    expect(await exists(join(dest, 'libs/a/gone.txt'))).toBe(false);
    expect(await exists(join(dest, 'new.txt'))).toBe(false);
    expect(await exists(join(dest, 'dist'))).toBe(false);
    // Copied, not linked: a new inode; both node_modules directories, the nested one too.
    expect((await stat(join(dest, 'node_modules/dep.js'))).ino).not.toBe(
      (await stat(join(source, 'node_modules/dep.js'))).ino,
    );
    expect(await readFile(join(dest, 'libs/a/node_modules/nested.js'), 'utf8')).toBe('nested\n');
    expect(await realpath(join(dest, 'node_modules/@packyard/a'))).toBe(await realpath(join(dest, 'libs/a')));
    const git = (...args: string[]) => execa('git', args, { cwd: dest });
    expect((await git('ls-files')).stdout.split('\n')).toEqual([
      '.gitignore',
      'libs/a/package.json',
      'package.json',
    ]);
    expect((await git('status', '--porcelain')).stdout).toBe('');
    expect((await git('log', '--format=%aI %s')).stdout).toBe('2026-01-01T00:00:00+00:00 fresh clone');
  });

  it('takes new files too, hard-links node_modules, or links them back, on request', async () => {
    const linked = join(await aDir(), 'clone');
    await makeFreshClone(source, linked, { files: 'tracked-and-new', nodeModules: 'hardlink' });
    expect(await readFile(join(linked, 'new.txt'), 'utf8')).toBe('not added yet\n');
    expect((await stat(join(linked, 'node_modules/dep.js'))).ino).toBe(
      (await stat(join(source, 'node_modules/dep.js'))).ino,
    );

    const borrowed = join(await aDir(), 'clone');
    expect(await makeFreshClone(source, borrowed, { nodeModules: 'symlink', commit: false })).toEqual({
      dir: borrowed,
      packages: [],
    });
    expect(await readlink(join(borrowed, 'node_modules'))).toBe(join(source, 'node_modules'));
    expect(await exists(join(borrowed, '.git'))).toBe(false);

    const bare = join(await aDir(), 'clone');
    await makeFreshClone(source, bare, { nodeModules: 'none' });
    expect(await exists(join(bare, 'node_modules'))).toBe(false);
  });

  it('refuses a clone whose @packyard link points outside it', async () => {
    const outside = await aWorkspace();
    await rm(join(outside, 'node_modules/@packyard/a'));
    await symlink(join(outside, 'libs/a'), join(outside, 'node_modules/@packyard/a'));
    await expect(makeFreshClone(outside, join(await aDir(), 'clone'))).rejects.toThrow(
      /node_modules\/@packyard\/a of the clone points outside it/,
    );
  });
});
