// GitHub's documented behaviour, observed through raw HTTP.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { startGitHubEmulator, type GitHubEmulator } from '../src/index.js';
import { call, parseLinks, type RawResponse } from './support/http.js';
import { sendPartialUpload } from './support/upload.js';

const TOKEN = 'ghp_behaviour';

interface Release {
  id: number;
  tag_name: string;
  draft: boolean;
  immutable: boolean;
  published_at: string | null;
  upload_url: string;
  assets: Asset[];
}
interface Asset {
  id: number;
  url: string;
  name: string;
  state: string;
  size: number;
  digest: string | null;
  download_count: number;
  browser_download_url: string;
}

let emulator: GitHubEmulator;

beforeEach(async () => {
  emulator = await startGitHubEmulator();
  emulator.addToken(TOKEN);
  emulator.createRepo('acme', 'tool');
});
afterEach(async () => {
  await emulator.close();
});

const api = (path: string): string => `${emulator.apiUrl}/repos/acme/tool${path}`;

async function createRelease(body: Record<string, unknown>, repo = 'tool'): Promise<Release> {
  const response = await call('POST', `${emulator.apiUrl}/repos/acme/${repo}/releases`, {
    token: TOKEN,
    body,
  });
  expect(response.status).toBe(201);
  return response.json as Release;
}

function uploadUrl(release: Release, name: string): string {
  return release.upload_url.replace('{?name,label}', `?name=${encodeURIComponent(name)}`);
}

async function upload(release: Release, name: string, bytes: Buffer | string): Promise<RawResponse> {
  return call('POST', uploadUrl(release, name), {
    token: TOKEN,
    raw: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
}

async function getRelease(id: number): Promise<Release> {
  return (await call('GET', api(`/releases/${id}`), { token: TOKEN })).json as Release;
}

describe('listing releases', () => {
  test('250 releases at per_page=100 make three pages with GitHub Link rels', async () => {
    for (let n = 1; n <= 250; n += 1) await createRelease({ tag_name: `v${n}` });

    const first = await call('GET', api('/releases?per_page=100'), { token: TOKEN });
    const firstLinks = parseLinks(first.headers.get('link'));
    expect(Object.keys(firstLinks)).toEqual(['next', 'last']);
    expect(new URL(firstLinks.next!).searchParams.get('page')).toBe('2');
    expect(new URL(firstLinks.last!).searchParams.get('page')).toBe('3');

    const second = await call('GET', firstLinks.next!, { token: TOKEN });
    const secondLinks = parseLinks(second.headers.get('link'));
    expect(Object.keys(secondLinks)).toEqual(['prev', 'next', 'last', 'first']);

    const third = await call('GET', secondLinks.next!, { token: TOKEN });
    const thirdLinks = parseLinks(third.headers.get('link'));
    expect(Object.keys(thirdLinks)).toEqual(['prev', 'first']);
    expect(new URL(thirdLinks.prev!).searchParams.get('page')).toBe('2');

    const pages = [first, second, third].map((page) => (page.json as Release[]).map((r) => r.tag_name));
    expect(pages.map((page) => page.length)).toEqual([100, 100, 50]);
    expect(pages.flat()).toEqual(Array.from({ length: 250 }, (_, i) => `v${250 - i}`));
  });

  test('per_page defaults to 30 and is capped at 100', async () => {
    for (let n = 1; n <= 31; n += 1) await createRelease({ tag_name: `v${n}` });
    const defaulted = await call('GET', api('/releases'), { token: TOKEN });
    expect((defaulted.json as Release[]).length).toBe(30);
    expect(parseLinks(defaulted.headers.get('link')).last).toBe(
      `${emulator.apiUrl}/repositories/1/releases?page=2`,
    );
    const capped = await call('GET', api('/releases?per_page=500'), { token: TOKEN });
    expect((capped.json as Release[]).length).toBe(31);
    expect(capped.headers.get('link')).toBeNull();
  });

  test('release assets page the same way', async () => {
    const release = await createRelease({ tag_name: 'v1', draft: true });
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      expect((await upload(release, name, name)).status).toBe(201);
    const page = await call('GET', api(`/releases/${release.id}/assets?per_page=2&page=3`), { token: TOKEN });
    expect((page.json as Asset[]).map((a) => a.name)).toEqual(['e']);
    expect(page.headers.get('link')).toBe(
      [
        `<${emulator.apiUrl}/repositories/1/releases/${release.id}/assets?per_page=2&page=2>; rel="prev"`,
        `<${emulator.apiUrl}/repositories/1/releases/${release.id}/assets?per_page=2&page=1>; rel="first"`,
      ].join(', '),
    );
  });
});

describe('conditional requests', () => {
  test('a matching If-None-Match is a 304 that leaves x-ratelimit-remaining unchanged', async () => {
    await createRelease({ tag_name: 'v1' });
    const fresh = await call('GET', api('/releases'), { token: TOKEN });
    const etag = fresh.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const remaining = Number(fresh.headers.get('x-ratelimit-remaining'));

    const cached = await call('GET', api('/releases'), { token: TOKEN, headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    expect(cached.json).toBe('');
    expect(cached.headers.get('etag')).toBe(etag);
    expect(Number(cached.headers.get('x-ratelimit-remaining'))).toBe(remaining);

    const counted = await call('GET', api('/releases'), { token: TOKEN });
    expect(Number(counted.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);

    await createRelease({ tag_name: 'v2' });
    const changed = await call('GET', api('/releases'), { token: TOKEN, headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });
});

describe('drafts', () => {
  test('drafts are hidden from the by-tag lookup and from anonymous callers, visible by id', async () => {
    const draft = await createRelease({ tag_name: 'v1.0.0', draft: true });
    expect(draft.published_at).toBeNull();
    expect((await call('GET', api('/releases/tags/v1.0.0'), { token: TOKEN })).status).toBe(404);
    expect((await call('GET', api(`/releases/${draft.id}`), { token: TOKEN })).status).toBe(200);
    expect((await call('GET', api(`/releases/${draft.id}`))).status).toBe(404);
    expect(
      ((await call('GET', api('/releases'), { token: TOKEN })).json as Release[]).map((r) => r.id),
    ).toEqual([draft.id]);
    expect((await call('GET', api('/releases'))).json).toEqual([]);
    // Drafts create no tag; publishing does.
    expect((await call('GET', api('/git/ref/tags/v1.0.0'), { token: TOKEN })).status).toBe(404);

    const published = await call('PATCH', api(`/releases/${draft.id}`), {
      token: TOKEN,
      body: { draft: false },
    });
    expect((published.json as Release).published_at).toEqual(expect.any(String));
    expect((await call('GET', api('/releases/tags/v1.0.0'))).status).toBe(200);
    expect((await call('GET', api('/git/ref/tags/v1.0.0'), { token: TOKEN })).status).toBe(200);
  });

  test('a duplicate tag of a published release is 422 already_exists; drafts may share a tag', async () => {
    await createRelease({ tag_name: 'v1' });
    const duplicate = await call('POST', api('/releases'), { token: TOKEN, body: { tag_name: 'v1' } });
    expect(duplicate.status).toBe(422);
    expect(duplicate.json).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
      documentation_url: 'https://docs.github.com/rest/releases/releases#create-a-release',
      status: '422',
    });
    const draft = await createRelease({ tag_name: 'v1', draft: true });
    await createRelease({ tag_name: 'v1', draft: true });
    const publish = await call('PATCH', api(`/releases/${draft.id}`), {
      token: TOKEN,
      body: { draft: false },
    });
    expect(publish.status).toBe(422);
    expect((publish.json as { errors: unknown }).errors).toEqual([
      { resource: 'Release', code: 'already_exists', field: 'tag_name' },
    ]);
  });

  test('a body that is not valid JSON or misses tag_name is rejected like GitHub', async () => {
    const broken = await call('POST', api('/releases'), {
      token: TOKEN,
      raw: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect((broken.json as { message: string }).message).toBe('Problems parsing JSON');
    const missing = await call('POST', api('/releases'), { token: TOKEN, body: { draft: 'yes' } });
    expect(missing.status).toBe(422);
    expect((missing.json as { message: string }).message).toBe(
      `Invalid request.\n\n"tag_name" wasn't supplied.\nFor 'properties/draft', "yes" is not a boolean.`,
    );
  });
});

describe('assets', () => {
  test('the digest is the sha256 of the uploaded bytes, which the web origin serves back', async () => {
    const bytes = randomBytes(200_000);
    const release = await createRelease({ tag_name: 'v1', draft: true });
    const uploaded = (await upload(release, 'tool.tar.gz', bytes)).json as Asset;
    expect(uploaded.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(uploaded.size).toBe(bytes.length);
    expect(uploaded.state).toBe('uploaded');
    // Drafts are not downloadable from the web origin.
    expect((await fetch(uploaded.browser_download_url)).status).toBe(404);

    const published = (
      await call('PATCH', api(`/releases/${release.id}`), { token: TOKEN, body: { draft: false } })
    ).json as Release;
    const url = published.assets[0]!.browser_download_url;
    expect(url).toBe(`${emulator.webUrl}/acme/tool/releases/download/v1/tool.tar.gz`);
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await fetch(`${emulator.webUrl}/acme/tool/releases/latest/download/tool.tar.gz`)).status).toBe(
      200,
    );
    expect((await getRelease(release.id)).assets[0]!.download_count).toBe(2);

    const viaApi = await fetch(uploaded.url, {
      headers: { accept: 'application/octet-stream', authorization: `token ${TOKEN}` },
    });
    expect(Buffer.from(await viaApi.arrayBuffer()).equals(bytes)).toBe(true);
  });

  test('a duplicate asset name is 422 already_exists in the uploads error shape', async () => {
    const release = await createRelease({ tag_name: 'v1', draft: true });
    expect((await upload(release, 'a.txt', 'one')).status).toBe(201);
    const again = await upload(release, 'a.txt', 'two');
    expect(again.status).toBe(422);
    expect(again.json).toEqual({
      message: 'Validation Failed',
      request_id: again.headers.get('x-github-request-id'),
      documentation_url: 'https://docs.github.com/rest',
      errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
    });
  });

  test('an upload reset mid-body leaves a starter asset that must be deleted before re-uploading', async () => {
    const release = await createRelease({ tag_name: 'v1', draft: true });
    emulator.injectFault({ kind: 'reset', host: 'uploads', afterBytes: 1024 });
    await expect(upload(release, 'big.bin', randomBytes(256 * 1024))).rejects.toThrow();

    const [starter] = (await call('GET', api(`/releases/${release.id}/assets`), { token: TOKEN }))
      .json as Asset[];
    expect(starter).toMatchObject({ name: 'big.bin', state: 'starter', size: 0, digest: null });
    expect((await getRelease(release.id)).assets.map((a) => a.state)).toEqual(['starter']);
    expect((await upload(release, 'big.bin', 'x')).status).toBe(422);

    expect((await call('DELETE', starter!.url, { token: TOKEN })).status).toBe(204);
    const redo = await upload(release, 'big.bin', 'complete');
    expect(redo.status).toBe(201);
    expect((redo.json as Asset).state).toBe('uploaded');
  });

  test('a client that dies mid-upload leaves a starter too', async () => {
    const release = await createRelease({ tag_name: 'v1', draft: true });
    await sendPartialUpload(emulator, uploadUrl(release, 'half.bin'), TOKEN);
    expect((await getRelease(release.id)).assets.map((a) => [a.name, a.state])).toEqual([
      ['half.bin', 'starter'],
    ]);
  });

  test('a 502 on upload leaves a starter asset, as GitHub documents', async () => {
    const release = await createRelease({ tag_name: 'v1', draft: true });
    emulator.injectFault({ kind: 'status', status: 502, host: 'uploads' });
    expect((await upload(release, 'flaky.bin', 'bytes')).status).toBe(502);
    expect((await getRelease(release.id)).assets.map((a) => a.state)).toEqual(['starter']);
  });

  test('an upload without Content-Length is 400 Bad Content-Length', async () => {
    const release = await createRelease({ tag_name: 'v1', draft: true });
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(uploadUrl(release, 'chunked.bin'), {
        method: 'POST',
        headers: { authorization: `token ${TOKEN}` },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write('part one');
      req.end('part two');
    });
    expect(status).toBe(400);
    expect((JSON.parse(body) as { message: string }).message).toBe('Bad Content-Length: ');
  });

  test('special characters in asset names become periods', async () => {
    const release = await createRelease({ tag_name: 'v1', draft: true });
    expect(((await upload(release, 'my tool (linux).tar.gz', 'x')).json as Asset).name).toBe(
      'my.tool..linux..tar.gz',
    );
  });
});

describe('immutable releases', () => {
  beforeEach(() => emulator.createRepo('acme', 'locked', { immutableReleases: true }));
  const locked = (path: string): string => `${emulator.apiUrl}/repos/acme/locked${path}`;

  test('the setting is readable: 200 when enabled, 404 when not', async () => {
    const enabled = await call('GET', locked('/immutable-releases'), { token: TOKEN });
    expect(enabled.json).toEqual({ enabled: true, enforced_by_owner: false });
    expect((await call('GET', api('/immutable-releases'), { token: TOKEN })).status).toBe(404);
  });

  test('assets go up while a draft; once published nothing changes but the notes', async () => {
    const draft = await createRelease({ tag_name: 'v1', draft: true }, 'locked');
    expect((await upload(draft, 'ok.bin', 'x')).status).toBe(201);
    const published = (
      await call('PATCH', locked(`/releases/${draft.id}`), { token: TOKEN, body: { draft: false } })
    ).json as Release;
    expect(published.immutable).toBe(true);

    const late = await upload(published, 'late.bin', 'y');
    expect(late.status).toBe(422);
    expect(late.json).toEqual({
      message: 'Cannot upload assets to an immutable release.',
      request_id: late.headers.get('x-github-request-id'),
      documentation_url: 'https://docs.github.com/rest',
    });
    expect((await call('DELETE', published.assets[0]!.url, { token: TOKEN })).status).toBe(422);
    const edited = await call('PATCH', locked(`/releases/${draft.id}`), {
      token: TOKEN,
      body: { body: 'new notes', name: 'One' },
    });
    expect(edited.status).toBe(200);
    expect(
      (await call('PATCH', locked(`/releases/${draft.id}`), { token: TOKEN, body: { draft: true } })).status,
    ).toBe(422);
    expect(
      (await call('PATCH', locked(`/releases/${draft.id}`), { token: TOKEN, body: { tag_name: 'v2' } }))
        .status,
    ).toBe(422);
    expect((await call('DELETE', locked('/git/refs/tags/v1'), { token: TOKEN })).status).toBe(422);

    // Deleting the release is allowed, but its tag is burned.
    expect((await call('DELETE', locked(`/releases/${draft.id}`), { token: TOKEN })).status).toBe(204);
    const reuse = await call('POST', locked('/releases'), { token: TOKEN, body: { tag_name: 'v1' } });
    expect(reuse.status).toBe(422);
    expect((reuse.json as { errors: unknown }).errors).toEqual([
      {
        resource: 'Release',
        code: 'custom',
        field: 'tag_name',
        message: 'tag_name was used by an immutable release',
      },
    ]);
    expect(
      (await call('POST', locked('/releases'), { token: TOKEN, body: { tag_name: 'v1', draft: true } }))
        .status,
    ).toBe(201);
  });

  test('a repository without the setting keeps published releases mutable', async () => {
    const release = await createRelease({ tag_name: 'v1' });
    expect(release.immutable).toBe(false);
    expect((await upload(release, 'late.bin', 'y')).status).toBe(201);
  });
});

describe('authentication', () => {
  test('an unknown token is 401 Bad credentials, even on reads', async () => {
    const response = await call('GET', api('/releases'), { token: 'wrong' });
    expect(response.status).toBe(401);
    expect(response.json).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
  });

  test('writes need a token; anonymous reads of public repositories work; private ones are 404', async () => {
    const write = await call('POST', api('/releases'), { body: { tag_name: 'v1' } });
    expect(write.status).toBe(401);
    expect((write.json as { message: string }).message).toBe('Requires authentication');
    expect((await call('GET', api('/releases'))).status).toBe(200);
    emulator.createRepo('acme', 'secret', { private: true });
    expect((await call('GET', `${emulator.apiUrl}/repos/acme/secret`)).status).toBe(404);
    const bearer = await fetch(`${emulator.apiUrl}/repos/acme/secret`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(200);
  });
});

describe('rate limits', () => {
  test('each request uses one; /rate_limit and 304s use none', async () => {
    const first = await call('GET', api(''), { token: TOKEN });
    const second = await call('GET', api(''), { token: TOKEN });
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(
      Number(first.headers.get('x-ratelimit-remaining')) - 1,
    );
    expect(Number(second.headers.get('x-ratelimit-used'))).toBe(
      Number(first.headers.get('x-ratelimit-used')) + 1,
    );
    expect(second.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(second.headers.get('x-ratelimit-resource')).toBe('core');
    expect(second.headers.get('x-ratelimit-reset')).toBe(first.headers.get('x-ratelimit-reset'));

    const status = await call('GET', `${emulator.apiUrl}/rate_limit`, { token: TOKEN });
    const overview = status.json as { rate: { remaining: number; used: number } };
    expect(overview.rate.remaining).toBe(Number(second.headers.get('x-ratelimit-remaining')));
    expect(status.headers.get('x-ratelimit-remaining')).toBe(second.headers.get('x-ratelimit-remaining'));
  });

  test('anonymous callers get 60 an hour, then 403 with x-ratelimit-remaining 0', async () => {
    for (let n = 0; n < 60; n += 1) expect((await call('GET', api(''))).status).toBe(200);
    const refused = await call('GET', api(''));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((refused.json as { message: string }).message).toMatch(/^API rate limit exceeded for /);
    // An authenticated caller has its own budget.
    expect((await call('GET', api(''), { token: TOKEN })).status).toBe(200);
  });
});

describe('tags', () => {
  test('deleting a release keeps its tag; deleting the tag is 204 once, then 422', async () => {
    const release = await createRelease({ tag_name: 'v1' });
    expect((await call('DELETE', api(`/releases/${release.id}`), { token: TOKEN })).status).toBe(204);
    expect((await call('GET', api('/git/ref/tags/v1'), { token: TOKEN })).status).toBe(200);
    expect((await call('DELETE', api('/git/refs/tags/v1'), { token: TOKEN })).status).toBe(204);
    const again = await call('DELETE', api('/git/refs/tags/v1'), { token: TOKEN });
    expect(again.status).toBe(422);
    expect((again.json as { message: string }).message).toBe('Reference does not exist');
  });

  test('deleting the tag of a published release turns the release into a draft', async () => {
    const release = await createRelease({ tag_name: 'v1' });
    expect((await call('DELETE', api('/git/refs/tags/v1'), { token: TOKEN })).status).toBe(204);
    expect((await getRelease(release.id)).draft).toBe(true);
  });
});

describe('latest release', () => {
  test('is the newest published non-prerelease unless make_latest says otherwise', async () => {
    const one = await createRelease({ tag_name: 'v1' });
    await createRelease({ tag_name: 'v2-rc', prerelease: true });
    await createRelease({ tag_name: 'v0-backport', make_latest: 'false' });
    expect(((await call('GET', api('/releases/latest'))).json as Release).id).toBe(one.id);
    const two = await createRelease({ tag_name: 'v2' });
    expect(((await call('GET', api('/releases/latest'))).json as Release).id).toBe(two.id);
    await call('PATCH', api(`/releases/${one.id}`), { token: TOKEN, body: { make_latest: 'true' } });
    expect(((await call('GET', api('/releases/latest'))).json as Release).id).toBe(one.id);
  });
});

describe('repository dispatches', () => {
  test('are recorded in order with their payloads', async () => {
    const payload = { version: '1.2.3', platforms: ['linux', 'darwin'] };
    expect(
      (
        await call('POST', api('/dispatches'), {
          token: TOKEN,
          body: { event_type: 'built', client_payload: payload },
        })
      ).status,
    ).toBe(204);
    expect(
      (await call('POST', api('/dispatches'), { token: TOKEN, body: { event_type: 'published' } })).status,
    ).toBe(204);
    expect(emulator.dispatches('acme', 'tool')).toEqual([
      { event_type: 'built', client_payload: payload },
      { event_type: 'published', client_payload: {} },
    ]);
    expect(() => emulator.dispatches('acme', 'nope')).toThrow(/no repository acme\/nope/);
  });

  test.each([
    ['no event_type', { client_payload: {} }, `"event_type" wasn't supplied.`],
    [
      'a 101-character event_type',
      { event_type: 'x'.repeat(101) },
      `is too long (maximum is 100 characters)`,
    ],
    [
      'an 11-key client_payload',
      {
        event_type: 'x',
        client_payload: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])),
      },
      'too many properties',
    ],
    [
      'a string client_payload',
      { event_type: 'x', client_payload: '{"a":1}' },
      `For 'properties/client_payload', "{\\"a\\":1}" is not an object.`,
    ],
    ['an unknown key', { event_type: 'x', extra: true }, `"extra" is not a permitted key.`],
  ])('%s is 422', async (_label, body, reason) => {
    const response = await call('POST', api('/dispatches'), { token: TOKEN, body });
    expect(response.status).toBe(422);
    expect((response.json as { message: string }).message).toContain(reason);
    expect(emulator.dispatches('acme', 'tool')).toEqual([]);
  });

  test('need a token', async () => {
    expect((await call('POST', api('/dispatches'), { body: { event_type: 'x' } })).status).toBe(401);
  });
});

describe('request log', () => {
  test('records every request in order and counts the writes that reached a handler', async () => {
    emulator.resetLog();
    const release = await createRelease({ tag_name: 'v1', draft: true });
    await upload(release, 'a', 'a');
    await call('GET', api('/releases'), { token: TOKEN });
    await call('PATCH', api(`/releases/${release.id}`), { token: TOKEN, body: { body: 'x' } });
    emulator.injectFault({ kind: 'status', status: 503, method: 'DELETE' });
    await call('DELETE', api(`/releases/${release.id}`), { token: TOKEN });
    await call('POST', api('/releases'), { body: { tag_name: 'anonymous' } });

    expect(emulator.requests()).toEqual([
      { method: 'POST', host: 'api', path: '/repos/acme/tool/releases', status: 201, write: true },
      {
        method: 'POST',
        host: 'uploads',
        path: `/repos/acme/tool/releases/${release.id}/assets?name=a`,
        status: 201,
        write: true,
      },
      { method: 'GET', host: 'api', path: '/repos/acme/tool/releases', status: 200, write: false },
      {
        method: 'PATCH',
        host: 'api',
        path: `/repos/acme/tool/releases/${release.id}`,
        status: 200,
        write: true,
      },
      {
        method: 'DELETE',
        host: 'api',
        path: `/repos/acme/tool/releases/${release.id}`,
        status: 503,
        write: true,
      },
      { method: 'POST', host: 'api', path: '/repos/acme/tool/releases', status: 401, write: true },
    ]);
    // The faulted DELETE and the unauthenticated POST never reached a handler.
    expect(emulator.writeCount()).toBe(3);
    emulator.resetLog();
    expect(emulator.requests()).toEqual([]);
    expect(emulator.writeCount()).toBe(0);
  });
});
