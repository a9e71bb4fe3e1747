import { createHash, randomBytes } from 'node:crypto';
import { open as openFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@packyard/core/testing';
import { startS3Server, type S3Server } from '@packyard/s3-server';
import { createS3Store, publishObject, verifyObject, type S3StoreOptions } from '../src/index.js';
import { describeObjectStoreContract } from './contract.js';

/** versitygw, built by `nx run s3-server:fixtures` (the test target depends on it). */
const versitygw = () => fixturePath('s3-server', 'versitygw');

// One real versitygw for the whole file; each describe block works under its own keys.
let server: S3Server;
let serverDir: string;
beforeAll(async () => {
  serverDir = await mkdtemp(join(tmpdir(), 'packyard-s3-'));
  server = await startS3Server({ dir: serverDir, bucket: 'packyard', binary: await versitygw() });
});
afterAll(async () => {
  await server?.stop();
});

const fastRetry = { retries: 2, minTimeoutMs: 20, maxTimeoutMs: 100 };
function s3(overrides: Partial<S3StoreOptions> = {}) {
  return createS3Store({
    bucket: 'packyard',
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    retry: fastRetry,
    ...overrides,
  });
}

describeObjectStoreContract('S3 (versitygw)', async () => s3());

async function countLogLines(pattern: RegExp): Promise<number> {
  return (await readFile(server.logFile, 'utf8')).split('\n').filter((line) => pattern.test(line)).length;
}

describe('S3 backend against versitygw', () => {
  it('uploads a large file in parts with per-part SHA-256 checksums, and HEAD reports its sha256', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-mpu-'));
    const path = join(dir, 'big.mhl');
    const bytes = randomBytes(13 * 1024 * 1024);
    await (await openFile(path, 'w')).writeFile(bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const store = s3({ multipartThresholdBytes: 6 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
    const before = await countLogLines(/\| POST \|.*\/mpu\/big\.mhl.*uploads/);
    const result = await publishObject(store, {
      key: 'mpu/big.mhl',
      body: { file: path },
      contentType: 'application/zip',
    });
    expect(result).toMatchObject({ action: 'uploaded', sha256, size: bytes.length });
    expect(await countLogLines(/\| POST \|.*\/mpu\/big\.mhl.*uploads/)).toBeGreaterThan(before);
    expect(await countLogLines(/\| PUT \|.*\/mpu\/big\.mhl.*partNumber=3/)).toBe(1);
    const head = await store.head('mpu/big.mhl');
    expect(head).toMatchObject({ size: bytes.length, sha256, contentType: 'application/zip' });
    await verifyObject(store, 'mpu/big.mhl', sha256);
    expect(await publishObject(store, { key: 'mpu/big.mhl', body: { file: path } })).toMatchObject({
      action: 'skipped',
    });
  });

  it('reports wrong credentials as AUTH_FAILED without printing the secret', async () => {
    const store = s3({
      credentials: { accessKeyId: server.accessKey, secretAccessKey: 'wrong-secret-value-1234' },
    });
    const error = (await store.head('anything').then(
      () => new Error('head succeeded'),
      (e: unknown) => e as Error,
    )) as Error & { hint?: string };
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
    expect(error.message).toMatch(/^s3:\/\/packyard at http:\/\/127\.0\.0\.1:\d+ refused the credentials \(/);
    expect(JSON.stringify({ message: error.message, hint: error.hint })).not.toContain(
      'wrong-secret-value-1234',
    );
    const unknownKey = s3({ credentials: { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x'.repeat(20) } });
    await expect(unknownKey.put({ key: 'k', body: { bytes: 'x' } })).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    });
  });

  it('reports a server that is down as STORE_FAILED after retries', async () => {
    const store = s3({
      endpoint: 'http://127.0.0.1:9',
      retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 10 },
    });
    await expect(store.head('k')).rejects.toMatchObject({
      code: 'STORE_FAILED',
      message: expect.stringMatching(
        /^HEAD of k on s3:\/\/packyard at http:\/\/127\.0\.0\.1:9 failed after retries: .*ECONNREFUSED/,
      ),
    });
  });
});

describe('a server killed during a multipart upload', () => {
  it('fails the upload clearly, and the next run completes it once, intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-kill-'));
    const path = join(dir, 'killed.mhl');
    const bytes = randomBytes(40 * 1024 * 1024);
    await (await openFile(path, 'w')).writeFile(bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const options = {
      multipartThresholdBytes: 6 * 1024 * 1024,
      partSizeBytes: 5 * 1024 * 1024,
      partConcurrency: 1,
    };
    const store = s3({ ...options, retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 10 } });

    // Kill the server once it has taken the first part (read from its request log), well before the last.
    const killed = (async () => {
      for (;;) {
        if ((await countLogLines(/\| PUT \|.*\/kill\/killed\.mhl.*partNumber=1/)) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await server.kill();
    })();
    const failure = await publishObject(store, { key: 'kill/killed.mhl', body: { file: path } }).catch(
      (e: unknown) => e,
    );
    await killed;
    expect(failure).toMatchObject({
      code: 'STORE_FAILED',
      message: expect.stringMatching(
        /^PUT of kill\/killed\.mhl on s3:\/\/packyard at .* failed after retries/,
      ),
    });

    server = await startS3Server({
      dir: serverDir,
      binary: await versitygw(),
      port: server.port,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      bucket: 'packyard',
    });
    const again = s3(options);
    expect(await again.head('kill/killed.mhl')).toBeUndefined();
    expect(await publishObject(again, { key: 'kill/killed.mhl', body: { file: path } })).toMatchObject({
      action: 'uploaded',
      sha256,
    });
    await verifyObject(again, 'kill/killed.mhl', sha256);
    expect(await again.abortIncompleteUploadsUnder('kill/')).toEqual([
      { key: 'kill/killed.mhl', uploadId: expect.any(String) },
    ]);
    expect(await again.abortIncompleteUploads('kill/killed.mhl')).toBe(0);
    expect(await again.abortIncompleteUploadsUnder('kill/')).toEqual([]);
    const keys: string[] = [];
    for await (const object of again.list('kill/')) keys.push(object.key);
    expect(keys).toEqual(['kill/killed.mhl']);
    expect(await publishObject(again, { key: 'kill/killed.mhl', body: { file: path } })).toMatchObject({
      action: 'skipped',
    });
  });
});
