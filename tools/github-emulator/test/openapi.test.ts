// Every endpoint's real responses, successes and errors, validated against GitHub's OpenAPI description.
import { startGitHubEmulator, type GitHubEmulator } from '../src/index.js';
import { call, type RawResponse } from './support/http.js';
import { createOpenApiValidator, readOpenApiSpec } from './support/openapi.js';
import { sendPartialUpload } from './support/upload.js';

const TOKEN = 'ghp_openapi';
const spec = readOpenApiSpec();
const openapi = createOpenApiValidator(spec);
// GitHub documents that a failed upload "may leave an empty asset with a state of `starter`" (Upload a
// release asset), yet the `release-asset` schema's state enum lists only uploaded/open. Responses that
// carry a starter asset are validated with exactly that enum widened; the test below proves it is the
// only deviation.
const openapiWithStarter = createOpenApiValidator(spec, (schemas) => {
  const asset = structuredClone(schemas['release-asset']!) as { properties: { state: { enum: string[] } } };
  asset.properties.state.enum = [...asset.properties.state.enum, 'starter'];
  return { ...schemas, 'release-asset': asset as unknown as Record<string, unknown> };
});

describe('responses validate against @octokit/openapi (api.github.com)', () => {
  let emulator: GitHubEmulator;
  const failures: string[] = [];
  const undocumented: string[] = [];

  beforeAll(async () => {
    emulator = await startGitHubEmulator();
    emulator.addToken(TOKEN);
    emulator.createRepo('acme', 'tool');
    emulator.createRepo('acme', 'locked', { immutableReleases: true });
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    failures.length = 0;
  });

  /** Validates one response; `expected` guards against validating the wrong status. */
  function check(
    template: string,
    response: RawResponse,
    method: string,
    expected: number,
    starter = false,
  ): void {
    expect({ template, method, status: response.status }).toEqual({ template, method, status: expected });
    const result = (starter ? openapiWithStarter : openapi).checkResponse(
      method,
      template,
      response.status,
      response.json,
    );
    if (!result.documented) undocumented.push(`${method} ${template} ${response.status}`);
    for (const error of result.errors) failures.push(`${method} ${template} ${response.status}: ${error}`);
  }

  test('the validator rejects a release missing a required field (it is not vacuous)', () => {
    const errors = openapi.checkResponse('GET', '/repos/{owner}/{repo}/releases/{release_id}', 200, {
      id: 1,
    });
    expect(errors.errors.join('\n')).toMatch(/must have required property 'assets'/);
  });

  test('repository, immutable-releases setting and rate limit', async () => {
    const repo = '/repos/{owner}/{repo}';
    check(repo, await call('GET', `${emulator.apiUrl}/repos/acme/tool`, { token: TOKEN }), 'GET', 200);
    check(repo, await call('GET', `${emulator.apiUrl}/repos/acme/tool`), 'GET', 200);
    check(repo, await call('GET', `${emulator.apiUrl}/repos/acme/missing`, { token: TOKEN }), 'GET', 404);

    const immutable = '/repos/{owner}/{repo}/immutable-releases';
    check(
      immutable,
      await call('GET', `${emulator.apiUrl}/repos/acme/locked/immutable-releases`, { token: TOKEN }),
      'GET',
      200,
    );
    check(
      immutable,
      await call('GET', `${emulator.apiUrl}/repos/acme/tool/immutable-releases`, { token: TOKEN }),
      'GET',
      404,
    );
    check(
      immutable,
      await call('PUT', `${emulator.apiUrl}/repos/acme/tool/immutable-releases`, { token: TOKEN }),
      'PUT',
      204,
    );
    check(
      immutable,
      await call('DELETE', `${emulator.apiUrl}/repos/acme/tool/immutable-releases`, { token: TOKEN }),
      'DELETE',
      204,
    );

    check('/rate_limit', await call('GET', `${emulator.apiUrl}/rate_limit`, { token: TOKEN }), 'GET', 200);
    expect(failures).toEqual([]);
  });

  test('releases: list, create, latest, by tag, by id, update, delete', async () => {
    const list = '/repos/{owner}/{repo}/releases';
    const one = '/repos/{owner}/{repo}/releases/{release_id}';
    const base = `${emulator.apiUrl}/repos/acme/tool/releases`;

    const draft = await call('POST', base, { token: TOKEN, body: { tag_name: 'v1.0.0', draft: true } });
    check(list, draft, 'POST', 201);
    const published = await call('POST', base, {
      token: TOKEN,
      body: { tag_name: 'v0.9.0', name: 'v0.9.0', body: 'notes', prerelease: false, make_latest: 'true' },
    });
    check(list, published, 'POST', 201);
    check(list, await call('POST', base, { token: TOKEN, body: { tag_name: 'v0.9.0' } }), 'POST', 422);
    check(list, await call('POST', base, { token: TOKEN, body: { name: 'no tag' } }), 'POST', 422);
    check(list, await call('GET', `${base}?per_page=1`, { token: TOKEN }), 'GET', 200);
    check(
      list,
      await call('GET', `${emulator.apiUrl}/repos/acme/missing/releases`, { token: TOKEN }),
      'GET',
      404,
    );

    check(
      '/repos/{owner}/{repo}/releases/latest',
      await call('GET', `${base}/latest`, { token: TOKEN }),
      'GET',
      200,
    );
    check(
      '/repos/{owner}/{repo}/releases/latest',
      await call('GET', `${emulator.apiUrl}/repos/acme/locked/releases/latest`, { token: TOKEN }),
      'GET',
      404,
    );
    const byTag = '/repos/{owner}/{repo}/releases/tags/{tag}';
    check(byTag, await call('GET', `${base}/tags/v0.9.0`, { token: TOKEN }), 'GET', 200);
    check(byTag, await call('GET', `${base}/tags/v1.0.0`, { token: TOKEN }), 'GET', 404);

    const draftId = (draft.json as { id: number }).id;
    check(one, await call('GET', `${base}/${draftId}`, { token: TOKEN }), 'GET', 200);
    check(one, await call('GET', `${base}/999999`, { token: TOKEN }), 'GET', 404);
    check(one, await call('GET', `${base}/${draftId}`, { token: 'not-a-token' }), 'GET', 401);
    check(
      one,
      await call('PATCH', `${base}/${draftId}`, { token: TOKEN, body: { body: 'edited', draft: false } }),
      'PATCH',
      200,
    );
    check(one, await call('PATCH', `${base}/999999`, { token: TOKEN, body: { body: 'x' } }), 'PATCH', 404);
    check(one, await call('DELETE', `${base}/${draftId}`, { token: TOKEN }), 'DELETE', 204);
    check(one, await call('DELETE', `${base}/${draftId}`, { token: TOKEN }), 'DELETE', 404);
    expect(failures).toEqual([]);
  });

  test('assets: upload, list (with a starter), get, download redirect, update, delete', async () => {
    const created = await call('POST', `${emulator.apiUrl}/repos/acme/tool/releases`, {
      token: TOKEN,
      body: { tag_name: 'v2.0.0', draft: true },
    });
    const release = created.json as { id: number; upload_url: string };
    const uploadUrl = (name: string): string =>
      release.upload_url.replace('{?name,label}', `?name=${name}&label=Linux`);
    const upload = '/repos/{owner}/{repo}/releases/{release_id}/assets';

    const uploaded = await call('POST', uploadUrl('tool.tar.gz'), {
      token: TOKEN,
      raw: Buffer.from('bytes'),
      headers: { 'content-type': 'application/gzip' },
    });
    check(upload, uploaded, 'POST', 201);
    check(upload, await call('POST', uploadUrl('tool.tar.gz'), { token: TOKEN, raw: 'again' }), 'POST', 422);

    emulator.injectFault({ kind: 'reset', host: 'uploads', afterBytes: 4 });
    await expect(
      call('POST', uploadUrl('broken.zip'), { token: TOKEN, raw: Buffer.alloc(64 * 1024) }),
    ).rejects.toThrow();
    check(
      upload,
      await call('GET', `${emulator.apiUrl}/repos/acme/tool/releases/${release.id}/assets`, { token: TOKEN }),
      'GET',
      200,
      true,
    );
    check(
      '/repos/{owner}/{repo}/releases/{release_id}',
      await call('GET', `${emulator.apiUrl}/repos/acme/tool/releases/${release.id}`, { token: TOKEN }),
      'GET',
      200,
      true,
    );

    const asset = '/repos/{owner}/{repo}/releases/assets/{asset_id}';
    const assetUrl = (uploaded.json as { url: string }).url;
    check(asset, await call('GET', assetUrl, { token: TOKEN }), 'GET', 200);
    check(
      asset,
      await call('GET', assetUrl, { token: TOKEN, headers: { accept: 'application/octet-stream' } }),
      'GET',
      302,
    );
    check(
      asset,
      await call('GET', `${emulator.apiUrl}/repos/acme/tool/releases/assets/999999`, { token: TOKEN }),
      'GET',
      404,
    );
    check(
      asset,
      await call('PATCH', assetUrl, { token: TOKEN, body: { name: 'renamed.tar.gz', label: 'L' } }),
      'PATCH',
      200,
    );
    check(asset, await call('DELETE', assetUrl, { token: TOKEN }), 'DELETE', 204);
    check(asset, await call('DELETE', assetUrl, { token: TOKEN }), 'DELETE', 404);
    expect(failures).toEqual([]);
  });

  test('dispatches and tag refs', async () => {
    const dispatches = '/repos/{owner}/{repo}/dispatches';
    const url = `${emulator.apiUrl}/repos/acme/tool/dispatches`;
    check(
      dispatches,
      await call('POST', url, { token: TOKEN, body: { event_type: 'built', client_payload: { a: 1 } } }),
      'POST',
      204,
    );
    check(dispatches, await call('POST', url, { token: TOKEN, body: { client_payload: {} } }), 'POST', 422);
    check(
      dispatches,
      await call('POST', url, { token: TOKEN, body: { event_type: 'x'.repeat(101) } }),
      'POST',
      422,
    );
    check(
      dispatches,
      await call('POST', `${emulator.apiUrl}/repos/acme/missing/dispatches`, {
        token: TOKEN,
        body: { event_type: 'x' },
      }),
      'POST',
      404,
    );

    await call('POST', `${emulator.apiUrl}/repos/acme/tool/releases`, {
      token: TOKEN,
      body: { tag_name: 'v3.0.0' },
    });
    check(
      '/repos/{owner}/{repo}/git/ref/{ref}',
      await call('GET', `${emulator.apiUrl}/repos/acme/tool/git/ref/tags/v3.0.0`, { token: TOKEN }),
      'GET',
      200,
    );
    check(
      '/repos/{owner}/{repo}/git/ref/{ref}',
      await call('GET', `${emulator.apiUrl}/repos/acme/tool/git/ref/tags/nope`, { token: TOKEN }),
      'GET',
      404,
    );
    const refs = '/repos/{owner}/{repo}/git/refs/{ref}';
    check(
      refs,
      await call('DELETE', `${emulator.apiUrl}/repos/acme/tool/git/refs/tags/v3.0.0`, { token: TOKEN }),
      'DELETE',
      204,
    );
    check(
      refs,
      await call('DELETE', `${emulator.apiUrl}/repos/acme/tool/git/refs/tags/v3.0.0`, { token: TOKEN }),
      'DELETE',
      422,
    );
    expect(failures).toEqual([]);
  });

  test('auth failures and injected faults keep the basic-error shape', async () => {
    const list = '/repos/{owner}/{repo}/releases';
    check(
      list,
      await call('POST', `${emulator.apiUrl}/repos/acme/tool/releases`, { body: { tag_name: 'x' } }),
      'POST',
      401,
    );
    for (const status of [500, 502, 503, 429, 403]) {
      emulator.injectFault({ kind: 'status', status, host: 'api', retryAfterSeconds: 1 });
      check(
        list,
        await call('GET', `${emulator.apiUrl}/repos/acme/tool/releases`, { token: TOKEN }),
        'GET',
        status,
      );
    }
    expect(failures).toEqual([]);
  });

  test('the starter state is the only departure from the release-asset schema', async () => {
    const created = await call('POST', `${emulator.apiUrl}/repos/acme/tool/releases`, {
      token: TOKEN,
      body: { tag_name: 'v4', draft: true },
    });
    const release = created.json as { id: number; upload_url: string };
    // A client that dies mid-body leaves a starter asset, as GitHub does.
    await sendPartialUpload(
      emulator,
      release.upload_url.replace('{?name,label}', '?name=partial.bin'),
      TOKEN,
    );
    const listing = await call('GET', `${emulator.apiUrl}/repos/acme/tool/releases/${release.id}/assets`, {
      token: TOKEN,
    });
    const starter = (listing.json as Array<{ state: string }>)[0];
    expect(starter?.state).toBe('starter');
    expect(openapi.checkComponent('release-asset', starter)).toEqual([
      `/state must be equal to one of the allowed values {"allowedValues":["uploaded","open"]}`,
    ]);
    expect(openapiWithStarter.checkComponent('release-asset', starter)).toEqual([]);
  });

  test('every status served above is one the spec documents, except the listed error statuses', () => {
    // These statuses are real GitHub behaviour the description omits; they were validated as basic-error.
    expect([...new Set(undocumented)].sort()).toEqual(
      [
        'GET /repos/{owner}/{repo}/releases 403',
        'GET /repos/{owner}/{repo}/releases 429',
        'GET /repos/{owner}/{repo}/releases 500',
        'GET /repos/{owner}/{repo}/releases 502',
        'GET /repos/{owner}/{repo}/releases 503',
        'GET /repos/{owner}/{repo}/releases/{release_id} 404',
        'POST /repos/{owner}/{repo}/releases 401',
      ].sort(),
    );
  });
});
