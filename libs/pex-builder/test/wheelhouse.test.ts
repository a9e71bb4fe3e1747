import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDownloadClient, isPackyardError } from '@packyard/core';
import { fillWheelhouse } from '../src/index.js';

// Not a real wheel: fillWheelhouse only moves bytes and checks their sha256.
const WHEEL = Buffer.from('a wheel, as far as the wheelhouse can tell\n'.repeat(4096));
const SHA256 = createHash('sha256').update(WHEEL).digest('hex');
const NAME = 'demo-1.0-py3-none-any.whl';
const download = createDownloadClient({ retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5 } });

let server: Server;
let base: string;
let work: string;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    hits.push(request.url ?? '');
    if (request.url === `/files/${NAME}`) {
      response.writeHead(200, { 'content-length': WHEEL.length });
      response.end(WHEEL);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  hits.length = 0;
  work = await mkdtemp(join(tmpdir(), 'packyard-wheelhouse-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('fillWheelhouse', () => {
  it('downloads a wheel once into the cache and links it into the wheelhouse', async () => {
    const tools = { home: join(work, 'home') };
    const wheel = { filename: NAME, url: `${base}/files/${NAME}`, sha256: SHA256 };
    const house = await fillWheelhouse(tools, [wheel], join(work, 'house'), { download });
    const cached = join(tools.home, 'wheels', SHA256, NAME);
    expect(await readlink(join(house, NAME))).toBe(cached);
    expect((await readFile(cached)).equals(WHEEL)).toBe(true);
    await fillWheelhouse(tools, [wheel], join(work, 'again'), { download });
    expect(hits).toEqual([`/files/${NAME}`]);
  });

  it('keeps nothing when the bytes are not the ones the lock lists', async () => {
    const tools = { home: join(work, 'home') };
    const wrong = '1'.repeat(64);
    const error = await fillWheelhouse(
      tools,
      [{ filename: NAME, url: `${base}/files/${NAME}`, sha256: wrong }],
      join(work, 'house'),
      { download },
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'VERIFY_FAILED')).toBe(true);
    expect(await readdir(join(tools.home, 'wheels', wrong))).toEqual([]);
  });

  it('says the index could not serve a wheel it does not have', async () => {
    const error = await fillWheelhouse(
      { home: join(work, 'home') },
      [{ filename: NAME, url: `${base}/missing/${NAME}`, sha256: SHA256 }],
      join(work, 'house'),
      { download },
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'INDEX_UNREACHABLE')).toBe(true);
    expect(isPackyardError((error as Error).cause, 'DOWNLOAD_NOT_FOUND')).toBe(true);
    expect(hits).toEqual([`/missing/${NAME}`]);
  });
});
