import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError, runTool } from '@packyard/core';
import {
  ArchiveStore,
  createArchive,
  findArchive,
  keyHash,
  renderManifest,
  writeManifest,
  type StoredArchive,
} from '@packyard/archive-store';
import { ensureSystemTools, rejectionOf, useTempRoot } from '@packyard/test-helpers';

beforeAll(async () => {
  await ensureSystemTools(['xz', 'zstd', 'tar', 'unzip', 'b2sum', 'sha512sum']);
});

const root = useTempRoot('packyard-dynamic-');

async function aStoreDir(): Promise<string> {
  return mkdtemp(join(root.path, 'store-'));
}

/** The seed's example: find, else create, fill top_path, store with the key. */
async function goModulesBundle(
  finalName: string,
  storeDir: string,
  options: { force?: boolean; files?: Record<string, string> } = {},
): Promise<{ archive: StoredArchive; created: boolean }> {
  const masterGosum = 'abcdef0123456789';
  let myArchive = await findArchive(finalName, {
    key: { gosum: masterGosum },
    storeDir,
    ...(options.force === undefined ? {} : { force: options.force }),
  });
  if (myArchive !== undefined) return { archive: myArchive, created: false };
  const builder = createArchive(finalName, { storeDir, distfilesDir: false });
  await builder.initialize('dynamic-archive-1.0');
  for (const [name, content] of Object.entries(options.files ?? { README: 'HELLO' })) {
    await mkdir(join(builder.topPath, name, '..'), { recursive: true });
    await writeFile(join(builder.topPath, name), content);
  }
  myArchive = await builder.store({ key: { gosum: masterGosum } });
  return { archive: myArchive, created: true };
}

describe('findArchive / createArchive, as the seed uses them', () => {
  it('finds nothing, creates and stores, finds it again with the same digests, and rebuilds on force', async () => {
    const storeDir = await aStoreDir();
    const name = 'foobar-go-modules-1.2.3.tar.xz';

    const first = await goModulesBundle(name, storeDir);
    expect(first.created).toBe(true);
    const again = await goModulesBundle(name, storeDir);
    expect(again.created).toBe(false);
    expect(again.archive.digests).toEqual(first.archive.digests);
    expect(again.archive.size).toBe(first.archive.size);
    expect(again.archive.key).toEqual({ gosum: 'abcdef0123456789', final_name: name });
    expect(again.archive.metadata['created_on']).toBeInstanceOf(Date);

    // The record is filed where metatools files it: the test vector's hash, under dynamic/local.
    const h =
      '13d7c90ed55ea43ee3bbee602ee3e9d65d2c88677123aed5d3567526db6c33be55629aa9c08489313a2ed4975ab9cb9879db710109708dc35c8c11b338f81d34';
    expect(keyHash({ final_name: name, gosum: 'abcdef0123456789' })).toBe(h);
    expect(again.archive.recordPath).toBe(
      join(storeDir, 'dynamic', 'local', h.slice(0, 2), h.slice(2, 4), h.slice(4, 6), h),
    );
    const s = first.archive.digests.sha512;
    expect(first.archive.blobPath).toBe(
      join(storeDir, 'blos', s.slice(0, 2), s.slice(2, 4), s.slice(4, 6), `${s}.blob`),
    );
    expect(first.archive.url).toBe(
      `https://direct.funtoo.org/${s.slice(0, 2)}/${s.slice(2, 4)}/${s.slice(4, 6)}/${s}`,
    );
    expect(first.archive.srcUri).toBe(`${first.archive.url} -> ${name}`);

    const forced = await goModulesBundle(name, storeDir, { force: true });
    expect(forced.created).toBe(true);
    // Same inputs, so the rebuild is the same blob.
    expect(forced.archive.digests).toEqual(first.archive.digests);

    // A different key finds nothing.
    expect(await findArchive(name, { key: { gosum: 'other' }, storeDir })).toBeUndefined();
  });

  it('never modifies the caller key', async () => {
    const storeDir = await aStoreDir();
    const key = Object.freeze({ gosum: 'abc' });
    const builder = createArchive('k-1.tar.gz', { storeDir, distfilesDir: false });
    await builder.initialize();
    await writeFile(join(builder.topPath, 'a'), 'a');
    await builder.store({ key });
    expect(await findArchive('k-1.tar.gz', { key, storeDir })).toBeDefined();
    expect(key).toEqual({ gosum: 'abc' });
  });
});

describe('determinism across stores', () => {
  it.each([
    ['bundle-1.0.tar.xz', ['xz', '-t']],
    ['bundle-1.0.tar.zst', ['zstd', '-q', '-t']],
    ['bundle-1.0.tar.gz', ['gzip', '-t']],
    ['bundle-1.0.zip', ['unzip', '-tq']],
  ])(
    '%s: two fresh stores give byte-identical files that %s accepts, listing the expected entries',
    async (name, checker) => {
      const files = { README: 'HELLO', 'vendor/mod/go.mod': 'module x\n', 'vendor/mod/a.go': 'package a\n' };
      const one = await goModulesBundle(name, await aStoreDir(), { files });
      const two = await goModulesBundle(name, await aStoreDir(), { files });
      expect((await readFile(two.archive.blobPath)).equals(await readFile(one.archive.blobPath))).toBe(true);
      expect(two.archive.digests).toEqual(one.archive.digests);

      const [tool, ...args] = checker as [string, ...string[]];
      await runTool(tool, [...args, one.archive.blobPath]);
      const listed = name.endsWith('.zip')
        ? (await runTool('zipinfo', ['-1', one.archive.blobPath])).stdout
        : (await runTool('tar', ['-tf', one.archive.blobPath])).stdout;
      expect(listed.trim().split('\n')).toEqual([
        'dynamic-archive-1.0/README',
        'dynamic-archive-1.0/vendor/mod/a.go',
        'dynamic-archive-1.0/vendor/mod/go.mod',
      ]);
    },
  );
});

describe('Portage integration', () => {
  it('writes Manifest DIST lines equal to what b2sum, sha512sum and stat say', async () => {
    const storeDir = await aStoreDir();
    const a = (await goModulesBundle('zeta-1.tar.zst', storeDir)).archive;
    const b = (await goModulesBundle('alpha-1.tar.gz', storeDir)).archive;
    const dir = await mkdtemp(join(root.path, 'ebuild-'));
    const manifest = join(dir, 'Manifest');
    await writeFile(manifest, 'DIST old-1.tar.gz 3 BLAKE2B aa SHA512 bb\nEBUILD x.ebuild 1 SHA512 cc\n');
    const text = await writeManifest(manifest, [a, b]);
    expect(await readFile(manifest, 'utf8')).toBe(text);

    const expected: string[] = [];
    for (const archive of [b, a]) {
      const b2 = (await runTool('b2sum', [archive.blobPath])).stdout.split(' ')[0];
      const sha = (await runTool('sha512sum', [archive.blobPath])).stdout.split(' ')[0];
      const size = (await runTool('stat', ['-c', '%s', archive.blobPath])).stdout.trim();
      expected.push(`DIST ${archive.finalName} ${size} BLAKE2B ${b2} SHA512 ${sha}`);
    }
    // Sorted by name, DIST lines only (the EBUILD line is dropped), the unrelated DIST line kept.
    expect(text).toBe(`${expected[0]}\nDIST old-1.tar.gz 3 BLAKE2B aa SHA512 bb\n${expected[1]}\n`);
  });

  it('refuses a malformed DIST line, naming the Manifest and line', () => {
    let error: unknown;
    try {
      renderManifest([], 'DIST broken\n', '/x/Manifest');
    } catch (caught) {
      error = caught;
    }
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as { file: string }).file).toBe('/x/Manifest');
  });

  it('copies into a writable distfiles directory, skips a missing one with a warning, and never copies in production', async () => {
    const storeDir = await aStoreDir();
    const distfiles = await mkdtemp(join(root.path, 'distfiles-'));
    const builder = createArchive('copy-1.tar.gz', { storeDir, distfilesDir: distfiles });
    await builder.initialize('copy-1');
    await writeFile(join(builder.topPath, 'f'), 'f');
    const stored = await builder.store({ key: { v: 1 } });
    expect(stored.distfile).toEqual({ status: 'copied', path: join(distfiles, 'copy-1.tar.gz') });
    expect((await readFile(join(distfiles, 'copy-1.tar.gz'))).equals(await readFile(stored.blobPath))).toBe(
      true,
    );

    const readOnly = join(root.path, 'no-such-distfiles-dir');
    const warnings: string[] = [];
    const second = createArchive('copy-2.tar.gz', {
      storeDir,
      distfilesDir: readOnly,
      log: (line) => warnings.push(line),
    });
    await second.initialize();
    await writeFile(join(second.topPath, 'f'), 'f');
    const skipped = await second.store();
    expect(skipped.distfile?.status).toBe('skipped');
    expect(warnings.join('\n')).toContain('not copied to distfiles');

    const prod = createArchive('copy-3.tar.gz', { storeDir, distfilesDir: distfiles, production: true });
    await prod.initialize();
    await writeFile(join(prod.topPath, 'f'), 'f');
    expect((await prod.store()).distfile).toBeUndefined();
    expect((await readdir(distfiles)).sort()).toEqual(['copy-1.tar.gz']);
  });
});

describe('bad input changes nothing', () => {
  it.each([
    ['an unsupported extension', 'x-1.tar.bz2', /\.tar\.gz, \.tar\.xz, \.tar\.zst, \.tar\.zstd, \.zip/],
    ['a slash', 'a/b-1.tar.gz', /not a plain file name/],
    ['dot-dot', '..', /not a plain file name/],
  ])('refuses a final name with %s', async (_what, name, message) => {
    const storeDir = await aStoreDir();
    const error = await rejectionOf(findArchive(name, { storeDir }));
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(() => createArchive(name, { storeDir })).toThrow(message);
    expect(await readdir(storeDir)).toEqual([]);
  });

  it('refuses a top directory with a slash or ..', async () => {
    const builder = createArchive('t-1.tar.gz', { storeDir: await aStoreDir() });
    for (const top of ['a/b', '..', '']) {
      expect(isPackyardError(await rejectionOf(builder.initialize(top)), 'ARCHIVE_INVALID')).toBe(true);
    }
  });

  it('refuses a key value with no canonical form before writing anything', async () => {
    const storeDir = await aStoreDir();
    const builder = createArchive('bad-key-1.tar.gz', { storeDir, distfilesDir: false });
    await builder.initialize('top');
    await writeFile(join(builder.topPath, 'a'), 'a');
    const error = await rejectionOf(builder.store({ key: { when: undefined } as never }));
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as { field: string }).field).toBe('key.when');
    expect(await readdir(storeDir)).toEqual(['tmp']);
    expect(await readdir(join(storeDir, 'tmp'))).toHaveLength(1); // the work directory, kept for a retry
  });

  it('refuses a symlink in topPath, pointing outside or not, and stores nothing', async () => {
    const storeDir = await aStoreDir();
    const builder = createArchive('link-1.tar.gz', { storeDir, distfilesDir: false });
    await builder.initialize('top');
    await writeFile(join(builder.topPath, 'a'), 'a');
    await symlink('/etc/passwd', join(builder.topPath, 'passwd'));
    const error = await rejectionOf(builder.store({ key: { v: 1 } }));
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as { file: string }).file).toBe(join(builder.topPath, 'passwd'));
    expect(await readdir(storeDir)).toEqual(['tmp']);
    expect(await findArchive('link-1.tar.gz', { key: { v: 1 }, storeDir })).toBeUndefined();
  });

  it('reports a corrupt record with its path, and a re-store repairs it', async () => {
    const storeDir = await aStoreDir();
    const { archive } = await goModulesBundle('corrupt-1.tar.gz', storeDir);
    await writeFile(archive.recordPath, '{"key": ');
    const error = await rejectionOf(
      findArchive('corrupt-1.tar.gz', { key: { gosum: 'abcdef0123456789' }, storeDir }),
    );
    expect(isPackyardError(error, 'STORE_FAILED')).toBe(true);
    expect((error as { file: string }).file).toBe(archive.recordPath);
    await goModulesBundle('corrupt-1.tar.gz', storeDir, { force: true });
    expect(
      await findArchive('corrupt-1.tar.gz', { key: { gosum: 'abcdef0123456789' }, storeDir }),
    ).toBeDefined();
  });

  it('finds nothing when the blob is gone, so the next run stores it again', async () => {
    const storeDir = await aStoreDir();
    const { archive } = await goModulesBundle('gone-1.tar.gz', storeDir);
    await rm(archive.blobPath);
    const next = await goModulesBundle('gone-1.tar.gz', storeDir);
    expect(next.created).toBe(true);
    expect((await stat(next.archive.blobPath)).size).toBe(archive.size);
  });
});

describe('concurrency', () => {
  it('two stores of the same name and key at once both succeed and leave one record', async () => {
    const storeDir = await aStoreDir();
    const make = async (): Promise<StoredArchive> => {
      const builder = createArchive('race-1.tar.zst', { storeDir, distfilesDir: false });
      await builder.initialize('race');
      await writeFile(join(builder.topPath, 'f'), 'same bytes');
      return builder.store({ key: { v: 1 } });
    };
    const [a, b] = await Promise.all([make(), make()]);
    expect(a.digests).toEqual(b.digests);
    expect(a.recordPath).toBe(b.recordPath);
    const store = new ArchiveStore(storeDir);
    expect(await store.listBlobs()).toEqual([a.digests.sha512]);
    const recordDir = join(a.recordPath, '..');
    expect(await readdir(recordDir)).toEqual([a.recordPath.slice(recordDir.length + 1)]);
    expect(await readdir(join(storeDir, 'tmp'))).toEqual([]);
  });
});
