import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { runSteps, StepError, type StepEvent } from '@packyard/core';
import { resolveIndexUrl } from '@packyard/pypi-client';
import { provisionTools } from '@packyard/python-tools';
import { addFilesToIndex, type AddFilesToIndex } from '@packyard/wheel-index';
import type { BuildTools } from './build.js';
import { createGitRunner, type GitRunner } from './git.js';
import { planUpdate } from './plan.js';
import { UPDATE_STEPS } from './steps/index.js';
import type { Logger, UpdateContext, UpdateOptions, UpdateReport } from './types.js';

/**
 * The seed's update workflow: plan (names checked), then the steps: prepare the index checkout, clone
 * the source at the ref (submodules included), build the wheel, install-test it, add it to the index,
 * commit, and push to the index branch; a push that loses a race re-applies the wheel on the new tip
 * and tries again. Each step fails with its own code: CLONE_FAILED, BUILD_FAILED,
 * INSTALL_TEST_FAILED, PUSH_FAILED. Step events go to `options.onEvent`.
 */
export async function runUpdate(options: UpdateOptions): Promise<UpdateReport> {
  const plan = planUpdate(options);
  const workDir = resolve(options.workDir);
  await mkdir(workDir, { recursive: true });
  const ctx: UpdateContext = { plan, actions: plan.actions, options, workDir };
  try {
    await runSteps(UPDATE_STEPS, ctx, {
      label: `update ${plan.owner}/${plan.repo}@${plan.ref}`,
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    });
  } catch (error) {
    // The progress line already names the failed step; the error keeps the step's own code and words.
    throw error instanceof StepError ? error.cause : error;
  }
  const wheel = ctx.wheel ?? '';
  return {
    sourceCommit: ctx.source?.commit ?? '',
    wheel: basename(wheel),
    modules: ctx.modules ?? [],
    ...(ctx.published ?? { outcome: 'unchanged', pushAttempts: 0 }),
  };
}

/** An update as a command asks for it: only the names are required. */
export interface UpdateIndexRequest {
  owner: string;
  repo: string;
  ref: string;
  gitBase?: string | undefined;
  indexRepo?: string | undefined;
  indexDir?: string | undefined;
  branch?: string | undefined;
  pushAttempts?: number | undefined;
  replace?: boolean | undefined;
  author?: { name: string; email: string } | undefined;
  python?: string | undefined;
  /** The index given on the command line; default pip's configured index (pypi-client). */
  indexUrl?: string | undefined;
}

/** The clients and sinks of `updateIndex`; each has a default but the log. */
export interface UpdateIndexDeps {
  env: Record<string, string | undefined>;
  log: Logger;
  onEvent?: ((event: StepEvent) => void) | undefined;
  provisionTools?: (() => Promise<BuildTools>) | undefined;
  addFilesToIndex?: AddFilesToIndex | undefined;
  git?: GitRunner | undefined;
}

/** The default commit author: the identity GitHub shows for Actions' own commits. */
export const DEFAULT_AUTHOR = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

/**
 * `runUpdate` with its defaults filled in: the index URL pip is configured with, packyard's
 * provisioned tools, wheel-index's writer, the git on PATH, and a scratch directory that is removed
 * afterwards, whatever happened.
 */
export async function updateIndex(request: UpdateIndexRequest, deps: UpdateIndexDeps): Promise<UpdateReport> {
  // The names are checked before any lookup or scratch directory.
  planUpdate(request);
  const indexUrl = (await resolveIndexUrl({ configured: request.indexUrl, env: deps.env })).url;
  const workDir = await mkdtemp(join(tmpdir(), 'pkg-index-update-'));
  try {
    return await runUpdate({
      owner: request.owner,
      repo: request.repo,
      ref: request.ref,
      gitBase: request.gitBase ?? 'https://github.com',
      indexRepo: request.indexRepo,
      indexDir: request.indexDir,
      branch: request.branch ?? 'main',
      workDir,
      pushAttempts: request.pushAttempts ?? 5,
      replace: request.replace === true,
      author: request.author ?? DEFAULT_AUTHOR,
      python: request.python,
      indexUrl,
      git: deps.git ?? createGitRunner(),
      provisionTools: deps.provisionTools ?? (() => provisionTools({ log: (line) => deps.log.info(line) })),
      addFilesToIndex: deps.addFilesToIndex ?? addFilesToIndex,
      log: deps.log,
      onEvent: deps.onEvent,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
