import type { Logger as CoreLogger, PlannedContext, StepEvent } from '@packyard/core';
import type { AddFilesToIndex } from '@packyard/wheel-index';
import type { BuildTools } from './build.js';
import type { GitRunner } from './git.js';
import type { UpdateAction, UpdatePlan, UpdateRequest } from './plan.js';

/** Where update messages go: core's Logger, of which an update only informs and warns. */
export type Logger = Pick<CoreLogger, 'info' | 'warn'>;

/** Everything `runUpdate` needs; the CLI fills it from options, tests from literals. */
export interface UpdateOptions extends UpdateRequest {
  gitBase: string;
  /**
   * The index repository's git URL. Without `indexDir` it is cloned into the work directory; with
   * one it is where that checkout pushes (default: the checkout's `origin`).
   */
  indexRepo?: string | undefined;
  /** A checkout of the index repository, used in place (as the seed's workflow does). */
  indexDir?: string | undefined;
  branch: string;
  /** A scratch directory this run owns: the source, the build, the test venv, a fresh index clone. */
  workDir: string;
  /** How many times a push that lost a race is re-applied on the new tip before giving up. */
  pushAttempts: number;
  replace: boolean;
  author: { name: string; email: string };
  python?: string | undefined;
  /** Where build backends and the wheel's dependencies come from. */
  indexUrl: string;
  git: GitRunner;
  provisionTools: () => Promise<BuildTools>;
  addFilesToIndex: AddFilesToIndex;
  log: Logger;
  /** Receives the step events (`createStepEventRenderer` turns them into `[n/N]` progress). */
  onEvent?: ((event: StepEvent) => void) | undefined;
}

/** What an update did. */
export interface UpdateReport {
  /** The commit of the source that was built. */
  sourceCommit: string;
  wheel: string;
  modules: string[];
  /** `pushed`: a new index commit is on the branch; `unchanged`: the index already held this wheel. */
  outcome: 'pushed' | 'unchanged';
  indexCommit?: string;
  pushAttempts: number;
}

/** A checkout of the index repository and where it pushes. */
export interface IndexCheckout {
  dir: string;
  /** What `git push` and `git fetch` are given: a remote name or a URL. */
  remote: string;
}

/** The source at the planned ref. */
export interface SourceCheckout {
  dir: string;
  commit: string;
  /** Committer time, seconds since the epoch. */
  commitTime: number;
}

/** What the update steps share: the plan, the options, and what each step hands to the next. */
export interface UpdateContext extends PlannedContext<UpdateAction> {
  plan: UpdatePlan;
  options: UpdateOptions;
  workDir: string;
  index?: IndexCheckout;
  source?: SourceCheckout;
  tools?: BuildTools;
  wheel?: string;
  modules?: string[];
  published?: Pick<UpdateReport, 'outcome' | 'indexCommit' | 'pushAttempts'>;
}
