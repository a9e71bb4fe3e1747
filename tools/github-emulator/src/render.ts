import { createHash } from 'node:crypto';
import { DEFAULT_BRANCH, type AssetRecord, type ReleaseRecord, type RepoRecord } from './model.js';

/** The three origins the emulator serves, standing for api.github.com, uploads.github.com and github.com. */
export interface Origins {
  apiUrl: string;
  uploadsUrl: string;
  webUrl: string;
}

/** The account every accepted token authenticates as. */
export const EMULATOR_USER = { login: 'packyard-emulator', id: 1 } as const;

function nodeId(prefix: string, id: number): string {
  return `${prefix}_${Buffer.from(`${prefix}:${id}`).toString('base64url')}`;
}

/** A `simple-user` object, with every field the OpenAPI schema requires. */
export function renderUser(
  origins: Origins,
  login: string,
  id: number,
  type: 'User' | 'Organization',
): object {
  const api = `${origins.apiUrl}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId(type === 'User' ? 'U' : 'O', id),
    avatar_url: `${origins.webUrl}/avatars/u/${id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `${origins.webUrl}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

function renderEmulatorUser(origins: Origins): object {
  return renderUser(origins, EMULATOR_USER.login, EMULATOR_USER.id, 'User');
}

function renderOwner(origins: Origins, repo: RepoRecord): { owner: object; isOrganization: boolean } {
  const isOrganization = repo.owner.toLowerCase() !== EMULATOR_USER.login;
  // Owners get ids far from the emulator user's so the two never collide.
  const ownerId = isOrganization ? 100_000 + repo.id : EMULATOR_USER.id;
  return {
    owner: renderUser(origins, repo.owner, ownerId, isOrganization ? 'Organization' : 'User'),
    isOrganization,
  };
}

/** A `full-repository` object, keyed like the recorded `get-repository` fixture. */
export function renderRepo(origins: Origins, repo: RepoRecord, withPermissions: boolean): object {
  const full = `${repo.owner}/${repo.name}`;
  const api = `${origins.apiUrl}/repos/${full}`;
  const web = `${origins.webUrl}/${full}`;
  const { owner, isOrganization } = renderOwner(origins, repo);
  const lastRelease = [...repo.releases.values()].reduce(
    (latest, r) => (r.updatedAt > latest ? r.updatedAt : latest),
    repo.createdAt,
  );
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: full,
    private: repo.private,
    owner,
    html_url: web,
    description: null,
    fork: false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: repo.createdAt,
    updated_at: lastRelease,
    pushed_at: lastRelease,
    git_url: `${web.replace(/^https?:/, 'git:')}.git`,
    ssh_url: `git@${new URL(origins.webUrl).host}:${full}.git`,
    clone_url: `${web}.git`,
    svn_url: web,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? 'private' : 'public',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: DEFAULT_BRANCH,
    ...(withPermissions
      ? {
          permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
          temp_clone_token: '',
          allow_squash_merge: true,
          allow_merge_commit: true,
          allow_rebase_merge: true,
          allow_auto_merge: false,
          delete_branch_on_merge: false,
          allow_update_branch: false,
          use_squash_pr_title_as_default: false,
        }
      : {}),
    ...(isOrganization ? { organization: owner } : {}),
    network_count: 0,
    subscribers_count: 0,
  };
}

/** Drafts have no tag yet; GitHub gives them an `untagged-<hash>` path on the web. */
function webTag(release: ReleaseRecord): string {
  if (!release.draft) return release.tagName;
  const hash = createHash('sha1').update(`draft:${release.repo.id}:${release.id}`).digest('hex').slice(0, 20);
  return `untagged-${hash}`;
}

function encodePathKeepingSlashes(value: string): string {
  return value.split('/').map(encodeURIComponent).join('/');
}

/** Where an asset is downloaded from on the web origin. */
export function renderDownloadUrl(origins: Origins, asset: AssetRecord): string {
  const repo = asset.release.repo;
  const tag = encodePathKeepingSlashes(webTag(asset.release));
  return `${origins.webUrl}/${repo.owner}/${repo.name}/releases/download/${tag}/${encodeURIComponent(asset.name)}`;
}

/** A `release-asset` object; `digest` is `sha256:<hex>` once uploaded, null for a `starter`. */
export function renderAsset(origins: Origins, asset: AssetRecord): object {
  const repo = asset.release.repo;
  return {
    url: `${origins.apiUrl}/repos/${repo.owner}/${repo.name}/releases/assets/${asset.id}`,
    id: asset.id,
    node_id: nodeId('RA', asset.id),
    name: asset.name,
    label: asset.label,
    uploader: renderEmulatorUser(origins),
    content_type: asset.contentType,
    state: asset.state,
    size: asset.size,
    digest: asset.sha256 === null ? null : `sha256:${asset.sha256}`,
    download_count: asset.downloadCount,
    created_at: asset.createdAt,
    updated_at: asset.updatedAt,
    browser_download_url: renderDownloadUrl(origins, asset),
  };
}

/** A `release` object with its assets (uploaded and starter), oldest asset first. */
export function renderRelease(origins: Origins, release: ReleaseRecord): object {
  const repo = release.repo;
  const api = `${origins.apiUrl}/repos/${repo.owner}/${repo.name}`;
  const tagInPath = encodePathKeepingSlashes(release.tagName);
  return {
    url: `${api}/releases/${release.id}`,
    assets_url: `${api}/releases/${release.id}/assets`,
    upload_url: `${origins.uploadsUrl}/repos/${repo.owner}/${repo.name}/releases/${release.id}/assets{?name,label}`,
    html_url: `${origins.webUrl}/${repo.owner}/${repo.name}/releases/tag/${encodePathKeepingSlashes(webTag(release))}`,
    id: release.id,
    author: renderEmulatorUser(origins),
    node_id: nodeId('RE', release.id),
    tag_name: release.tagName,
    target_commitish: release.targetCommitish,
    name: release.name,
    draft: release.draft,
    immutable: release.immutable,
    prerelease: release.prerelease,
    created_at: release.createdAt,
    updated_at: release.updatedAt,
    published_at: release.publishedAt,
    assets: [...release.assets.values()]
      .sort((a, b) => a.id - b.id)
      .map((asset) => renderAsset(origins, asset)),
    tarball_url: release.draft ? null : `${api}/tarball/${tagInPath}`,
    zipball_url: release.draft ? null : `${api}/zipball/${tagInPath}`,
    body: release.body,
  };
}
