import pep440 from '@renovatebot/pep440';
import { isFinalRelease, parseBodyBlock, type Release } from '@packyard/github-releases';
import { formatPlatform, type Platform } from '@packyard/core';
import { tarballName } from './platform.js';

/**
 * What the release planner reads of a package config (hermit-pex's config.yaml, validated): the
 * project, its version bounds with their Python, and what goes into build_info.
 */
export interface PlanConfig {
  package: string;
  configVersion: number;
  binaries: readonly string[];
  extraPackages: readonly string[];
  versions: ReadonlyArray<{ version: string; python: string }>;
}

/** The seed's tag: `<package>-v<version>`. */
export function releaseTag(pkg: string, version: string): string {
  return `${pkg}-v${version}`;
}

/** Versions to build: every index version at or above the lowest bound, each with its bound's Python. */
export function planVersions(
  bounds: PlanConfig['versions'],
  indexVersions: readonly string[],
): Array<{ version: string; python: string }> {
  const sortedBounds = [...bounds].sort((a, b) => pep440.compare(a.version, b.version));
  const planned: Array<{ version: string; python: string }> = [];
  for (const version of indexVersions) {
    // The bound in force is the highest one not above this version (PEP 440 comparison).
    let python: string | undefined;
    for (const bound of sortedBounds) if (pep440.compare(version, bound.version) >= 0) python = bound.python;
    if (python !== undefined) planned.push({ version, python });
  }
  return planned.sort((a, b) => pep440.compare(a.version, b.version));
}

/** What a release records about how it was built; a change means the release must be rebuilt. */
export interface BuildInfo {
  config_version: number;
  package: string;
  version: string;
  python: string;
  binaries: string[];
  extra_packages: string[];
}

export function planBuildInfo(config: PlanConfig, version: string, python: string): BuildInfo {
  return {
    config_version: config.configVersion,
    package: config.package,
    version,
    python,
    binaries: [...config.binaries],
    extra_packages: [...config.extraPackages],
  };
}

/** The build_info a release body records, or undefined when the body has none (or a garbled one). */
export function readBuildInfo(release: Release): {
  info: BuildInfo | undefined;
  warning: string | undefined;
} {
  const block = parseBodyBlock<{ build_info?: BuildInfo }>(release.body);
  return { info: block.data?.build_info, warning: block.warning };
}

/**
 * Has the recorded build_info changed? A body with no (or garbled) info is "unknown", not "changed":
 * the body is only a cache, and a release is never deleted because its note went missing.
 */
export function isStaleBuildInfo(recorded: BuildInfo | undefined, wanted: BuildInfo): boolean {
  return recorded !== undefined && !sameBuildInfo(recorded, wanted);
}

/** Same build inputs? Compared field by field so key order and YAML quoting do not matter. */
export function sameBuildInfo(a: BuildInfo, b: BuildInfo): boolean {
  return (
    Number(a.config_version) === b.config_version &&
    String(a.package) === b.package &&
    String(a.version) === b.version &&
    String(a.python) === b.python &&
    JSON.stringify((a.binaries ?? []).map(String)) === JSON.stringify(b.binaries) &&
    JSON.stringify((a.extra_packages ?? []).map(String)) === JSON.stringify(b.extra_packages)
  );
}

/** What changed between the recorded and the wanted build_info, for messages: `python 3.11 → 3.12`. */
export function describeBuildInfoChange(recorded: BuildInfo, wanted: BuildInfo): string {
  const show = (value: unknown) =>
    Array.isArray(value) ? `[${value.map(String).join(', ')}]` : String(value);
  const changes: string[] = [];
  for (const key of Object.keys(wanted) as Array<keyof BuildInfo>) {
    if (show(recorded[key] ?? (Array.isArray(wanted[key]) ? [] : '')) !== show(wanted[key])) {
      changes.push(`${key} ${show(recorded[key])} → ${show(wanted[key])}`);
    }
  }
  return changes.join(', ') || 'build_info';
}

/**
 * Whether a published release whose build_info changed is to be rebuilt: only when asked, by a
 * `config_version` bump (the seed's "rebuild everything") or by `--rebuild`.
 */
export function isRebuildAsked(recorded: BuildInfo, wanted: BuildInfo, flag: boolean): boolean {
  return flag || Number(recorded.config_version) < wanted.config_version;
}

/** asset_info is derived from the assets the store really holds, never from a previous body. */
export function planAssetInfo(release: Release): Record<string, string> {
  const info: Record<string, string> = {};
  for (const asset of [...release.assets].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (asset.state === 'uploaded' && asset.sha256) info[asset.name] = asset.sha256;
  }
  return info;
}

/** Platforms whose tarball is missing (or unverifiable) on the release. */
export function missingPlatforms(
  pkg: string,
  release: Release | undefined,
  platforms: readonly Platform[],
): Platform[] {
  return platforms.filter((platform) => {
    const asset = release?.assets.find((a) => a.name === tarballName(pkg, platform));
    return !asset || asset.state !== 'uploaded' || !asset.sha256;
  });
}

/** What the pipeline would do for one version, for `--dry-run` and the run summary. */
export type VersionAction =
  | 'lock'
  | 'create-release'
  | 'recreate-release'
  | `build ${string}`
  | `needs-runner ${string}`
  | 'publish'
  | 'up-to-date'
  | 'rebuild'
  | 'rebuild-needed'
  | 'waiting-for-other-platforms';

export interface VersionPlan {
  version: string;
  python: string;
  tag: string;
  actions: VersionAction[];
  /** Why, for a published release whose build_info changed: what changed and what to do. */
  note?: string;
}

/**
 * How platforms divide between this runner (`build`, natively or cross) and others (`elsewhere`: no
 * wheel lets this runner build them, or they were not asked of it). The planner reads it for the
 * platforms a version still misses.
 */
export interface RunnerSplit {
  build: Platform[];
  elsewhere: Platform[];
}

/**
 * The whole plan for one package: a pure function of the config, the index's versions, which locks
 * exist, what the store holds, and which platforms this runner builds (`buildable`, or per version
 * `splits` where the lock's wheels were checked).
 */
export function planPackage(input: {
  config: PlanConfig;
  indexVersions: readonly string[];
  locked: ReadonlySet<string>;
  releases: ReadonlyMap<string, Release>;
  platforms: readonly Platform[];
  buildable: readonly Platform[];
  splits?: ReadonlyMap<string, RunnerSplit>;
  /** `--rebuild`: published releases whose build_info changed are rebuilt. */
  rebuild?: boolean;
  /** Published releases take no more assets (GitHub's immutable releases). */
  immutable?: boolean;
  /** Whether this command rebuilds at all (it must rewrite the manifest in the same run). */
  canRebuild?: boolean;
}): VersionPlan[] {
  const { config } = input;
  return planVersions(config.versions, input.indexVersions).map(({ version, python }) => {
    const tag = releaseTag(config.package, version);
    const release = input.releases.get(tag);
    const actions: VersionAction[] = [];
    if (!input.locked.has(version)) actions.push('lock');
    const wanted = planBuildInfo(config, version, python);
    const recorded = release ? readBuildInfo(release).info : undefined;
    const stale = release !== undefined && isStaleBuildInfo(recorded, wanted);
    const published = release !== undefined && isFinalRelease(release);
    let note: string | undefined;
    const split = input.splits?.get(version);
    if (published && stale) {
      // A published release is never deleted: it is rebuilt in place, only when asked, or left alone.
      const change = describeBuildInfoChange(recorded!, wanted);
      const asked = isRebuildAsked(recorded!, wanted, input.rebuild === true);
      const blocked = !asked
        ? `${change}; bump config_version or pass --rebuild to rebuild it`
        : input.immutable
          ? `${change}; releases are immutable, so a published version cannot be rebuilt`
          : input.canRebuild === false
            ? `${change}; only "hermit-pex run" rebuilds a published version (it rewrites the manifest too)`
            : rebuildBlocked(config.package, release, input.platforms, split, change);
      if (blocked !== undefined) {
        return { version, python, tag, actions: [...actions, 'rebuild-needed'], note: blocked };
      }
      actions.push('rebuild');
      note = `${change}; the old assets stay until the new ones are uploaded`;
    } else if (!release) actions.push('create-release');
    else if (stale) actions.push('recreate-release');
    if (published && !stale) {
      actions.push('up-to-date');
      return { version, python, tag, actions };
    }
    const missing =
      release && !stale ? missingPlatforms(config.package, release, input.platforms) : [...input.platforms];
    const buildable = split?.build ?? input.buildable;
    const toBuild = missing.filter((p) => buildable.some((b) => formatPlatform(b) === formatPlatform(p)));
    for (const platform of toBuild) actions.push(`build ${formatPlatform(platform)}`);
    for (const platform of split?.elsewhere ?? []) {
      if (missing.some((m) => formatPlatform(m) === formatPlatform(platform))) {
        actions.push(`needs-runner ${formatPlatform(platform)}`);
      }
    }
    actions.push(toBuild.length === missing.length ? 'publish' : 'waiting-for-other-platforms');
    return { version, python, tag, actions, ...(note === undefined ? {} : { note }) };
  });
}

/**
 * Why a published release cannot be rebuilt here, if it cannot: every tarball it serves is rebuilt or
 * none (a half-rebuilt release would mix builds), and all of them on this runner.
 */
function rebuildBlocked(
  pkg: string,
  release: Release,
  platforms: readonly Platform[],
  split: RunnerSplit | undefined,
  change: string,
): string | undefined {
  const rebuilt = new Set(platforms.map((p) => tarballName(pkg, p)));
  const left = release.assets.filter((a) => /\.tar\.gz$/.test(a.name) && !rebuilt.has(a.name));
  if (left.length > 0) {
    return `${change}; it also serves ${left.map((a) => a.name).join(', ')}, and --platforms must include every platform the release serves`;
  }
  const elsewhere = (split?.elsewhere ?? []).filter((p) =>
    platforms.some((q) => formatPlatform(q) === formatPlatform(p)),
  );
  if (elsewhere.length > 0) {
    return `${change}; ${elsewhere.map(formatPlatform).join(', ')} cannot be built on this runner; rebuild on one that can build every platform`;
  }
  return undefined;
}

/** The actions `run` carries out (the others say why nothing is done). Pure. */
export function isPerformedAction(action: VersionAction): boolean {
  return (
    action === 'lock' ||
    action === 'create-release' ||
    action === 'recreate-release' ||
    action === 'rebuild' ||
    action === 'publish' ||
    action.startsWith('build ')
  );
}
