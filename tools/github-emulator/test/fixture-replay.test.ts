// Replays GitHub's recorded scenarios from @octokit/fixtures against the emulator. The fixtures were
// recorded in 2017–2023, so the emulator may send fields GitHub added since (digest, immutable, …); an
// extra field passes only if GitHub's current OpenAPI description declares it for that object.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startGitHubEmulator, type GitHubEmulator } from '../src/index.js';
import { call } from './support/http.js';
import { createOpenApiValidator, readOpenApiSpec, type OpenApiValidator } from './support/openapi.js';

interface FixtureStep {
  scope: string;
  method: string;
  path: string;
  body: unknown;
  status: number;
  response: unknown;
  reqheaders: Record<string, string | number>;
  headers: Record<string, string | number>;
}

const require = createRequire(import.meta.url);
const TOKEN = '0000000000000000000000000000000000000001';
const ORG = 'octokit-fixture-org';

function readScenario(name: string): FixtureStep[] {
  const path = require.resolve(`@octokit/fixtures/scenarios/api.github.com/${name}/normalized-fixture.json`);
  return JSON.parse(readFileSync(path, 'utf8')) as FixtureStep[];
}

/** Values that must match the recording exactly (ids, URLs and times legitimately differ). */
const COMPARED_VALUES = new Set([
  'name',
  'label',
  'state',
  'size',
  'content_type',
  'tag_name',
  'target_commitish',
  'draft',
  'prerelease',
  'body',
  'message',
  'resource',
  'code',
  'field',
  'private',
  'fork',
]);
const URL_KEYS = new Set([
  'url',
  'assets_url',
  'upload_url',
  'html_url',
  'tarball_url',
  'zipball_url',
  'browser_download_url',
]);
const HEADERS_THAT_MATTER = [
  'content-type',
  'etag',
  'link',
  'x-github-request-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-used',
  'x-ratelimit-resource',
];

/** Recorded ids → the emulator's, learned from responses as the replay goes. */
class IdMap {
  readonly releases = new Map<string, string>();
  readonly assets = new Map<string, string>();

  learn(recorded: unknown, actual: unknown): void {
    if (Array.isArray(recorded) && Array.isArray(actual)) {
      recorded.forEach((item, index) => this.learn(item, actual[index]));
      return;
    }
    if (!isObject(recorded) || !isObject(actual)) return;
    const [recordedUrl, actualUrl] = [recorded.url, actual.url];
    if (typeof recordedUrl === 'string' && typeof actualUrl === 'string') {
      const asset = /\/releases\/assets\/(\d+)$/;
      const release = /\/releases\/(\d+)$/;
      const recordedAsset = asset.exec(recordedUrl)?.[1];
      const actualAsset = asset.exec(actualUrl)?.[1];
      if (recordedAsset !== undefined && actualAsset !== undefined)
        this.assets.set(recordedAsset, actualAsset);
      const recordedRelease = release.exec(recordedUrl)?.[1];
      const actualRelease = release.exec(actualUrl)?.[1];
      if (recordedRelease !== undefined && actualRelease !== undefined)
        this.releases.set(recordedRelease, actualRelease);
    }
    if (Array.isArray(recorded.assets)) this.learn(recorded.assets, actual.assets);
  }

  rewrite(text: string): string {
    return text.replace(/\/releases\/(assets\/)?(\d+)/g, (whole, asset: string | undefined, id: string) => {
      const mapped = asset === undefined ? this.releases.get(id) : this.assets.get(id);
      return mapped === undefined ? whole : `/releases/${asset ?? ''}${mapped}`;
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rewrites a recorded github.com URL to the emulator's origins and ids. */
function localUrl(emulator: GitHubEmulator, ids: IdMap, recorded: string): string {
  return ids.rewrite(
    recorded
      .replace('https://api.github.com', emulator.apiUrl)
      .replace('https://uploads.github.com', emulator.uploadsUrl)
      .replace('https://github.com', emulator.webUrl),
  );
}

/**
 * Compares a response with its recording: every recorded key is present, every extra key is declared by
 * the OpenAPI schema, selected values are equal, and URLs equal the recorded ones moved to the emulator.
 */
function compareShapes(
  context: { emulator: GitHubEmulator; ids: IdMap; openapi: OpenApiValidator },
  recorded: unknown,
  actual: unknown,
  schema: Record<string, unknown> | undefined,
  path: string,
  problems: string[],
): void {
  if (Array.isArray(recorded)) {
    // Lists of objects (releases, assets) must match in length; lists of plain values (topics) are data.
    const ofObjects = recorded.some(isObject);
    if (!Array.isArray(actual) || (ofObjects && actual.length !== recorded.length)) {
      problems.push(
        `${path}: expected an array of ${recorded.length}, got ${JSON.stringify(actual)?.slice(0, 80)}`,
      );
      return;
    }
    recorded.forEach((item, index) =>
      compareShapes(
        context,
        item,
        actual[index],
        schema && context.openapi.childSchema(schema, index),
        `${path}[${index}]`,
        problems,
      ),
    );
    return;
  }
  if (!isObject(recorded)) return;
  if (!isObject(actual)) {
    problems.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
    return;
  }
  const declared = new Set(schema === undefined ? [] : context.openapi.propertyNames(schema));
  for (const key of Object.keys(recorded)) {
    if (!(key in actual)) problems.push(`${path}.${key}: recorded by GitHub, missing`);
  }
  for (const key of Object.keys(actual)) {
    if (!(key in recorded) && !declared.has(key))
      problems.push(`${path}.${key}: neither recorded nor in the OpenAPI schema`);
  }
  for (const [key, value] of Object.entries(recorded)) {
    if (!(key in actual)) continue;
    const mine = actual[key];
    if (COMPARED_VALUES.has(key) && (typeof value !== 'object' || value === null) && mine !== value) {
      problems.push(`${path}.${key}: recorded ${JSON.stringify(value)}, got ${JSON.stringify(mine)}`);
    }
    if (
      URL_KEYS.has(key) &&
      typeof value === 'string' &&
      !path.includes('author') &&
      !path.includes('uploader') &&
      !path.includes('owner') &&
      !path.includes('organization')
    ) {
      const expected = localUrl(context.emulator, context.ids, value);
      if (mine !== expected)
        problems.push(`${path}.${key}: expected ${expected}, got ${JSON.stringify(mine)}`);
    }
    compareShapes(
      context,
      value,
      mine,
      schema && context.openapi.childSchema(schema, key),
      `${path}.${key}`,
      problems,
    );
  }
}

/** Replays each step and returns every mismatch; the test expects none. */
async function replay(
  emulator: GitHubEmulator,
  openapi: OpenApiValidator,
  steps: FixtureStep[],
  operationOf: (step: FixtureStep) => string,
  beforeStep: (index: number, ids: IdMap) => Promise<void> = async () => {},
): Promise<string[]> {
  const ids = new IdMap();
  const problems: string[] = [];
  for (const [index, step] of steps.entries()) {
    await beforeStep(index, ids);
    const origin = step.scope.startsWith('https://uploads.github.com')
      ? emulator.uploadsUrl
      : emulator.apiUrl;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.reqheaders)) {
      if (name !== 'host' && name !== 'content-length') headers[name] = String(value);
    }
    const raw =
      step.body === '' ? undefined : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    const response = await fetch(`${origin}${ids.rewrite(step.path)}`, {
      method: step.method.toUpperCase(),
      headers,
      body: raw,
    });
    const text = await response.text();
    const actual: unknown = text === '' ? '' : JSON.parse(text);
    const label = `step ${index} ${step.method.toUpperCase()} ${step.path}`;
    if (response.status !== step.status)
      problems.push(`${label}: status ${response.status}, recorded ${step.status}`);
    ids.learn(step.response, actual);

    for (const name of HEADERS_THAT_MATTER) {
      if (name in step.headers && !response.headers.has(name))
        problems.push(`${label}: header ${name} missing`);
    }
    if (!('content-type' in step.headers) && response.headers.has('content-type')) {
      problems.push(`${label}: content-type sent where GitHub sends none`);
    }
    if (
      'content-type' in step.headers &&
      response.headers.get('content-type') !== step.headers['content-type']
    ) {
      problems.push(`${label}: content-type ${response.headers.get('content-type')}`);
    }
    if ('etag' in step.headers && !/^(W\/)?"[0-9a-f]+"$/.test(response.headers.get('etag') ?? '')) {
      problems.push(`${label}: etag ${response.headers.get('etag')}`);
    }

    if (step.status >= 400 && isObject(step.response)) {
      // Error bodies must have exactly the recorded shape.
      const keys = (value: unknown): string[] => (isObject(value) ? Object.keys(value).sort() : []);
      if (JSON.stringify(keys(actual)) !== JSON.stringify(keys(step.response))) {
        problems.push(
          `${label}: error keys ${keys(actual).join(',')}, recorded ${keys(step.response).join(',')}`,
        );
      }
      const recordedErrors = step.response.errors;
      if (JSON.stringify(isObject(actual) ? actual.errors : undefined) !== JSON.stringify(recordedErrors)) {
        problems.push(`${label}: errors ${JSON.stringify(isObject(actual) ? actual.errors : undefined)}`);
      }
    }
    const [method, template] = operationOf(step).split(' ') as [string, string];
    const schema = step.status < 300 ? openapi.responseSchema(method, template, step.status) : undefined;
    compareShapes({ emulator, ids, openapi }, step.response, actual, schema, label, problems);
  }
  return problems;
}

/** Which OpenAPI operation a recorded request is. */
function releaseOperation(step: FixtureStep): string {
  const path = step.path.split('?')[0]!;
  const method = step.method.toUpperCase();
  if (/\/releases\/tags\//.test(path)) return `${method} /repos/{owner}/{repo}/releases/tags/{tag}`;
  if (/\/releases\/assets\/\d+$/.test(path))
    return `${method} /repos/{owner}/{repo}/releases/assets/{asset_id}`;
  if (/\/releases\/\d+\/assets$/.test(path))
    return `${method} /repos/{owner}/{repo}/releases/{release_id}/assets`;
  if (/^\/repos\/[^/]+\/[^/]+$/.test(path)) return `${method} /repos/{owner}/{repo}`;
  throw new Error(`no operation for ${method} ${path}`);
}

describe('replaying @octokit/fixtures scenarios', () => {
  let emulator: GitHubEmulator;
  const openapi = createOpenApiValidator(readOpenApiSpec());

  beforeEach(async () => {
    emulator = await startGitHubEmulator();
    emulator.addToken(TOKEN);
  });
  afterEach(async () => {
    await emulator.close();
  });

  /** The release the scenarios create in requests they mark X-Octokit-Fixture-Ignore (see their record.js). */
  async function createFixtureRelease(repo: string): Promise<{ id: number; upload_url: string }> {
    emulator.createRepo(ORG, repo);
    const created = await call('POST', `${emulator.apiUrl}/repos/${ORG}/${repo}/releases`, {
      token: TOKEN,
      body: {
        tag_name: 'v1.0.0',
        name: 'Version 1.0.0',
        body: 'Initial release',
        target_commitish: '0000000000000000000000000000000000000001',
      },
    });
    expect(created.status).toBe(201);
    return created.json as { id: number; upload_url: string };
  }

  test('release-assets: get by tag, upload, list, get, rename and delete an asset', async () => {
    await createFixtureRelease('release-assets');
    const problems = await replay(emulator, openapi, readScenario('release-assets'), releaseOperation);
    expect(problems).toEqual([]);
  });

  test('release-assets-conflict: a second upload of the same name is 422 already_exists until deleted', async () => {
    const release = await createFixtureRelease('release-assets-conflict');
    // record.js uploads the file once, ignored, right after the by-tag lookup; the recorded upload conflicts.
    const uploadIgnoredOne = async (index: number): Promise<void> => {
      if (index !== 1) return;
      const first = await call(
        'POST',
        release.upload_url.replace('{?name,label}', '?name=test-upload.txt&label=test'),
        {
          token: TOKEN,
          raw: 'Hello, world!\n',
          headers: { 'content-type': 'text/plain' },
        },
      );
      expect(first.status).toBe(201);
    };
    const steps = readScenario('release-assets-conflict');
    const problems = await replay(emulator, openapi, steps, releaseOperation, uploadIgnoredOne);
    expect(problems).toEqual([]);
  });

  test('get-repository: the repository object has the recorded keys', async () => {
    emulator.createRepo(ORG, 'hello-world');
    const problems = await replay(emulator, openapi, readScenario('get-repository'), releaseOperation);
    expect(problems).toEqual([]);
  });

  test('paginate-issues: the same paging over releases yields byte-identical Link headers', async () => {
    // The package records no paginated release listing; paginate-issues pins GitHub's Link format, and
    // releases page the same way. 13 releases at per_page=3 make the recorded 5 pages of 3,3,3,3,1.
    const steps = readScenario('paginate-issues');
    emulator.createRepo(ORG, 'paginate-issues');
    for (let n = 1; n <= 13; n += 1) {
      const created = await call('POST', `${emulator.apiUrl}/repos/${ORG}/paginate-issues/releases`, {
        token: TOKEN,
        body: { tag_name: `v${n}` },
      });
      expect(created.status).toBe(201);
    }
    const repo = (await call('GET', `${emulator.apiUrl}/repos/${ORG}/paginate-issues`, { token: TOKEN }))
      .json as { id: number };
    const toReleases = (text: string): string =>
      text
        .replace('https://api.github.com', emulator.apiUrl)
        .replace('/repositories/1000/issues', `/repositories/${repo.id}/releases`)
        .replace(`/repos/${ORG}/paginate-issues/issues`, `/repos/${ORG}/paginate-issues/releases`);

    const seen: string[] = [];
    for (const step of steps) {
      const response = await call('GET', `${emulator.apiUrl}${toReleases(step.path)}`, { token: TOKEN });
      expect(response.status).toBe(step.status);
      expect((response.json as unknown[]).length).toBe((step.response as unknown[]).length);
      const recordedLink = String(step.headers.link)
        .split(', <')
        .map((part, i) => (i === 0 ? part : `<${part}`));
      expect(response.headers.get('link')).toBe(recordedLink.map(toReleases).join(', '));
      seen.push(...(response.json as Array<{ tag_name: string }>).map((r) => r.tag_name));
    }
    // Newest first across all pages, each release exactly once.
    expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => `v${13 - i}`));
  });
});
