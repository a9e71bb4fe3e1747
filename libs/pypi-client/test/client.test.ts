import { afterEach, describe, expect, it } from '@jest/globals';
import { isPackyardError, type PackyardError } from '@packyard/core';
import { createPypiClient } from '@packyard/pypi-client';
import { indexHandler, JSON_TYPE, startServer, type FileSpec, type Loopback } from './loopback.js';

const FAST_RETRY = { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5 };
const SHA = 'ab'.repeat(32);

// One project covering PEP 440 ordering, PEP 592 yanking and filenames that are not versions.
const DEMO: FileSpec[] = [
  { filename: 'demo-10.0.tar.gz' },
  { filename: 'demo-2.0.tar.gz', requiresPython: '>=3.8,<4' },
  { filename: 'demo-2.0rc1.tar.gz' },
  { filename: 'demo-1.0.post1.tar.gz' },
  { filename: 'demo-1.0.tar.gz', sha256: SHA },
  { filename: 'demo-1.0-py3-none-any.whl', sha256: SHA },
  { filename: 'demo-1.5.tar.gz', yanked: 'broken build' },
  { filename: 'demo-1.5-py3-none-any.whl', yanked: true },
  { filename: 'demo-1.9.tar.gz', yanked: true },
  { filename: 'demo-1.9-py3-none-any.whl' },
  { filename: 'demo-0.9.dev1.tar.gz' },
  { filename: 'demo-not.a.version.tar.gz' },
  { filename: 'demo-3.0.exe' },
];
// Written out by hand from PEP 440, not computed with the code under test.
const STABLE = ['1.0', '1.0.post1', '1.9', '2.0', '10.0'];
const WITH_PRE = ['0.9.dev1', '1.0', '1.0.post1', '1.9', '2.0rc1', '2.0', '10.0'];

let servers: Loopback[] = [];
async function serve(...args: Parameters<typeof startServer>): Promise<Loopback> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function caught(promise: Promise<unknown>): Promise<PackyardError> {
  try {
    await promise;
  } catch (error) {
    if (isPackyardError(error)) return error;
    throw error;
  }
  throw new Error('expected a PackyardError, but the call succeeded');
}

describe('listVersions against a loopback index', () => {
  it('negotiates PEP 691 JSON and orders, filters and yanks by PEP 440 / PEP 592', async () => {
    const server = await serve(indexHandler({ demo: DEMO }));
    const client = createPypiClient({ indexUrl: `${server.origin}/simple/`, retry: FAST_RETRY });
    const result = await client.listVersions('Demo');

    expect(server.requests[0]?.url).toBe('/simple/demo/');
    expect(server.requests[0]?.headers.accept).toBe(
      'application/vnd.pypi.simple.v1+json;q=1.0, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01',
    );
    expect(result.project).toBe('Demo');
    expect(result.normalizedName).toBe('demo');
    expect(result.indexUrl).toBe(`${server.origin}/simple`);
    expect(result.versions).toEqual(STABLE);
    expect(result.yanked).toEqual(['1.5']);
    const wheel = result.files.find((f) => f.filename === 'demo-1.0-py3-none-any.whl');
    expect(wheel).toEqual({
      filename: 'demo-1.0-py3-none-any.whl',
      url: `${server.origin}/files/demo-1.0-py3-none-any.whl`,
      version: '1.0',
      yanked: false,
      sha256: SHA,
    });
    expect(result.files.find((f) => f.filename === 'demo-1.5.tar.gz')?.yanked).toBe('broken build');
    expect(result.files.map((f) => f.filename)).not.toContain('demo-not.a.version.tar.gz');
    expect(result.files.map((f) => f.filename)).not.toContain('demo-2.0rc1.tar.gz');
  });

  it('reads an HTML-only index (Accept ignored) to the same result', async () => {
    const jsonServer = await serve(indexHandler({ demo: DEMO }));
    const htmlServer = await serve(indexHandler({ demo: DEMO }, { htmlOnly: true }));
    const fromJson = await createPypiClient({ indexUrl: `${jsonServer.origin}/simple` }).listVersions(
      'demo',
      {
        includePrereleases: true,
      },
    );
    const fromHtml = await createPypiClient({ indexUrl: `${htmlServer.origin}/simple` }).listVersions(
      'demo',
      {
        includePrereleases: true,
      },
    );

    expect(fromHtml.versions).toEqual(WITH_PRE);
    expect(fromHtml.versions).toEqual(fromJson.versions);
    expect(fromHtml.yanked).toEqual(fromJson.yanked);
    const strip = (files: typeof fromJson.files) =>
      files
        .map((f) => ({ ...f, url: f.url.replace(/^http:\/\/127\.0\.0\.1:\d+/, '') }))
        .sort((a, b) => (a.filename < b.filename ? -1 : 1));
    expect(strip(fromHtml.files)).toEqual(strip(fromJson.files));
    expect(fromHtml.files.find((f) => f.filename === 'demo-2.0.tar.gz')?.requiresPython).toBe('>=3.8,<4');
  });

  it('applies includePrereleases and an inclusive PEP 440 minVersion', async () => {
    const server = await serve(indexHandler({ demo: DEMO }));
    const client = createPypiClient({ indexUrl: `${server.origin}/simple` });

    expect((await client.listVersions('demo', { includePrereleases: true })).versions).toEqual(WITH_PRE);
    // 1.0.0 equals 1.0, so the bound keeps 1.0; 1.0.post1 is above it.
    expect((await client.listVersions('demo', { minVersion: '1.0.0' })).versions).toEqual(STABLE);
    expect((await client.listVersions('demo', { minVersion: '1.0.post1' })).versions).toEqual([
      '1.0.post1',
      '1.9',
      '2.0',
      '10.0',
    ]);
    // 2.0rc1 < 2.0, so a pre-release bound keeps 2.0rc1 (when asked for) and 2.0.
    const fromRc = await client.listVersions('demo', { minVersion: '2.0rc1', includePrereleases: true });
    expect(fromRc.versions).toEqual(['2.0rc1', '2.0', '10.0']);
    expect(fromRc.yanked).toEqual([]);
    expect(fromRc.files.map((f) => f.version).sort()).toEqual(['10.0', '2.0', '2.0rc1']);
  });

  it('keeps only PEP 700 versions that have a non-yanked file', async () => {
    const files: FileSpec[] = [
      { filename: 'only_yanked-1.0.tar.gz', yanked: true },
      { filename: 'only_yanked-1.1-py3-none-any.whl' },
    ];
    const server = await serve(
      indexHandler({ 'only-yanked': files }, { versions: { 'only-yanked': ['1.0', '1.1', '1.2'] } }),
    );
    const result = await createPypiClient({ indexUrl: `${server.origin}/simple` }).listVersions(
      'only.yanked',
    );
    expect(server.requests[0]?.url).toBe('/simple/only-yanked/');
    expect(result.versions).toEqual(['1.1']);
    expect(result.yanked).toEqual(['1.0']);
  });

  it('retries 503 twice, then succeeds', async () => {
    const pages = indexHandler({ demo: DEMO });
    const server = await serve((req, res, n) =>
      n <= 2 ? res.writeHead(503).end('busy') : pages(req, res, n),
    );
    const result = await createPypiClient({
      indexUrl: `${server.origin}/simple`,
      retry: FAST_RETRY,
    }).listVersions('demo');
    expect(result.versions).toEqual(STABLE);
    expect(server.requests).toHaveLength(3);
  });

  it('retries 429 with Retry-After: 0, then succeeds', async () => {
    const pages = indexHandler({ demo: DEMO });
    const server = await serve((req, res, n) =>
      n === 1 ? res.writeHead(429, { 'retry-after': '0' }).end('slow down') : pages(req, res, n),
    );
    const result = await createPypiClient({
      indexUrl: `${server.origin}/simple`,
      retry: FAST_RETRY,
    }).listVersions('demo');
    expect(result.versions).toEqual(STABLE);
    expect(server.requests).toHaveLength(2);
  });

  it('gives INDEX_UNREACHABLE after retrying a persistent 500', async () => {
    const server = await serve((_req, res) => res.writeHead(500).end('boom'));
    const error = await caught(
      createPypiClient({ indexUrl: `${server.origin}/simple`, retry: FAST_RETRY }).listVersions('demo'),
    );
    expect(error.code).toBe('INDEX_UNREACHABLE');
    expect(error.message).toContain('HTTP 500');
    expect(error.message).toContain('"demo"');
    expect(error.message).toContain(`${server.origin}/simple`);
    expect(server.requests).toHaveLength(FAST_RETRY.retries + 1);
  });

  it('gives INDEX_UNREACHABLE when nothing listens, and when the server is too slow', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const refused = await caught(
      createPypiClient({ indexUrl: `${closed.origin}/simple`, retry: FAST_RETRY }).listVersions('demo'),
    );
    expect(refused.code).toBe('INDEX_UNREACHABLE');
    expect(refused.message).toContain(closed.origin);

    const silent = await serve(() => undefined);
    const timedOut = await caught(
      createPypiClient({
        indexUrl: `${silent.origin}/simple`,
        retry: { ...FAST_RETRY, retries: 1 },
        timeoutMs: 100,
      }).listVersions('demo'),
    );
    expect(timedOut.code).toBe('INDEX_UNREACHABLE');
    expect(timedOut.message).toContain('timed out');
    expect(silent.requests).toHaveLength(2);
  });

  it('gives INDEX_NOT_FOUND naming the project and the index on 404, without retrying', async () => {
    const server = await serve(indexHandler({}));
    const error = await caught(
      createPypiClient({ indexUrl: `${server.origin}/simple`, retry: FAST_RETRY }).listVersions(
        'Missing_Thing',
      ),
    );
    expect(error.code).toBe('INDEX_NOT_FOUND');
    expect(error.message).toBe(`project "Missing_Thing" was not found on ${server.origin}/simple`);
    expect(error.value).toBe('Missing_Thing');
    expect(error.hint).toBeTruthy();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.url).toBe('/simple/missing-thing/');
  });

  it.each([
    ['a JSON type with a body that is not JSON', JSON_TYPE, '<html>oops</html>', 'not valid JSON'],
    ['JSON without a files list', JSON_TYPE, '{"meta":{"api-version":"1.0"}}', 'no "files" list'],
    ['JSON with a bad file entry', JSON_TYPE, '{"files":[{"filename":3}]}', 'files[0]'],
    ['an unknown major API version', JSON_TYPE, '{"meta":{"api-version":"2.0"},"files":[]}', 'version 2.0'],
    [
      'a content type that is neither',
      'application/octet-stream',
      'PK\u0003\u0004',
      'application/octet-stream',
    ],
  ])('gives INDEX_BAD_RESPONSE for %s', async (_name, contentType, body, why) => {
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': contentType }).end(body));
    const error = await caught(
      createPypiClient({ indexUrl: `${server.origin}/simple`, retry: FAST_RETRY }).listVersions('demo'),
    );
    expect(error.code).toBe('INDEX_BAD_RESPONSE');
    expect(error.message).toContain(why);
    expect(error.message).toContain('"demo"');
    expect(server.requests).toHaveLength(1);
  });

  it('gives INDEX_BAD_RESPONSE for 403 without retrying', async () => {
    const server = await serve((_req, res) => res.writeHead(403).end('no'));
    const error = await caught(
      createPypiClient({ indexUrl: `${server.origin}/simple`, retry: FAST_RETRY }).listVersions('demo'),
    );
    expect(error.code).toBe('INDEX_BAD_RESPONSE');
    expect(error.message).toContain('HTTP 403');
    expect(server.requests).toHaveLength(1);
  });

  it('sends URL credentials as Basic auth and never prints them', async () => {
    const secret = 's3cret-T0ken';
    const seen: (string | undefined)[] = [];
    const pages = indexHandler({ demo: DEMO });
    const server = await serve((req, res, n) => {
      seen.push(req.headers.authorization);
      if (req.url === '/simple/flaky/') return void res.writeHead(502).end();
      if (req.url === '/simple/garbage/')
        return void res.writeHead(200, { 'content-type': JSON_TYPE }).end('nope');
      return pages(req, res, n);
    });
    const indexUrl = server.origin.replace('http://', `http://alice:${secret}@`) + '/simple';
    const client = createPypiClient({ indexUrl, retry: FAST_RETRY });

    expect((await client.listVersions('demo')).versions).toEqual(STABLE);
    expect(seen[0]).toBe(`Basic ${Buffer.from(`alice:${secret}`).toString('base64')}`);

    const errors = [
      await caught(client.listVersions('nope')),
      await caught(client.listVersions('flaky')),
      await caught(client.listVersions('garbage')),
    ];
    expect(errors.map((e) => e.code)).toEqual(['INDEX_NOT_FOUND', 'INDEX_UNREACHABLE', 'INDEX_BAD_RESPONSE']);
    for (const error of errors) {
      const shown = [error.message, error.format(), String(error.value), JSON.stringify(error)].join('\n');
      expect(shown).not.toContain(secret);
      expect(error.message).toContain(server.origin.slice('http://'.length));
    }
    expect(errors[0]?.message).toContain(`http://alice:[REDACTED]@127.0.0.1`);
  });
});
