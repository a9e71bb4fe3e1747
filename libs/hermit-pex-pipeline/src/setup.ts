/**
 * What a front end (the hermit-pex CLI, a script in another repository) needs to turn its choices
 * into `PipelineOptions`: the release store, the release mode, the platforms, the build
 * concurrency and the real clients. Nothing here reads `process.env`: the caller passes it.
 */
import { resolve } from 'node:path';
import { PackyardError, usageError } from '@packyard/core';
import {
  createGithubReleaseStore,
  createLocalReleaseStore,
  readGithubToken,
  type ReleaseStore,
} from '@packyard/github-releases';
import {
  ALL_PLATFORMS,
  hostBuildConcurrency,
  parseJobs,
  parsePlatform,
  provisionTools,
  type Platform,
} from '@packyard/pex-builder';
import { createPypiClient, resolveIndexUrl } from '@packyard/pypi-client';
import type { BuildPlatforms, Logger, PipelineOptions } from './types.js';

/** Where releases go: GitHub's releases of `repo`, else the local store directory. */
export interface ReleaseStoreChoice {
  /** The repository root: the local store and the GitHub listing cache are under it. */
  root: string;
  /** `OWNER/NAME`: GitHub releases (the token comes from `env`'s GITHUB_TOKEN or GH_TOKEN). */
  repo?: string | undefined;
  /** GitHub REST API base (Enterprise). */
  apiUrl?: string | undefined;
  /** The local store, relative to `root` (default dist/releases). */
  storeDir?: string | undefined;
  env: Record<string, string | undefined>;
  /** Whether the store may write its listing cache (a plan writes nothing at all). */
  writeCache: boolean;
  log: Logger;
}

/** Opens the release store; a GitHub store without a token fails here, before any other work. */
export async function openReleaseStore(choice: ReleaseStoreChoice): Promise<ReleaseStore> {
  if (choice.repo === undefined || choice.repo === '') {
    return createLocalReleaseStore({ dir: resolve(choice.root, choice.storeDir ?? 'dist/releases') });
  }
  return createGithubReleaseStore({
    repository: choice.repo,
    token: readGithubToken(choice.env),
    ...(choice.apiUrl ? { apiUrl: choice.apiUrl } : {}),
    ...(choice.writeCache ? { cacheDir: resolve(choice.root, '.packyard/cache') } : {}),
    log: (line) => choice.log.warn(line),
  });
}

/** `--mode`: `auto` (draft when the store's releases are immutable), `draft` or `prerelease`. */
export type ReleaseModeOption = 'auto' | 'draft' | 'prerelease';

/** Checks `--mode`'s value (default auto) before anything else is done. */
export function parseReleaseMode(text: string | undefined): ReleaseModeOption {
  const mode = text ?? 'auto';
  if (mode !== 'auto' && mode !== 'draft' && mode !== 'prerelease') {
    throw usageError(`--mode must be draft, prerelease or auto, not "${mode}"`);
  }
  return mode;
}

/**
 * The release mode for a store whose releases are `immutable` or not: auto is draft when they are.
 * Prerelease with immutable releases is refused.
 */
export function chooseReleaseMode(mode: ReleaseModeOption, immutable: boolean): 'draft' | 'prerelease' {
  const chosen = mode === 'auto' ? (immutable ? 'draft' : 'prerelease') : mode;
  if (immutable && chosen === 'prerelease') {
    throw new PackyardError('CONFIG_INVALID', 'prerelease mode cannot work with immutable releases', {
      field: '--mode',
      value: chosen,
      hint: 'a published prerelease takes no more assets once releases are immutable; use --mode draft',
    });
  }
  return chosen;
}

/** `linux-arm64,darwin-arm64` → platforms; undefined or empty → all four. */
export function parsePlatformList(text: string | undefined): Platform[] {
  return text ? text.split(',').map((p) => parsePlatform(p.trim())) : [...ALL_PLATFORMS];
}

/** `--build-platforms`: `auto` (default), `native`, or a list of platforms. */
export function parseBuildPlatforms(text: string | undefined): BuildPlatforms {
  const option = text ?? 'auto';
  return option === 'auto' || option === 'native' ? option : parsePlatformList(option);
}

/** How many PEX builds run at once: `--jobs`, else PACKYARD_JOBS, else what this host holds. */
export function chooseJobs(option: string | undefined, env: Record<string, string | undefined>): number {
  const text = option ?? env['PACKYARD_JOBS'];
  if (text === undefined || text === '') return hostBuildConcurrency(undefined);
  return hostBuildConcurrency(parseJobs(text, option !== undefined ? '--jobs' : 'PACKYARD_JOBS'));
}

/** The real tools and index clients: pinned tools provisioned on first use, the configured index. */
export function defaultServices(
  log: Logger,
): Pick<PipelineOptions, 'provisionTools' | 'resolveIndexUrl' | 'createPypiClient'> {
  return {
    provisionTools: () => provisionTools({ log: (line) => log.info(line) }),
    resolveIndexUrl: (configured) => resolveIndexUrl({ configured }),
    createPypiClient: (indexUrl) => createPypiClient({ indexUrl }),
  };
}
