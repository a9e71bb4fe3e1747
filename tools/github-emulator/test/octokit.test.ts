// A real @octokit/rest client against the emulator: the end-to-end path packyard's backend takes, and
// every fault kind as octokit sees it.
import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { startGitHubEmulator, type GitHubEmulator } from '../src/index.js';

const TOKEN = 'ghp_octokit';
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let emulator: GitHubEmulator;
let octokit: Octokit;

beforeEach(async () => {
  emulator = await startGitHubEmulator();
  emulator.addToken(TOKEN);
  emulator.createRepo('acme', 'tool');
  octokit = new Octokit({ baseUrl: emulator.apiUrl, auth: TOKEN, log: quiet, request: { retries: 0 } });
});
afterEach(async () => {
  await emulator.close();
});

const repo = { owner: 'acme', repo: 'tool' };

/** The HTTP status and headers of a failed octokit call. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; message: string; headers: Record<string, string | undefined> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      status: number;
      message: string;
      response?: { headers: Record<string, string | undefined> };
    };
    return { status: e.status, message: e.message, headers: e.response?.headers ?? {} };
  }
  throw new Error('expected the call to fail');
}

describe('octokit end to end', () => {
  test('create a release, upload through upload_url and through the uploads baseUrl, paginate, publish', async () => {
    const { data: release } = await octokit.rest.repos.createRelease({
      ...repo,
      tag_name: 'v1.0.0',
      name: 'v1.0.0',
      draft: true,
    });
    const bytes = Buffer.from('#!/bin/sh\necho hello\n');
    const viaTemplate = await octokit.rest.repos.uploadReleaseAsset({
      ...repo,
      release_id: release.id,
      url: release.upload_url,
      name: 'hello.sh',
      label: 'Hello',
      data: bytes as unknown as string,
      headers: { 'content-type': 'text/x-shellscript' },
    });
    expect(viaTemplate.status).toBe(201);
    expect(viaTemplate.data.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(viaTemplate.data.label).toBe('Hello');
    const viaBaseUrl = await octokit.rest.repos.uploadReleaseAsset({
      ...repo,
      release_id: release.id,
      baseUrl: emulator.uploadsUrl,
      name: 'world.sh',
      data: 'echo world' as string,
    });
    expect(viaBaseUrl.data.name).toBe('world.sh');

    for (let n = 1; n <= 7; n += 1) await octokit.rest.repos.createRelease({ ...repo, tag_name: `v0.${n}` });
    const all = await octokit.paginate(octokit.rest.repos.listReleases, { ...repo, per_page: 3 });
    expect(all.map((r) => r.tag_name)).toEqual([
      'v0.7',
      'v0.6',
      'v0.5',
      'v0.4',
      'v0.3',
      'v0.2',
      'v0.1',
      'v1.0.0',
    ]);
    const assets = await octokit.paginate(octokit.rest.repos.listReleaseAssets, {
      ...repo,
      release_id: release.id,
      per_page: 1,
    });
    expect(assets.map((a) => a.name)).toEqual(['hello.sh', 'world.sh']);

    const { data: published } = await octokit.rest.repos.updateRelease({
      ...repo,
      release_id: release.id,
      draft: false,
    });
    expect(published.published_at).not.toBeNull();
    const { data: byTag } = await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v1.0.0' });
    expect(byTag.assets.map((a) => a.browser_download_url)).toEqual([
      `${emulator.webUrl}/acme/tool/releases/download/v1.0.0/hello.sh`,
      `${emulator.webUrl}/acme/tool/releases/download/v1.0.0/world.sh`,
    ]);
    await octokit.rest.repos.createDispatchEvent({
      ...repo,
      event_type: 'released',
      client_payload: { tag: 'v1.0.0' },
    });
    expect(emulator.dispatches('acme', 'tool')).toEqual([
      { event_type: 'released', client_payload: { tag: 'v1.0.0' } },
    ]);
  });

  test('four concurrent runners fan in to one draft; a raced name is taken exactly once', async () => {
    const { data: release } = await octokit.rest.repos.createRelease({
      ...repo,
      tag_name: 'v2.0.0',
      draft: true,
    });
    const runners = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'].map(
      (platform) => new Octokit({ baseUrl: emulator.apiUrl, auth: TOKEN, log: quiet, userAgent: platform }),
    );
    const uploads = runners.flatMap((runner, index) =>
      ['tar.gz', 'zip', 'sha256'].map((ext) =>
        runner.rest.repos.uploadReleaseAsset({
          ...repo,
          release_id: release.id,
          url: release.upload_url,
          name: `tool-${index}.${ext}`,
          data: `${index}.${ext}`,
        }),
      ),
    );
    const raced = runners.map((runner) =>
      runner.rest.repos
        .uploadReleaseAsset({
          ...repo,
          release_id: release.id,
          url: release.upload_url,
          name: 'SHA256SUMS',
          data: 'sums',
        })
        .then(
          (response) => response.status,
          (error: { status: number }) => error.status,
        ),
    );
    expect((await Promise.all(uploads)).map((response) => response.status)).toEqual(Array(12).fill(201));
    expect((await Promise.all(raced)).sort()).toEqual([201, 422, 422, 422]);
    const { data: assets } = await octokit.rest.repos.listReleaseAssets({
      ...repo,
      release_id: release.id,
      per_page: 100,
    });
    expect(assets.length).toBe(13);
    expect(assets.every((asset) => asset.state === 'uploaded')).toBe(true);
  });

  test('tags with slashes survive the by-tag lookup', async () => {
    await octokit.rest.repos.createRelease({ ...repo, tag_name: 'tool/v1.0.0' });
    const { data } = await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'tool/v1.0.0' });
    expect(data.tag_name).toBe('tool/v1.0.0');
  });
});

describe('faults as octokit sees them', () => {
  test('503 and 500 surface as RequestErrors with that status', async () => {
    emulator.injectFault({ kind: 'status', status: 503, path: '/repos/acme/tool/releases' });
    expect((await failure(octokit.rest.repos.listReleases(repo))).status).toBe(503);
    emulator.injectFault({ kind: 'status', status: 500 });
    expect((await failure(octokit.rest.repos.get(repo))).status).toBe(500);
    expect((await octokit.rest.repos.listReleases(repo)).status).toBe(200);
  });

  test('429 carries the secondary-rate-limit message and Retry-After', async () => {
    emulator.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7 });
    const seen = await failure(octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1' }));
    expect(seen.status).toBe(429);
    expect(seen.message).toMatch(/\bsecondary rate\b/i);
    expect(seen.headers['retry-after']).toBe('7');
  });

  test('403 is a secondary rate limit when asked, otherwise an exhausted primary limit', async () => {
    emulator.injectFault({ kind: 'status', status: 403, secondaryRateLimit: true, retryAfterSeconds: 3 });
    const secondary = await failure(octokit.rest.repos.listReleases(repo));
    expect([secondary.status, secondary.headers['retry-after']]).toEqual([403, '3']);
    expect(secondary.message).toMatch(/You have exceeded a secondary rate limit/);

    emulator.injectFault({ kind: 'status', status: 403 });
    const primary = await failure(octokit.rest.repos.listReleases(repo));
    expect(primary.status).toBe(403);
    expect(primary.headers['x-ratelimit-remaining']).toBe('0');
    expect(primary.message).toMatch(/API rate limit exceeded/);
  });

  test('reset drops the connection: octokit gets no HTTP response', async () => {
    emulator.injectFault({ kind: 'reset', method: 'GET', host: 'api' });
    const seen = await failure(octokit.rest.repos.listReleases(repo));
    // octokit reports network failures as status 500 without a response.
    expect(seen.status).toBe(500);
    expect(seen.headers).toEqual({});
    expect(emulator.requests().at(-1)).toMatchObject({ method: 'GET', status: 0 });
  });

  test('delay holds a request, which then succeeds after a later one', async () => {
    emulator.injectFault({ kind: 'delay', delayMs: 1500, path: '/repos/acme/tool/releases' });
    const order: string[] = [];
    const delayed = octokit.rest.repos.listReleases(repo).then((response) => {
      order.push('delayed');
      return response.status;
    });
    // Only start the second request once the first has reached the emulator.
    while (!emulator.requests().some((entry) => entry.path === '/repos/acme/tool/releases')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await octokit.rest.repos.get(repo).then(() => order.push('prompt'));
    expect(await delayed).toBe(200);
    expect(order).toEqual(['prompt', 'delayed']);
  });

  test('faults hit `times` matching requests in insertion order, filtered by method, host and path', async () => {
    emulator.injectFault({ kind: 'status', status: 502, method: 'POST', times: 2 });
    emulator.injectFault({ kind: 'status', status: 500, path: /\/releases\/tags\//, host: 'api' });
    emulator.injectFault({ kind: 'status', status: 503, host: 'uploads' });
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);
    expect((await failure(octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1' }))).status).toBe(502);
    expect((await failure(octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1' }))).status).toBe(502);
    expect((await octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1' })).status).toBe(201);
    expect((await failure(octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v1' }))).status).toBe(500);
    expect((await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v1' })).status).toBe(200);
    emulator.clearFaults();
    const { data: release } = await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v1' });
    expect(
      (
        await octokit.rest.repos.uploadReleaseAsset({
          ...repo,
          release_id: release.id,
          url: release.upload_url,
          name: 'a',
          data: 'a',
        })
      ).status,
    ).toBe(201);
  });

  test('times: Infinity keeps failing until cleared', async () => {
    emulator.injectFault({ kind: 'status', status: 503, times: Infinity });
    for (let n = 0; n < 5; n += 1) expect((await failure(octokit.rest.repos.get(repo))).status).toBe(503);
    emulator.clearFaults();
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);
  });
});
