import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitHubEmulator, type GitHubEmulator } from '@packyard/github-emulator';
import { createGithubReleaseStore, publishAsset, readGithubToken, type ReleaseStore } from '../src/index.js';
import { anAsset } from './support.js';

const TOKEN = 'ghp_packyardtesttoken0123456789abcdefXYZ';
let emulator: GitHubEmulator;
let work: string;

beforeAll(async () => {
  emulator = await startGitHubEmulator();
  emulator.addToken(TOKEN);
  work = await mkdtemp(join(tmpdir(), 'packyard-gh-'));
});
afterAll(async () => emulator.close());

let repoCount = 0;
async function aStore(
  options: { immutable?: boolean; cacheDir?: string; repo?: string; log?: (line: string) => void } = {},
): Promise<{ store: ReleaseStore; repo: string }> {
  const repo = options.repo ?? `octo/repo${(repoCount += 1)}`;
  if (!options.repo)
    emulator.createRepo('octo', repo.split('/')[1]!, { immutableReleases: options.immutable ?? false });
  const store = await createGithubReleaseStore({
    repository: repo,
    token: TOKEN,
    apiUrl: emulator.apiUrl,
    writeIntervalMs: 0,
    retryBaseMs: 5,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return { store, repo };
}

describe('GitHub release store', () => {
  it('creates a draft, finds it by tag although GitHub hides drafts there, uploads, and publishes', async () => {
    const { store, repo } = await aStore();
    const created = await store.createRelease({
      tag: 'tool-v1.0',
      body: 'b',
      draft: true,
      prerelease: false,
    });
    expect(created).toMatchObject({ tag: 'tool-v1.0', draft: true, prerelease: false, assets: [] });
    const file = await anAsset(work, 'tool-linux-amd64.tar.gz', 'bytes');
    const asset = await store.uploadAsset(created, file);
    expect(asset).toMatchObject({ name: file.name, sha256: file.sha256, state: 'uploaded' });
    const found = await store.getRelease('tool-v1.0');
    expect(found?.assets.map((a) => [a.name, a.sha256])).toEqual([[file.name, file.sha256]]);
    const published = await store.updateRelease(found!, { draft: false });
    expect(published.draft).toBe(false);
    expect(store.downloadUrl('tool-v1.0', file.name)).toBe(
      `${emulator.webUrl}/${repo}/releases/download/tool-v1.0/${file.name}`,
    );
    const downloaded = await fetch(store.downloadUrl('tool-v1.0', file.name));
    expect(await downloaded.text()).toBe('bytes');
    expect(store.repositoryUrl).toBe(`${emulator.webUrl}/${repo}`);
  });

  it('lists every page and answers an unchanged listing from the stored ETag (304)', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'packyard-gh-cache-'));
    const { store, repo } = await aStore({ cacheDir });
    for (let i = 0; i < 130; i += 1)
      await store.createRelease({ tag: `t-v${i}`, body: '', draft: false, prerelease: true });
    expect((await store.listReleases()).length).toBe(130);
    // A new process: same cache directory, fresh store.
    const again = (await aStore({ cacheDir, repo })).store;
    emulator.resetLog();
    expect((await again.listReleases()).length).toBe(130);
    const listing = emulator.requests().filter((r) => r.path.includes('/releases?'));
    expect(listing.map((r) => r.status)).toEqual([304, 304]);
  });

  it('idempotent by digest: skips identical bytes, refuses different ones', async () => {
    const { store } = await aStore();
    let release = await store.createRelease({ tag: 'x-v1', body: '', draft: true, prerelease: false });
    const one = await anAsset(work, 'x.tar.gz', 'one');
    expect((await publishAsset(store, release, one)).action).toBe('uploaded');
    release = (await store.getRelease('x-v1'))!;
    emulator.resetLog();
    expect((await publishAsset(store, release, one)).action).toBe('skipped');
    expect(emulator.writeCount()).toBe(0);
    await expect(publishAsset(store, release, await anAsset(work, 'x.tar.gz', 'two'))).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
    });
  });

  it('converges when four runners create the same draft at once', async () => {
    const { store } = await aStore();
    const results = await Promise.all(
      [0, 1, 2, 3].map(() =>
        store.createRelease({ tag: 'race-v1', body: '', draft: true, prerelease: false }),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect((await store.listReleases()).filter((r) => r.tag === 'race-v1').length).toBe(1);
  });

  it('returns the existing release when a prerelease tag is already taken', async () => {
    const { store } = await aStore();
    const first = await store.createRelease({ tag: 'p-v1', body: '', draft: false, prerelease: true });
    const second = await store.createRelease({ tag: 'p-v1', body: '', draft: false, prerelease: true });
    expect(second.id).toBe(first.id);
  });

  it('rides out 5xx, 429 and secondary rate limits', async () => {
    const { store } = await aStore();
    emulator.injectFault({ method: 'POST', path: /\/releases$/, kind: 'status', status: 502 });
    emulator.injectFault({
      method: 'POST',
      path: /\/releases$/,
      kind: 'status',
      status: 429,
      retryAfterSeconds: 0,
    });
    emulator.injectFault({
      method: 'PATCH',
      kind: 'status',
      status: 403,
      secondaryRateLimit: true,
      retryAfterSeconds: 0,
    });
    emulator.injectFault({ method: 'GET', path: /\/releases\?/, kind: 'status', status: 503 });
    const release = await store.createRelease({ tag: 'f-v1', body: '', draft: true, prerelease: false });
    await store.updateRelease(release, { body: 'after faults' });
    expect((await store.getRelease('f-v1'))?.body).toBe('after faults');
    emulator.clearFaults();
  });

  it('cleans up an upload cut off half-way and uploads again', async () => {
    const { store } = await aStore();
    const release = await store.createRelease({ tag: 'u-v1', body: '', draft: true, prerelease: false });
    const file = await anAsset(work, 'big.tar.gz', 'x'.repeat(200_000));
    emulator.injectFault({ host: 'uploads', kind: 'reset', afterBytes: 50_000 });
    const asset = await store.uploadAsset(release, file);
    expect(asset).toMatchObject({ state: 'uploaded', sha256: file.sha256 });
    const assets = (await store.getRelease('u-v1'))!.assets;
    expect(assets.map((a) => [a.name, a.state])).toEqual([['big.tar.gz', 'uploaded']]);
  });

  it('reports a starter asset left by a killed runner, and publishAsset redoes it', async () => {
    const { store } = await aStore();
    const release = await store.createRelease({ tag: 'k-v1', body: '', draft: true, prerelease: false });
    const file = await anAsset(work, 'k.tar.gz', 'y'.repeat(100_000));
    emulator.injectFault({ host: 'uploads', kind: 'reset', afterBytes: 10_000, times: 10 });
    await expect(store.uploadAsset(release, file)).rejects.toThrow();
    emulator.clearFaults();
    const stuck = (await store.getRelease('k-v1'))!;
    expect(stuck.assets.map((a) => a.state)).toEqual(['starter']);
    expect((await publishAsset(store, stuck, file)).action).toBe('uploaded');
    expect((await store.getRelease('k-v1'))!.assets.map((a) => [a.state, a.sha256])).toEqual([
      ['uploaded', file.sha256],
    ]);
  });

  it('replaces an asset only once the new bytes are uploaded and verified under a staging name', async () => {
    const { store } = await aStore();
    let release = await store.createRelease({ tag: 'r-v1', body: '', draft: false, prerelease: false });
    const old = await anAsset(work, 'r.tar.gz', 'old bytes');
    await publishAsset(store, release, old);
    release = (await store.getRelease('r-v1'))!;
    emulator.resetLog();
    const next = await anAsset(work, 'r.tar.gz', 'new bytes');
    const result = await publishAsset(store, release, next, { replace: true });
    expect(result).toMatchObject({ action: 'replaced', asset: { name: 'r.tar.gz', sha256: next.sha256 } });
    // The order of writes: upload the staging copy, delete the old asset, rename the copy.
    const writes = emulator.requests().filter((r) => r.write && r.status < 300);
    expect(writes.map((r) => `${r.method} ${r.host}`)).toEqual(['POST uploads', 'DELETE api', 'PATCH api']);
    expect(writes[0]!.path).toContain('name=r.tar.gz.replacing');
    const after = (await store.getRelease('r-v1'))!;
    expect(after.assets.map((a) => [a.name, a.sha256])).toEqual([['r.tar.gz', next.sha256]]);
    expect(await (await fetch(store.downloadUrl('r-v1', 'r.tar.gz'))).text()).toBe('new bytes');
  });

  it('logs no warning for expected answers (a 404 probe, a 304 listing), and hints at a missing repository', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'packyard-gh-quiet-'));
    const lines: string[] = [];
    const { store, repo } = await aStore({ cacheDir, log: (line) => lines.push(line) });
    expect(await store.fetchImmutableReleases()).toBe(false);
    expect(await store.getRelease('no-such-v1')).toBeUndefined();
    await store.listReleases();
    const again = (await aStore({ cacheDir, repo, log: (line) => lines.push(line) })).store;
    await again.listReleases();
    expect(lines).toEqual([]);
    const missing = await aStore({ repo: 'octo/no-such-repo' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: 'STORE_FAILED',
      field: '--repo',
      value: 'octo/no-such-repo',
      hint: 'check --repo octo/no-such-repo: the repository does not exist, or the token cannot see it (a fine-grained token needs this repository selected)',
    });
  });

  it('reads the immutable releases setting, and an immutable published release refuses assets', async () => {
    const { store } = await aStore({ immutable: true });
    expect(await store.fetchImmutableReleases()).toBe(true);
    const release = await store.createRelease({ tag: 'i-v1', body: '', draft: false, prerelease: false });
    await expect(store.uploadAsset(release, await anAsset(work, 'i.tar.gz', 'i'))).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });
    expect(await (await aStore()).store.fetchImmutableReleases()).toBe(false);
  });

  it('fails before any request without a token, and never prints one', async () => {
    emulator.resetLog();
    await expect(
      createGithubReleaseStore({ repository: 'octo/x', token: undefined, apiUrl: emulator.apiUrl }),
    ).rejects.toMatchObject({
      code: 'AUTH_MISSING',
      message: 'publishing to GitHub repository octo/x needs a token',
    });
    expect(emulator.requests()).toEqual([]);
    const bad = 'ghp_wrongtoken00000000000000000000000000';
    const error = await createGithubReleaseStore({
      repository: 'octo/repo1',
      token: bad,
      apiUrl: emulator.apiUrl,
    }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'AUTH_MISSING' });
    expect(JSON.stringify({ m: (error as Error).message, s: (error as Error).stack })).not.toContain(bad);
    expect(readGithubToken({ GH_TOKEN: 'b' })).toBe('b');
    expect(readGithubToken({ GITHUB_TOKEN: 'a', GH_TOKEN: 'b' })).toBe('a');
    expect(readGithubToken({})).toBeUndefined();
  });
});
