import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError, toPackyardError, writeFileAtomically, type ProgressReporter } from '@packyard/core';
import {
  isFinalRelease,
  publishAsset,
  renderBodyBlock,
  type Release,
  type ReleaseStore,
} from '@packyard/github-releases';
import {
  mergeManifests,
  parseManifest,
  removeVersions,
  renderManifest,
  type HermitManifest,
} from '@packyard/hermit-render';
import {
  buildPexBundle,
  fillWheelhouse,
  COMPLETE_PLATFORM_PYTHONS,
  createSerialQueue,
  fetchPlatformSupport,
  findInterpreter,
  formatPlatform,
  lockRequirements,
  renderRequirementsIn,
  planSharedBuilds,
  runBounded,
  samePlatform,
  tarballName,
  parsePlatform,
  missingPlatforms,
  planAssetInfo,
  planBuildInfo,
  planPackage,
  planVersions,
  readBuildInfo,
  releaseTag,
  isStaleBuildInfo,
  type BuildInfo,
  type RunnerSplit,
  type VersionAction,
  type VersionPlan,
  type PexBuildInput,
  type Platform,
  type PlatformSupport,
  type WheelFile,
  type Tools,
} from '@packyard/pex-builder';
import type { IndexUrlSource, PypiClient } from '@packyard/pypi-client';
import pep440 from '@renovatebot/pep440';
import { readPackageConfig, type PackageConfig } from './config.js';
import { writeState, type PackageState } from './state.js';
import {
  checkExtraPackages,
  checkPythonVersions,
  findDuplicateProjects,
  projectNotFound,
} from './validate.js';

export type StepName = 'state' | 'requirements' | 'releases' | 'pex' | 'publish' | 'manifest';

/** The pipeline's steps, in the order they must run: each consumes what the one before produced. */
export const STEPS: readonly StepName[] = ['state', 'requirements', 'releases', 'pex', 'publish', 'manifest'];

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PipelineOptions {
  /** The repository root: a config.yaml symlink resolving outside it is refused. */
  root?: string | undefined;
  packagesDir: string;
  distDir: string;
  manifestDir: string;
  store: ReleaseStore;
  /** Every platform a release needs before it is complete. */
  platforms: readonly Platform[];
  /** The platforms this runner builds (see BuildPlatforms). */
  buildPlatforms: BuildPlatforms;
  /** This machine's platform: built natively, with a real interpreter. */
  host: Platform;
  /** Whether the store refuses assets on published releases (GitHub's immutable releases). */
  immutable: boolean;
  mode: 'draft' | 'prerelease';
  replace: boolean;
  /** `--rebuild`: rebuild published releases whose build_info changed (in place; see `rebuild`). */
  rebuild?: boolean;
  log: Logger;
  provisionTools: () => Promise<Tools>;
  resolveIndexUrl: (configured: string | undefined) => Promise<IndexUrlSource>;
  createPypiClient: (indexUrl: string) => PypiClient;
  /** How many PEX builds run at once (default 1; see hostBuildConcurrency). */
  jobs?: number;
  /** Shows `[n/N]` progress of the PEX builds. */
  progress?: ProgressReporter;
}

/**
 * What this runner builds of the platforms a version still misses. `auto`: this host natively, and
 * every other platform for which the lock has wheels (a cross-build, `--complete-platform`). `native`:
 * this host only, and only where it cannot be cross-built, so a native runner never duplicates the
 * work of an `auto` runner. A list: exactly those platforms.
 */
export type BuildPlatforms = 'auto' | 'native' | readonly Platform[];

/** The name of the per-release checksum file (GoReleaser's `<sha256>  <name>` lines). */
export const CHECKSUMS_ASSET = 'checksums.txt';

interface VersionWork {
  version: string;
  python: string;
  tag: string;
  lockDir: string;
  locked: boolean;
  /** The lock resolved before planning (a temporary directory), written to `lockDir` by `lock`. */
  resolved: string | undefined;
  /** Which platforms this runner builds, and the wheels each needs (read from the lock). */
  split: (RunnerSplit & { support: PlatformSupport[] }) | undefined;
  /** What the planner decided for this version: the steps carry out exactly these actions. */
  plan: VersionPlan | undefined;
  /** The actions carried out so far, in order. */
  performed: VersionAction[];
  release: Release | undefined;
  error: PackyardError | undefined;
  /** A published release whose build_info changed, being rebuilt in place in this run. */
  rebuild: BuildInfo | undefined;
}

export interface PackageReport {
  name: string;
  dir: string;
  error: PackyardError | undefined;
  versions: Array<{
    version: string;
    error: PackyardError | undefined;
    published: boolean;
    /** What an unpublished version still lacks: a lock, a release, or platform tarballs. */
    lacks: string[];
    /** The plan's actions this run carried out, in order (see isPerformedAction). */
    performed: VersionAction[];
  }>;
  plan: VersionPlan[];
  /** Per version, which missing platforms this runner builds and which need another runner. */
  splits: Map<string, RunnerSplit>;
}

interface PackageWork {
  name: string;
  dir: string;
  config: PackageConfig;
  index: IndexUrlSource;
  indexVersions: string[];
  versions: VersionWork[];
  /** Rebuilding a published release needs pex, publish and manifest in the same run. */
  canRebuild: boolean;
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
 * Runs the given steps for every package. First one validation pass reads every package (config,
 * machine, index, the other packages) and writes nothing; a package with any problem is skipped
 * whole. Then the steps run: a failing version is reported and skipped, the others carry on. The
 * state file is written after every step, so an interrupted run resumes; `dryRun` writes nothing.
 */
export async function runPipeline(
  options: PipelineOptions,
  steps: readonly StepName[],
  only: readonly string[] = [],
  { splitRunners = false, dryRun = false }: { splitRunners?: boolean; dryRun?: boolean } = {},
): Promise<PackageReport[]> {
  const dirs = await listPackageDirs(options.packagesDir, only);
  const duplicates = await findDuplicateProjects(
    options.packagesDir,
    only.length > 0 ? await listPackageDirs(options.packagesDir) : dirs,
  );
  const reports: PackageReport[] = [];
  let releases = await fetchReleases(options.store);
  const loaded: Array<{ report: PackageReport; work: PackageWork }> = [];
  for (const name of dirs) {
    const dir = join(options.packagesDir, name);
    const report: PackageReport = { name, dir, error: undefined, versions: [], plan: [], splits: new Map() };
    reports.push(report);
    try {
      if (duplicates.has(name)) throw duplicates.get(name);
      loaded.push({ report, work: await loadPackage(options, dir, releases) });
    } catch (error) {
      report.error = toPackyardError(error);
      options.log.error(report.error.format());
    }
  }
  const save = async (work: PackageWork) => {
    if (!dryRun) await writeState(join(work.dir, 'state.yaml'), renderPackageState(work));
  };
  const canRebuild = (['pex', 'publish', 'manifest'] as const).every((step) => steps.includes(step));
  // The planner decides the platforms from each lock's wheels, so a missing lock is resolved first,
  // into a temporary directory: `plan` writes nothing, and `run` writes it as the `lock` action.
  const resolveLocks = dryRun || steps.includes('requirements');
  const readSplits = splitRunners || steps.includes('pex');
  const scratch = resolveLocks ? await mkdtemp(join(tmpdir(), 'hermit-pex-locks-')) : undefined;
  try {
    for (const { report, work } of loaded) {
      report.name = work.name;
      work.canRebuild = canRebuild;
      try {
        if (scratch !== undefined) await resolveMissingLocks(options, work, scratch);
        if (readSplits) report.splits = await planRunnerSplits(options, work);
      } catch (error) {
        report.error = toPackyardError(error);
        options.log.error(`${work.name}: ${report.error.format()}`);
      }
      await runPackage(options, steps, report, work, {
        dryRun,
        save,
        refresh: async () => {
          releases = await fetchReleases(options.store);
        },
        releases: () => releases,
      });
    }
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
  return reports;
}

/** Plans one package, then carries out exactly the plan's actions, step by step. */
async function runPackage(
  options: PipelineOptions,
  steps: readonly StepName[],
  report: PackageReport,
  work: PackageWork,
  context: {
    dryRun: boolean;
    save: (work: PackageWork) => Promise<void>;
    refresh: () => Promise<void>;
    releases: () => Map<string, Release>;
  },
): Promise<void> {
  const { dryRun, save } = context;
  const releases = context.releases();
  const canRebuild = work.canRebuild;
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
    await save(work);
    if (step === 'publish') await context.refresh();
  }
  await save(work);
  report.versions = work.versions.map((v) => {
    const published = v.release !== undefined && isFinalRelease(v.release);
    return {
      version: v.version,
      error: v.error,
      published,
      lacks: published
        ? []
        : !v.locked
          ? ['a lock']
          : !v.release
            ? ['a release']
            : missingPlatforms(work.name, v.release, options.platforms).map(
                (p) => `${formatPlatform(p)} tarball`,
              ),
      performed: v.performed,
    };
  });
}

/** The platforms the plan builds for this version (its `build <platform>` actions). */
function plannedBuilds(v: VersionWork): Platform[] {
  return (v.plan?.actions ?? []).filter((a) => a.startsWith('build ')).map((a) => parsePlatform(a.slice(6)));
}

/** Whether the plan asks for `action` on this version. */
function planned(v: VersionWork, action: VersionAction): boolean {
  return v.plan?.actions.includes(action) === true;
}

/** Resolves the lock of every version that has none, into `scratch`, for the planner to read. */
async function resolveMissingLocks(
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

async function fetchReleases(store: ReleaseStore): Promise<Map<string, Release>> {
  return new Map((await store.listReleases()).map((r) => [r.tag, r]));
}

async function loadPackage(
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

/**
 * Runs `work` for every version still in good standing, `limit` at a time (one by default, in the
 * versions' order); a failure marks that version and moves on.
 */
async function forEachVersion(
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

const STEP_RUNNERS: Record<
  Exclude<StepName, 'state'>,
  (options: PipelineOptions, pkg: PackageWork) => Promise<void>
> = {
  async requirements(options, pkg) {
    // The lock was resolved before planning (resolveMissingLocks); `lock` writes it in place.
    await forEachVersion(
      options,
      pkg,
      (v) => planned(v, 'lock') && v.resolved !== undefined,
      async (v) => {
        await mkdir(v.lockDir, { recursive: true });
        for (const name of (await readdir(v.resolved!)).sort()) {
          await writeFileAtomically(join(v.lockDir, name), await readFile(join(v.resolved!, name)));
        }
        v.locked = true;
        v.performed.push('lock');
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
        }
        if (planned(v, 'rebuild-needed')) {
          options.log.info(
            `${pkg.name} ${v.version}: rebuild needed: ${v.plan!.note}; ${v.tag} is left as it is`,
          );
        } else if (planned(v, 'rebuild')) {
          // Published work is never deleted: the pex step rebuilds it in place.
          options.log.info(
            `${pkg.name} ${v.version}: rebuilding published ${v.tag} in place (${v.plan!.note})`,
          );
          v.rebuild = wanted;
        } else if (planned(v, 'recreate-release') || planned(v, 'create-release')) {
          if (planned(v, 'recreate-release') && v.release) {
            options.log.warn(
              `${pkg.name} ${v.version}: build_info changed; deleting and recreating unpublished release ${v.tag}`,
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
          v.performed.push(planned(v, 'recreate-release') ? 'recreate-release' : 'create-release');
        }
      },
    );
  },

  async pex(options, pkg) {
    const versions = pkg.versions.filter(
      (v) =>
        !v.error &&
        v.locked &&
        v.release !== undefined &&
        plannedBuilds(v).length > 0 &&
        (!isFinalRelease(v.release) || v.rebuild !== undefined),
    );
    if (versions.length === 0) return;
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

  async publish(options, pkg) {
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
      const count = next.versions.length;
      options.log.info(`${pkg.name}: wrote ${file} (${count} published version${count === 1 ? '' : 's'})`);
    }
  },
};

/**
 * The wheelhouse of a version's cross-builds (`<dist>/<package>/<version>/wheelhouse`), when the
 * plan lists every wheel they may use. Without one (a wheel the index lists without a sha256, or a
 * download that fails), each build asks the index as before.
 */
async function crossWheelhouse(
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
function pexBuildInput(
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
async function rebuildPublished(
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

/**
 * Takes published versions out of a package's manifest: the one way a version leaves it. Refused for a
 * version the config still asks for while the store publishes it, since the next run would add it back.
 */
export async function removeManifestVersions(
  options: Pick<PipelineOptions, 'packagesDir' | 'manifestDir' | 'store' | 'log'>,
  name: string,
  versions: readonly string[],
): Promise<void> {
  const [dir] = await listPackageDirs(options.packagesDir, [name]);
  const config = await readPackageConfig(join(options.packagesDir, dir!, 'config.yaml'));
  const file = join(options.manifestDir, `${config.package}.hcl`);
  if (!existsSync(file)) {
    throw new PackyardError('CONFIG_MISSING', `no manifest for ${config.package}`, { file });
  }
  const manifest = await parseManifest(await readFile(file, 'utf8'), file);
  const listed = new Set(manifest.versions.map((v) => v.version));
  const releases = await fetchReleases(options.store);
  for (const version of versions) {
    if (!listed.has(version)) {
      throw new PackyardError('CONFIG_INVALID', `${config.package} ${version} is not in the manifest`, {
        file,
        value: version,
        hint: `it lists ${[...listed].join(', ') || 'no version'}`,
      });
    }
    const release = releases.get(releaseTag(config.package, version));
    if (release && isFinalRelease(release) && planVersions(config.versions, [version]).length > 0) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `${config.package} ${version} is still published as ${release.tag} and asked for by the config; the next run would add it back`,
        {
          file: config.file,
          field: 'versions',
          value: version,
          hint: `raise the lower bound in versions above ${version}, or delete the release ${release.tag}, then remove it`,
        },
      );
    }
  }
  await writeFileAtomically(file, renderManifest(removeVersions(manifest, versions)));
  options.log.info(`${config.package}: removed ${versions.join(', ')} from ${file}`);
}

/**
 * Decides, for one version, which of its missing platforms this runner builds (see BuildPlatforms).
 * Cross-buildability comes from the lock: every requirement needs a wheel for the platform.
 */
async function splitRunner(
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
async function planRunnerSplits(
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

/**
 * Uploads `checksums.txt` (`<sha256>  <name>` per platform tarball, sorted: GoReleaser's format, which
 * Hermit's sha256-source and `sha256sum -c` read) once every platform is present. A published
 * immutable release takes no more assets, so one published before this file existed keeps going without.
 */
async function publishChecksums(
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
  if (existing?.state === 'uploaded' && existing.sha256 === sha256) return release;
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
