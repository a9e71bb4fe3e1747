import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPackyardError } from '@packyard/core';
import { createLocalStore, createS3Store, type ObjectStore } from '@packyard/r2-store';
import { fixturePath } from '@packyard/core/testing';
import { startS3Server, type S3Server } from '@packyard/s3-server';
import {
  ArchiveStore,
  createArchive,
  fanOutPath,
  filenameHashPath,
  LAYOUT_CONF,
  planPublish,
  publishBlobs,
  type StoredArchive,
} from '@packyard/archive-store';

let root: string;
let server: S3Server;

// One real versitygw for the file, built by `nx run s3-server:fixtures` (the test target depends on it).
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'packyard-publish-'));
  server = await startS3Server({
    dir: join(root, 's3'),
    bucket: 'cdn',
    binary: await fixturePath('s3-server', 'versitygw'),
  });
});

afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

async function aStoreWith(names: string[]): Promise<{ store: ArchiveStore; archives: StoredArchive[] }> {
  const storeDir = await mkdtemp(join(root, 'store-'));
  const archives: StoredArchive[] = [];
  for (const name of names) {
    const builder = createArchive(name, { storeDir, distfilesDir: false });
    await builder.initialize('top');
    await writeFile(join(builder.topPath, 'name'), name);
    archives.push(await builder.store({ key: { name } }));
  }
  return { store: new ArchiveStore(storeDir), archives };
}

async function putCount(): Promise<number> {
  return (await readFile(server.logFile, 'utf8')).split('\n').filter((line) => /\| PUT \|/.test(line)).length;
}

async function keysOf(target: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of target.list(prefix)) keys.push(object.key);
  return keys.sort();
}

describe('publishBlobs', () => {
  it('puts every blob once into real S3 under both GLEP 75 layouts; a second publish uploads nothing', async () => {
    const { store, archives } = await aStoreWith(['a-1.tar.xz', 'b-1.tar.zst', 'c-1.zip']);
    const target = createS3Store({
      bucket: 'cdn',
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    });
    const before = await putCount();
    const first = await publishBlobs(store, target, { prefix: 'distfiles' });
    const shas = archives.map((a) => a.digests.sha512).sort();
    expect(first.uploaded).toEqual(shas);
    expect(first.skipped).toEqual([]);
    expect(first.failed).toEqual([]);
    expect(first.layoutConf).toBe('uploaded');
    const names = archives.map((a) => a.finalName).sort();
    expect(first.names).toEqual({ uploaded: names, skipped: [] });
    expect(await putCount()).toBe(before + 7);
    expect(await keysOf(target, 'distfiles/')).toEqual(
      [
        ...shas.map((s) => `distfiles/${fanOutPath(s)}`),
        ...names.map((name) => `distfiles/${filenameHashPath(name)}`),
        'distfiles/layout.conf',
      ].sort(),
    );
    for (const archive of archives) {
      for (const key of [fanOutPath(archive.digests.sha512), filenameHashPath(archive.finalName)]) {
        const body = await target.get(`distfiles/${key}`);
        expect(Buffer.from(body!).equals(await readFile(archive.blobPath))).toBe(true);
      }
    }
    expect(Buffer.from((await target.get('distfiles/layout.conf'))!).toString()).toBe(LAYOUT_CONF);

    const second = await publishBlobs(store, target, { prefix: 'distfiles' });
    expect(second).toEqual({
      ...first,
      uploaded: [],
      skipped: shas,
      names: { uploaded: [], skipped: names },
      layoutConf: 'skipped',
    });
    expect(await putCount()).toBe(before + 7);
  });

  it('publishes to a local directory, refusing a corrupt blob and publishing the rest', async () => {
    const { store, archives } = await aStoreWith(['good-1.tar.gz', 'bad-1.tar.gz']);
    const bad = archives[1]!;
    const bytes = await readFile(bad.blobPath);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(bad.blobPath, bytes);
    const dir = await mkdtemp(join(root, 'cdn-'));
    const target = createLocalStore({ dir });
    const report = await publishBlobs(store, target);
    expect(report.uploaded).toEqual([archives[0]!.digests.sha512]);
    expect(report.names.uploaded).toEqual(['good-1.tar.gz']);
    expect(report.failed).toEqual([
      { sha512: bad.digests.sha512, error: expect.stringContaining('not published') },
      {
        sha512: bad.digests.sha512,
        finalName: 'bad-1.tar.gz',
        error: expect.stringContaining('not published'),
      },
    ]);
    expect(await readFile(join(dir, fanOutPath(archives[0]!.digests.sha512)))).toEqual(
      await readFile(archives[0]!.blobPath),
    );
    expect(await readFile(join(dir, 'layout.conf'), 'utf8')).toBe(LAYOUT_CONF);
    expect(await keysOf(target, '')).toEqual(
      [fanOutPath(archives[0]!.digests.sha512), filenameHashPath('good-1.tar.gz'), 'layout.conf'].sort(),
    );
  });

  it('gives GLEP 75 filename-hash paths (BLAKE2B of the name, 8 bits) and plans one file per name', () => {
    // Python: hashlib.blake2b(b"foo-1.0.tar.gz").hexdigest()[:2], what Portage's FilenameHashLayout uses.
    expect(filenameHashPath('foo-1.0.tar.gz')).toBe('4b/foo-1.0.tar.gz');
    const a = { sha512: 'a'.repeat(128), sha256: 'a'.repeat(64), size: 1 };
    const b = { sha512: 'b'.repeat(128), sha256: 'b'.repeat(64), size: 2 };
    const plan = planPublish(
      'd/',
      [a, b],
      [
        { finalName: 'x-1.tar.gz', sha512: a.sha512 },
        { finalName: 'x-1.tar.gz', sha512: b.sha512 },
        { finalName: 'y-1.tar.gz', sha512: b.sha512 },
      ],
    );
    expect(plan).toEqual([
      { ...a, key: `d/${fanOutPath(a.sha512)}` },
      { ...b, key: `d/${fanOutPath(b.sha512)}` },
      { sha512: a.sha512, finalName: 'x-1.tar.gz', error: expect.stringContaining('2 different archives') },
      { ...b, finalName: 'y-1.tar.gz', key: `d/${filenameHashPath('y-1.tar.gz')}` },
    ]);
  });

  it('refuses a prefix that climbs out', async () => {
    const { store } = await aStoreWith([]);
    let error: unknown;
    try {
      await publishBlobs(store, createLocalStore({ dir: join(root, 'x') }), { prefix: '../up' });
    } catch (caught) {
      error = caught;
    }
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
  });
});
