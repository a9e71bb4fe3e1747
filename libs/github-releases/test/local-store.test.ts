import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPackyardError } from '@packyard/core';
import { createLocalReleaseStore, isFinalRelease, publishAsset } from '../src/index.js';
import { anAsset } from './support.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'packyard-releases-'));
}

describe('local release store', () => {
  it('creates drafts and prereleases, lists them, and finds them by tag', async () => {
    const store = createLocalReleaseStore({ dir: join(await tempDir(), 'store') });
    expect(await store.listReleases()).toEqual([]);
    await store.createRelease({ tag: 'tool-v1.0', body: 'b1', draft: true, prerelease: false });
    await store.createRelease({ tag: 'tool-v2.0', body: 'b2', draft: false, prerelease: true });
    const releases = await store.listReleases();
    expect(releases.map((r) => [r.tag, r.draft, r.prerelease])).toEqual([
      ['tool-v1.0', true, false],
      ['tool-v2.0', false, true],
    ]);
    expect((await store.getRelease('tool-v1.0'))?.body).toBe('b1');
    expect(await store.getRelease('tool-v3.0')).toBeUndefined();
    await expect(
      store.createRelease({ tag: 'tool-v1.0', body: '', draft: true, prerelease: false }),
    ).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
    });
  });

  it('reads asset digests from the stored bytes and serves them by file:// URL', async () => {
    const dir = await tempDir();
    const store = createLocalReleaseStore({ dir: join(dir, 'store') });
    const release = await store.createRelease({ tag: 'tool-v1.0', body: '', draft: false, prerelease: true });
    const file = await anAsset(dir, 'tool-linux-amd64.tar.gz', 'hello');
    const asset = await store.uploadAsset(release, file);
    expect(asset.sha256).toBe(file.sha256);
    expect(await readFile(fileURLToPath(asset.downloadUrl), 'utf8')).toBe('hello');
    const listed = await store.getRelease('tool-v1.0');
    expect(listed?.assets.map((a) => [a.name, a.sha256, a.size])).toEqual([[file.name, file.sha256, 5]]);
  });

  it('publishes assets idempotently by digest: skip, upload, refuse, replace', async () => {
    const dir = await tempDir();
    const store = createLocalReleaseStore({ dir: join(dir, 'store') });
    let release = await store.createRelease({ tag: 'tool-v1.0', body: '', draft: true, prerelease: false });
    const first = await anAsset(dir, 'a.tar.gz', 'one');
    expect((await publishAsset(store, release, first)).action).toBe('uploaded');
    release = (await store.getRelease('tool-v1.0'))!;
    expect((await publishAsset(store, release, first)).action).toBe('skipped');

    const other = await anAsset(dir, 'a.tar.gz', 'two!');
    const conflict = await publishAsset(store, release, other).catch((error: unknown) => error);
    expect(isPackyardError(conflict, 'STORE_CONFLICT')).toBe(true);
    expect((conflict as Error).message).toBe(
      `asset "a.tar.gz" already exists with sha256 ${first.sha256}, but the new file has ${other.sha256}`,
    );
    expect((await store.getRelease('tool-v1.0'))?.assets[0]?.sha256).toBe(first.sha256);

    expect((await publishAsset(store, release, other, { replace: true })).action).toBe('replaced');
    expect((await store.getRelease('tool-v1.0'))?.assets.map((a) => a.sha256)).toEqual([other.sha256]);
  });

  it('ignores an interrupted upload and deletes a release with its assets', async () => {
    const dir = await tempDir();
    const store = createLocalReleaseStore({ dir: join(dir, 'store') });
    const release = await store.createRelease({ tag: 'tool-v1.0', body: '', draft: true, prerelease: false });
    await store.uploadAsset(release, await anAsset(dir, 'x.tar.gz', 'x'));
    await writeFile(join(dir, 'store', 'tool-v1.0', 'assets', 'y.tar.gz.tmp-99-zz'), 'partial');
    expect((await store.getRelease('tool-v1.0'))?.assets.map((a) => a.name)).toEqual(['x.tar.gz']);
    await store.deleteRelease(release);
    expect(await store.getRelease('tool-v1.0')).toBeUndefined();
    expect(await readdir(join(dir, 'store'))).toEqual([]);
  });

  it('flips a prerelease to final, and an immutable store then refuses assets', async () => {
    const dir = await tempDir();
    const store = createLocalReleaseStore({ dir: join(dir, 'store'), immutable: true });
    let release = await store.createRelease({ tag: 'tool-v1.0', body: '', draft: true, prerelease: false });
    expect(release.immutable).toBe(false);
    await store.uploadAsset(release, await anAsset(dir, 'a.tar.gz', 'a'));
    release = await store.updateRelease(release, { draft: false });
    expect(isFinalRelease(release)).toBe(true);
    expect(release.immutable).toBe(true);
    await expect(store.uploadAsset(release, await anAsset(dir, 'b.tar.gz', 'b'))).rejects.toMatchObject({
      code: 'STORE_FAILED',
      message: 'release "tool-v1.0" is published and immutable: cannot upload "b.tar.gz"',
    });
    expect(await store.fetchImmutableReleases()).toBe(true);
  });

  it('rejects tags and asset names that could escape the store', async () => {
    const dir = await tempDir();
    const store = createLocalReleaseStore({ dir: join(dir, 'store') });
    await expect(store.getRelease('../etc')).rejects.toMatchObject({ code: 'STORE_FAILED' });
    const release = await store.createRelease({ tag: 'ok-v1', body: '', draft: true, prerelease: false });
    await expect(
      store.uploadAsset(release, { ...(await anAsset(dir, 'a', 'a')), name: '../../x' }),
    ).rejects.toMatchObject({
      code: 'STORE_FAILED',
      message: '"../../x" is not a valid asset name',
    });
  });
});
