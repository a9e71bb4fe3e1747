import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createS3Store, type ObjectStore } from '@packyard/r2-store';
import { fixturePath } from '@packyard/core/testing';
import { startS3Server, type S3Server } from '@packyard/s3-server';
import { startCacheServer, type CacheEvent, type CacheServer } from '../src/index.js';
import { call, makeEntry } from './support.js';

const WRITE = 'main-branch-token';
const READ = 'pull-request-token';

// One real versitygw and one cache server over it for the whole file.
let s3: S3Server;
let store: ObjectStore;
let cache: CacheServer;
// A second cache server over the same bucket whose reads break as `faults` says.
let flaky: CacheServer;
let spoolDir: string;
const events: CacheEvent[] = [];

/** What the next reads of the flaky store do: break after some bytes, end early, or wait for a hang-up. */
type Fault = { failAfter: number } | { endAfter: number } | { stall: () => void };
const faults: Fault[] = [];
let reads = 0;

/** The real S3 store, whose next reads go wrong as `faults` lists: the transport failures a GET can meet. */
function flakyStore(real: ObjectStore): ObjectStore {
  return {
    ...real,
    async getStream(key) {
      reads += 1;
      const body = await real.getStream(key);
      const fault = faults.shift();
      if (body === undefined || fault === undefined) return body;
      if ('stall' in fault) {
        body.destroy();
        fault.stall();
        // Never sends a byte, like a store that hangs.
        return new Readable({ read() {} });
      }
      const limit = 'failAfter' in fault ? fault.failAfter : fault.endAfter;
      let sent = 0;
      return Readable.from(
        (async function* () {
          for await (const chunk of body as AsyncIterable<Buffer>) {
            if (sent + chunk.length >= limit) {
              yield chunk.subarray(0, limit - sent);
              body.destroy();
              if ('failAfter' in fault) throw new Error('read ECONNRESET');
              return;
            }
            sent += chunk.length;
            yield chunk;
          }
        })(),
      );
    },
  };
}
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
  spoolDir = join(await mkdtemp(join(tmpdir(), 'nx-cache-get-')), 'spool');
  flaky = await startCacheServer({
    store: flakyStore(store),
    prefix: 'nx-cache/',
    tokens: { write: WRITE, read: READ },
    spoolDir,
    readRetry: { retries: 3, minTimeoutMs: 10, maxTimeoutMs: 50 },
    onEvent: (event) => events.push(event),
  });
  // A hang guard only: starting the prebuilt server takes seconds.
}, 1_800_000);
afterAll(async () => {
  await cache?.close();
  await flaky?.close();
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

describe('GET from a store whose reads break (versitygw behind a fault injector)', () => {
  const on = (hash: string) => `${flaky.url}/v1/cache/${hash}`;
  const eventOf = async (hash: string) => {
    let event: CacheEvent | undefined;
    while ((event = events.find((seen) => seen.hash === hash && seen.method === 'GET')) === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return event;
  };
  let entry: Buffer;
  beforeEach(() => {
    faults.length = 0;
  });
  beforeAll(async () => {
    // Many tar members of random bytes: an entry a few MiB long that gzip cannot shrink.
    entry = await makeEntry(
      Array.from({ length: 48 }, (_, n) => ({
        name: `dist/part-${n}.bin`,
        content: randomText(64 * 1024, n),
      })),
    );
    expect((await call(on('500'), 'PUT', WRITE, entry)).status).toBe(200);
  });

  it('reads again after a body that breaks mid-stream and one that ends short, and sends the whole entry', async () => {
    // Left by an earlier run that stopped mid-download: removed before the first spool.
    await mkdir(spoolDir, { recursive: true });
    await writeFile(join(spoolDir, 'stale'), '');
    faults.push({ failAfter: 100_000 }, { endAfter: 200_000 });
    const before = reads;
    const response = await fetch(on('500'), { headers: { authorization: `Bearer ${READ}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(entry.length));
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).equals(entry)).toBe(true);
    expect(reads - before).toBe(3);
    expect(await eventOf('500')).toMatchObject({ status: 200, outcome: 'hit', bytes: entry.length });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('answers 500 before any header when every read breaks, and leaves no file', async () => {
    expect((await call(on('600'), 'PUT', WRITE, entry)).status).toBe(200);
    faults.push(...Array.from({ length: 4 }, () => ({ failAfter: 1000 })));
    const response = await call(on('600'), 'GET', READ);
    expect(response.status).toBe(500);
    expect(response.body.toString()).toMatch(/reading nx-cache\/600 stopped after 1000 of \d+ bytes/);
    expect(await eventOf('600')).toMatchObject({ status: 500, outcome: 'error' });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('leaves no spooled file when the client hangs up, while reading or while receiving', async () => {
    const logged = events.filter((seen) => seen.hash === '500').length;
    // Hung up while the store is still being read.
    let stalled!: () => void;
    const reading = new Promise<void>((resolve) => (stalled = resolve));
    faults.push({ stall: stalled });
    const leave = new AbortController();
    const asked = fetch(on('500'), { headers: { authorization: `Bearer ${READ}` }, signal: leave.signal });
    await reading;
    leave.abort();
    await expect(asked).rejects.toThrow();
    // Hung up after the first bytes of the body.
    const response = await fetch(on('500'), { headers: { authorization: `Bearer ${READ}` } });
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    // Both requests are logged once they are over and their spooled files removed.
    while (events.filter((seen) => seen.hash === '500').length < logged + 2) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(events.slice(-2).map((seen) => seen.outcome)).toEqual(['error', 'error']);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('answers HEAD with the size and no body, and 404 for a hash it does not hold', async () => {
    const head = await fetch(on('500'), { method: 'HEAD', headers: { authorization: `Bearer ${READ}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(entry.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const before = reads;
    expect((await call(on('404404'), 'GET', READ)).status).toBe(404);
    expect((await call(on('404404'), 'HEAD', READ)).status).toBe(404);
    expect(reads).toBe(before);
  });
});

/** `length` characters that gzip cannot shrink much, the same for one seed. */
function randomText(length: number, seed: number): string {
  let state = seed + 1;
  let text = '';
  while (text.length < length) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    text += state.toString(36);
  }
  return text.slice(0, length);
}
