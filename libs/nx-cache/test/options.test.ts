import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import { openCacheStore, parsePort, parseSize, parseStoreLocation, readTokens } from '@packyard/nx-cache';

function errorOf(run: () => unknown): PackyardError {
  try {
    run();
  } catch (error) {
    if (error instanceof PackyardError) return error;
    throw error;
  }
  throw new Error('no error was thrown');
}

describe("the cache server's options", () => {
  it('split --store into a bucket and a prefix, or take a directory as it is', () => {
    expect(parseStoreLocation('s3://cache/nx/')).toEqual({ location: 's3://cache', prefix: 'nx/' });
    expect(parseStoreLocation('s3://cache')).toEqual({ location: 's3://cache', prefix: '' });
    expect(parseStoreLocation('/srv/cache')).toEqual({ location: '/srv/cache', prefix: '' });
    expect(errorOf(() => parseStoreLocation('s3:///x'))).toMatchObject({
      code: 'CONFIG_INVALID',
      field: '--store',
    });
  });

  it('open a directory store with no account', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nx-cache-options-'));
    const { store, prefix } = openCacheStore(dir, {});
    await store.put({ key: 'a', body: { bytes: 'x' } });
    expect(prefix).toBe('');
    expect((await store.get('a'))?.toString()).toBe('x');
  });

  it('read sizes and ports, naming the option they refuse', () => {
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseSize('512')).toBe(512);
    expect(errorOf(() => parseSize('lots'))).toMatchObject({
      code: 'CONFIG_INVALID',
      field: '--max-entry-size',
    });
    expect(parsePort(undefined)).toBe(0);
    expect(parsePort('8080')).toBe(8080);
    expect(errorOf(() => parsePort('70000'))).toMatchObject({ code: 'CONFIG_INVALID', field: '--port' });
  });

  it('need a token beyond loopback, and two different tokens', () => {
    expect(readTokens({}, '127.0.0.1')).toEqual({ write: undefined, read: undefined });
    expect(errorOf(() => readTokens({}, '0.0.0.0'))).toMatchObject({ code: 'AUTH_MISSING' });
    expect(
      errorOf(() => readTokens({ NX_CACHE_WRITE_TOKEN: 't', NX_CACHE_READ_TOKEN: 't' }, '127.0.0.1')),
    ).toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
