import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { PackyardError, redactSecrets, registerSecret, writeFileAtomically } from '@packyard/core';
import type { Release, ReleaseAsset, ReleaseStore } from './store.js';

const PackyardOctokit = Octokit.plugin(throttling, retry);
type Client = InstanceType<typeof PackyardOctokit>;

export interface GithubReleaseStoreOptions {
  /** `owner/name`. */
  repository: string;
  token: string | undefined;
  /** REST API base: https://api.github.com, `https://<host>/api/v3` for Enterprise, or an emulator. */
  apiUrl?: string;
  fetch?: typeof fetch;
  /** Where listing ETags are kept between runs, so an unchanged listing costs no rate limit. */
  cacheDir?: string;
  /** Pause between writes (3× for writes that notify); GitHub asks integrators to space them out. */
  writeIntervalMs?: number;
  /** Multiplies the retry and rate-limit back-off (1000 = seconds); tests make it small. */
  retryBaseMs?: number;
  log?: (message: string) => void;
}

/** Reads the token the way `gh` and Actions provide it. The factory is the only place env is read. */
export function readGithubToken(env: Record<string, string | undefined> = process.env): string | undefined {
  return env.GITHUB_TOKEN || env.GH_TOKEN || undefined;
}

interface GhAsset {
  id: number;
  name: string;
  size: number;
  state: string;
  digest?: string | null;
  browser_download_url: string;
}
interface GhRelease {
  id: number;
  tag_name: string;
  name: string | null;
  body?: string | null;
  draft: boolean;
  prerelease: boolean;
  immutable?: boolean;
  upload_url: string;
  assets: GhAsset[];
}

interface PageCache {
  etag: string;
  releases: GhRelease[];
  hasNext: boolean;
}

const SIDECAR = '.sha256';

/**
 * The ReleaseStore on GitHub releases, through Octokit with throttling (writes spaced out, rate
 * limits and secondary limits waited out) and retries (5xx, network errors, `Retry-After`).
 * Asset digests come from GitHub's `digest` field, or from a `<asset>.sha256` sidecar on servers that
 * do not report one. Fails at once, before any request, without a token.
 */
export async function createGithubReleaseStore(options: GithubReleaseStoreOptions): Promise<ReleaseStore> {
  const parts = options.repository.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `"${options.repository}" is not a repository of the form owner/name`,
      {
        field: '--repo',
        value: options.repository,
      },
    );
  }
  const [owner, repo] = parts as [string, string];
  if (!options.token) {
    throw new PackyardError(
      'AUTH_MISSING',
      `publishing to GitHub repository ${owner}/${repo} needs a token`,
      {
        hint: 'set GITHUB_TOKEN or GH_TOKEN (with contents: write), or drop --repo to use the local release store',
      },
    );
  }
  registerSecret(options.token);
  const log = options.log ?? (() => {});
  const retryBase = options.retryBaseMs ?? 1000;
  const octokit: Client = new PackyardOctokit({
    auth: options.token,
    baseUrl: options.apiUrl ?? 'https://api.github.com',
    userAgent: 'packyard',
    request: options.fetch ? { fetch: options.fetch } : {},
    log: {
      debug: () => {},
      info: () => {},
      warn: (m: string) => log(redactSecrets(m)),
      // Octokit logs every failed request here. A 304 (a cached listing) and a 404 (the immutable
      // releases probe, a tag with no release) are answers, not trouble; a real failure becomes a
      // typed error anyway.
      error: (m: string) => {
        if (!EXPECTED_STATUS_LINE.test(m)) log(redactSecrets(m));
      },
    },
    retry: {
      retries: 4,
      retryAfterBaseValue: retryBase,
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451],
    },
    throttle: {
      retryAfterBaseValue: retryBase,
      fallbackSecondaryRateRetryAfter: 60,
      // GitHub's guidance: content-creating writes at least 1 s apart, 3 s for those that notify.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeIntervalMs ?? 1000 }),
      notifications: new Bottleneck.Group({
        maxConcurrent: 1,
        minTime: (options.writeIntervalMs ?? 1000) * 3,
      }),
      onRateLimit: (after: number, request: { method: string; url: string }, _o: unknown, count: number) => {
        log(`GitHub rate limit on ${request.method} ${request.url}; retrying in ${after}s`);
        return count < 4;
      },
      onSecondaryRateLimit: (
        after: number,
        request: { method: string; url: string },
        _o: unknown,
        count: number,
      ) => {
        log(`GitHub secondary rate limit on ${request.method} ${request.url}; retrying in ${after}s`);
        return count < 4;
      },
    },
  });

  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw toStoreError(what, error);
    }
  };

  const repoInfo = await call(`reading ${owner}/${repo}`, () =>
    octokit.rest.repos.get({ owner, repo }),
  ).catch((error: PackyardError) => {
    if ((error.cause as { status?: number } | undefined)?.status !== 404) throw error;
    throw new PackyardError('STORE_FAILED', error.message, {
      cause: error.cause,
      field: '--repo',
      value: `${owner}/${repo}`,
      hint: `check --repo ${owner}/${repo}: the repository does not exist, or the token cannot see it (a fine-grained token needs this repository selected)`,
    });
  });
  const htmlUrl = repoInfo.data.html_url;
  const cacheFile = options.cacheDir ? join(options.cacheDir, `github-${owner}-${repo}.json`) : undefined;
  let pages = await readPageCache(cacheFile);
  const sidecars = new Map<string, string>();

  async function fetchAllReleases(): Promise<GhRelease[]> {
    const all: GhRelease[] = [];
    const next: Record<string, PageCache> = {};
    for (let page = 1; ; page += 1) {
      const cached = pages[String(page)];
      let entry: PageCache;
      try {
        const response = await octokit.request('GET /repos/{owner}/{repo}/releases', {
          owner,
          repo,
          per_page: 100,
          page,
          headers: cached ? { 'if-none-match': cached.etag } : {},
        });
        entry = {
          etag: String(response.headers.etag ?? ''),
          releases: response.data as unknown as GhRelease[],
          hasNext: /rel="next"/.test(String(response.headers.link ?? '')),
        };
      } catch (error) {
        // 304: unchanged since the stored ETag, and free of rate limit.
        if (cached && (error as { status?: number }).status === 304) entry = cached;
        else throw toStoreError(`listing releases of ${owner}/${repo}`, error);
      }
      next[String(page)] = entry;
      all.push(...entry.releases);
      if (!entry.hasNext) break;
    }
    pages = next;
    if (cacheFile) await writeFileAtomically(cacheFile, JSON.stringify(pages));
    return all;
  }

  async function toRelease(gh: GhRelease): Promise<Release> {
    const byName = new Map(gh.assets.map((a) => [a.name, a]));
    const assets: ReleaseAsset[] = [];
    for (const asset of gh.assets) {
      if (asset.name.endsWith(SIDECAR) && byName.has(asset.name.slice(0, -SIDECAR.length))) continue;
      assets.push({
        id: String(asset.id),
        name: asset.name,
        size: asset.size,
        sha256: await assetDigest(asset, byName.get(`${asset.name}${SIDECAR}`)),
        state: asset.state === 'uploaded' ? 'uploaded' : 'starter',
        downloadUrl: asset.browser_download_url,
      });
    }
    return {
      id: String(gh.id),
      tag: gh.tag_name,
      name: gh.name ?? gh.tag_name,
      body: gh.body ?? '',
      draft: gh.draft,
      prerelease: gh.prerelease,
      immutable: gh.immutable === true,
      assets: assets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
  }

  async function assetDigest(asset: GhAsset, sidecar: GhAsset | undefined): Promise<string | undefined> {
    const match = /^sha256:([0-9a-f]{64})$/.exec(asset.digest ?? '');
    if (match) return match[1];
    if (!sidecar || sidecar.state !== 'uploaded') return undefined;
    const key = `${sidecar.id}:${sidecar.size}`;
    if (!sidecars.has(key)) {
      const response = await call(`downloading ${sidecar.name}`, () =>
        octokit.request('GET /repos/{owner}/{repo}/releases/assets/{asset_id}', {
          owner,
          repo,
          asset_id: sidecar.id,
          headers: { accept: 'application/octet-stream' },
        }),
      );
      const text = Buffer.from(response.data as unknown as ArrayBuffer).toString('utf8');
      sidecars.set(key, /^([0-9a-f]{64})\b/.exec(text.trim())?.[1] ?? '');
    }
    return sidecars.get(key) || undefined;
  }

  async function findRelease(tag: string): Promise<GhRelease | undefined> {
    // Drafts are invisible to GET /releases/tags/{tag}, so look in the (ETag-cached) listing.
    // Racing creators may leave two drafts with one tag; the oldest wins everywhere.
    const matches = (await fetchAllReleases()).filter((r) => r.tag_name === tag).sort((a, b) => a.id - b.id);
    return matches[0];
  }

  async function fetchRelease(id: string): Promise<GhRelease> {
    const response = await call(`reading release ${id}`, () =>
      octokit.rest.repos.getRelease({ owner, repo, release_id: Number(id) }),
    );
    return response.data as unknown as GhRelease;
  }

  async function uploadOnce(release: Release, name: string, data: Buffer): Promise<GhAsset> {
    const gh = await fetchRelease(release.id);
    const response = await octokit.rest.repos.uploadReleaseAsset({
      owner,
      repo,
      release_id: Number(release.id),
      url: gh.upload_url,
      name,
      data: data as unknown as string,
      headers: { 'content-type': 'application/octet-stream', 'content-length': data.length },
    });
    return response.data as unknown as GhAsset;
  }

  const store: ReleaseStore = {
    kind: 'github',
    location: `${owner}/${repo}`,
    repositoryUrl: htmlUrl,

    downloadUrl(tag, assetName) {
      return `${htmlUrl}/releases/download/${tag}/${assetName}`;
    },

    async listReleases() {
      const seen = new Set<string>();
      const releases: Release[] = [];
      for (const gh of (await fetchAllReleases()).sort((a, b) => a.id - b.id)) {
        if (seen.has(gh.tag_name)) continue;
        seen.add(gh.tag_name);
        releases.push(await toRelease(gh));
      }
      return releases.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    },

    async getRelease(tag) {
      const gh = await findRelease(tag);
      return gh ? toRelease(await fetchRelease(String(gh.id))) : undefined;
    },

    async createRelease(input) {
      let created: GhRelease;
      try {
        created = (
          await octokit.rest.repos.createRelease({
            owner,
            repo,
            tag_name: input.tag,
            name: input.name ?? input.tag,
            body: input.body,
            draft: input.draft,
            prerelease: input.prerelease,
            make_latest: 'false',
          })
        ).data as unknown as GhRelease;
      } catch (error) {
        // Another runner created it first (the tag exists): use theirs.
        if (isAlreadyExists(error)) {
          const existing = await findRelease(input.tag);
          if (existing) return toRelease(existing);
        }
        throw toStoreError(`creating release ${input.tag}`, error);
      }
      // Drafts do not reserve their tag, so racing runners can each create one. Every racer keeps the
      // oldest and deletes its own if it lost; all converge on one release.
      const winner = await findRelease(input.tag);
      if (winner && winner.id !== created.id) {
        log(`release ${input.tag} was created concurrently; keeping release ${winner.id}`);
        await call(`deleting duplicate release ${created.id}`, () =>
          octokit.rest.repos.deleteRelease({ owner, repo, release_id: created.id }),
        );
        return toRelease(winner);
      }
      return toRelease(created);
    },

    async updateRelease(release, patch) {
      const response = await call(`updating release ${release.tag}`, () =>
        octokit.rest.repos.updateRelease({
          owner,
          repo,
          release_id: Number(release.id),
          ...(patch.body === undefined ? {} : { body: patch.body }),
          ...(patch.draft === undefined ? {} : { draft: patch.draft }),
          ...(patch.prerelease === undefined ? {} : { prerelease: patch.prerelease }),
          ...(patch.makeLatest === undefined ? {} : { make_latest: patch.makeLatest ? 'true' : 'false' }),
        }),
      );
      return toRelease(response.data as unknown as GhRelease);
    },

    async deleteRelease(release) {
      await call(`deleting release ${release.tag}`, async () => {
        try {
          await octokit.rest.repos.deleteRelease({ owner, repo, release_id: Number(release.id) });
        } catch (error) {
          if ((error as { status?: number }).status !== 404) throw error;
        }
      });
      await call(`deleting tag ${release.tag}`, async () => {
        try {
          await octokit.rest.git.deleteRef({ owner, repo, ref: `tags/${release.tag}` });
        } catch (error) {
          // A draft never had a tag; 422 "Reference does not exist" is GitHub's answer then.
          if (![404, 422].includes((error as { status?: number }).status ?? 0)) throw error;
        }
      });
    },

    async uploadAsset(release, file) {
      const data = await readFile(file.path);
      const what = `uploading ${file.name} to ${release.tag}`;
      let uploaded: GhAsset;
      try {
        uploaded = await uploadOnce(release, file.name, data);
      } catch (error) {
        if (!isAlreadyExists(error)) throw toStoreError(what, error);
        // A retried upload whose first attempt got through, or died half-way (state "starter").
        const gh = await fetchRelease(release.id);
        const existing = gh.assets.find((a) => a.name === file.name);
        if (!existing) throw toStoreError(what, error);
        const digest = await assetDigest(
          existing,
          gh.assets.find((a) => a.name === `${file.name}${SIDECAR}`),
        );
        if (existing.state === 'uploaded' && digest === file.sha256)
          return (await toRelease(gh)).assets.find((a) => a.name === file.name)!;
        if (existing.state === 'uploaded') {
          throw new PackyardError(
            'STORE_CONFLICT',
            `asset "${file.name}" already exists with sha256 ${digest}, but the new file has ${file.sha256}`,
            {
              field: `${release.tag}/${file.name}`,
              hint: 'pass --replace to replace it',
            },
          );
        }
        await call(`deleting unfinished ${file.name}`, () =>
          octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: existing.id }),
        );
        uploaded = await call(what, () => uploadOnce(release, file.name, data));
      }
      if (!/^sha256:/.test(uploaded.digest ?? '')) {
        // This server does not report digests: record ours next to the asset (GoReleaser's format).
        const sidecar = Buffer.from(`${file.sha256}  ${file.name}\n`);
        await call(`uploading ${file.name}${SIDECAR}`, () =>
          uploadOnce(release, `${file.name}${SIDECAR}`, sidecar),
        );
      }
      // Verify against what GitHub says it received, and against what we read.
      const received = /^sha256:([0-9a-f]{64})$/.exec(uploaded.digest ?? '')?.[1];
      const sent = createHash('sha256').update(data).digest('hex');
      if (sent !== file.sha256 || (received !== undefined && received !== file.sha256)) {
        throw new PackyardError(
          'VERIFY_FAILED',
          `${file.name} in ${release.tag}: expected sha256 ${file.sha256}, read ${sent}, GitHub received ${received ?? 'unknown'}`,
          {
            file: file.path,
            hint: 'the file changed during the upload or was corrupted in transit; run again',
          },
        );
      }
      return {
        id: String(uploaded.id),
        name: uploaded.name,
        size: uploaded.size,
        sha256: /^sha256:([0-9a-f]{64})$/.exec(uploaded.digest ?? '')?.[1] ?? file.sha256,
        state: uploaded.state === 'uploaded' ? 'uploaded' : 'starter',
        downloadUrl: uploaded.browser_download_url,
      };
    },

    // GitHub has one asset per name and no swap: the new bytes are uploaded and verified under a
    // staging name first, and only then is the old asset deleted and the new one renamed into place.
    async replaceAsset(release, existing, file) {
      const staging = `${file.name}${STAGING}`;
      await store.deleteAsset(release, { ...existing, name: staging }); // debris of a killed run
      await store.uploadAsset(release, { ...file, name: staging });
      await store.deleteAsset(release, existing);
      const gh = await fetchRelease(release.id);
      for (const candidate of gh.assets.filter(
        (a) => a.name === staging || a.name === `${staging}${SIDECAR}`,
      )) {
        const name = candidate.name === staging ? file.name : `${file.name}${SIDECAR}`;
        await call(`renaming ${candidate.name} to ${name} in ${release.tag}`, () =>
          octokit.rest.repos.updateReleaseAsset({ owner, repo, asset_id: candidate.id, name }),
        );
      }
      const replaced = (await toRelease(await fetchRelease(release.id))).assets.find(
        (a) => a.name === file.name,
      );
      if (!replaced || replaced.sha256 !== file.sha256) {
        throw new PackyardError(
          'VERIFY_FAILED',
          `${file.name} in ${release.tag}: expected sha256 ${file.sha256} after the replacement, found ${replaced?.sha256 ?? 'no asset'}`,
          { file: file.path, hint: 'run again: the replacement is redone from the staging copy' },
        );
      }
      return replaced;
    },

    async deleteAsset(release, asset) {
      const gh = await fetchRelease(release.id);
      for (const candidate of gh.assets.filter(
        (a) => a.name === asset.name || a.name === `${asset.name}${SIDECAR}`,
      )) {
        await call(`deleting ${candidate.name} from ${release.tag}`, () =>
          octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: candidate.id }),
        );
      }
    },

    async fetchImmutableReleases() {
      try {
        const response = await octokit.request('GET /repos/{owner}/{repo}/immutable-releases', {
          owner,
          repo,
        });
        return (response.data as { enabled?: boolean }).enabled === true;
      } catch (error) {
        // 404 is GitHub's answer when immutable releases are off.
        if ((error as { status?: number }).status === 404) return false;
        throw toStoreError(`reading the immutable releases setting of ${owner}/${repo}`, error);
      }
    },
  };
  return store;
}

/** Octokit's request-log line for an expected answer: `GET /repos/o/r/… - 404 with id … in 3ms`. */
const EXPECTED_STATUS_LINE = /^[A-Z]+ \S+ - (304|404) with id /;

/** The suffix a replacement is uploaded under before it takes the old asset's name. */
const STAGING = '.replacing';

function isAlreadyExists(error: unknown): boolean {
  const e = error as { status?: number; response?: { data?: { errors?: Array<{ code?: string }> } } };
  return e.status === 422 && (e.response?.data?.errors ?? []).some((x) => x.code === 'already_exists');
}

function toStoreError(what: string, error: unknown): PackyardError {
  if (error instanceof PackyardError) return error;
  const e = error as { status?: number; message?: string };
  const status = e.status ? ` (HTTP ${e.status})` : '';
  const code = e.status === 401 ? 'AUTH_MISSING' : 'STORE_FAILED';
  return new PackyardError(code, `GitHub: ${what} failed${status}: ${e.message ?? String(error)}`, {
    cause: error,
    ...(e.status === 401 ? { hint: 'the token was refused; check GITHUB_TOKEN / GH_TOKEN' } : {}),
  });
}

async function readPageCache(file: string | undefined): Promise<Record<string, PageCache>> {
  if (!file) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, PageCache>;
  } catch {
    return {};
  }
}
