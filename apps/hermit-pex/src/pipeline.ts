import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, toPackyardError, writeFileAtomically } from '@packyard/core';
import {
  isFinalRelease,
  publishAsset,
  renderBodyBlock,
  type Release,
  type ReleaseStore,
} from '@packyard/github-releases';
import { mergeManifests, parseManifest, renderManifest, type HermitManifest } from '@packyard/hermit-render';
import {
  buildPexBundle,
  formatPlatform,
  lockRequirements,
  renderRequirementsIn,
  tarballName,
  type Platform,
  type Tools,
} from '@packyard/pex-builder';
import type { IndexUrlSource, PypiClient } from '@packyard/pypi-client';
import pep440 from '@renovatebot/pep440';
import { readPackageConfig, type PackageConfig } from './config.js';
import {
  isStaleBuildInfo,
  missingPlatforms,
  planAssetInfo,
  planBuildInfo,
  planPackage,
  planVersions,
  readBuildInfo,
  releaseTag,
  type VersionPlan,
} from './plan.js';
import { writeState, type PackageState } from './state.js';

export type StepName = 'state' | 'requirements' | 'releases' | 'pex' | 'publish' | 'manifest';

/** The pipeline's steps, in the order they must run: each consumes what the one before produced. */
export const STEPS: readonly StepName[] = ['state', 'requirements', 'releases', 'pex', 'publish', 'manifest'];

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PipelineOptions {
  packagesDir: string;
  distDir: string;
  manifestDir: string;
  store: ReleaseStore;
  /** Every platform a release needs before it is complete. */
  platforms: readonly Platform[];
  /** The platforms this runner builds. */
  buildable: readonly Platform[];
  mode: 'draft' | 'prerelease';
  replace: boolean;
  log: Logger;
  provisionTools: () => Promise<Tools>;
  resolveIndexUrl: (configured: string | undefined) => Promise<IndexUrlSource>;
  createPypiClient: (indexUrl: string) => PypiClient;
}

interface VersionWork {
  version: string;
  python: string;
  tag: string;
  lockDir: string;
  locked: boolean;
  release: Release | undefined;
  error: PackyardError | undefined;
}

export interface PackageReport {
  name: string;
  dir: string;
  error: PackyardError | undefined;
  versions: Array<{ version: string; error: PackyardError | undefined; published: boolean }>;
  plan: VersionPlan[];
}

interface PackageWork {
  name: string;
  dir: string;
  config: PackageConfig;
  index: IndexUrlSource;
  indexVersions: string[];
  versions: VersionWork[];
}

/** Lists package directories: every non-hidden directory under packages/. */
export async function listPackageDirs(packagesDir: string, only: readonly string[] = []): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(packagesDir, { withFileTypes: true });
  } catch (error) {
    throw new PackyardError('CONFIG_MISSING', 'the packages directory does not exist', {
      file: packagesDir,
      cause: error,
    });
  }
  const names = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  for (const wanted of only) {
    if (!names.includes(wanted)) {
      throw new PackyardError('CONFIG_MISSING', `no package "${wanted}"`, {
        file: join(packagesDir, wanted, 'config.yaml'),
      });
    }
  }
  return only.length > 0 ? names.filter((n) => only.includes(n)) : names;
}

/**
 * Runs the given steps for every package. A failing package or version is reported and skipped; the
 * others carry on. The state file is written after every step, so an interrupted run resumes.
 */
export async function runPipeline(
  options: PipelineOptions,
  steps: readonly StepName[],
  only: readonly string[] = [],
): Promise<PackageReport[]> {
  const dirs = await listPackageDirs(options.packagesDir, only);
  const reports: PackageReport[] = [];
  let releases = await fetchReleases(options.store);
  for (const name of dirs) {
    const dir = join(options.packagesDir, name);
    const report: PackageReport = { name, dir, error: undefined, versions: [], plan: [] };
    reports.push(report);
    let work: PackageWork;
    try {
      work = await loadPackage(options, dir, releases);
    } catch (error) {
      report.error = toPackyardError(error);
      options.log.error(report.error.format());
      continue;
    }
    report.name = work.name;
    report.plan = planPackage({
      config: work.config,
      indexVersions: work.indexVersions,
      locked: new Set(work.versions.filter((v) => v.locked).map((v) => v.version)),
      releases,
      platforms: options.platforms,
      buildable: options.buildable,
    });
    for (const step of steps) {
      if (step === 'state') continue;
      try {
        await STEP_RUNNERS[step](options, work);
      } catch (error) {
        // A step-level failure (not one version's) stops this package only.
        report.error = toPackyardError(error);
        options.log.error(`${work.name}: ${step}: ${report.error.format()}`);
        break;
      }
      await writeState(join(dir, 'state.yaml'), renderPackageState(work));
      if (step === 'publish') releases = await fetchReleases(options.store);
    }
    await writeState(join(dir, 'state.yaml'), renderPackageState(work));
    report.versions = work.versions.map((v) => ({
      version: v.version,
      error: v.error,
      published: v.release !== undefined && isFinalRelease(v.release),
    }));
  }
  return reports;
}

async function fetchReleases(store: ReleaseStore): Promise<Map<string, Release>> {
  return new Map((await store.listReleases()).map((r) => [r.tag, r]));
}

async function loadPackage(
  options: PipelineOptions,
  dir: string,
  releases: Map<string, Release>,
): Promise<PackageWork> {
  const config = await readPackageConfig(join(dir, 'config.yaml'));
  const index = await options.resolveIndexUrl(config.indexUrl);
  const listed = await options.createPypiClient(index.url).listVersions(config.package);
  const lowest = [...config.versions].sort((a, b) => pep440.compare(a.version, b.version))[0]!.version;
  const planned = planVersions(config.versions, listed.versions);
  if (planned.length === 0) {
    const newest = listed.versions.at(-1);
    throw new PackyardError(
      'VERSION_NOT_FOUND',
      `no release of "${config.package}" on ${listed.indexUrl} is >= ${lowest}${newest ? ` (the newest is ${newest})` : ''}`,
      {
        file: config.file,
        field: 'versions[0].version',
        value: lowest,
      },
    );
  }
  const versions: VersionWork[] = [];
  for (const { version, python } of planned) {
    const lockDir = join(dir, version);
    const tag = releaseTag(config.package, version);
    versions.push({
      version,
      python,
      tag,
      lockDir,
      locked: await isLockFresh(config, version, lockDir),
      release: releases.get(tag),
      error: undefined,
    });
  }
  return { name: config.package, dir, config, index, indexVersions: listed.versions, versions };
}

/** A lock is reused only while its requirements.in still says what the config asks for. */
async function isLockFresh(config: PackageConfig, version: string, lockDir: string): Promise<boolean> {
  if (!existsSync(join(lockDir, 'requirements.txt'))) return false;
  try {
    const current = await readFile(join(lockDir, 'requirements.in'), 'utf8');
    return (
      current ===
      renderRequirementsIn({ package: config.package, version, extraPackages: config.extraPackages })
    );
  } catch {
    return false;
  }
}

function renderPackageState(work: PackageWork): PackageState {
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

/** Runs `work` for every version still in good standing; a failure marks that version and moves on. */
async function forEachVersion(
  options: PipelineOptions,
  pkg: PackageWork,
  select: (v: VersionWork) => boolean,
  work: (v: VersionWork) => Promise<void>,
): Promise<void> {
  for (const v of pkg.versions) {
    if (v.error || !select(v)) continue;
    try {
      await work(v);
    } catch (error) {
      v.error = toPackyardError(error);
      options.log.error(`${pkg.name} ${v.version}: ${v.error.format()}`);
    }
  }
}

const STEP_RUNNERS: Record<
  Exclude<StepName, 'state'>,
  (options: PipelineOptions, pkg: PackageWork) => Promise<void>
> = {
  async requirements(options, pkg) {
    let tools: Tools | undefined;
    await forEachVersion(
      options,
      pkg,
      (v) => !v.locked,
      async (v) => {
        tools ??= await options.provisionTools();
        options.log.info(`${pkg.name} ${v.version}: locking for Python ${v.python}`);
        await lockRequirements(tools, {
          dir: v.lockDir,
          package: pkg.config.package,
          version: v.version,
          extraPackages: pkg.config.extraPackages,
          pythonVersion: v.python,
          indexUrl: pkg.index.url,
        });
        v.locked = true;
      },
    );
  },

  async releases(options, pkg) {
    await forEachVersion(
      options,
      pkg,
      (v) => v.locked,
      async (v) => {
        const wanted = planBuildInfo(pkg.config, v.version, v.python);
        if (v.release) {
          const recorded = readBuildInfo(v.release);
          if (recorded.warning) options.log.warn(`${pkg.name} ${v.version}: ${recorded.warning}`);
          if (!isStaleBuildInfo(recorded.info, wanted)) return;
          options.log.warn(
            `${pkg.name} ${v.version}: build_info changed; deleting and recreating release ${v.tag}`,
          );
          await options.store.deleteRelease(v.release);
          v.release = undefined;
        }
        options.log.info(`${pkg.name} ${v.version}: creating ${options.mode} release ${v.tag}`);
        v.release = await options.store.createRelease({
          tag: v.tag,
          name: `${pkg.name} ${v.version}`,
          body: renderBodyBlock('', { build_info: wanted, asset_info: {} }),
          draft: options.mode === 'draft',
          prerelease: options.mode === 'prerelease',
        });
      },
    );
  },

  async pex(options, pkg) {
    let tools: Tools | undefined;
    await forEachVersion(
      options,
      pkg,
      (v) => v.locked && v.release !== undefined && !isFinalRelease(v.release),
      async (v) => {
        const release = v.release!;
        const todo = missingPlatforms(pkg.name, release, options.platforms).filter((p) =>
          options.buildable.some((b) => formatPlatform(b) === formatPlatform(p)),
        );
        for (const platform of todo) {
          tools ??= await options.provisionTools();
          options.log.info(`${pkg.name} ${v.version}: building PEX for ${formatPlatform(platform)}`);
          const bundle = await buildPexBundle(tools, {
            package: pkg.name,
            version: v.version,
            binaries: pkg.config.binaries,
            requirementsTxt: join(v.lockDir, 'requirements.txt'),
            pythonVersion: v.python,
            indexUrl: pkg.index.url,
            platform,
            outDir: join(options.distDir, pkg.name, v.version, formatPlatform(platform)),
          });
          const result = await publishAsset(
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
          options.log.info(
            `${pkg.name} ${v.version}: ${tarballName(pkg.name, platform)} ${result.action} (sha256 ${bundle.sha256})`,
          );
          v.release = (await options.store.getRelease(v.tag)) ?? v.release;
        }
      },
    );
  },

  async publish(options, pkg) {
    await forEachVersion(
      options,
      pkg,
      (v) => v.release !== undefined,
      async (v) => {
        // Re-read: truth comes from the store, including assets other runners uploaded.
        const release = await options.store.getRelease(v.tag);
        if (!release) {
          v.release = undefined;
          return;
        }
        const recorded = readBuildInfo(release).info;
        const buildInfo = recorded ?? planBuildInfo(pkg.config, v.version, v.python);
        const body = renderBodyBlock(release.body, {
          build_info: buildInfo,
          asset_info: planAssetInfo(release),
        });
        const complete = missingPlatforms(pkg.name, release, options.platforms).length === 0;
        const patch = {
          ...(body === release.body ? {} : { body }),
          ...(complete && !isFinalRelease(release) ? { draft: false, prerelease: false } : {}),
        };
        v.release =
          Object.keys(patch).length > 0 ? await options.store.updateRelease(release, patch) : release;
        if (complete && !isFinalRelease(release))
          options.log.info(`${pkg.name} ${v.version}: published ${v.tag}`);
      },
    );
  },

  async manifest(options, pkg) {
    const releases = await fetchReleases(options.store);
    const file = join(options.manifestDir, `${pkg.name}.hcl`);
    const next = planManifest(options, pkg, [...releases.values()]);
    const existing = existsSync(file) ? await parseManifest(await readFile(file, 'utf8'), file) : undefined;
    if (next.versions.length === 0 && !existing) {
      options.log.info(`${pkg.name}: no complete release yet; manifest not written`);
      return;
    }
    const text = renderManifest(mergeManifests(existing, next));
    const before = existsSync(file) ? await readFile(file, 'utf8') : undefined;
    if (text !== before) {
      await writeFileAtomically(file, text);
      options.log.info(`${pkg.name}: wrote ${file} (${next.versions.length} published versions)`);
    }
  },
};

/** The manifest as the store's final releases describe it: prereleases and drafts are never listed. */
export function planManifest(
  options: Pick<PipelineOptions, 'store'>,
  pkg: Pick<PackageWork, 'name' | 'config'>,
  releases: readonly Release[],
): HermitManifest {
  const prefix = `${pkg.name}-v`;
  const asset = new RegExp(`^${escapeRegExp(pkg.name)}-(darwin|linux)-(amd64|arm64)\\.tar\\.gz$`);
  const versions: HermitManifest['versions'] = [];
  const sha256sums: Record<string, string> = {};
  for (const release of releases) {
    if (!isFinalRelease(release) || !release.tag.startsWith(prefix)) continue;
    const version = release.tag.slice(prefix.length);
    if (pep440.valid(version) === null) continue;
    const sums = release.assets.filter((a) => asset.test(a.name) && a.state === 'uploaded' && a.sha256);
    if (sums.length === 0) continue;
    const python =
      readBuildInfo(release).info?.python ??
      planVersions(pkg.config.versions, [version])[0]?.python ??
      undefined;
    versions.push({ version, runtimeDependencies: python ? [`python3@${String(python)}`] : [] });
    for (const a of sums) sha256sums[options.store.downloadUrl(release.tag, a.name)] = a.sha256!;
  }
  return {
    description: pkg.config.description,
    binaries: pkg.config.binaries,
    test: pkg.config.test,
    ...((pkg.config.repository ?? options.store.repositoryUrl)
      ? { repository: (pkg.config.repository ?? options.store.repositoryUrl)! }
      : {}),
    // Hermit expands ${version}, ${os} and ${arch} itself.
    source: options.store.downloadUrl(`${pkg.name}-v\${version}`, `${pkg.name}-\${os}-\${arch}.tar.gz`),
    versions,
    sha256sums,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
