import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStore, openObjectStore, readS3Account } from '../src/index.js';
import { describeObjectStoreContract } from './contract.js';

describeObjectStoreContract('local directory', async () =>
  createLocalStore({ dir: await mkdtemp(join(tmpdir(), 'packyard-local-store-')) }),
);

describe('local directory store', () => {
  it('keeps objects as plain files and nothing else visible', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-local-store-'));
    const store = createLocalStore({ dir });
    await store.put({ key: 'core/packages/a.mhl', body: { bytes: 'zip' } });
    await store.put({ key: 'core/packages/a.mhl', body: { bytes: 'zip2' } });
    expect(await readdir(join(dir, 'core', 'packages'))).toEqual(['a.mhl']);
    const listed: string[] = [];
    for await (const object of store.list('')) listed.push(object.key);
    expect(listed).toEqual(['core/packages/a.mhl']);
  });
});

describe('openObjectStore and readS3Account', () => {
  it('opens a directory with no account, and s3:// only with credentials, naming the variables', () => {
    expect(openObjectStore('/tmp/x', { env: {} }).kind).toBe('local');
    expect(() => openObjectStore('s3://bucket', { env: {} })).toThrow(
      expect.objectContaining({
        code: 'AUTH_MISSING',
        message:
          'an S3/R2 store needs credentials: set AWS_ACCESS_KEY_ID or R2_ACCESS_KEY_ID, and AWS_SECRET_ACCESS_KEY or R2_SECRET_ACCESS_KEY',
      }),
    );
    expect(() => openObjectStore('s3://bucket', { env: { AWS_ACCESS_KEY_ID: 'AKIA1234' } })).toThrow(
      expect.objectContaining({
        code: 'AUTH_MISSING',
        field: 'AWS_SECRET_ACCESS_KEY or R2_SECRET_ACCESS_KEY',
      }),
    );
    expect(() => openObjectStore('s3://bucket/prefix', { env: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => openObjectStore('gs://bucket', { env: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('accepts the R2_* names, defaults the region to none (auto), and never prints the secret', () => {
    const account = readS3Account({
      R2_ACCESS_KEY_ID: 'r2key',
      R2_SECRET_ACCESS_KEY: 'r2secret-value',
      R2_ENDPOINT_URL: 'https://acct.r2.cloudflarestorage.com',
    });
    expect(account).toEqual({
      credentials: { accessKeyId: 'r2key', secretAccessKey: 'r2secret-value' },
      endpoint: 'https://acct.r2.cloudflarestorage.com',
      region: undefined,
    });
    let message = '';
    try {
      readS3Account({
        AWS_ACCESS_KEY_ID: 'k',
        AWS_SECRET_ACCESS_KEY: 'supersecret',
        AWS_ENDPOINT_URL: 'ftp://x',
      });
    } catch (error) {
      message = String((error as Error).message);
    }
    expect(message).toBe('the S3 endpoint must be an http(s) URL, not "ftp://x"');
    expect(message).not.toContain('supersecret');
  });
});
