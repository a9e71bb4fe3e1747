import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Store, type ObjectStore } from '@packyard/r2-store';
import { fixturePath } from '@packyard/core/testing';
import { startS3Server, type S3Server } from '@packyard/s3-server';
import { startCacheServer, type CacheServer } from '../src/index.js';
import { call, makeEntry } from './support.js';

const WRITE = 'main-branch-token';
const READ = 'pull-request-token';

// One real versitygw and one cache server over it for the whole file.
let s3: S3Server;
let store: ObjectStore;
let cache: CacheServer;
beforeAll(async () => {
  s3 = await startS3Server({
    dir: await mkdtemp(join(tmpdir(), 'nx-cache-s3-')),
    bucket: 'farm',
    // Built once by `nx run s3-server:fixtures`, which this project's test target depends on.
    binary: await fixturePath('s3-server', 'versitygw'),
  });
  store = createS3Store({
    bucket: 'farm',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
  });
  cache = await startCacheServer({ store, prefix: 'nx-cache/', tokens: { write: WRITE, read: READ } });
  // A hang guard only: starting the prebuilt server takes seconds.
}, 1_800_000);
afterAll(async () => {
  await cache?.close();
  await s3?.stop();
});

const at = (hash: string) => `${cache.url}/v1/cache/${hash}`;
async function objects(prefix: string) {
  const found = [];
  for await (const object of store.list(prefix)) found.push(object);
  return found;
}

describe('the cache over S3 (versitygw)', () => {
  it('stores an entry under the prefix and serves it back', async () => {
    const entry = await makeEntry([{ name: 'dist/a.txt', content: 'a' }]);
    expect((await call(at('100'), 'PUT', WRITE, entry)).status).toBe(200);
    expect((await call(at('100'), 'GET', READ)).body.equals(entry)).toBe(true);
    expect((await objects('nx-cache/100')).map((object) => object.key)).toEqual(['nx-cache/100']);
  });

  it('writes nothing for a read-only token (403)', async () => {
    const entry = await makeEntry([{ name: 'dist/a.txt', content: 'from a fork' }]);
    expect((await call(at('200'), 'PUT', READ, entry)).status).toBe(403);
    expect(await objects('nx-cache/200')).toEqual([]);
  });

  it('answers 409 for a stored hash and leaves its ETag unchanged', async () => {
    const entry = await makeEntry([{ name: 'dist/a.txt', content: 'original' }]);
    expect((await call(at('300'), 'PUT', WRITE, entry)).status).toBe(200);
    const before = await store.head('nx-cache/300');
    const other = await makeEntry([{ name: 'dist/a.txt', content: 'replacement' }]);
    expect((await call(at('300'), 'PUT', WRITE, other)).status).toBe(409);
    const after = await store.head('nx-cache/300');
    expect(after?.etag).toBe(before?.etag);
    expect(after?.sha256).toBe(before?.sha256);
  });

  it('keeps exactly one object of eight concurrent uploads of one hash, the one that got 200', async () => {
    const entries = await Promise.all(
      Array.from({ length: 8 }, (_, runner) =>
        makeEntry([{ name: 'dist/a.txt', content: `runner ${runner}` }]),
      ),
    );
    const statuses = await Promise.all(
      entries.map(async (entry) => (await call(at('400'), 'PUT', WRITE, entry)).status),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(7);
    expect(await objects('nx-cache/400')).toHaveLength(1);
    const winner = entries[statuses.indexOf(200)] as Buffer;
    expect((await call(at('400'), 'GET', READ)).body.equals(winner)).toBe(true);
  });
});
