import { execFile } from 'node:child_process';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isPackyardError } from '@packyard/core';
import { readTreeEntries, writeArchive } from '@packyard/archive';
import { ensureSystemTools } from '@packyard/test-helpers';

const run = promisify(execFile);
const SETUP_BSDTAR = join(import.meta.dirname, '../../../tools/scripts/setup-bsdtar.sh');
const TARS = ['tar.gz', 'tar.xz', 'tar.zst'] as const;
// A name that is not UTF-8: "café" in Latin-1.
const LATIN1 = Buffer.from('caf\xe9.txt', 'latin1');

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'packyard-tree-'));
  await ensureSystemTools(['tar', 'unzip', 'zipinfo', 'xz', 'zstd']);
  await run('bash', [SETUP_BSDTAR]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The tree every format is checked with: empty directories, a drive-like relative name, and more. */
async function aTree(withLatin1: boolean): Promise<string> {
  const dir = await mkdtemp(join(root, 'tree-'));
  await mkdir(join(dir, 'empty'));
  await mkdir(join(dir, 'nested/deeper/empty'), { recursive: true });
  await writeFile(join(dir, 'nested/file.txt'), 'hello\n');
  await writeFile(join(dir, 'c:notes.txt'), 'notes\n');
  if (withLatin1) await writeFile(Buffer.concat([Buffer.from(`${dir}/`), LATIN1]), 'latin-1\n');
  return dir;
}

async function archiveOf(dir: string, format: string): Promise<string> {
  const out = join(root, `${dir.slice(dir.lastIndexOf('/') + 1)}.${format}`);
  await writeArchive(out, await readTreeEntries(dir, { emptyDirectories: true }), { mtime: 1_700_000_000 });
  return out;
}

async function listing(command: string, args: string[]): Promise<Buffer[]> {
  const { stdout } = await run(command, args, { encoding: 'buffer', maxBuffer: 1 << 24 });
  return stdout
    .toString('latin1')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => Buffer.from(line, 'latin1'));
}

/** Every path under `dir` as bytes, directories with a trailing '/'. */
async function treeOf(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(Buffer.from(dir), { withFileTypes: true, encoding: 'buffer' })) {
    const name = `${prefix}${entry.name.toString('latin1')}`;
    if (entry.isDirectory()) {
      out.push(`${name}/`);
      out.push(...(await treeOf(join(dir, entry.name.toString('latin1')), `${name}/`)));
    } else out.push(name);
  }
  return out.sort();
}

const EXPECTED = ['c:notes.txt', 'caf\xe9.txt', 'empty/', 'nested/deeper/empty/', 'nested/file.txt'].map(
  (name) => Buffer.from(name, 'latin1').toString('latin1'),
);

describe('the tree as it is', () => {
  it.each(TARS)(
    '%s keeps empty directories, a non-UTF-8 name as its bytes and c:notes.txt (GNU tar and bsdtar)',
    async (format) => {
      const dir = await aTree(true);
      const archive = await archiveOf(dir, format);
      const gnu = await listing('tar', ['--quoting-style=literal', '-tf', archive]);
      expect(gnu.map((name) => name.toString('latin1')).sort()).toEqual(EXPECTED);
      const bsd = await listing('bsdtar', ['-tf', archive]);
      expect(bsd).toHaveLength(EXPECTED.length);

      // Both extract the same tree, byte for byte in its names.
      // bsdtar strips a leading "c:" when it extracts (its guard for archives made on Windows) unless
      // told -P; its listing above shows the name as stored.
      for (const [command, args] of [
        ['tar', ['-xf', archive, '-C']],
        ['bsdtar', ['-P', '-xf', archive, '-C']],
      ] as const) {
        const target = await mkdtemp(join(root, `${command}-`));
        await run(command, [...args, target]);
        expect(await treeOf(target)).toEqual([
          'c:notes.txt',
          'caf\xe9.txt',
          'empty/',
          'nested/',
          'nested/deeper/',
          'nested/deeper/empty/',
          'nested/file.txt',
        ]);
        expect(await readFile(join(target, 'c:notes.txt'), 'utf8')).toBe('notes\n');
        expect(await readFile(Buffer.concat([Buffer.from(`${target}/`), LATIN1]), 'utf8')).toBe('latin-1\n');
      }
    },
  );

  it('zip keeps empty directories (unzip), and refuses a non-UTF-8 name and c:notes.txt, naming them', async () => {
    const dir = await aTree(false);
    await rm(join(dir, 'c:notes.txt'));
    const archive = await archiveOf(dir, 'zip');
    const names = await listing('unzip', ['-Z1', archive]);
    expect(names.map((name) => name.toString('latin1')).sort()).toEqual([
      'empty/',
      'nested/deeper/empty/',
      'nested/file.txt',
    ]);
    const target = await mkdtemp(join(root, 'unzip-'));
    await run('unzip', ['-q', archive, '-d', target]);
    expect((await stat(join(target, 'nested/deeper/empty'))).isDirectory()).toBe(true);
    expect((await stat(join(target, 'empty'))).isDirectory()).toBe(true);

    for (const [withLatin1, shown, problem] of [
      [true, '"caf\\\\xe9.txt"', 'is not valid UTF-8, which zip names must be'],
      [false, '"c:notes.txt"', 'starts with a drive letter'],
    ] as const) {
      const tree = await aTree(withLatin1);
      // One problem at a time: each tree holds only the name it is about.
      if (withLatin1) await rm(join(tree, 'c:notes.txt'));
      const out = join(root, 'refused.zip');
      const error = await writeArchive(out, await readTreeEntries(tree, { emptyDirectories: true })).catch(
        (caught: unknown) => caught,
      );
      expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
      expect((error as Error).message).toContain(`archive entry name ${shown} (${tree}/`);
      expect((error as Error).message).toContain(problem);
      await expect(stat(out)).rejects.toThrow();
    }
  });
});

describe('the normalisations (README table), each as written', () => {
  it.each([...TARS, 'zip'] as const)('%s: modes, hard links, times and owners', async (format) => {
    const dir = await mkdtemp(join(root, 'norm-'));
    await mkdir(join(dir, 'private'), { mode: 0o700 });
    await writeFile(join(dir, 'private/secret'), 'secret\n', { mode: 0o600 });
    await writeFile(join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o700 });
    await chmod(join(dir, 'tool'), 0o750);
    await writeFile(join(dir, 'original'), 'linked\n');
    await link(join(dir, 'original'), join(dir, 'hardlink'));
    await utimes(join(dir, 'original'), 1, 2);
    await mkdir(join(dir, 'private/empty'), { mode: 0o700 });
    const archive = await archiveOf(dir, format);

    const lines =
      format === 'zip'
        ? (await listing('zipinfo', ['-T', archive])).map(String).filter((line) => /^[-d]/.test(line))
        : (await listing('tar', ['--numeric-owner', '--full-time', '-tvf', archive])).map(String);
    const row = (name: string): string =>
      lines.find((line) => line.endsWith(` ${name}`)) ?? `missing ${name}`;
    // Modes: files 0644, or 0755 when any x bit is set; directories 0755.
    expect(row('private/secret')).toMatch(/^-rw-r--r-- /);
    expect(row('tool')).toMatch(/^-rwxr-xr-x /);
    expect(row('private/empty/')).toMatch(/^drwxr-xr-x /);
    // Hard links: each name is a regular file with its own copy of the bytes.
    expect(row('original')).toMatch(/^-rw-r--r-- /);
    expect(row('hardlink')).toMatch(/^-rw-r--r-- /);
    expect(lines.join('\n')).not.toContain(' link to ');
    if (format !== 'zip') {
      // Owners: uid/gid 0 and no names; times: every entry the archive's mtime, whatever the file had.
      for (const line of lines) expect(line).toMatch(/^[-d]\S+ 0\/0 +\d+ 2023-11-14 22:13:20 /);
    } else {
      for (const line of lines) expect(line).toContain('20231114.221320');
    }
  });
});
