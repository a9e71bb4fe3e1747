import { createHash } from 'node:crypto';
import { GitHubApiError, validationFailed } from './errors.js';

/** A repository and everything the emulator keeps for it. */
export interface RepoRecord {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  immutableReleases: boolean;
  createdAt: string;
  releases: Map<number, ReleaseRecord>;
  /** Tag name → commit sha. Tags exist once a release is published (drafts create none). */
  tags: Map<string, string>;
  /** Tags of published immutable releases: they can be neither deleted nor reused by another release. */
  lockedTags: Set<string>;
  latestReleaseId: number | undefined;
  dispatches: DispatchRecord[];
}

export interface ReleaseRecord {
  id: number;
  repo: RepoRecord;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  immutable: boolean;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
  assets: Map<number, AssetRecord>;
}

export interface AssetRecord {
  id: number;
  release: ReleaseRecord;
  name: string;
  label: string;
  contentType: string;
  /** `starter` until every byte arrived; GitHub leaves it so when an upload dies. */
  state: 'uploaded' | 'starter';
  size: number;
  sha256: string | null;
  content: Buffer | null;
  downloadCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface DispatchRecord {
  event_type: string;
  client_payload: unknown;
}

export interface CreateReleaseFields {
  tagName: string;
  targetCommitish?: string;
  name?: string;
  body?: string;
  draft: boolean;
  prerelease: boolean;
  makeLatest?: 'true' | 'false' | 'legacy';
}

export interface UpdateReleaseFields {
  tagName?: string;
  targetCommitish?: string;
  name?: string;
  body?: string;
  draft?: boolean;
  prerelease?: boolean;
  makeLatest?: 'true' | 'false' | 'legacy';
}

const RELEASES_DOCS = 'https://docs.github.com/rest/releases/releases';
const ASSETS_DOCS = 'https://docs.github.com/rest/releases/assets';
export const DEFAULT_BRANCH = 'main';

/** Formats a time the way GitHub does: ISO 8601, whole seconds, `Z`. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * GitHub renames asset files with special characters and strips leading/trailing periods (documented on
 * "Upload a release asset"); this approximates it by turning anything outside `[A-Za-z0-9._+-]` into `.`.
 */
export function sanitizeAssetName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+-]/g, '.').replace(/^\.+|\.+$/g, '');
}

/** The in-memory state of the emulated GitHub: repositories, releases, assets, tags and dispatches. */
export class EmulatorStore {
  readonly #repos = new Map<string, RepoRecord>();
  readonly #assets = new Map<number, AssetRecord>();
  #nextRepoId = 1;
  #nextReleaseId = 1;
  #nextAssetId = 1;

  constructor(private readonly now: () => Date) {}

  #timestamp(): string {
    return formatTimestamp(this.now());
  }

  createRepo(
    owner: string,
    name: string,
    options: { immutableReleases?: boolean; private?: boolean },
  ): RepoRecord {
    const key = repoKey(owner, name);
    if (this.#repos.has(key)) throw new Error(`github-emulator: repository ${owner}/${name} already exists`);
    const repo: RepoRecord = {
      id: this.#nextRepoId++,
      owner,
      name,
      private: options.private ?? false,
      immutableReleases: options.immutableReleases ?? false,
      createdAt: this.#timestamp(),
      releases: new Map(),
      tags: new Map(),
      lockedTags: new Set(),
      latestReleaseId: undefined,
      dispatches: [],
    };
    this.#repos.set(key, repo);
    return repo;
  }

  /** GitHub matches owner and repository names case-insensitively. */
  findRepo(owner: string, name: string): RepoRecord | undefined {
    return this.#repos.get(repoKey(owner, name));
  }

  findRepoById(id: number): RepoRecord | undefined {
    return [...this.#repos.values()].find((repo) => repo.id === id);
  }

  findAssetById(id: number): AssetRecord | undefined {
    return this.#assets.get(id);
  }

  findAsset(repo: RepoRecord, id: number): AssetRecord | undefined {
    const asset = this.#assets.get(id);
    return asset !== undefined && asset.release.repo === repo ? asset : undefined;
  }

  /** Newest first, as GitHub lists them; drafts only for callers with push access. */
  listReleases(repo: RepoRecord, includeDrafts: boolean): ReleaseRecord[] {
    return [...repo.releases.values()].filter((r) => includeDrafts || !r.draft).sort((a, b) => b.id - a.id);
  }

  /** The published release for a tag; GitHub's by-tag lookup never returns drafts. */
  findPublishedByTag(repo: RepoRecord, tag: string): ReleaseRecord | undefined {
    return [...repo.releases.values()].find((r) => !r.draft && r.tagName === tag);
  }

  latestRelease(repo: RepoRecord): ReleaseRecord | undefined {
    const marked = repo.latestReleaseId === undefined ? undefined : repo.releases.get(repo.latestReleaseId);
    if (marked !== undefined && !marked.draft && !marked.prerelease) return marked;
    return this.listReleases(repo, false).find((r) => !r.prerelease);
  }

  createRelease(repo: RepoRecord, fields: CreateReleaseFields): ReleaseRecord {
    if (fields.tagName.trim() === '') {
      throw validationFailed(
        { resource: 'Release', code: 'invalid', field: 'tag_name' },
        `${RELEASES_DOCS}#create-a-release`,
      );
    }
    if (!fields.draft)
      this.#checkPublishable(repo, fields.tagName, undefined, `${RELEASES_DOCS}#create-a-release`);
    const now = this.#timestamp();
    const release: ReleaseRecord = {
      id: this.#nextReleaseId++,
      repo,
      tagName: fields.tagName,
      targetCommitish: fields.targetCommitish ?? DEFAULT_BRANCH,
      name: fields.name ?? null,
      body: fields.body ?? null,
      draft: fields.draft,
      prerelease: fields.prerelease,
      immutable: false,
      createdAt: now,
      updatedAt: now,
      publishedAt: null,
      assets: new Map(),
    };
    repo.releases.set(release.id, release);
    if (!fields.draft) this.#publish(release, fields.makeLatest);
    return release;
  }

  updateRelease(release: ReleaseRecord, fields: UpdateReleaseFields): ReleaseRecord {
    const docs = `${RELEASES_DOCS}#update-a-release`;
    const repo = release.repo;
    if (release.immutable) {
      // Immutable releases: "Only release title and notes can be modified" (GitHub's release page).
      const refuse = (what: string): never => {
        throw validationFailed(
          {
            resource: 'Release',
            code: 'custom',
            message: `${what} cannot be changed when release is immutable`,
          },
          docs,
        );
      };
      if (fields.draft === true) refuse('state');
      if (fields.tagName !== undefined && fields.tagName !== release.tagName) refuse('tag_name');
      if (fields.targetCommitish !== undefined && fields.targetCommitish !== release.targetCommitish) {
        refuse('target_commitish');
      }
      if (fields.prerelease !== undefined && fields.prerelease !== release.prerelease) refuse('prerelease');
    }
    const tagName = fields.tagName ?? release.tagName;
    if (tagName.trim() === '') {
      throw validationFailed({ resource: 'Release', code: 'invalid', field: 'tag_name' }, docs);
    }
    const willBeDraft = fields.draft ?? release.draft;
    if (!willBeDraft && (release.draft || tagName !== release.tagName)) {
      this.#checkPublishable(repo, tagName, release, docs);
    }
    release.tagName = tagName;
    if (fields.targetCommitish !== undefined) release.targetCommitish = fields.targetCommitish;
    if (fields.name !== undefined) release.name = fields.name;
    if (fields.body !== undefined) release.body = fields.body;
    if (fields.prerelease !== undefined) release.prerelease = fields.prerelease;
    release.updatedAt = this.#timestamp();
    if (release.draft && !willBeDraft) {
      release.draft = false;
      this.#publish(release, fields.makeLatest);
    } else if (!release.draft && willBeDraft) {
      release.draft = true;
      release.publishedAt = null;
      if (repo.latestReleaseId === release.id) repo.latestReleaseId = undefined;
    } else if (!release.draft) {
      this.#ensureTag(release);
      if (release.prerelease && repo.latestReleaseId === release.id) repo.latestReleaseId = undefined;
      if (!release.prerelease && fields.makeLatest === 'true') repo.latestReleaseId = release.id;
    }
    return release;
  }

  /** Deletes the release and its assets; like GitHub, the tag stays. */
  deleteRelease(release: ReleaseRecord): void {
    for (const asset of release.assets.values()) this.#assets.delete(asset.id);
    release.repo.releases.delete(release.id);
    if (release.repo.latestReleaseId === release.id) release.repo.latestReleaseId = undefined;
  }

  /**
   * Registers an upload as a `starter` asset before its bytes arrive, the record GitHub leaves behind when
   * the connection dies. Refuses immutable releases and names already taken (even by a starter).
   */
  beginUpload(release: ReleaseRecord, rawName: string, label: string, contentType: string): AssetRecord {
    if (release.immutable) {
      throw new GitHubApiError(422, 'Cannot upload assets to an immutable release.');
    }
    const name = sanitizeAssetName(rawName);
    if (name === '') {
      throw validationFailed(
        { resource: 'ReleaseAsset', code: 'invalid', field: 'name' },
        'https://docs.github.com/rest',
      );
    }
    if ([...release.assets.values()].some((asset) => asset.name === name)) {
      throw validationFailed(
        { resource: 'ReleaseAsset', code: 'already_exists', field: 'name' },
        'https://docs.github.com/rest',
      );
    }
    const now = this.#timestamp();
    const asset: AssetRecord = {
      id: this.#nextAssetId++,
      release,
      name,
      label,
      contentType,
      state: 'starter',
      size: 0,
      sha256: null,
      content: null,
      downloadCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    release.assets.set(asset.id, asset);
    this.#assets.set(asset.id, asset);
    return asset;
  }

  completeUpload(asset: AssetRecord, content: Buffer, sha256: string): void {
    asset.state = 'uploaded';
    asset.content = content;
    asset.size = content.length;
    asset.sha256 = sha256;
    asset.updatedAt = this.#timestamp();
  }

  updateAsset(asset: AssetRecord, fields: { name?: string; label?: string }): AssetRecord {
    const docs = `${ASSETS_DOCS}#update-a-release-asset`;
    if (asset.release.immutable && asset.state === 'uploaded') {
      throw new GitHubApiError(422, 'Cannot modify assets of an immutable release.', docs);
    }
    if (fields.name !== undefined) {
      const name = sanitizeAssetName(fields.name);
      const taken = [...asset.release.assets.values()].some(
        (other) => other !== asset && other.name === name,
      );
      if (name === '' || taken) {
        throw validationFailed(
          { resource: 'ReleaseAsset', code: name === '' ? 'invalid' : 'already_exists', field: 'name' },
          docs,
        );
      }
      asset.name = name;
    }
    if (fields.label !== undefined) asset.label = fields.label;
    asset.updatedAt = this.#timestamp();
    return asset;
  }

  deleteAsset(asset: AssetRecord): void {
    if (asset.release.immutable && asset.state === 'uploaded') {
      throw new GitHubApiError(
        422,
        'Cannot delete assets from an immutable release.',
        `${ASSETS_DOCS}#delete-a-release-asset`,
      );
    }
    asset.release.assets.delete(asset.id);
    this.#assets.delete(asset.id);
  }

  /**
   * Deletes a tag ref. A locked tag (published immutable release) is refused; published releases that used
   * the tag turn back into drafts, as GitHub shows them once their tag is gone.
   */
  deleteTag(repo: RepoRecord, tag: string): void {
    const docs = 'https://docs.github.com/rest/git/refs#delete-a-reference';
    if (!repo.tags.has(tag)) throw new GitHubApiError(422, 'Reference does not exist', docs);
    if (repo.lockedTags.has(tag)) {
      throw new GitHubApiError(
        422,
        'Repository rule violations found\n\nCannot delete this tag. The tag is permanently locked.\n\n',
        docs,
      );
    }
    repo.tags.delete(tag);
    for (const release of repo.releases.values()) {
      if (!release.draft && release.tagName === tag) {
        release.draft = true;
        release.publishedAt = null;
        if (repo.latestReleaseId === release.id) repo.latestReleaseId = undefined;
      }
    }
  }

  recordDispatch(repo: RepoRecord, dispatch: DispatchRecord): void {
    repo.dispatches.push(dispatch);
  }

  #checkPublishable(repo: RepoRecord, tag: string, self: ReleaseRecord | undefined, docs: string): void {
    const holder = this.findPublishedByTag(repo, tag);
    if (holder !== undefined && holder !== self) {
      throw validationFailed({ resource: 'Release', code: 'already_exists', field: 'tag_name' }, docs);
    }
    if (repo.lockedTags.has(tag)) {
      // The tag of a deleted immutable release is burned for good (GitHub's immutable-releases docs).
      throw validationFailed(
        {
          resource: 'Release',
          code: 'custom',
          field: 'tag_name',
          message: 'tag_name was used by an immutable release',
        },
        docs,
      );
    }
  }

  #publish(release: ReleaseRecord, makeLatest: 'true' | 'false' | 'legacy' | undefined): void {
    const repo = release.repo;
    release.publishedAt = this.#timestamp();
    release.updatedAt = release.publishedAt;
    this.#ensureTag(release);
    if (repo.immutableReleases) {
      release.immutable = true;
      repo.lockedTags.add(release.tagName);
    }
    if (!release.prerelease && makeLatest !== 'false') repo.latestReleaseId = release.id;
  }

  #ensureTag(release: ReleaseRecord): void {
    const repo = release.repo;
    if (!repo.tags.has(release.tagName)) {
      const sha = createHash('sha1')
        .update(`${repo.id}:${release.tagName}:${release.targetCommitish}`)
        .digest('hex');
      repo.tags.set(release.tagName, sha);
    }
  }
}

function repoKey(owner: string, name: string): string {
  return `${owner}/${name}`.toLowerCase();
}
