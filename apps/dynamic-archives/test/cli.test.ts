import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EXIT } from '@packyard/core';
import { aDir, aRoot, runCli } from './helpers.js';

const execFileAsync = promisify(execFile);

let root: string;

beforeAll(async () => {
  root = await aRoot();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const KEY = '{"gosum": "abcdef0123456789"}';
const NAME = 'foobar-go-modules-1.2.3.tar.xz';

describe('dynamic-archives find / create', () => {
  it('finds nothing, creates from a directory, finds it again, and --force rebuilds', async () => {
    const store = await aDir(root);
    const from = await aDir(root, { README: 'HELLO', 'vendor/a/go.mod': 'module a\n' });
    const base = ['--store-dir', store, '--key-json', KEY];

    const none = await runCli(['find', NAME, ...base, '--json']);
    expect(none.code).toBe(EXIT.failed);
    expect(JSON.parse(none.stdout)).toEqual({ found: false, finalName: NAME });

    const created = await runCli([
      'create',
      NAME,
      ...base,
      '--from',
      from,
      '--top-directory',
      'foobar-1.2.3',
      '--no-distfiles',
      '--json',
    ]);
    expect(created.code).toBe(EXIT.ok);
    // --json: stderr holds only JSON lines, the [n/N] events of the five steps, then the summary.
    const events = created.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const steps = events.filter((e) => e['type'] === 'progress' && e['event'] === 'done');
    expect(steps.map((e) => [e['item'], e['done'], e['total']])).toEqual([
      ['find', 1, 5],
      ['walk', 2, 5],
      ['write', 3, 5],
      ['record', 4, 5],
      ['distfiles', 5, 5],
    ]);
    expect(steps.at(-1)!['detail']).toBe('skipped: distfiles copy turned off');
    expect(events.at(-1)).toMatchObject({ type: 'summary', command: 'create' });
    const archive = JSON.parse(created.stdout);
    expect(archive.status).toBe('created');
    expect(archive.recordPath).toBe(
      join(
        store,
        'dynamic/local/13/d7/c9/13d7c90ed55ea43ee3bbee602ee3e9d65d2c88677123aed5d3567526db6c33be55629aa9c08489313a2ed4975ab9cb9879db710109708dc35c8c11b338f81d34',
      ),
    );

    const found = await runCli(['find', NAME, ...base, '--json']);
    expect(found.code).toBe(EXIT.ok);
    expect(JSON.parse(found.stdout)).toEqual({ ...archive, status: undefined, found: true });

    const again = await runCli(['create', NAME, ...base, '--from', from, '--no-distfiles', '--json']);
    expect(JSON.parse(again.stdout).status).toBe('found');

    const forced = await runCli([
      'create',
      NAME,
      ...base,
      '--from',
      from,
      '--top-directory',
      'foobar-1.2.3',
      '--no-distfiles',
      '--force',
      '--json',
    ]);
    expect(JSON.parse(forced.stdout)).toEqual(
      expect.objectContaining({ status: 'created', digests: archive.digests }),
    );
    expect((await runCli(['find', NAME, ...base, '--force'])).code).toBe(EXIT.failed);

    const text = await runCli(['find', NAME, ...base]);
    expect(text.stdout).toContain(`SRC_URI ${archive.url} -> ${NAME}`);
  });

  it('takes the store from METATOOLS_WORKSPACE, then the home directory, like metatools', async () => {
    const workspace = await aDir(root);
    const from = await aDir(root, { f: 'f' });
    const made = await runCli(['create', 'w-1.tar.gz', '--from', from, '--no-distfiles', '--json'], {
      env: { METATOOLS_WORKSPACE: workspace },
    });
    expect(JSON.parse(made.stdout).blobPath.startsWith(join(workspace, 'repo_tmp', 'stores', 'blos'))).toBe(
      true,
    );
    const home = await aDir(root);
    const fromHome = await runCli(['create', 'h-1.tar.gz', '--from', from, '--no-distfiles', '--json'], {
      home,
    });
    expect(JSON.parse(fromHome.stdout).blobPath.startsWith(join(home, 'repo_tmp', 'stores', 'blos'))).toBe(
      true,
    );
  });

  it('reads dates and floats in --key-json as extended JSON', async () => {
    const store = await aDir(root);
    const from = await aDir(root, { f: 'f' });
    const key = '{"when": {"$date": "2024-01-02T03:04:05Z"}, "ratio": {"$numberDouble": "2.0"}, "n": 2}';
    await runCli([
      'create',
      'k-1.tar.gz',
      '--store-dir',
      store,
      '--key-json',
      key,
      '--from',
      from,
      '--no-distfiles',
    ]);
    const found = await runCli(['find', 'k-1.tar.gz', '--store-dir', store, '--key-json', key]);
    expect(found.code).toBe(EXIT.ok);
    // 2 and 2.0 are different keys, as in pymongo.
    const other = '{"when": {"$date": "2024-01-02T03:04:05Z"}, "ratio": 2, "n": 2}';
    expect((await runCli(['find', 'k-1.tar.gz', '--store-dir', store, '--key-json', other])).code).toBe(
      EXIT.failed,
    );
  });
});

describe('dynamic-archives store, manifest', () => {
  it('stores an existing file and writes its Manifest line', async () => {
    const store = await aDir(root);
    const dir = await aDir(root, { 'patches-1.0.tar.gz': 'not really gzip, stored as it is' });
    const stored = await runCli([
      'store',
      join(dir, 'patches-1.0.tar.gz'),
      '--store-dir',
      store,
      '--key-json',
      '{"v": 1}',
      '--no-distfiles',
      '--json',
    ]);
    expect(stored.code).toBe(EXIT.ok);
    const archive = JSON.parse(stored.stdout);
    expect(archive.size).toBe(32);

    const manifest = join(dir, 'Manifest');
    const out = await runCli([
      'manifest',
      'patches-1.0.tar.gz',
      '--store-dir',
      store,
      '--key-json',
      '{"v": 1}',
      '--manifest',
      manifest,
    ]);
    expect(out.code).toBe(EXIT.ok);
    const line = `DIST patches-1.0.tar.gz 32 BLAKE2B ${archive.digests.blake2b} SHA512 ${archive.digests.sha512}`;
    expect(await readFile(manifest, 'utf8')).toBe(`${line}\n`);
    expect(out.stdout).toBe(`${line}\nSRC_URI: ${archive.url} -> patches-1.0.tar.gz\n`);
  });
});

describe('dynamic-archives publish, verify, gc', () => {
  it('publishes to a local directory (the default CDN), then nothing again; verify and gc report', async () => {
    const repoTmp = await aDir(root);
    const store = join(repoTmp, 'stores');
    const from = await aDir(root, { f: 'one' });
    await runCli(['create', 'p-1.tar.zst', '--store-dir', store, '--from', from, '--no-distfiles']);
    await writeFile(join(from, 'f'), 'two');
    await runCli(['create', 'p-2.zip', '--store-dir', store, '--from', from, '--no-distfiles']);

    const first = JSON.parse((await runCli(['publish', '--store-dir', store, '--json'])).stdout);
    expect(first.location).toBe(join(repoTmp, 'cdn'));
    expect(first.uploaded).toHaveLength(2);
    expect(await readFile(join(repoTmp, 'cdn', 'layout.conf'), 'utf8')).toBe(
      '[structure]\n0=content-hash SHA512 8:8:8\n1=filename-hash BLAKE2B 8\n',
    );
    const second = JSON.parse((await runCli(['publish', '--store-dir', store, '--json'])).stdout);
    expect(second.uploaded).toEqual([]);
    expect(second.skipped).toEqual(first.uploaded);

    const verified = await runCli(['verify', '--store-dir', store]);
    expect(verified.code).toBe(EXIT.ok);
    // Plain progress (no terminal): one [n/N] line per blob re-hashed, then the step's own line.
    expect(verified.stderr).toMatch(/^\[1\/2\] [^\n]*: [0-9a-f]{16}… done$/m);
    expect(verified.stderr).toMatch(/^\[2\/2\] [^\n]*: blobs re-hashed finished$/m);
    expect(verified.stderr).toMatch(/^\[1\/1\] [^\n]*: rehash done/m);
    const found = JSON.parse((await runCli(['find', 'p-1.tar.zst', '--store-dir', store, '--json'])).stdout);
    await writeFile(found.blobPath, 'garbage');
    const verify = await runCli(['verify', '--store-dir', store, '--json']);
    expect(verify.code).toBe(EXIT.verify);
    expect(JSON.parse(verify.stdout).problems).toEqual([
      expect.objectContaining({ path: found.blobPath, problem: 'digest mismatch' }),
    ]);

    await rm(found.recordPath);
    const dry = await runCli(['gc', '--store-dir', store, '--dry-run', '--json']);
    expect(JSON.parse(dry.stdout).removed).toEqual([found.digests.sha512]);
    expect(JSON.parse((await runCli(['gc', '--store-dir', store, '--json'])).stdout).removed).toEqual([
      found.digests.sha512,
    ]);
    expect(JSON.parse((await runCli(['verify', '--store-dir', store, '--json'])).stdout)).toEqual({
      checked: 1,
      problems: [],
    });
  });
});

describe('dynamic-archives bad input', () => {
  it.each([
    [['find'], EXIT.usage],
    [['frobnicate'], EXIT.usage],
    [['find', 'a.tar.gz', '--bogus'], EXIT.usage],
    [['find', 'a.tar.gz', 'b.tar.gz'], EXIT.usage],
    [['find', 'a.tar.gz', '--key-json', '[1]'], EXIT.usage],
    [['find', 'a.tar.gz', '--key-json', '{bad'], EXIT.usage],
    [['find', 'a.tar.gz', '--scope', 'x', '--scope', 'y'], EXIT.usage],
    [['find', 'a.tar.bz2'], EXIT.invalidFile],
    [['find', '../a.tar.gz'], EXIT.invalidFile],
    [['create', 'a.tar.gz'], EXIT.usage],
    [['create', 'a.tar.gz', '--from', '/nonexistent', '--no-distfiles'], EXIT.invalidFile],
    [['create', 'a.tar.gz', '--from', '.', '--top-directory', '../x', '--no-distfiles'], EXIT.invalidFile],
  ])('%j exits %i and writes nothing', async (args, code) => {
    const store = await aDir(root);
    const run = await runCli([...args, '--store-dir', store]);
    expect(run.code).toBe(code);
    expect(run.stderr).not.toBe('');
    expect(await import('node:fs/promises').then((fs) => fs.readdir(store))).toEqual([]);
  });

  it('refuses a source directory holding a symlink, naming it, and stores nothing', async () => {
    const store = await aDir(root);
    const from = await aDir(root, { ok: 'ok' });
    await symlink('/etc/passwd', join(from, 'passwd'));
    const run = await runCli([
      'create',
      'l-1.tar.gz',
      '--store-dir',
      store,
      '--from',
      from,
      '--no-distfiles',
    ]);
    expect(run.code).toBe(EXIT.invalidFile);
    expect(run.stderr).toContain(join(from, 'passwd'));
    expect(await import('node:fs/promises').then((fs) => fs.readdir(store))).toEqual([]);
  });

  it('archives a non-UTF-8 name as its bytes and an empty directory in tar, and refuses the name in zip', async () => {
    const store = await aDir(root);
    const from = await aDir(root, { 'c:notes.txt': 'notes' });
    await mkdir(join(from, 'empty'));
    await writeFile(
      Buffer.concat([Buffer.from(`${from}/`), Buffer.from('caf\xe9.txt', 'latin1')]),
      'latin-1',
    );
    const tar = await runCli([
      'create',
      'n-1.tar.xz',
      '--store-dir',
      store,
      '--from',
      from,
      '--no-distfiles',
      '--json',
    ]);
    expect(tar.code).toBe(EXIT.ok);
    const { stdout } = await execFileAsync(
      'tar',
      ['--quoting-style=literal', '-tf', JSON.parse(tar.stdout).blobPath],
      {
        encoding: 'buffer',
      },
    );
    expect(stdout.toString('latin1').split('\n').filter(Boolean).sort()).toEqual([
      'c:notes.txt',
      'caf\xe9.txt',
      'empty/',
    ]);

    await rm(join(from, 'c:notes.txt'));
    const zip = await runCli(['create', 'n-1.zip', '--store-dir', store, '--from', from, '--no-distfiles']);
    expect(zip.code).toBe(EXIT.invalidFile);
    expect(zip.stderr).toContain(`"caf\\\\xe9.txt" (${from}/caf\\xe9.txt) is not valid UTF-8`);
    expect((await runCli(['find', 'n-1.zip', '--store-dir', store])).code).toBe(EXIT.failed);
  });

  it('reports a corrupt record with exit 7', async () => {
    const store = await aDir(root);
    const from = await aDir(root, { f: 'f' });
    const made = JSON.parse(
      (
        await runCli([
          'create',
          'c-1.tar.gz',
          '--store-dir',
          store,
          '--from',
          from,
          '--no-distfiles',
          '--json',
        ])
      ).stdout,
    );
    await writeFile(made.recordPath, '{');
    const run = await runCli(['find', 'c-1.tar.gz', '--store-dir', store]);
    expect(run.code).toBe(EXIT.store);
    expect(run.stderr).toContain(made.recordPath);
  });
});
