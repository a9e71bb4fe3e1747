import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDownloadClient, isPackyardError, type RetryPolicy } from '../src/index.js';

// A body large enough to span many chunks, so a cut mid-body is really mid-body.
const BODY = Buffer.alloc(1 << 20, 'packyard');
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const FAST: RetryPolicy = { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5 };

let server: Server;
let base: string;
let dir: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    const hit = (hits.get(path) ?? 0) + 1;
    hits.set(path, hit);
    if (path === '/file' || (path === '/drop-once' && hit > 1) || (path === '/5xx-once' && hit > 1)) {
      response.writeHead(200, { 'content-length': BODY.length });
      response.end(BODY);
    } else if (path === '/drop-once') {
      // Promise the whole body, send a third of it, then drop the connection.
      response.writeHead(200, { 'content-length': BODY.length });
      response.write(BODY.subarray(0, BODY.length / 3), () => response.socket?.destroy());
    } else if (path === '/5xx-once' || path === '/always-503') {
      response.writeHead(503, { 'retry-after': '0' });
      response.end('busy');
    } else {
      response.writeHead(404);
      response.end('no such file');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  hits.clear();
  dir = await mkdtemp(join(tmpdir(), 'packyard-download-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the download to fail');
    },
    (error: unknown) => error,
  );
}

describe('createDownloadClient', () => {
  const client = createDownloadClient({ retry: FAST });

  it('streams a file to disk with its sha256', async () => {
    const to = join(dir, 'file.bin');
    expect(await client.download({ url: `${base}/file`, to, sha256: SHA256 })).toEqual({
      file: to,
      sha256: SHA256,
      size: BODY.length,
    });
    expect((await readFile(to)).equals(BODY)).toBe(true);
    expect(await readdir(dir)).toEqual(['file.bin']);
  });

  it('starts again when the connection drops mid-body', async () => {
    const to = join(dir, 'file.bin');
    const result = await client.download({ url: `${base}/drop-once`, to, sha256: SHA256 });
    expect(result.sha256).toBe(SHA256);
    expect(hits.get('/drop-once')).toBe(2);
    expect((await readFile(to)).equals(BODY)).toBe(true);
    expect(await readdir(dir)).toEqual(['file.bin']);
  });

  it('retries a 5xx answer', async () => {
    const to = join(dir, 'file.bin');
    await client.download({ url: `${base}/5xx-once`, to, sha256: SHA256 });
    expect(hits.get('/5xx-once')).toBe(2);
    expect((await readFile(to)).equals(BODY)).toBe(true);
  });

  it('gives up after the policy with DOWNLOAD_FAILED, leaving nothing', async () => {
    const error = await failure(client.download({ url: `${base}/always-503`, to: join(dir, 'f') }));
    expect(isPackyardError(error, 'DOWNLOAD_FAILED')).toBe(true);
    expect(hits.get('/always-503')).toBe(FAST.retries + 1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('throws DOWNLOAD_NOT_FOUND for a 404 at once', async () => {
    const error = await failure(client.download({ url: `${base}/missing`, to: join(dir, 'f') }));
    expect(isPackyardError(error, 'DOWNLOAD_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe(`${base}/missing answered HTTP 404`);
    expect(hits.get('/missing')).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('throws VERIFY_FAILED for other bytes at once, and keeps no file', async () => {
    const wrong = '0'.repeat(64);
    const error = await failure(client.download({ url: `${base}/file`, to: join(dir, 'f'), sha256: wrong }));
    expect(isPackyardError(error, 'VERIFY_FAILED')).toBe(true);
    expect((error as Error).message).toContain(SHA256);
    expect(hits.get('/file')).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('uses the fetch it is given', async () => {
    const seen: string[] = [];
    const injected = createDownloadClient({
      retry: FAST,
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    await injected.download({ url: `${base}/file`, to: join(dir, 'f') });
    expect(seen).toEqual([`${base}/file`]);
  });
});
