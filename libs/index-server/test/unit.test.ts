import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import {
  INFLATE_LIMIT,
  bcryptCost,
  checkInflateLimit,
  createPasswordPool,
  createRateLimiter,
  hashToCompare,
  ifRangeHolds,
  isNotModified,
  planRange,
  verifyBasicAuth,
} from '../src/index.js';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
const strong = { etag: '"sha256-abc"', lastModified: 'Tue, 01 Oct 2024 10:00:00 GMT' };
const weak = { etag: 'W/"10-ff"', lastModified: 'Tue, 01 Oct 2024 10:00:00 GMT' };

describe('conditional requests (RFC 9110 §13)', () => {
  test('If-None-Match: weak comparison, lists and *; it decides over If-Modified-Since', () => {
    expect(isNotModified('"sha256-abc"', undefined, strong)).toBe(true);
    expect(isNotModified('W/"sha256-abc"', undefined, strong)).toBe(true);
    expect(isNotModified('"other", W/"10-ff"', undefined, weak)).toBe(true);
    expect(isNotModified('*', undefined, weak)).toBe(true);
    expect(isNotModified('"other"', 'Wed, 01 Oct 2025 10:00:00 GMT', strong)).toBe(false);
  });

  test('If-Modified-Since: not modified at or after Last-Modified; a bad date is ignored', () => {
    expect(isNotModified(undefined, strong.lastModified, strong)).toBe(true);
    expect(isNotModified(undefined, 'Wed, 01 Oct 2025 10:00:00 GMT', strong)).toBe(true);
    expect(isNotModified(undefined, 'Mon, 30 Sep 2024 10:00:00 GMT', strong)).toBe(false);
    expect(isNotModified(undefined, 'yesterday', strong)).toBe(false);
    expect(isNotModified(undefined, undefined, strong)).toBe(false);
  });

  test('If-Range holds only for the same strong ETag or the exact date; a weak tag never', () => {
    expect(ifRangeHolds('"sha256-abc"', strong)).toBe(true);
    expect(ifRangeHolds('W/"sha256-abc"', strong)).toBe(false);
    expect(ifRangeHolds('W/"10-ff"', weak)).toBe(false);
    expect(ifRangeHolds('"10-ff"', weak)).toBe(false);
    expect(ifRangeHolds(strong.lastModified, strong)).toBe(true);
    expect(planRange('bytes=0-9', 'W/"10-ff"', 100, weak)).toBeUndefined();
    expect(planRange('bytes=0-9', '"sha256-abc"', 100, strong)).toEqual({ start: 0, end: 9 });
    expect(planRange('bytes=-10', undefined, 100, strong)).toEqual({ start: 90, end: 99 });
    expect(planRange('bytes=100-', undefined, 100, strong)).toBe('unsatisfiable');
  });
});

describe('login rate', () => {
  test('a key over its burst waits; another key does not; the wait shrinks as time passes', () => {
    let now = 0;
    const limiter = createRateLimiter({ burst: 3, perMinute: 6, now: () => now });
    for (let i = 0; i < 3; i += 1) expect(limiter.take(['client a', 'user x'])).toBe(0);
    expect(limiter.take(['client a', 'user y'])).toBe(10);
    expect(limiter.take(['client b', 'user x'])).toBe(10);
    expect(limiter.take(['client b', 'user y'])).toBe(0);
    now = 10_000;
    expect(limiter.take(['client a', 'user z'])).toBe(0);
    expect(limiter.take(['client a', 'user z'])).toBe(10);
  });
});

describe('passwords', () => {
  const users = new Map([
    ['alice', bcrypt.hashSync('pw', 6)],
    ['bob', bcrypt.hashSync('other', 5)],
  ]);

  test('an unknown user is checked against a dummy hash at the highest configured cost', () => {
    expect(bcryptCost(hashToCompare(users, 'mallory'))).toBe(6);
    expect(hashToCompare(users, 'alice')).toBe(users.get('alice'));
  });

  test('the worker pool answers like the in-thread check, and refuses beyond its queue as busy', async () => {
    const pool = createPasswordPool({ size: 2, maxQueue: 2 });
    try {
      expect(await pool.verify(basic('alice:pw'), users)).toEqual({ kind: 'ok', user: 'alice' });
      expect(await pool.verify(basic('alice:nope'), users)).toEqual({ kind: 'invalid' });
      expect(await pool.verify(basic('mallory:pw'), users)).toEqual({ kind: 'invalid' });
      expect(await pool.verify(basic('no-colon'), users)).toEqual({ kind: 'invalid' });
      expect(await pool.verify(undefined, users)).toEqual({ kind: 'missing' });
      expect(await verifyBasicAuth(basic('bob:other'), users)).toEqual({ kind: 'ok', user: 'bob' });
      // Two run, two wait; the fifth is turned away at once.
      const many = await Promise.all(
        Array.from({ length: 5 }, () => pool.verify(basic('alice:nope'), users)),
      );
      expect(many.filter((result) => result.kind === 'busy')).toHaveLength(1);
      expect(many.filter((result) => result.kind === 'invalid')).toHaveLength(4);
    } finally {
      await pool.close();
    }
  });
});

describe('inflate limit (PyPI: over 64 MiB at a ratio above 50)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'index-server-inflate-'));
    const script = `
import gzip, io, sys, tarfile, zipfile
d = sys.argv[1]
big = b"\\0" * (70 * 1024 * 1024)
with zipfile.ZipFile(d + "/bomb-1.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("bomb/data.bin", big)
with zipfile.ZipFile(d + "/fine-1.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("fine/data.bin", b"\\0" * (8 * 1024 * 1024))
for name, size in (("bomb-1.0.tar.gz", 70 * 1024 * 1024), ("fine-1.0.tar.gz", 1024 * 1024)):
    with tarfile.open(d + "/" + name, "w:gz") as t:
        info = tarfile.TarInfo(name[:-7] + "/data.bin"); info.size = size
        t.addfile(info, io.BytesIO(b"\\0" * size))
`;
    execFileSync('python3', ['-c', script, dir]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a wheel and an sdist of 70 MiB of zeros are refused with the figures; small ratios pass', async () => {
    expect(INFLATE_LIMIT).toEqual({ maxBytes: 64 * 1024 * 1024, maxRatio: 50 });
    const wheel = await checkInflateLimit(
      join(dir, 'bomb-1.0-py3-none-any.whl'),
      'bomb-1.0-py3-none-any.whl',
    );
    expect(wheel).toMatch(
      /^bomb-1\.0-py3-none-any\.whl inflates to 73400320 bytes from \d+ bytes: more than 67108864 bytes at a ratio above 50/,
    );
    const sdist = await checkInflateLimit(join(dir, 'bomb-1.0.tar.gz'), 'bomb-1.0.tar.gz');
    expect(sdist).toMatch(/^bomb-1\.0\.tar\.gz inflates to more than \d+ bytes/);
    // 8 MiB at a huge ratio is under the size limit, so it passes, as on PyPI.
    expect(
      await checkInflateLimit(join(dir, 'fine-1.0-py3-none-any.whl'), 'fine-1.0-py3-none-any.whl'),
    ).toBeUndefined();
    expect(await checkInflateLimit(join(dir, 'fine-1.0.tar.gz'), 'fine-1.0.tar.gz')).toBeUndefined();
  });
});
