import { toPackyardError } from '@packyard/core';
import { isFinalRelease, type Release, type ReleaseStore } from '@packyard/github-releases';
import {
  parsePlatform,
  planAssetInfo,
  runBounded,
  type Platform,
  type VersionAction,
} from '@packyard/pex-builder';
import type { PackageState } from './state.js';
import type { PackageWork, PipelineOptions, VersionWork } from './types.js';

// What the planner and the steps share about a package's versions.

/** The platforms the plan builds for this version (its `build <platform>` actions). */
export function plannedBuilds(v: VersionWork): Platform[] {
  return (v.plan?.actions ?? []).filter((a) => a.startsWith('build ')).map((a) => parsePlatform(a.slice(6)));
}

/** Whether the plan asks for `action` on this version. */
export function planned(v: VersionWork, action: VersionAction): boolean {
  return v.plan?.actions.includes(action) === true;
}

/** The store's releases by tag. */
export async function fetchReleases(store: ReleaseStore): Promise<Map<string, Release>> {
  return new Map((await store.listReleases()).map((r) => [r.tag, r]));
}

/**
 * Runs `work` for every version still in good standing, `limit` at a time (one by default, in the
 * versions' order); a failure marks that version and moves on.
 */
export async function forEachVersion(
  options: PipelineOptions,
  pkg: PackageWork,
  select: (v: VersionWork) => boolean,
  work: (v: VersionWork) => Promise<void>,
  limit = 1,
): Promise<void> {
  const selected = pkg.versions.filter((v) => !v.error && select(v));
  await runBounded(selected, limit, async (v) => {
    try {
      await work(v);
    } catch (error) {
      v.error = toPackyardError(error);
      options.log.error(`${pkg.name} ${v.version}: ${v.error.format()}`);
    }
  });
}

/** The state file of a package, from what its steps know. Pure. */
export function renderPackageState(work: PackageWork): PackageState {
  return {
    config_version: work.config.configVersion,
    package: work.name,
    index_url: work.index.url,
    versions: work.versions.map((v) => ({
      version: v.version,
      python: v.python,
      requirements: v.locked,
      release: v.release !== undefined,
      published: v.release !== undefined && isFinalRelease(v.release),
      assets: v.release ? planAssetInfo(v.release) : {},
      ...(v.error ? { error: v.error.message } : {}),
    })),
  };
}
