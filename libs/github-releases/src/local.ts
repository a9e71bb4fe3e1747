import { copyFile, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  PackyardError,
  produceAtomically,
  removeStaleTemporaries,
  sha256File,
  writeFileAtomically,
} from '@packyard/core';
import type { Release, ReleaseAsset, ReleaseStore } from './store.js';

// What release.json holds: the release without what is read from the directory.
type ReleaseRecord = Omit<Release, 'immutable' | 'assets'>;

export interface LocalReleaseStoreOptions {
  /** The directory that stands in for a repository's releases. */
  dir: string;
  /** Emulates GitHub's immutable releases: a final release refuses new or deleted assets. */
  immutable?: boolean;
}

const RECORD = 'release.json';
const ASSETS = 'assets';
const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * The embedded default release store: one directory per tag, holding `release.json` and `assets/`.
 * Asset digests are computed from the stored files, so the directory itself is the record.
 * Download URLs are file:// URLs, which Hermit and pip can read.
 */
export function createLocalReleaseStore(options: LocalReleaseStoreOptions): ReleaseStore {
  const root = resolve(options.dir);
  const immutable = options.immutable ?? false;
  const releaseDir = (tag: string) => join(root, checkTag(tag));

  async function readRecord(tag: string): Promise<ReleaseRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(releaseDir(tag), RECORD), 'utf8')) as ReleaseRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new PackyardError('STORE_FAILED', `cannot read release "${tag}": ${(error as Error).message}`, {
        file: join(releaseDir(tag), RECORD),
        cause: error,
      });
    }
  }

  async function readAssets(tag: string): Promise<ReleaseAsset[]> {
    const dir = join(releaseDir(tag), ASSETS);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const assets: ReleaseAsset[] = [];
    for (const name of names.sort()) {
      // A temporary file is an upload that was interrupted; it is not an asset.
      if (name.includes('.tmp-')) continue;
      const path = join(dir, name);
      const info = await stat(path);
      assets.push({
        id: `${tag}/${name}`,
        name,
        size: info.size,
        sha256: await sha256File(path),
        state: 'uploaded',
        downloadUrl: downloadUrl(tag, name),
      });
    }
    return assets;
  }

  async function toRelease(record: ReleaseRecord): Promise<Release> {
    const final = !record.draft && !record.prerelease;
    return { ...record, immutable: immutable && final, assets: await readAssets(record.tag) };
  }

  // Plain concatenation, not validation: callers also build URL templates such as Hermit's
  // `<pkg>-v${version}`, which must come through unencoded.
  const rootUrl = pathToFileURL(root).href;
  function downloadUrl(tag: string, assetName: string): string {
    return `${rootUrl}/${tag}/${ASSETS}/${assetName}`;
  }

  async function writeRecord(record: ReleaseRecord): Promise<void> {
    await writeFileAtomically(join(releaseDir(record.tag), RECORD), `${JSON.stringify(record, null, 2)}\n`);
  }

  function refuseIfImmutable(release: Release, what: string): void {
    if (release.immutable) {
      throw new PackyardError(
        'STORE_FAILED',
        `release "${release.tag}" is published and immutable: cannot ${what}`,
        {
          field: release.tag,
          hint: 'use draft mode, which publishes a release only once all its assets are uploaded',
        },
      );
    }
  }

  const store: ReleaseStore = {
    kind: 'local',
    location: root,
    repositoryUrl: undefined,
    downloadUrl,

    async listReleases() {
      let entries: string[];
      try {
        entries = await readdir(root);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const releases: Release[] = [];
      for (const tag of entries.sort()) {
        if (!TAG_PATTERN.test(tag)) continue;
        const record = await readRecord(tag);
        if (record) releases.push(await toRelease(record));
      }
      return releases;
    },

    async getRelease(tag) {
      const record = await readRecord(tag);
      return record ? toRelease(record) : undefined;
    },

    async createRelease(input) {
      if (await readRecord(input.tag)) {
        throw new PackyardError('STORE_CONFLICT', `release "${input.tag}" already exists`, {
          field: input.tag,
        });
      }
      const record: ReleaseRecord = {
        id: input.tag,
        tag: input.tag,
        name: input.name ?? input.tag,
        body: input.body,
        draft: input.draft,
        prerelease: input.prerelease,
      };
      await writeRecord(record);
      return toRelease(record);
    },

    async updateRelease(release, patch) {
      const record = await readRecord(release.tag);
      if (!record)
        throw new PackyardError('STORE_FAILED', `release "${release.tag}" does not exist`, {
          field: release.tag,
        });
      const next: ReleaseRecord = {
        ...record,
        ...(patch.body === undefined ? {} : { body: patch.body }),
        ...(patch.draft === undefined ? {} : { draft: patch.draft }),
        ...(patch.prerelease === undefined ? {} : { prerelease: patch.prerelease }),
      };
      await writeRecord(next);
      return toRelease(next);
    },

    async deleteRelease(release) {
      // Rename first so a reader never sees a release with half its assets gone.
      const dir = releaseDir(release.tag);
      const doomed = join(root, `.deleting-${release.tag}-${process.pid}-${Date.now().toString(36)}`);
      try {
        await rename(dir, doomed);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      await rm(doomed, { recursive: true, force: true });
    },

    async uploadAsset(release, file) {
      refuseIfImmutable(release, `upload "${file.name}"`);
      const target = join(releaseDir(release.tag), ASSETS, checkAssetName(file.name));
      await removeStaleTemporaries(dirname(target)); // an upload killed half-way
      await produceAtomically(target, (tmp) => copyFile(file.path, tmp));
      const info = await stat(target);
      return {
        id: `${release.tag}/${file.name}`,
        name: file.name,
        size: info.size,
        sha256: await sha256File(target),
        state: 'uploaded',
        downloadUrl: downloadUrl(release.tag, file.name),
      };
    },

    // The copy goes to a temporary file renamed over the old one: readers see old or new bytes, never none.
    async replaceAsset(release, _existing, file) {
      return store.uploadAsset(release, file);
    },

    async deleteAsset(release, asset) {
      refuseIfImmutable(release, `delete "${asset.name}"`);
      await rm(join(releaseDir(release.tag), ASSETS, checkAssetName(asset.name)), { force: true });
    },

    async fetchImmutableReleases() {
      return immutable;
    },
  };
  return store;
}

function checkTag(tag: string): string {
  if (!TAG_PATTERN.test(tag)) {
    throw new PackyardError('STORE_FAILED', `"${tag}" is not a valid release tag`, { value: tag });
  }
  return tag;
}

function checkAssetName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) {
    throw new PackyardError('STORE_FAILED', `"${name}" is not a valid asset name`, { value: name });
  }
  return name;
}
