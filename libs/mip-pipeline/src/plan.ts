/**
 * The pipeline's decisions, as pure functions of what was read: which steps run (`planRun`), whether
 * a package is prepared again (`planPrepare`), whether a prepared package may be bundled
 * (`planBundle`), and what happens to its published metadata (`planMetadataUpload`). The steps read
 * the inputs, ask these, and carry the answer out; index.json's order is `planIndex`.
 */
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import { metadataMatches, sameButDurations, type BuildRecord, type MipJson } from './metadata.js';
import { STAGES, type StageName } from './types.js';

/** What a command asks of the pipeline. */
export interface RunRequest {
  /** The steps to carry out, in pipeline order (`run`: all of STAGES). */
  stages: readonly StageName[];
  /** Print what would be done, and change nothing. */
  dryRun?: boolean;
  /** prepare: rebuild packages even when the published metadata matches. */
  force?: boolean;
  /** upload: replace published metadata whose bytes differ instead of refusing. */
  replace?: boolean;
  /** index: leave out metadata that cannot be read instead of failing. */
  skipInvalid?: boolean;
  /** index: written as index.json's `min_mip_version`. */
  minMipVersion?: string | undefined;
}

/** One step of a plan: run it, or skip it for `skip`'s reason. */
export interface StagePlan {
  stage: StageName;
  skip?: string;
}

/** The steps of one run, in order, each with its reason when it is skipped. */
export interface MipPlan {
  request: RunRequest;
  stages: StagePlan[];
}

/** The steps a request runs, in pipeline order; a dry run compiles nothing and writes no index. Pure. */
export function planRun(request: RunRequest): MipPlan {
  const stages = STAGES.filter((stage) => request.stages.includes(stage)).map((stage): StagePlan => {
    if (request.dryRun === true && stage === 'compile') return { stage, skip: 'a dry run compiles nothing' };
    if (request.dryRun === true && stage === 'index') return { stage, skip: 'a dry run writes no index' };
    return { stage };
  });
  return { request, stages };
}

/** What prepare does with one package: build its `.dir` (and why), or skip it. */
export type PrepareAction = { action: 'build'; reason: string } | { action: 'skip'; reason: string };

/**
 * Whether a package is built: always with `force`; else when the store has no metadata for it, or
 * the published metadata differs from `wanted` in a compared field. Pure.
 * @throws PackyardError STORE_FAILED when the published metadata is not JSON (never a silent rebuild).
 */
export function planPrepare(input: {
  key: string;
  /** The published `.mhl.mip.json` (undefined: not in the store, or not read with `force`). */
  published: string | undefined;
  wanted: Omit<MipJson, 'timestamp' | 'exposed_symbols'>;
  force?: boolean;
}): PrepareAction {
  if (input.force === true) return { action: 'build', reason: 'forced' };
  if (input.published === undefined) return { action: 'build', reason: 'not in the store' };
  let published: Record<string, unknown>;
  try {
    published = JSON.parse(input.published) as Record<string, unknown>;
  } catch (error) {
    throw new PackyardError('STORE_FAILED', `the published metadata ${input.key} is not valid JSON`, {
      value: input.key,
      hint: 'rebuild with --force and publish with --replace to repair it',
      cause: error,
    });
  }
  const differs = metadataMatches(published, input.wanted);
  return differs === undefined
    ? { action: 'skip', reason: 'published metadata matches; skipping' }
    : { action: 'build', reason: `published metadata differs in ${differs}; rebuilding` };
}

/**
 * Whether a prepared package may be bundled: its mip.json must name it, and a compile.m it has must
 * have run and succeeded. Pure.
 * @throws PackyardError CONFIG_INVALID (another name) or BUILD_FAILED (compile.m failed or not run).
 */
export function planBundle(input: {
  mhl: string;
  /** The `.mhl` name mip.json gives. */
  named: string;
  dir: string;
  record: BuildRecord;
  hasCompileScript: boolean;
  compileLog: string;
}): void {
  const { mhl, dir } = input;
  if (input.named !== mhl) {
    throw new PackyardError('CONFIG_INVALID', `mip.json names ${input.named}, not ${mhl}`, {
      file: join(dir, 'mip.json'),
    });
  }
  if (input.record.compile_status === 'failed') {
    throw new PackyardError('BUILD_FAILED', 'its compile.m failed; it is not bundled', {
      file: join(dir, 'compile.m'),
      hint: `see ${input.compileLog}`,
    });
  }
  if (input.record.compile_status === 'none' && input.hasCompileScript) {
    throw new PackyardError('BUILD_FAILED', 'it has a compile.m that has not been run', {
      file: join(dir, 'compile.m'),
      hint: 'run the compile step first',
    });
  }
}

/** What upload does with a package's `.mhl.mip.json`. */
export type MetadataAction = 'write' | 'skip' | 'replace' | 'refuse';

/**
 * What happens to a package's metadata: written when the store has none; skipped when the published
 * one differs only in the measured durations; else replaced with `replace`, refused without. Pure.
 */
export function planMetadataUpload(
  published: string | undefined,
  local: string,
  replace: boolean,
): MetadataAction {
  if (published === undefined) return 'write';
  if (sameButDurations(published, local)) return 'skip';
  return replace ? 'replace' : 'refuse';
}
