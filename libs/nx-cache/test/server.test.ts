import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStore, type ObjectStore } from '@packyard/r2-store';
import { checkEntryMember, startCacheServer, type CacheEvent, type CacheServer } from '../src/index.js';
import { call, makeEntry } from './support.js';

const WRITE = 'write-token-0123456789';
const READ = 'read-token-9876543210';

let store: ObjectStore;
let server: CacheServer;
let spool: string;
const events: CacheEvent[] = [];

beforeAll(async () => {
  store = createLocalStore({ dir: await mkdtemp(join(tmpdir(), 'nx-cache-store-')) });
  spool = await mkdtemp(join(tmpdir(), 'nx-cache-spool-'));
  server = await startCacheServer({
    store,
    prefix: 'nx/',
    tokens: { write: WRITE, read: READ },
    maxEntryBytes: 64 * 1024,
    tempDir: spool,
    onEvent: (event) => events.push(event),
  });
});
afterAll(async () => {
  await server?.close();
});

const at = (hash: string) => `${server.url}/v1/cache/${hash}`;
async function keys(): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.list('nx/')) found.push(object.key);
  return found;
}

describe('the Nx remote cache contract over a directory store', () => {
  it('stores an entry with the write token and serves it back byte for byte with either token', async () => {
    const entry = await makeEntry([
      { name: 'dist/out.txt', content: 'built' },
      { name: 'code', content: '0' },
    ]);
    expect((await call(at('1001'), 'PUT', WRITE, entry)).status).toBe(200);
    for (const token of [WRITE, READ]) {
      const got = await call(at('1001'), 'GET', token);
      expect(got.status).toBe(200);
      expect(got.body.equals(entry)).toBe(true);
    }
    expect(await keys()).toContain('nx/1001');
  });

  it('answers 404 for a hash it does not hold, and 401 without a token or with a wrong one', async () => {
    expect((await call(at('2002'), 'GET', READ)).status).toBe(404);
    expect((await call(at('1001'), 'GET', undefined)).status).toBe(401);
    expect((await call(at('1001'), 'GET', 'not-a-token')).status).toBe(401);
    const entry = await makeEntry([{ name: 'a', content: 'a' }]);
    expect((await call(at('2003'), 'PUT', undefined, entry)).status).toBe(401);
    expect(await keys()).not.toContain('nx/2003');
  });

  it('refuses a write with the read-only token (403) and writes nothing', async () => {
    const before = await keys();
    const entry = await makeEntry([{ name: 'a', content: 'pull request' }]);
    const put = await call(at('3003'), 'PUT', READ, entry);
    expect(put.status).toBe(403);
    expect(await keys()).toEqual(before);
    expect((await call(at('3003'), 'GET', READ)).status).toBe(404);
  });

  it('answers 409 for a hash already stored and keeps the stored bytes', async () => {
    const first = await makeEntry([{ name: 'a', content: 'first' }]);
    expect((await call(at('4004'), 'PUT', WRITE, first)).status).toBe(200);
    const before = await store.head('nx/4004');
    const second = await makeEntry([{ name: 'a', content: 'poisoned' }]);
    expect((await call(at('4004'), 'PUT', WRITE, second)).status).toBe(409);
    expect(await store.head('nx/4004')).toEqual(before);
    expect((await call(at('4004'), 'GET', READ)).body.equals(first)).toBe(true);
  });

  it.each([
    ['a ".." segment', [{ name: '../outside.txt', content: 'x' }]],
    ['a nested ".." segment', [{ name: 'dist/../../outside.txt', content: 'x' }]],
    ['an absolute path', [{ name: '/etc/cron.d/job', content: 'x' }]],
    ['a drive letter', [{ name: 'C:\\Windows\\x', content: 'x' }]],
    [
      'a symlink escaping the root',
      [{ name: 'dist/link', type: 'symlink' as const, linkname: '../../../etc/passwd' }],
    ],
    ['an absolute symlink', [{ name: 'dist/link', type: 'symlink' as const, linkname: '/etc/passwd' }]],
    ['a hard link escaping the root', [{ name: 'dist/hard', type: 'link' as const, linkname: '../secret' }]],
    ['a device', [{ name: 'dist/dev', type: 'character-device' as const }]],
  ])('refuses an entry with %s (400) and stores nothing', async (_what, members) => {
    const before = await keys();
    const entry = await makeEntry(members);
    const put = await call(at('5005'), 'PUT', WRITE, entry);
    expect(put.status).toBe(400);
    expect(put.body.toString()).toMatch(/member .* is refused/);
    expect(await keys()).toEqual(before);
    expect(await readdir(spool)).toEqual([]);
  });

  it('accepts links that stay inside the entry, gzip-compressed or plain', async () => {
    const members = [
      { name: 'dist/lib/index.js', content: 'x' },
      { name: 'dist/current', type: 'symlink' as const, linkname: 'lib' },
      { name: 'dist/lib/again.js', type: 'link' as const, linkname: 'dist/lib/index.js' },
    ];
    expect((await call(at('6006'), 'PUT', WRITE, await makeEntry(members))).status).toBe(200);
    expect((await call(at('6007'), 'PUT', WRITE, await makeEntry(members, false))).status).toBe(200);
  });

  it('refuses a body that is not a tar, and one over the size limit before reading it', async () => {
    const junk = await call(at('7007'), 'PUT', WRITE, Buffer.from('not a tar at all'));
    expect(junk.status).toBe(400);
    const big = await call(at('7008'), 'PUT', WRITE, Buffer.alloc(65 * 1024));
    expect(big.status).toBe(413);
    expect(await keys()).not.toEqual(expect.arrayContaining(['nx/7007', 'nx/7008']));
    expect(await readdir(spool)).toEqual([]);
  });

  it('logs a download the client broke off as an error, with how far it got', async () => {
    // Bigger than the socket buffers, so the server is still sending when the client goes.
    await store.put({ key: 'nx/7117', body: { bytes: Buffer.alloc(32 * 1024 * 1024, 7) } });
    const response = await fetch(at('7117'), { headers: { authorization: `Bearer ${READ}` } });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    while (!events.some((event) => event.hash === '7117' && event.method === 'GET')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const event = events.find((seen) => seen.hash === '7117' && seen.method === 'GET');
    expect(event).toMatchObject({ method: 'GET', outcome: 'error' });
    expect(event?.reason).toMatch(/^the download stopped after \d+ of 33554432 bytes/);
  });

  it('logs one event per request with its outcome, and never a token', async () => {
    const seen = new Set(events.map((event) => event.outcome));
    for (const outcome of ['hit', 'miss', 'stored', 'exists', 'unauthorized', 'forbidden', 'refused']) {
      expect(seen).toContain(outcome);
    }
    const text = JSON.stringify(events);
    expect(text).not.toContain(WRITE);
    expect(text).not.toContain(READ);
    const stats = server.stats();
    expect(stats.hit).toBe(events.filter((event) => event.outcome === 'hit').length);
    expect(stats.miss).toBe(events.filter((event) => event.outcome === 'miss').length);
  });
});

describe('checkEntryMember', () => {
  it('keeps names and links inside the entry', () => {
    expect(checkEntryMember({ name: 'a/b/c.txt' })).toBeUndefined();
    expect(checkEntryMember({ name: 'a/b', type: 'symlink', linkname: '../c' })).toBeUndefined();
    expect(checkEntryMember({ name: 'a/b', type: 'symlink', linkname: '../../c' })).toMatchObject({
      member: 'a/b',
    });
    expect(checkEntryMember({ name: 'a\\..\\..\\x' })).toMatchObject({
      reason: 'its name has a ".." segment',
    });
  });
});
