import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError } from '@packyard/core';
import {
  ArchiveStore,
  collectGarbage,
  copyToDistfiles,
  createArchive,
  findArchive,
  verifyStore,
  type StoredArchive,
} from '@packyard/archive-store';
import { rejectionOf, useTempRoot } from '@packyard/test-helpers';

const root = useTempRoot('packyard-maintenance-');

async function stored(
  storeDir: string,
  name: string,
  content: string,
  key: Record<string, string>,
): Promise<StoredArchive> {
  const builder = createArchive(name, { storeDir, distfilesDir: false });
  await builder.initialize('top');
  await writeFile(join(builder.topPath, 'file'), content);
  return builder.store({ key });
}

describe('verifyStore', () => {
  it('passes a sound store and reports a blob whose bytes do not match its name, which a distfiles copy refuses', async () => {
    const storeDir = await mkdtemp(join(root.path, 'store-'));
    const good = await stored(storeDir, 'good-1.tar.gz', 'good', { v: 'good' });
    const bad = await stored(storeDir, 'bad-1.tar.gz', 'bad', { v: 'bad' });
    const store = new ArchiveStore(storeDir);
    expect(await verifyStore(store)).toEqual({ checked: 2, problems: [] });

    // Same size, other bytes: only re-hashing can tell.
    const bytes = await readFile(bad.blobPath);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(bad.blobPath, bytes);
    const report = await verifyStore(store);
    expect(report.checked).toBe(2);
    expect(report.problems).toEqual([
      expect.objectContaining({ sha512: bad.digests.sha512, path: bad.blobPath, problem: 'digest mismatch' }),
    ]);
    expect(report.problems.map((p) => p.sha512)).not.toContain(good.digests.sha512);

    const distfiles = await mkdtemp(join(root.path, 'distfiles-'));
    const error = await rejectionOf(copyToDistfiles(bad.blobPath, bad, distfiles));
    expect(isPackyardError(error, 'VERIFY_FAILED')).toBe(true);
    expect(await readdir(distfiles)).toEqual([]);
  });

  it('reports a record whose blob is missing and a blob without a record', async () => {
    const storeDir = await mkdtemp(join(root.path, 'store-'));
    const a = await stored(storeDir, 'a-1.tar.gz', 'a', { v: 'a' });
    const b = await stored(storeDir, 'b-1.tar.gz', 'b', { v: 'b' });
    const store = new ArchiveStore(storeDir);
    await rm(a.blobPath);
    await rm(store.blobRecordPath(b.digests.sha512));
    const problems = (await verifyStore(store)).problems.map((p) => [p.sha512, p.problem]);
    expect(problems).toEqual(
      expect.arrayContaining([
        [a.digests.sha512, 'missing blob'],
        [b.digests.sha512, 'no record'],
      ]),
    );
    expect(problems).toHaveLength(2);
  });
});

describe('collectGarbage', () => {
  it('removes only blobs no record points at, after a dry run that removes nothing', async () => {
    const storeDir = await mkdtemp(join(root.path, 'store-'));
    const kept = await stored(storeDir, 'kept-1.tar.gz', 'v1', { v: '1' });
    const orphan = await stored(storeDir, 'orphan-1.tar.gz', 'v2', { v: '2' });
    await rm(orphan.recordPath);
    // A metatools integrity record (a fetched distfile) keeps its blob alive too.
    const store = new ArchiveStore(storeDir);
    const fetched = await stored(storeDir, 'fetched-1.tar.gz', 'v3', { v: '3' });
    await rm(fetched.recordPath);
    const integrity = join(storeDir, 'integrity', 'local', 'aa', 'bb', 'cc', 'a'.repeat(128));
    await mkdir(join(integrity, '..'), { recursive: true });
    await writeFile(
      integrity,
      `{"sha512": "${fetched.digests.sha512}", "url": "https://example.org/x.tar.gz"}`,
    );
    // Work files of a process that no longer runs.
    await mkdir(join(storeDir, 'tmp', 'archive-x.tar.gz.999999999-abcdef'), { recursive: true });

    const dry = await collectGarbage(store, { dryRun: true });
    expect(dry).toEqual({
      dryRun: true,
      removed: [orphan.digests.sha512],
      bytes: orphan.size,
      kept: 2,
      staleTemp: ['archive-x.tar.gz.999999999-abcdef'],
      unreadable: [],
    });
    expect((await stat(orphan.blobPath)).size).toBe(orphan.size);

    const real = await collectGarbage(store);
    expect(real.removed).toEqual([orphan.digests.sha512]);
    await expect(stat(orphan.blobPath)).rejects.toThrow();
    await expect(stat(store.blobRecordPath(orphan.digests.sha512))).rejects.toThrow();
    expect(await findArchive('kept-1.tar.gz', { key: { v: '1' }, storeDir })).toEqual(
      expect.objectContaining({ digests: kept.digests }),
    );
    expect((await stat(fetched.blobPath)).size).toBe(fetched.size);
    expect(await verifyStore(store)).toEqual({ checked: 2, problems: [] });
  });

  it('reports a record it cannot read and still keeps every blob such a record may name', async () => {
    const storeDir = await mkdtemp(join(root.path, 'store-'));
    const a = await stored(storeDir, 'a-1.tar.gz', 'a', { v: 'a' });
    const b = await stored(storeDir, 'b-1.tar.gz', 'b', { v: 'b' });
    const c = await stored(storeDir, 'c-1.tar.gz', 'c', { v: 'c' });
    // Not JSON, but naming a's blob; not JSON and naming nothing; a record whose metadata holds a type
    // nothing decodes, which gc does not need to decode.
    await writeFile(a.recordPath, `{"hashes": {"sha512": "${a.digests.sha512}", truncated`);
    await writeFile(b.recordPath, 'not json');
    const text = await readFile(c.recordPath, 'utf8');
    await writeFile(c.recordPath, text.replace('"metadata": {', '"metadata": {"odd": {"$unknownType": 1}, '));
    const report = await collectGarbage(new ArchiveStore(storeDir));
    expect(report.unreadable).toEqual([a.recordPath, b.recordPath].sort());
    expect(report.removed).toEqual([b.digests.sha512]);
    expect((await stat(a.blobPath)).size).toBe(a.size);
    expect((await stat(c.blobPath)).size).toBe(c.size);
  });
});
