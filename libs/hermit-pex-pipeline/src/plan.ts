import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError, toPackyardError } from '@packyard/core';
import { isFinalRelease, type Release } from '@packyard/github-releases';
import type { HermitManifest } from '@packyard/hermit-render';
import {
  COMPLETE_PLATFORM_PYTHONS,
  fetchPlatformSupport,
  formatPlatform,
  isStaleBuildInfo,
  lockRequirements,
  missingPlatforms,
  planBuildInfo,
  planPackage,
  planVersions,
  readBuildInfo,
  releaseTag,
  renderRequirementsIn,
  samePlatform,
  type Platform,
  type PlatformSupport,
  type RunnerSplit,
  type Tools,
} from '@packyard/pex-builder';
import pep440 from '@renovatebot/pep440';
import { readPackageConfig, type PackageConfig } from './config.js';
import type { PackageReport, PackageWork, PipelineOptions, StepName, VersionWork } from './types.js';
import {
  checkExtraPackages,
  checkPythonVersions,
  findDuplicateProjects,
  projectNotFound,
} from './validate.js';
import { fetchReleases, forEachVersion } from './versions.js';

// Reading what the configs, the index and the release store hold, then the pure planner: everything a
// run decides is decided here, and the steps (steps/) only carry it out.

/** What a run is asked to do: the steps, the packages (all when empty), and how. */
export interface PlanRequest {
  steps: readonly StepName[];
  /** Package directory names; every package when empty. */
  only?: readonly string[];
  /** Read every version's runner split even without the pex step (`plan`, `runners`). */
  splitRunners?: boolean;
  /** A plan: nothing is written (locks resolve into a temporary directory). */
  dryRun?: boolean;
}

/** Every package read, validated and planned; `runPlan` carries it out (and disposes of it). */
export interface PipelinePlan {
  request: PlanRequest;
  /** One per package directory, in order; a package that failed to load has its `error` set. */
  reports: PackageReport[];
  /** The packages that loaded, with the work their steps update. */
  packages: Array<{ report: PackageReport; work: PackageWork }>;
  /** The temporary directory of the locks resolved for planning. */
  scratch: string | undefined;
}

/**
 * Reads and plans every package. First one validation pass reads every package (config, machine,
 * index, the other packages) and writes nothing; a package with any problem is skipped whole. Then
 * each missing lock is resolved into a temporary directory (the planner decides the platforms from
 * the lock's wheels) and the pure planner (`planPackage`) gives each version its actions.
 */
export async function plan(options: PipelineOptions, request: PlanRequest): Promise<PipelinePlan> {
  const { steps, only = [], splitRunners = false, dryRun = false } = request;
  const dirs = await listPackageDirs(options.packagesDir, only);
  const duplicates = await findDuplicateProjects(
    options.packagesDir,
    only.length > 0 ? await listPackageDirs(options.packagesDir) : dirs,
  );
  const reports: PackageReport[] = [];
  const releases = await fetchReleases(options.store);
  const packages: PipelinePlan['packages'] = [];
  for (const name of dirs) {
    const dir = join(options.packagesDir, name);
    const report: PackageReport = { name, dir, error: undefined, versions: [], plan: [], splits: new Map() };
    reports.push(report);
    try {
      if (duplicates.has(name)) throw duplicates.get(name);
      packages.push({ report, work: await loadPackage(options, dir, releases) });
    } catch (error) {
      report.error = toPackyardError(error);
      options.log.error(report.error.format());
    }
  }
  const canRebuild = (['pex', 'publish', 'manifest'] as const).every((step) => steps.includes(step));
  // `plan` writes nothing, and `run` writes each resolved lock as the `lock` action.
  const resolveLocks = dryRun || steps.includes('requirements');
  const readSplits = splitRunners || steps.includes('pex');
  const scratch = resolveLocks ? await mkdtemp(join(tmpdir(), 'hermit-pex-locks-')) : undefined;
  try {
    for (const { report, work } of packages) {
      report.name = work.name;
      work.canRebuild = canRebuild;
      try {
        if (scratch !== undefined) await resolveMissingLocks(options, work, scratch);
        if (readSplits) report.splits = await planRunnerSplits(options, work);
      } catch (error) {
        // The package's steps still run: what needs no lock or split (publish, manifest) goes on.
        report.error = toPackyardError(error);
        options.log.error(`${work.name}: ${report.error.format()}`);
      }
      report.plan = planPackage({
        config: work.config,
        indexVersions: work.indexVersions,
        locked: new Set(work.versions.filter((v) => v.locked).map((v) => v.version)),
        releases,
        platforms: options.platforms,
        buildable: Array.isArray(options.buildPlatforms) ? options.buildPlatforms : [options.host],
        splits: report.splits,
        rebuild: options.rebuild === true,
        immutable: options.immutable,
        canRebuild: canRebuild || dryRun,
      });
      for (const v of work.versions) v.plan = report.plan.find((p) => p.version === v.version);
    }
  } catch (error) {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  return { request, reports, packages, scratch };
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

export async function loadPackage(
  options: PipelineOptions,
  dir: string,
  releases: Map<string, Release>,
): Promise<PackageWork> {
  const config = await readPackageConfig(join(dir, 'config.yaml'), { root: options.root });
  await checkPythonVersions(config);
  const index = await options.resolveIndexUrl(config.indexUrl);
  await checkExtraPackages(config, options.provisionTools, index.url);
  const listed = await options
    .createPypiClient(index.url)
    .listVersions(config.package)
    .catch((error: unknown) => {
      throw projectNotFound(error, config);
    });
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
      rebuild: undefined,
      resolved: undefined,
      split: undefined,
      plan: undefined,
      performed: [],
    });
  }
  return {
    name: config.package,
    dir,
    config,
    index,
    indexVersions: listed.versions,
    versions,
    canRebuild: false,
  };
}

/** A lock is reused only while its requirements.in still says what the config asks for. */
export async function isLockFresh(config: PackageConfig, version: string, lockDir: string): Promise<boolean> {
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

/** Resolves the lock of every version that has none, into `scratch`, for the planner to read. */
export async function resolveMissingLocks(
  options: PipelineOptions,
  pkg: PackageWork,
  scratch: string,
): Promise<void> {
  let tools: Promise<Tools> | undefined;
  await forEachVersion(
    options,
    pkg,
    (v) => !v.locked,
    async (v) => {
      tools ??= options.provisionTools();
      const provisioned = await tools;
      const dir = join(scratch, pkg.name, v.version);
      options.log.info(`${pkg.name} ${v.version}: locking for Python ${v.python}`);
      await lockRequirements(provisioned, {
        dir,
        package: pkg.config.package,
        version: v.version,
        extraPackages: pkg.config.extraPackages,
        pythonVersion: v.python,
        indexUrl: pkg.index.url,
      });
      v.resolved = dir;
    },
    options.jobs ?? 1,
  );
}

/**
 * Decides, for one version, which of its missing platforms this runner builds (see BuildPlatforms).
 * Cross-buildability comes from the lock: every requirement needs a wheel for the platform.
 */
export async function splitRunner(
  options: PipelineOptions,
  tools: Tools,
  pkg: PackageWork,
  v: VersionWork,
): Promise<RunnerSplit & { support: PlatformSupport[] }> {
  // A published release being rebuilt needs every platform again.
  const rebuilding = v.release !== undefined && isFinalRelease(v.release);
  const missing = missingPlatforms(pkg.name, rebuilding ? undefined : v.release, options.platforms);
  const mode = options.buildPlatforms;
  if (typeof mode !== 'string') {
    const asked = (p: Platform) => mode.some((b) => samePlatform(b, p));
    return { build: missing.filter(asked), elsewhere: missing.filter((p) => !asked(p)), support: [] };
  }
  const isHost = (p: Platform) => samePlatform(p, options.host);
  const foreign = missing.filter((p) => !isHost(p));
  const hostMissing = missing.some(isHost);
  // native mode asks whether the host could have been cross-built: if so, an auto runner builds it.
  // Without a shipped description for this Python, nothing can be cross-built.
  const describable = COMPLETE_PLATFORM_PYTHONS.includes(v.python);
  if (!describable && foreign.length > 0) {
    options.log.info(
      `${pkg.name} ${v.version}: no platform description for Python ${v.python}; ${foreign.map(formatPlatform).join(', ')} need native runners`,
    );
  }
  const checked = !describable ? [] : mode === 'auto' ? foreign : hostMissing ? [options.host] : [];
  const support =
    checked.length === 0
      ? []
      : await fetchPlatformSupport(tools, {
          requirementsTxt: join(v.resolved ?? v.lockDir, 'requirements.txt'),
          pythonVersion: v.python,
          indexUrl: pkg.index.url,
          platforms: checked,
          client: options.createPypiClient(pkg.index.url),
        });
  const crossBuildable = (p: Platform) => support.some((s) => samePlatform(s.platform, p) && s.buildable);
  for (const s of support.filter((s) => !s.buildable)) {
    options.log.info(
      `${pkg.name} ${v.version}: ${formatPlatform(s.platform)} needs a native runner: ${s.missing.map((m) => `${m.name} ${m.version}: ${m.reason}`).join('; ')}`,
    );
  }
  if (mode === 'auto') {
    const build = missing.filter((p) => isHost(p) || crossBuildable(p));
    return { build, elsewhere: missing.filter((p) => !build.includes(p)), support };
  }
  const build = hostMissing && !crossBuildable(options.host) ? [options.host] : [];
  return { build, elsewhere: missing.filter((p) => !build.includes(p)), support };
}

/**
 * The runner split of every version with a lock (or one resolved for planning) that is not published
 * yet, or is published with a changed build_info (a rebuild needs every platform).
 */
export async function planRunnerSplits(
  options: PipelineOptions,
  pkg: PackageWork,
): Promise<Map<string, RunnerSplit>> {
  const splits = new Map<string, RunnerSplit>();
  let tools: Tools | undefined;
  for (const v of pkg.versions) {
    if (v.error || (!v.locked && v.resolved === undefined)) continue;
    if (v.release !== undefined && isFinalRelease(v.release)) {
      const wanted = planBuildInfo(pkg.config, v.version, v.python);
      if (!isStaleBuildInfo(readBuildInfo(v.release).info, wanted)) continue;
    }
    tools ??= await options.provisionTools();
    v.split = await splitRunner(options, tools, pkg, v);
    splits.set(v.version, { build: v.split.build, elsewhere: v.split.elsewhere });
  }
  return splits;
}

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
    // Only versions the config still asks for: one below a raised lower bound stays in the manifest
    // (merge keeps it) until `hermit-pex remove` takes it out, and is not added back.
    if (pep440.valid(version) === null || planVersions(pkg.config.versions, [version]).length === 0) continue;
    const sums = release.assets.filter((a) => asset.test(a.name) && a.state === 'uploaded' && a.sha256);
    if (sums.length === 0) continue;
    const python =
      readBuildInfo(release).info?.python ?? planVersions(pkg.config.versions, [version])[0]?.python;
    versions.push({
      version,
      runtimeDependencies: python ? [`python3@${String(python)}`] : [],
      // Only the platforms this release has a tarball for get a source: a run with --platforms
      // builds some, and Hermit must not be told the others exist.
      platforms: sums.map((a) => a.name.replace(asset, '$1-$2')),
    });
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

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
