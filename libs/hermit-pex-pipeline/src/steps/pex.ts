import { join } from 'node:path';
import { PackyardError, toPackyardError, type Step } from '@packyard/core';
import { isFinalRelease, publishAsset, renderBodyBlock } from '@packyard/github-releases';
import {
  buildPexBundle,
  COMPLETE_PLATFORM_PYTHONS,
  createSerialQueue,
  fillWheelhouse,
  findInterpreter,
  formatPlatform,
  planAssetInfo,
  planSharedBuilds,
  runBounded,
  samePlatform,
  tarballName,
  type BuildInfo,
  type PexBuildInput,
  type Platform,
  type PlatformSupport,
  type Tools,
  type VersionAction,
  type WheelFile,
} from '@packyard/pex-builder';
import type { PackageContext, PackageWork, PipelineOptions, VersionWork } from '../types.js';
import { forEachVersion, plannedBuilds } from '../versions.js';

/** The versions with a `build <platform>` planned on this runner: unpublished, or being rebuilt. */
function toBuild(pkg: PackageWork): VersionWork[] {
  return pkg.versions.filter(
    (v) =>
      !v.error &&
      v.locked &&
      v.release !== undefined &&
      plannedBuilds(v).length > 0 &&
      (!isFinalRelease(v.release) || v.rebuild !== undefined),
  );
}

/** `build <platform>`, `rebuild`: this runner's PEX tarballs, built in parallel and uploaded one at a time. */
export const pexStep: Step<PackageContext> = {
  name: 'pex',
  skip: ({ pkg }) => (toBuild(pkg).length > 0 ? undefined : 'no PEX build planned on this runner'),
  run: async ({ options, pkg }) => {
    const versions = toBuild(pkg);
    const tools = await options.provisionTools();
    // A published release is rebuilt whole and in place, one version at a time (see rebuildPublished).
    await forEachVersion(
      options,
      pkg,
      (v) => versions.includes(v) && v.rebuild !== undefined,
      (v) => rebuildPublished(options, tools, pkg, v, v.rebuild!),
    );
    const fresh = versions.filter((v) => v.rebuild === undefined);
    const jobs = options.jobs ?? 1;
    // First what each version needs (each split reads the index), then every (version, platform)
    // build is independent of the others and runs in parallel, up to `jobs` at once.
    // A group's PEXes are byte-identical (a pure-Python resolve, see planSharedBuilds): the first is
    // built, the others reuse its PEX.
    const builds: Array<{ v: VersionWork; platforms: Platform[]; cross: boolean; findLinks?: string }> = [];
    await runBounded(fresh, jobs, async (v) => {
      try {
        const split = { build: plannedBuilds(v), support: v.split?.support ?? [] };
        // Without a CPython X.Y here, this host's PEX is built like a foreign one, from wheels.
        const hostFromDescription =
          COMPLETE_PLATFORM_PYTHONS.includes(v.python) && (await findInterpreter(v.python)) === undefined;
        const native = split.build.filter((p) => samePlatform(p, options.host) && !hostFromDescription);
        for (const platform of native) builds.push({ v, platforms: [platform], cross: false });
        const cross = split.build.filter((p) => !native.includes(p));
        const groups = planSharedBuilds(split.support, cross);
        // The wheels of every cross-build, downloaded once (and verified) into a wheelhouse: each
        // pex run then resolves offline instead of asking the index again for its platform.
        const findLinks = await crossWheelhouse(options, tools, pkg, v, groups, split.support);
        for (const group of groups) {
          builds.push({ v, platforms: group, cross: true, ...(findLinks ? { findLinks } : {}) });
        }
      } catch (error) {
        v.error = toPackyardError(error);
        options.log.error(`${pkg.name} ${v.version}: ${v.error.format()}`);
      }
    });
    // Back in the versions' order, whatever order the splits finished in.
    builds.sort((a, b) => fresh.indexOf(a.v) - fresh.indexOf(b.v));
    const task = options.progress?.start(
      `${pkg.name} PEX builds`,
      builds.reduce((sum, b) => sum + b.platforms.length, 0),
    );
    // One upload at a time: each reads the release the one before it updated.
    const upload = createSerialQueue();
    await runBounded(builds, jobs, async ({ v, platforms, cross, findLinks }) => {
      let shared: string | undefined;
      for (const platform of platforms) {
        const item = `${pkg.name} ${v.version} ${formatPlatform(platform)}`;
        task?.begin(item);
        try {
          options.log.info(
            `${pkg.name} ${v.version}: building PEX for ${formatPlatform(platform)}${cross ? ' (cross-build)' : ''}${shared ? ` from the ${formatPlatform(platforms[0]!)} PEX (same pure-Python wheels)` : ''}`,
          );
          const bundle = await buildPexBundle(tools, {
            ...pexBuildInput(options, pkg, v, platform, cross),
            ...(shared ? { fromPex: shared } : findLinks ? { findLinks } : {}),
          });
          shared ??= platforms.length > 1 ? bundle.pex : undefined;
          const result = await upload(async () => {
            const published = await publishAsset(
              options.store,
              v.release!,
              {
                name: tarballName(pkg.name, platform),
                path: bundle.tarball,
                sha256: bundle.sha256,
                size: bundle.size,
              },
              { replace: options.replace },
            );
            v.release = (await options.store.getRelease(v.tag)) ?? v.release;
            return published;
          });
          options.log.info(
            `${pkg.name} ${v.version}: ${tarballName(pkg.name, platform)} ${result.action} (sha256 ${bundle.sha256})`,
          );
          task?.done(item, result.action);
          v.performed.push(`build ${formatPlatform(platform)}`);
        } catch (error) {
          // The version fails; its other platforms still build, so a re-run has less to do.
          const failure = toPackyardError(error);
          v.error ??= failure;
          options.log.error(`${pkg.name} ${v.version}: ${failure.format()}`);
          task?.fail(item);
        }
      }
    });
    task?.finish();
  },
};

/**
 * The wheelhouse of a version's cross-builds (`<dist>/<package>/<version>/wheelhouse`), when the
 * plan lists every wheel they may use. Without one (a wheel the index lists without a sha256, or a
 * download that fails), each build asks the index as before.
 */
export async function crossWheelhouse(
  options: PipelineOptions,
  tools: Tools,
  pkg: PackageWork,
  v: VersionWork,
  groups: readonly Platform[][],
  support: readonly PlatformSupport[] | undefined,
): Promise<string | undefined> {
  if (groups.length === 0 || support === undefined) return undefined;
  const wheels = new Map<string, WheelFile>();
  for (const group of groups) {
    const listed = support.find((s) => samePlatform(s.platform, group[0]!))?.wheels;
    if (listed === undefined) return undefined;
    for (const wheel of listed) wheels.set(wheel.sha256, wheel);
  }
  try {
    return await fillWheelhouse(
      tools,
      [...wheels.values()].sort((a, b) => a.filename.localeCompare(b.filename)),
      join(options.distDir, pkg.name, v.version, 'wheelhouse'),
    );
  } catch (error) {
    options.log.warn(
      `${pkg.name} ${v.version}: cross-builds resolve from the index (${toPackyardError(error).format()})`,
    );
    return undefined;
  }
}

/** What `buildPexBundle` is given for one version and platform of a package. Pure. */
export function pexBuildInput(
  options: PipelineOptions,
  pkg: PackageWork,
  v: VersionWork,
  platform: Platform,
  cross: boolean,
): PexBuildInput {
  return {
    package: pkg.name,
    version: v.version,
    binaries: pkg.config.binaries,
    requirementsTxt: join(v.lockDir, 'requirements.txt'),
    pythonVersion: v.python,
    indexUrl: pkg.index.url,
    platform,
    outDir: join(options.distDir, pkg.name, v.version, formatPlatform(platform)),
    completePlatform: cross,
  };
}

/**
 * Rebuilds a published release in place: every platform is built here first (nothing is touched if
 * one cannot be), then each asset is replaced so that the old bytes stay downloadable until the new
 * ones are uploaded and verified, then the body records the new build_info. The publish and manifest
 * steps of the same run then rewrite checksums.txt and the manifest from what the store serves.
 */
export async function rebuildPublished(
  options: PipelineOptions,
  tools: Tools,
  pkg: PackageWork,
  v: VersionWork,
  wanted: BuildInfo,
): Promise<void> {
  // The planner made sure every tarball the release serves is rebuilt here, or none (rebuildBlocked).
  const split = { build: plannedBuilds(v) };
  const hostFromDescription =
    COMPLETE_PLATFORM_PYTHONS.includes(v.python) && (await findInterpreter(v.python)) === undefined;
  const built: Array<{ name: string; tarball: string; sha256: string; size: number }> = [];
  for (const platform of split.build) {
    const cross = !samePlatform(platform, options.host) || hostFromDescription;
    options.log.info(
      `${pkg.name} ${v.version}: rebuilding PEX for ${formatPlatform(platform)}${cross ? ' (cross-build)' : ''}`,
    );
    const bundle = await buildPexBundle(tools, pexBuildInput(options, pkg, v, platform, cross));
    built.push({ name: tarballName(pkg.name, platform), ...bundle });
  }
  for (const file of built) {
    const release = (await options.store.getRelease(v.tag)) ?? v.release!;
    const result = await publishAsset(
      options.store,
      release,
      { name: file.name, path: file.tarball, sha256: file.sha256, size: file.size },
      { replace: true },
    );
    options.log.info(`${pkg.name} ${v.version}: ${file.name} ${result.action} (sha256 ${file.sha256})`);
  }
  let release = (await options.store.getRelease(v.tag)) ?? v.release!;
  for (const file of built) {
    const served = release.assets.find((a) => a.name === file.name)?.sha256;
    if (served !== file.sha256) {
      throw new PackyardError(
        'VERIFY_FAILED',
        `${v.tag}/${file.name}: the store serves sha256 ${served ?? 'nothing'}, the rebuild made ${file.sha256}`,
        { value: file.name, hint: 'run again: identical assets are skipped, the rest replaced' },
      );
    }
  }
  release = await options.store.updateRelease(release, {
    body: renderBodyBlock(release.body, { build_info: wanted, asset_info: planAssetInfo(release) }),
  });
  v.release = release;
  v.performed.push('rebuild', ...split.build.map((p): VersionAction => `build ${formatPlatform(p)}`));
  options.log.info(`${pkg.name} ${v.version}: rebuilt ${v.tag}`);
}
