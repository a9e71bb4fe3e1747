/**
 * A release store: GitHub releases, or a local directory standing in for them. Every pipeline talks
 * to this interface only, so the GitHub backend and the local default are interchangeable.
 */

/** An asset as the destination reports it. `sha256` is read from the destination, never from a note. */
export interface ReleaseAsset {
  id: string;
  name: string;
  size: number;
  /** Lowercase hex sha256 of the stored bytes, or undefined when the destination cannot say. */
  sha256: string | undefined;
  /** `starter` is an upload that never finished (GitHub's name); it must be deleted and redone. */
  state: 'uploaded' | 'starter';
  downloadUrl: string;
}

export interface Release {
  id: string;
  tag: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  /** Published releases of a repository with immutable releases take no more assets. */
  immutable: boolean;
  assets: ReleaseAsset[];
}

export interface CreateReleaseInput {
  tag: string;
  name?: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
}

export interface UpdateReleaseInput {
  body?: string;
  draft?: boolean;
  prerelease?: boolean;
  makeLatest?: boolean;
}

export interface AssetFile {
  name: string;
  path: string;
  sha256: string;
  size: number;
}

export interface ReleaseStore {
  readonly kind: 'local' | 'github';
  /** Where releases live, for messages: a directory or `owner/name`. */
  readonly location: string;
  /** The repository's web URL, for the Hermit manifest's `repository`; undefined for a local store. */
  readonly repositoryUrl: string | undefined;
  /** Every release, drafts and prereleases included. */
  listReleases(): Promise<Release[]>;
  /** One release by tag, drafts included; undefined when there is none. */
  getRelease(tag: string): Promise<Release | undefined>;
  createRelease(input: CreateReleaseInput): Promise<Release>;
  updateRelease(release: Release, patch: UpdateReleaseInput): Promise<Release>;
  /** Deletes the release and its tag. */
  deleteRelease(release: Release): Promise<void>;
  uploadAsset(release: Release, file: AssetFile): Promise<ReleaseAsset>;
  deleteAsset(release: Release, asset: ReleaseAsset): Promise<void>;
  /**
   * Puts `file` in place of `existing` so that the old bytes stay downloadable until the new ones are
   * uploaded and verified (a store without it is replaced by delete + upload).
   */
  replaceAsset?(release: Release, existing: ReleaseAsset, file: AssetFile): Promise<ReleaseAsset>;
  /** The public URL an asset is downloaded from once the release is published. */
  downloadUrl(tag: string, assetName: string): string;
  /** Whether published releases refuse new assets (GitHub's immutable releases setting). */
  fetchImmutableReleases(): Promise<boolean>;
}

/** A release is final when it is neither a draft nor a prerelease. */
export function isFinalRelease(release: Pick<Release, 'draft' | 'prerelease'>): boolean {
  return !release.draft && !release.prerelease;
}
