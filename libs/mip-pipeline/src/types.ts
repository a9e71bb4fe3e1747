import type { TimeLimits } from '@packyard/mip';
import type { Logger as CoreLogger, ObjectStore, ProgressReporter } from '@packyard/core';
import type { PythonBridge } from './python.js';

/** Lines for the user (progress and per-package results): core's Logger, without warnings. */
export type Logger = Pick<CoreLogger, 'info' | 'error'>;

/** Everything a step needs, built once (see createMipContext). */
export interface Context {
  /** Directory holding one folder per package (mip.yaml, package.py or packages.py). */
  packagesDir: string;
  /** Where `<mhl>.dir/` folders are prepared (default build/prepared). */
  preparedDir: string;
  /** Where `.mhl` and `.mhl.mip.json` files are bundled (default build/bundled). */
  bundledDir: string;
  /** Where index.json and packages.html are written (default build/gh-pages). */
  pagesDir: string;
  store: ObjectStore;
  /** Key prefix in the store, e.g. `core/packages/` (always ends in `/`, or is empty). */
  prefix: string;
  /** Public URL the prefix is served from, for mhl_url / mip_json_url. */
  baseUrl: string;
  python: PythonBridge;
  /** Seconds since the epoch written as every bundle's timestamp. */
  sourceDateEpoch: number;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Shows `[n/N]` progress over the packages of each step; none: no progress lines. */
  progress?: ProgressReporter | undefined;
  concurrency: number;
  /** Time limits of package builds, compile.m runs and git commands. */
  timeLimits: TimeLimits;
}

/** The outcome of one package in one step. */
export interface PackageResult {
  /** The .mhl name, or the file when the package could not be read. */
  name: string;
  status: 'done' | 'skipped' | 'failed';
  detail: string;
  /** The error code of a failure. */
  code?: string;
  /** The failure was a step that hit its time limit. */
  timedOut?: boolean;
}

/** The pipeline's steps, in the order `run` carries them out: each reads what the one before wrote. */
export const STAGES = ['prepare', 'compile', 'bundle', 'upload', 'index'] as const;

/** One step of the pipeline. */
export type StageName = (typeof STAGES)[number];
