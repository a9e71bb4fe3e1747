import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomically, type Step } from '@packyard/core';
import {
  isFinalRelease,
  planAssetUpload,
  publishAsset,
  renderBodyBlock,
  type Release,
} from '@packyard/github-releases';
import {
  missingPlatforms,
  planAssetInfo,
  planBuildInfo,
  readBuildInfo,
  tarballName,
} from '@packyard/pex-builder';
import type { PackageContext, PackageWork, PipelineOptions, VersionWork } from '../types.js';
import { forEachVersion, planned } from '../versions.js';

/** `publish`: records asset digests in each release body, and publishes the complete ones as planned. */
export const publishStep: Step<PackageContext> = {
  name: 'publish',
  skip: ({ pkg }) =>
    pkg.versions.some((v) => !v.error && v.release !== undefined) ? undefined : 'no release yet',
  run: async ({ options, pkg }) => {
    await forEachVersion(
      options,
      pkg,
      (v) => v.release !== undefined,
      async (v) => {
        // Re-read: truth comes from the store, including assets other runners uploaded.
        let release = await options.store.getRelease(v.tag);
        if (!release) {
          v.release = undefined;
          return;
        }
        const recorded = readBuildInfo(release).info;
        const buildInfo = recorded ?? planBuildInfo(pkg.config, v.version, v.python);
        const complete = missingPlatforms(pkg.name, release, options.platforms).length === 0;
        if (complete) release = await publishChecksums(options, pkg, v, release);
        const body = renderBodyBlock(release.body, {
          build_info: buildInfo,
          asset_info: planAssetInfo(release),
        });
        // Published only as planned, and only once the store holds every platform.
        const publish = complete && planned(v, 'publish');
        const patch = {
          ...(body === release.body ? {} : { body }),
          ...(publish && !isFinalRelease(release) ? { draft: false, prerelease: false } : {}),
        };
        v.release =
          Object.keys(patch).length > 0 ? await options.store.updateRelease(release, patch) : release;
        if (publish && !isFinalRelease(release))
          options.log.info(`${pkg.name} ${v.version}: published ${v.tag}`);
        if (publish) v.performed.push('publish');
      },
    );
  },
};

/** The name of the per-release checksum file (GoReleaser's `<sha256>  <name>` lines). */
export const CHECKSUMS_ASSET = 'checksums.txt';

/**
 * Uploads `checksums.txt` (`<sha256>  <name>` per platform tarball, sorted: GoReleaser's format, which
 * Hermit's sha256-source and `sha256sum -c` read) once every platform is present. A published
 * immutable release takes no more assets, so one published before this file existed keeps going without.
 */
export async function publishChecksums(
  options: PipelineOptions,
  pkg: PackageWork,
  v: VersionWork,
  release: Release,
): Promise<Release> {
  const names = new Set(options.platforms.map((p) => tarballName(pkg.name, p)));
  const lines = release.assets
    .filter((a) => names.has(a.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((a) => `${a.sha256}  ${a.name}\n`);
  const text = lines.join('');
  const sha256 = createHash('sha256').update(text).digest('hex');
  const existing = release.assets.find((a) => a.name === CHECKSUMS_ASSET);
  if (planAssetUpload(existing, { name: CHECKSUMS_ASSET, sha256 }).action === 'skip') return release;
  if (isFinalRelease(release) && options.immutable) {
    options.log.warn(
      `${pkg.name} ${v.version}: ${v.tag} is published and immutable; ${CHECKSUMS_ASSET} not added`,
    );
    return release;
  }
  const file = join(options.distDir, pkg.name, v.version, CHECKSUMS_ASSET);
  await writeFileAtomically(file, text);
  // A changed list (a replaced tarball) replaces the file: it must describe the release as it is.
  await publishAsset(
    options.store,
    release,
    { name: CHECKSUMS_ASSET, path: file, sha256, size: Buffer.byteLength(text) },
    { replace: true },
  );
  return (await options.store.getRelease(v.tag)) ?? release;
}
