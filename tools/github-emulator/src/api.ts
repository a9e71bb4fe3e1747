import type { IncomingHttpHeaders } from 'node:http';
import { GitHubApiError, invalidRequest, notFound } from './errors.js';
import type {
  AssetRecord,
  CreateReleaseFields,
  EmulatorStore,
  ReleaseRecord,
  RepoRecord,
  UpdateReleaseFields,
} from './model.js';
import { parsePaging, planPage, renderLinkHeader } from './pagination.js';
import { renderAsset, renderRelease, renderRepo, type Origins } from './render.js';

/** A parsed API request, as the handlers see it. */
export interface ApiRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body of a write, or undefined. */
  body: unknown;
  /** Whether the request carried an accepted token (every accepted token has push access). */
  authenticated: boolean;
}

/** What a handler answers; the server adds the common headers. */
export interface ApiReply {
  status: number;
  json?: unknown;
  headers?: Record<string, string>;
}

/** What handlers need from the emulator around them. */
export interface ApiEnvironment {
  store: EmulatorStore;
  origins: Origins;
  /** A signed web URL that serves the asset's bytes, the target of GitHub's octet-stream redirect. */
  objectUrl(asset: AssetRecord): string;
}

const REPOS_DOCS = 'https://docs.github.com/rest/repos/repos';
const RELEASES_DOCS = 'https://docs.github.com/rest/releases/releases';
const ASSETS_DOCS = 'https://docs.github.com/rest/releases/assets';
const REFS_DOCS = 'https://docs.github.com/rest/git/refs';

type Params = Record<string, string>;
type Handler = (env: ApiEnvironment, request: ApiRequest, params: Params) => ApiReply;

interface Route {
  method: string;
  pattern: RegExp;
  handle: Handler;
}

const REPO = '^/repos/(?<owner>[^/]+)/(?<repo>[^/]+)';

function route(method: string, path: string, handle: Handler): Route {
  return { method, pattern: new RegExp(`${REPO}${path}$`), handle };
}

function visibleRepo(env: ApiEnvironment, request: ApiRequest, params: Params, docs: string): RepoRecord {
  const repo = env.store.findRepo(params.owner!, params.repo!);
  // GitHub answers 404, not 403, for private repositories the caller cannot see.
  if (repo === undefined || (repo.private && !request.authenticated)) throw notFound(docs);
  return repo;
}

function visibleRelease(repo: RepoRecord, request: ApiRequest, id: string, docs: string): ReleaseRecord {
  const release = repo.releases.get(Number(id));
  if (release === undefined || (release.draft && !request.authenticated)) throw notFound(docs);
  return release;
}

function visibleAsset(
  env: ApiEnvironment,
  repo: RepoRecord,
  request: ApiRequest,
  id: string,
  docs: string,
): AssetRecord {
  const asset = env.store.findAsset(repo, Number(id));
  if (asset === undefined || (asset.release.draft && !request.authenticated)) throw notFound(docs);
  return asset;
}

function paged<T>(
  env: ApiEnvironment,
  request: ApiRequest,
  linkPath: string,
  items: T[],
  render: (item: T) => object,
): ApiReply {
  const { page, perPage } = parsePaging(request.query);
  const plan = planPage(items.length, page, perPage);
  // GitHub's Link URLs address the repository by id (/repositories/{id}/…), as the fixtures record.
  const link = renderLinkHeader(`${env.origins.apiUrl}${linkPath}`, request.query, plan);
  return {
    status: 200,
    json: items.slice(plan.start, plan.end).map(render),
    headers: link === undefined ? {} : { link },
  };
}

type FieldType = 'string' | 'boolean' | 'object';

/**
 * Checks a JSON body against an operation's request schema, answering like GitHub's schema validator:
 * `"x" wasn't supplied.`, `For 'properties/x', 5 is not a string.`
 */
function checkBody(
  body: unknown,
  fields: Record<string, FieldType>,
  required: string[],
  docs: string,
  options: { closed?: boolean; enums?: Record<string, string[]> } = {},
): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest([`For 'links/0/schema', ${JSON.stringify(body ?? null)} is not an object.`], docs);
  }
  const record = body as Record<string, unknown>;
  const reasons: string[] = [];
  if (options.closed === true) {
    const extra = Object.keys(record).filter((key) => !(key in fields));
    if (extra.length === 1) reasons.push(`${JSON.stringify(extra[0])} is not a permitted key.`);
    if (extra.length > 1)
      reasons.push(`${extra.map((key) => JSON.stringify(key)).join(', ')} are not permitted keys.`);
  }
  for (const key of required) {
    if (record[key] === undefined) reasons.push(`${JSON.stringify(key)} wasn't supplied.`);
  }
  for (const [key, type] of Object.entries(fields)) {
    const value = record[key];
    if (value === undefined) continue;
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    if (actual !== type) {
      reasons.push(
        `For 'properties/${key}', ${JSON.stringify(value)} is not ${type === 'object' ? 'an' : 'a'} ${type}.`,
      );
      continue;
    }
    const allowed = options.enums?.[key];
    if (allowed !== undefined && !allowed.includes(value as string)) {
      reasons.push(
        `For 'properties/${key}', ${JSON.stringify(value)} is not a member of ${JSON.stringify(allowed)}.`,
      );
    }
  }
  if (reasons.length > 0) throw invalidRequest(reasons, docs);
  return record;
}

const RELEASE_FIELDS: Record<string, FieldType> = {
  tag_name: 'string',
  target_commitish: 'string',
  name: 'string',
  body: 'string',
  draft: 'boolean',
  prerelease: 'boolean',
  make_latest: 'string',
};
const MAKE_LATEST = { make_latest: ['true', 'false', 'legacy'] };

function getRepo(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const repo = visibleRepo(env, request, params, `${REPOS_DOCS}#get-a-repository`);
  return { status: 200, json: renderRepo(env.origins, repo, request.authenticated) };
}

function getImmutableReleases(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${REPOS_DOCS}#check-if-immutable-releases-are-enabled-for-a-repository`;
  const repo = visibleRepo(env, request, params, docs);
  // The OpenAPI description: 200 when enabled, "Not Found if immutable releases are not enabled".
  if (!repo.immutableReleases) throw notFound(docs);
  return { status: 200, json: { enabled: true, enforced_by_owner: false } };
}

function setImmutableReleases(enabled: boolean): Handler {
  return (env, request, params) => {
    const repo = visibleRepo(env, request, params, `${REPOS_DOCS}#enable-immutable-releases`);
    repo.immutableReleases = enabled;
    return { status: 204 };
  };
}

function listReleases(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const repo = visibleRepo(env, request, params, `${RELEASES_DOCS}#list-releases`);
  const releases = env.store.listReleases(repo, request.authenticated);
  return paged(env, request, `/repositories/${repo.id}/releases`, releases, (r) =>
    renderRelease(env.origins, r),
  );
}

function createRelease(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${RELEASES_DOCS}#create-a-release`;
  const repo = visibleRepo(env, request, params, docs);
  const body = checkBody(
    request.body,
    { ...RELEASE_FIELDS, discussion_category_name: 'string', generate_release_notes: 'boolean' },
    ['tag_name'],
    docs,
    { enums: MAKE_LATEST },
  );
  const fields: CreateReleaseFields = {
    tagName: body.tag_name as string,
    draft: (body.draft as boolean | undefined) ?? false,
    prerelease: (body.prerelease as boolean | undefined) ?? false,
  };
  if (body.target_commitish !== undefined) fields.targetCommitish = body.target_commitish as string;
  if (body.name !== undefined) fields.name = body.name as string;
  if (body.body !== undefined) fields.body = body.body as string;
  if (body.make_latest !== undefined)
    fields.makeLatest = body.make_latest as CreateReleaseFields['makeLatest'];
  const release = env.store.createRelease(repo, fields);
  const json = renderRelease(env.origins, release) as { url: string };
  return { status: 201, json, headers: { location: json.url } };
}

function getLatestRelease(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${RELEASES_DOCS}#get-the-latest-release`;
  const release = env.store.latestRelease(visibleRepo(env, request, params, docs));
  if (release === undefined) throw notFound(docs);
  return { status: 200, json: renderRelease(env.origins, release) };
}

function getReleaseByTag(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${RELEASES_DOCS}#get-a-release-by-tag-name`;
  const release = env.store.findPublishedByTag(visibleRepo(env, request, params, docs), params.tag!);
  if (release === undefined) throw notFound(docs);
  return { status: 200, json: renderRelease(env.origins, release) };
}

function getRelease(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${RELEASES_DOCS}#get-a-release`;
  const release = visibleRelease(visibleRepo(env, request, params, docs), request, params.release_id!, docs);
  return { status: 200, json: renderRelease(env.origins, release) };
}

function updateRelease(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${RELEASES_DOCS}#update-a-release`;
  const release = visibleRelease(visibleRepo(env, request, params, docs), request, params.release_id!, docs);
  const body = checkBody(
    request.body ?? {},
    { ...RELEASE_FIELDS, discussion_category_name: 'string' },
    [],
    docs,
    {
      enums: MAKE_LATEST,
    },
  );
  const fields: UpdateReleaseFields = {};
  if (body.tag_name !== undefined) fields.tagName = body.tag_name as string;
  if (body.target_commitish !== undefined) fields.targetCommitish = body.target_commitish as string;
  if (body.name !== undefined) fields.name = body.name as string;
  if (body.body !== undefined) fields.body = body.body as string;
  if (body.draft !== undefined) fields.draft = body.draft as boolean;
  if (body.prerelease !== undefined) fields.prerelease = body.prerelease as boolean;
  if (body.make_latest !== undefined)
    fields.makeLatest = body.make_latest as UpdateReleaseFields['makeLatest'];
  return { status: 200, json: renderRelease(env.origins, env.store.updateRelease(release, fields)) };
}

function deleteRelease(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${RELEASES_DOCS}#delete-a-release`;
  env.store.deleteRelease(
    visibleRelease(visibleRepo(env, request, params, docs), request, params.release_id!, docs),
  );
  return { status: 204 };
}

function listAssets(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${ASSETS_DOCS}#list-release-assets`;
  const repo = visibleRepo(env, request, params, docs);
  const release = visibleRelease(repo, request, params.release_id!, docs);
  const assets = [...release.assets.values()].sort((a, b) => a.id - b.id);
  return paged(env, request, `/repositories/${repo.id}/releases/${release.id}/assets`, assets, (asset) =>
    renderAsset(env.origins, asset),
  );
}

function getAsset(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${ASSETS_DOCS}#get-a-release-asset`;
  const asset = visibleAsset(env, visibleRepo(env, request, params, docs), request, params.asset_id!, docs);
  // With Accept: application/octet-stream GitHub redirects to the bytes ("API clients should handle both a
  // 200 or 302 response").
  if ((request.headers.accept ?? '').includes('application/octet-stream')) {
    if (asset.state !== 'uploaded') throw notFound(docs);
    return { status: 302, headers: { location: env.objectUrl(asset) } };
  }
  return { status: 200, json: renderAsset(env.origins, asset) };
}

function updateAsset(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${ASSETS_DOCS}#update-a-release-asset`;
  const asset = visibleAsset(env, visibleRepo(env, request, params, docs), request, params.asset_id!, docs);
  const body = checkBody(request.body ?? {}, { name: 'string', label: 'string', state: 'string' }, [], docs);
  const fields: { name?: string; label?: string } = {};
  if (body.name !== undefined) fields.name = body.name as string;
  if (body.label !== undefined) fields.label = body.label as string;
  return { status: 200, json: renderAsset(env.origins, env.store.updateAsset(asset, fields)) };
}

function deleteAsset(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${ASSETS_DOCS}#delete-a-release-asset`;
  env.store.deleteAsset(
    visibleAsset(env, visibleRepo(env, request, params, docs), request, params.asset_id!, docs),
  );
  return { status: 204 };
}

// https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event: event_type 1-100 characters,
// client_payload an object of at most 10 top-level properties, the whole payload under 64 KB.
const MAX_EVENT_TYPE = 100;
const MAX_PAYLOAD_PROPERTIES = 10;
const MAX_PAYLOAD_BYTES = 64 * 1024;

function createDispatch(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${REPOS_DOCS}#create-a-repository-dispatch-event`;
  const repo = visibleRepo(env, request, params, docs);
  const body = checkBody(
    request.body,
    { event_type: 'string', client_payload: 'object' },
    ['event_type'],
    docs,
    {
      closed: true,
    },
  );
  const eventType = body.event_type as string;
  const payload = (body.client_payload as Record<string, unknown> | undefined) ?? {};
  const reasons: string[] = [];
  if (eventType.length < 1)
    reasons.push(`For 'properties/event_type', "" is too short (minimum is 1 characters).`);
  if (eventType.length > MAX_EVENT_TYPE) {
    reasons.push(
      `For 'properties/event_type', ${JSON.stringify(eventType)} is too long (maximum is ${MAX_EVENT_TYPE} characters).`,
    );
  }
  if (Object.keys(payload).length > MAX_PAYLOAD_PROPERTIES) {
    reasons.push(
      `For 'properties/client_payload', the object has too many properties (maximum is ${MAX_PAYLOAD_PROPERTIES}).`,
    );
  }
  if (Buffer.byteLength(JSON.stringify(payload)) >= MAX_PAYLOAD_BYTES) {
    reasons.push(`For 'properties/client_payload', the payload must be less than 64KB.`);
  }
  if (reasons.length > 0) throw invalidRequest(reasons, docs);
  env.store.recordDispatch(repo, { event_type: eventType, client_payload: structuredClone(payload) });
  return { status: 204 };
}

function tagOf(ref: string, docs: string): string {
  if (!ref.startsWith('tags/')) throw notFound(docs);
  return ref.slice('tags/'.length);
}

function getRef(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${REFS_DOCS}#get-a-reference`;
  const repo = visibleRepo(env, request, params, docs);
  const tag = tagOf(params.ref!, docs);
  const sha = repo.tags.get(tag);
  if (sha === undefined) throw notFound(docs);
  const api = `${env.origins.apiUrl}/repos/${repo.owner}/${repo.name}`;
  return {
    status: 200,
    json: {
      ref: `refs/tags/${tag}`,
      node_id: `REF_${Buffer.from(`${repo.id}:${tag}`).toString('base64url')}`,
      url: `${api}/git/refs/tags/${tag}`,
      object: { sha, type: 'commit', url: `${api}/git/commits/${sha}` },
    },
  };
}

function deleteRef(env: ApiEnvironment, request: ApiRequest, params: Params): ApiReply {
  const docs = `${REFS_DOCS}#delete-a-reference`;
  const repo = visibleRepo(env, request, params, docs);
  const ref = params.ref!;
  if (!ref.startsWith('tags/')) throw new GitHubApiError(422, 'Reference does not exist', docs);
  env.store.deleteTag(repo, ref.slice('tags/'.length));
  return { status: 204 };
}

const ROUTES: Route[] = [
  route('GET', '', getRepo),
  route('GET', '/immutable-releases', getImmutableReleases),
  route('PUT', '/immutable-releases', setImmutableReleases(true)),
  route('DELETE', '/immutable-releases', setImmutableReleases(false)),
  route('GET', '/releases', listReleases),
  route('POST', '/releases', createRelease),
  route('GET', '/releases/latest', getLatestRelease),
  route('GET', '/releases/tags/(?<tag>.+)', getReleaseByTag),
  route('GET', '/releases/assets/(?<asset_id>\\d+)', getAsset),
  route('PATCH', '/releases/assets/(?<asset_id>\\d+)', updateAsset),
  route('DELETE', '/releases/assets/(?<asset_id>\\d+)', deleteAsset),
  route('GET', '/releases/(?<release_id>\\d+)', getRelease),
  route('PATCH', '/releases/(?<release_id>\\d+)', updateRelease),
  route('DELETE', '/releases/(?<release_id>\\d+)', deleteRelease),
  route('GET', '/releases/(?<release_id>\\d+)/assets', listAssets),
  route('POST', '/dispatches', createDispatch),
  route('GET', '/git/ref/(?<ref>.+)', getRef),
  route('DELETE', '/git/refs/(?<ref>.+)', deleteRef),
];

/** The upload endpoint of uploads.github.com. */
export const UPLOAD_PATTERN = new RegExp(`${REPO}/releases/(?<release_id>\\d+)/assets$`);

/** Decodes a route's named groups; undefined when the path does not match. */
export function matchParams(pattern: RegExp, pathname: string): Params | undefined {
  const match = pattern.exec(pathname);
  if (match === null) return undefined;
  const params: Params = {};
  try {
    for (const [key, value] of Object.entries(match.groups ?? {})) params[key] = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  return params;
}

/**
 * Rewrites `/repositories/{id}/…` (the form GitHub's Link headers use) to `/repos/{owner}/{repo}/…`; other
 * paths are returned unchanged.
 */
export function resolveRepositoryPath(store: EmulatorStore, pathname: string): string {
  const match = /^\/repositories\/(\d+)(\/.*)?$/.exec(pathname);
  if (match === null) return pathname;
  const repo = store.findRepoById(Number(match[1]));
  if (repo === undefined) return pathname;
  return `/repos/${repo.owner}/${repo.name}${match[2] ?? ''}`;
}

/** Routes an API request to its handler; unknown routes and methods are GitHub's plain 404. */
export function handleApiRequest(env: ApiEnvironment, request: ApiRequest): ApiReply {
  for (const candidate of ROUTES) {
    if (candidate.method !== request.method) continue;
    const params = matchParams(candidate.pattern, request.pathname);
    if (params !== undefined) return candidate.handle(env, request, params);
  }
  throw notFound();
}
