import type { Logger, PackyardError, PlannedContext, ProgressReporter, StepEvent } from '@packyard/core';
import type { Release, ReleaseStore } from '@packyard/github-releases';
import type {
  BuildInfo,
  Platform,
  PlatformSupport,
  RunnerSplit,
  Tools,
  VersionAction,
  VersionPlan,
} from '@packyard/pex-builder';
import type { IndexUrlSource, PypiClient } from '@packyard/pypi-client';
import type { PackageConfig } from './config.js';

export type StepName = 'state' | 'requirements' | 'releases' | 'pex' | 'publish' | 'manifest';

/** The pipeline's steps, in the order they must run: each consumes what the one before produced. */
export const STEPS: readonly StepName[] = ['state', 'requirements', 'releases', 'pex', 'publish', 'manifest'];

export type { Logger } from '@packyard/core';

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
  /** Receives each package's step events (see createStepEventRenderer in @packyard/core). */
  onEvent?: (event: StepEvent) => void;
}

/**
 * What this runner builds of the platforms a version still misses. `auto`: this host natively, and
 * every other platform for which the lock has wheels (a cross-build, `--complete-platform`). `native`:
 * this host only, and only where it cannot be cross-built, so a native runner never duplicates the
 * work of an `auto` runner. A list: exactly those platforms.
 */
export type BuildPlatforms = 'auto' | 'native' | readonly Platform[];

/** One version of a package, as the steps see and update it. */
export interface VersionWork {
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

/** What a run did for one package: per version, its outcome and the actions carried out. */
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

/** One package read, validated and planned: what its steps work on. */
export interface PackageWork {
  name: string;
  dir: string;
  config: PackageConfig;
  index: IndexUrlSource;
  indexVersions: string[];
  versions: VersionWork[];
  /** Rebuilding a published release needs pex, publish and manifest in the same run. */
  canRebuild: boolean;
}

/** What every step of one package runs over: the plan's actions, and the work they update. */
export interface PackageContext extends PlannedContext<VersionPlan> {
  readonly options: PipelineOptions;
  readonly pkg: PackageWork;
  /** A plan: nothing is written. */
  readonly dryRun: boolean;
  /** Writes `packages/<name>/state.yaml` from what the steps know (nothing in a dry run). */
  save(): Promise<void>;
}
